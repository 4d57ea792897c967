#include "p2p/node_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "p2p/envelope.h"
#include "p2p/peer_score.h"
#include "tests/unit/test_support.h"

namespace physis::p2p {
namespace {

using physis::test::TempDir;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(NodeKey, CurveIsAvailable) { EXPECT_TRUE(require_curve().ok()); }

TEST(NodeKey, CreatedOnFirstUseWithMode0600AndStableAfter) {
  TempDir dir;
  const std::string path = dir.str() + "/node_key";
  auto first = load_or_create_node_key(path);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(is_valid_node_id(first->node_id()));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = load_or_create_node_key(path);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(first->public_z85, second->public_z85);
  EXPECT_EQ(first->secret_z85, second->secret_z85);
}

TEST(NodeKey, CorruptFileIsAnErrorNeverRegenerated) {
  TempDir dir;
  const std::string path = dir.str() + "/node_key";
  ASSERT_TRUE(load_or_create_node_key(path).ok());
  const std::string good = read_all(path);
  auto rewrite = [&](const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    ::chmod(path.c_str(), 0600);
  };
  const std::vector<std::string> corruptions = {
      "",
      good.substr(0, good.size() - 1),                   // missing final newline
      good + "\n",                                       // trailing bytes
      "x" + good.substr(1),                              // header
      good.substr(0, 30) + "!" + good.substr(31),        // not Z85 / wrong public key
  };
  for (const std::string& bad : corruptions) {
    rewrite(bad);
    auto r = load_or_create_node_key(path);
    ASSERT_FALSE(r.ok()) << "accepted: " << bad;
    EXPECT_EQ(r.error().code, "node_key");
    EXPECT_EQ(read_all(path), bad) << "file was rewritten";
  }
  // Public key from another pair: parses, but does not match the secret.
  auto other = generate_node_key();
  ASSERT_TRUE(other.ok());
  std::string mismatched = good;
  mismatched.replace(good.find("public ") + 7, 40, other->public_z85);
  rewrite(mismatched);
  EXPECT_FALSE(load_or_create_node_key(path).ok());
  // Group-readable: refused.
  rewrite(good);
  ::chmod(path.c_str(), 0644);
  EXPECT_FALSE(load_or_create_node_key(path).ok());
}

TEST(Envelope, DecodeRejectsEachReason) {
  Envelope e;
  e.set_chain_id("physis-test");
  e.mutable_tx()->set_raw("abc");
  const Bytes good = encode_envelope(e);
  Envelope out;
  RejectReason reason{};
  EXPECT_TRUE(decode_envelope(good, "physis-test", 1024, out, reason));
  EXPECT_EQ(out.tx().raw(), "abc");

  EXPECT_FALSE(decode_envelope(good, "physis-test", good.size() - 1, out, reason));
  EXPECT_EQ(reason, RejectReason::kOversize);
  EXPECT_FALSE(decode_envelope(good, "other-chain", 1024, out, reason));
  EXPECT_EQ(reason, RejectReason::kWrongChain);
  const Bytes garbage = {0xff, 0xff, 0xff, 0xff};
  EXPECT_FALSE(decode_envelope(garbage, "physis-test", 1024, out, reason));
  EXPECT_EQ(reason, RejectReason::kMalformed);
  // Same content, fields out of order: parses, but is not canonical.
  Envelope body_only;
  body_only.mutable_tx()->set_raw("abc");
  Envelope chain_only;
  chain_only.set_chain_id("physis-test");
  Bytes reordered = encode_envelope(body_only);
  append(reordered, encode_envelope(chain_only));
  EXPECT_FALSE(decode_envelope(reordered, "physis-test", 1024, out, reason));
  EXPECT_EQ(reason, RejectReason::kNonCanonical);
  EXPECT_FALSE(decode_envelope(encode_envelope(chain_only), "physis-test", 1024, out, reason));
  EXPECT_EQ(reason, RejectReason::kEmptyBody);
}

TEST(PeerScore, TokenBucketRefillsAtTheConfiguredRate) {
  TokenBucket b(10, 5, 0);  // 10/s, burst 5
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(b.take(1, 0));
  EXPECT_FALSE(b.take(1, 0));
  EXPECT_FALSE(b.take(1, 99));  // 0.99 tokens
  EXPECT_TRUE(b.take(1, 100));
  EXPECT_TRUE(b.take(5, 10'000));   // refill capped at the burst
  EXPECT_FALSE(b.take(1, 10'000));
}

TEST(PeerScore, PenaltiesReachTheThreshold) {
  ScoreOptions o;
  PeerScore s(o, 0);
  EXPECT_FALSE(s.penalize(RejectReason::kMalformed));
  EXPECT_EQ(s.score(), o.initial_score - o.cost_malformed);
  EXPECT_TRUE(s.penalize(RejectReason::kWrongChain));
}

}  // namespace
}  // namespace physis::p2p
