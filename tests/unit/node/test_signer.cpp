// The double-sign-safe validator signer (src/node/signer.h): regressions and conflicts refused, the
// same step re-emitted byte for byte, state kept across reopen (which is what a crash between persist and
// return looks like), and a corrupt or foreign state file refused instead of reset.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "consensus/sign_bytes.h"
#include "consensus/validator_set.h"
#include "crypto/keccak.h"
#include "node/signer.h"
#include "tests/unit/test_support.h"

using namespace physis;
using namespace physis::node;

namespace {

using physis::test::address_of_key;
using physis::test::key_n;
using physis::test::TempDir;

const std::string kChain = "physis-test-1";

Hash32 block(uint8_t b) {
  Hash32 h;
  h.fill(b);
  return h;
}

SignRequest req(SignStep step, uint64_t height, uint32_t round, uint8_t block_byte,
                std::optional<uint32_t> pol_round = std::nullopt) {
  return SignRequest{step, height, round, block(block_byte), pol_round};
}

std::string state_path(const TempDir& dir) { return (dir.path() / std::string(kSignerStateFile)).string(); }

std::unique_ptr<Signer> open_ok(const std::string& path, uint8_t key = 1, const std::string& chain = kChain) {
  auto s = Signer::open(path, key_n(key), chain);
  EXPECT_TRUE(s.ok()) << s.error().message;
  return s.ok() ? std::move(*s) : nullptr;
}

Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const Bytes& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

void expect_error(const Result<crypto::Signature>& r, const std::string& code) {
  ASSERT_FALSE(r.ok()) << "signed, expected " << code;
  EXPECT_EQ(r.error().code, code) << r.error().message;
}

}  // namespace

// ---- what is signed ----

TEST(Signer, PrecommitIsAcceptedByVerifyCommit) {
  TempDir dir;
  auto s = open_ok(state_path(dir));
  auto sig = s->sign(req(SignStep::kPrecommit, 7, 2, 0x42));
  ASSERT_TRUE(sig.ok()) << sig.error().message;
  pb::Commit commit;
  commit.set_height(7);
  commit.set_round(2);
  commit.set_block_hash(to_string(block(0x42)));
  auto* cs = commit.add_signatures();
  cs->set_validator(to_string(address_of_key(key_n(1))));
  cs->set_signature(to_string(*sig));
  consensus::ValidatorSet set({{address_of_key(key_n(1)), 10}});
  EXPECT_TRUE(consensus::verify_commit(commit, set, kChain, 7, block(0x42)).ok());
  // And the same signature is what make_commit produces for this key.
  pb::Commit made = consensus::make_commit(kChain, 7, 2, block(0x42), {key_n(1)});
  EXPECT_EQ(made.signatures(0).signature(), to_string(*sig));
}

TEST(Signer, EachStepSignsItsOwnDomain) {
  TempDir dir;
  auto s = open_ok(state_path(dir));
  const Address me = address_of_key(key_n(1));
  auto prop = s->sign(req(SignStep::kProposal, 3, 0, 0x11));
  auto pv = s->sign(req(SignStep::kPrevote, 3, 0, 0x11));
  auto pc = s->sign(req(SignStep::kPrecommit, 3, 0, 0x11));
  ASSERT_TRUE(prop.ok() && pv.ok() && pc.ok());
  EXPECT_EQ(
      *crypto::recover_address(consensus::proposal_digest(kChain, 3, 0, std::nullopt, block(0x11)), *prop),
      me);
  EXPECT_EQ(*crypto::recover_address(
                consensus::vote_digest(kChain, consensus::VoteType::kPrevote, 3, 0, block(0x11)), *pv),
            me);
  EXPECT_NE(*prop, *pv);
  EXPECT_NE(*pv, *pc);
}

TEST(Signer, ProposalDigestIsPinned) {
  // Golden vector: an accidental change of the proposal sign-bytes fails here.
  Bytes msg;
  append(msg, std::string_view("PHYSIS/PROPOSAL/v1"));
  append_u32_be(msg, static_cast<uint32_t>(kChain.size()));
  append(msg, kChain);
  append_u64_be(msg, 9);
  append_u32_be(msg, 4);
  msg.push_back(1);
  append_u32_be(msg, 2);
  append(msg, block(0x77));
  EXPECT_EQ(consensus::proposal_digest(kChain, 9, 4, 2, block(0x77)), crypto::keccak256(msg));
  EXPECT_NE(consensus::proposal_digest(kChain, 9, 4, 2, block(0x77)),
            consensus::proposal_digest(kChain, 9, 4, std::nullopt, block(0x77)));
  EXPECT_NE(consensus::proposal_digest(kChain, 9, 4, 2, block(0x77)),
            consensus::proposal_digest("physis-other-1", 9, 4, 2, block(0x77)));
}

// ---- the rule ----

TEST(Signer, RegressionIsRefused) {
  TempDir dir;
  auto s = open_ok(state_path(dir));
  ASSERT_TRUE(s->sign(req(SignStep::kPrevote, 10, 3, 0x01)).ok());
  expect_error(s->sign(req(SignStep::kPrecommit, 9, 9, 0x01)), "sign_regression");   // lower height
  expect_error(s->sign(req(SignStep::kPrecommit, 10, 2, 0x01)), "sign_regression");  // lower round
  expect_error(s->sign(req(SignStep::kProposal, 10, 3, 0x01)), "sign_regression");   // lower step
  ASSERT_TRUE(s->last_signed().has_value());
  EXPECT_EQ(s->last_signed()->height, 10u);
  EXPECT_EQ(s->last_signed()->step, SignStep::kPrevote);
  // Forward in every coordinate is fine.
  EXPECT_TRUE(s->sign(req(SignStep::kPrecommit, 10, 3, 0x01)).ok());
  EXPECT_TRUE(s->sign(req(SignStep::kPrevote, 10, 4, 0x00)).ok());
  EXPECT_TRUE(s->sign(req(SignStep::kProposal, 11, 0, 0x05)).ok());
}

TEST(Signer, SameStepSameBlockReEmitsTheIdenticalSignature) {
  TempDir dir;
  auto s = open_ok(state_path(dir));
  auto first = s->sign(req(SignStep::kPrecommit, 5, 1, 0x33));
  ASSERT_TRUE(first.ok());
  const Bytes file_before = read_bytes(state_path(dir));
  auto again = s->sign(req(SignStep::kPrecommit, 5, 1, 0x33));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, *first);
  EXPECT_EQ(read_bytes(state_path(dir)), file_before);  // nothing new was written
}

TEST(Signer, ConflictingBlockAtTheSameStepIsRefused) {
  TempDir dir;
  auto s = open_ok(state_path(dir));
  ASSERT_TRUE(s->sign(req(SignStep::kPrevote, 5, 1, 0x33)).ok());
  expect_error(s->sign(req(SignStep::kPrevote, 5, 1, 0x34)), "sign_conflict");
  expect_error(s->sign(req(SignStep::kPrevote, 5, 1, 0x00)), "sign_conflict");  // nil after a block
}

TEST(Signer, NilThenBlockAtTheSameStepIsRefused) {
  TempDir dir;
  auto s = open_ok(state_path(dir));
  ASSERT_TRUE(s->sign(req(SignStep::kPrecommit, 5, 1, 0x00)).ok());
  expect_error(s->sign(req(SignStep::kPrecommit, 5, 1, 0x33)), "sign_conflict");
}

TEST(Signer, ProposalWithAnotherPolRoundIsAConflict) {
  TempDir dir;
  auto s = open_ok(state_path(dir));
  ASSERT_TRUE(s->sign(req(SignStep::kProposal, 5, 3, 0x33, 1)).ok());
  expect_error(s->sign(req(SignStep::kProposal, 5, 3, 0x33, 2)), "sign_conflict");
  expect_error(s->sign(req(SignStep::kProposal, 5, 3, 0x33)), "sign_conflict");
  EXPECT_TRUE(s->sign(req(SignStep::kProposal, 5, 3, 0x33, 1)).ok());
}

TEST(Signer, MalformedRequestsAreRefusedWithoutRecording) {
  TempDir dir;
  auto s = open_ok(state_path(dir));
  expect_error(s->sign(req(SignStep::kProposal, 5, 0, 0x00)), "bad_sign_request");     // nil proposal
  expect_error(s->sign(req(SignStep::kProposal, 5, 2, 0x01, 2)), "bad_sign_request");  // pol_round == round
  expect_error(s->sign(req(SignStep::kPrevote, 5, 2, 0x01, 1)), "bad_sign_request");   // pol_round on a vote
  EXPECT_FALSE(s->last_signed().has_value());
}

// ---- persistence ----

TEST(Signer, StateSurvivesReopen) {
  TempDir dir;
  crypto::Signature sig{};
  {
    auto s = open_ok(state_path(dir));
    auto r = s->sign(req(SignStep::kPrecommit, 12, 0, 0x44));
    ASSERT_TRUE(r.ok());
    sig = *r;
  }
  auto s = open_ok(state_path(dir));
  ASSERT_TRUE(s->last_signed().has_value());
  EXPECT_EQ(s->last_signed()->height, 12u);
  EXPECT_EQ(s->last_signed()->step, SignStep::kPrecommit);
  EXPECT_EQ(s->last_signed()->block_hash, block(0x44));
  EXPECT_EQ(s->last_signed()->signature, sig);
  expect_error(s->sign(req(SignStep::kPrevote, 12, 0, 0x44)), "sign_regression");
  auto same = s->sign(req(SignStep::kPrecommit, 12, 0, 0x44));
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, sig);
  auto on_disk = read_signer_state(state_path(dir), address_of_key(key_n(1)), kChain);
  ASSERT_TRUE(on_disk.ok()) << on_disk.error().message;
  EXPECT_EQ(*on_disk, s->last_signed());
}

TEST(Signer, CrashBetweenPersistAndReturnNeverAllowsAConflict) {
  // The state is durable before sign() returns, so a process that dies right after the write (before the
  // vote reaches anyone) restarts with that vote recorded: for every (step, conflicting block) pair the
  // restarted signer refuses, and re-signing the recorded vote gives the same bytes.
  for (SignStep step : {SignStep::kProposal, SignStep::kPrevote, SignStep::kPrecommit}) {
    SCOPED_TRACE(std::string(sign_step_name(step)));
    TempDir dir;
    crypto::Signature sig{};
    {
      auto s = open_ok(state_path(dir));
      auto r = s->sign(req(step, 20, 1, 0x55));
      ASSERT_TRUE(r.ok());
      sig = *r;
      // "Crash": the signer object goes away without anything else happening.
    }
    auto restarted = open_ok(state_path(dir));
    for (uint8_t other : {0x00, 0x56, 0xff}) {
      if (step == SignStep::kProposal && other == 0x00) continue;  // a nil proposal is malformed anyway
      expect_error(restarted->sign(req(step, 20, 1, other)), "sign_conflict");
    }
    auto again = restarted->sign(req(step, 20, 1, 0x55));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, sig);
  }
}

TEST(Signer, ProcessThatDiesRightAfterSigningLeavesItsVoteRecorded) {
  // A real process signs and exits at once, so its signature never reaches anyone. The restarted signer
  // knows that vote: a conflicting one is refused and the same one comes back (signed by this key).
  TempDir dir;
  const std::string path = state_path(dir);
  ASSERT_TRUE(Signer::open(path, key_n(1), kChain).ok());  // create the state before forking
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto s = Signer::open(path, key_n(1), kChain);
    const bool signed_ok = s.ok() && (*s)->sign(req(SignStep::kPrecommit, 30, 2, 0x66)).ok();
    ::_exit(signed_ok ? 0 : 1);  // no destructors, no flush: as abrupt as a crash after sign() returns
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto s = open_ok(path);
  expect_error(s->sign(req(SignStep::kPrecommit, 30, 2, 0x67)), "sign_conflict");
  expect_error(s->sign(req(SignStep::kPrevote, 30, 2, 0x66)), "sign_regression");
  auto same = s->sign(req(SignStep::kPrecommit, 30, 2, 0x66));
  ASSERT_TRUE(same.ok()) << same.error().message;
  const Hash32 digest = consensus::vote_digest(kChain, consensus::VoteType::kPrecommit, 30, 2, block(0x66));
  EXPECT_EQ(*crypto::recover_address(digest, *same), address_of_key(key_n(1)));
}

TEST(Signer, UnfinishedWriteFromACrashIsDiscarded) {
  // A crash after the temporary file is written but before the rename: the signature never left, so the
  // committed state (height 5) stands and the half-done one (height 6) is dropped.
  TempDir dir;
  const std::string path = state_path(dir);
  {
    auto s = open_ok(path);
    ASSERT_TRUE(s->sign(req(SignStep::kPrevote, 5, 0, 0x01)).ok());
  }
  {
    TempDir other;
    auto s = open_ok(state_path(other));
    ASSERT_TRUE(s->sign(req(SignStep::kPrevote, 6, 0, 0x02)).ok());
    write_bytes(path + ".tmp", read_bytes(state_path(other)));
  }
  auto s = open_ok(path);
  ASSERT_TRUE(s->last_signed().has_value());
  EXPECT_EQ(s->last_signed()->height, 5u);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(Signer, FreshStateIsWrittenOnOpen) {
  TempDir dir;
  auto s = open_ok(state_path(dir));
  EXPECT_FALSE(s->last_signed().has_value());
  auto on_disk = read_signer_state(state_path(dir), address_of_key(key_n(1)), kChain);
  ASSERT_TRUE(on_disk.ok()) << on_disk.error().message;
  EXPECT_FALSE(on_disk->has_value());
}

// ---- refusing a state it cannot trust ----

TEST(Signer, CorruptStateFileIsRefusedNotReset) {
  TempDir dir;
  const std::string path = state_path(dir);
  {
    auto s = open_ok(path);
    ASSERT_TRUE(s->sign(req(SignStep::kPrecommit, 8, 0, 0x09)).ok());
  }
  const Bytes good = read_bytes(path);
  // Every single-byte flip and every truncation is caught (checksum or length).
  for (size_t i = 0; i < good.size(); ++i) {
    Bytes bad = good;
    bad[i] ^= 0x01;
    write_bytes(path, bad);
    auto s = Signer::open(path, key_n(1), kChain);
    ASSERT_FALSE(s.ok()) << "flip at byte " << i << " accepted";
    EXPECT_EQ(s.error().code, "signer_state");
    EXPECT_EQ(read_bytes(path), bad) << "a refused file must be left for the operator, not reset";
  }
  for (size_t n = 0; n < good.size(); n += 7) {
    write_bytes(path, Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n)));
    auto s = Signer::open(path, key_n(1), kChain);
    ASSERT_FALSE(s.ok()) << "truncation to " << n << " bytes accepted";
    EXPECT_EQ(s.error().code, "signer_state");
  }
  write_bytes(path, good);
  EXPECT_TRUE(Signer::open(path, key_n(1), kChain).ok());
}

TEST(Signer, UnreadableStateFileIsRefused) {
  TempDir dir;
  const std::string path = state_path(dir);
  std::filesystem::create_directory(path);  // a directory where the file should be: open/read fails
  auto s = Signer::open(path, key_n(1), kChain);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "signer_state");
}

TEST(Signer, StateOfAnotherKeyOrChainIsRefused) {
  TempDir dir;
  const std::string path = state_path(dir);
  {
    auto s = open_ok(path);
    ASSERT_TRUE(s->sign(req(SignStep::kPrevote, 2, 0, 0x01)).ok());
  }
  auto other_key = Signer::open(path, key_n(2), kChain);
  ASSERT_FALSE(other_key.ok());
  EXPECT_EQ(other_key.error().code, "signer_state");
  EXPECT_NE(other_key.error().message.find("validator"), std::string::npos) << other_key.error().message;
  auto other_chain = Signer::open(path, key_n(1), "physis-other-1");
  ASSERT_FALSE(other_chain.ok());
  EXPECT_NE(other_chain.error().message.find("chain"), std::string::npos) << other_chain.error().message;
}

TEST(Signer, FailedPersistReturnsNoSignatureAndStopsSigning) {
  TempDir dir;
  const std::string path = state_path(dir);
  auto s = open_ok(path);
  ASSERT_TRUE(s->sign(req(SignStep::kPrevote, 2, 0, 0x01)).ok());
  // A directory in the way of the temporary file makes the next write fail.
  std::filesystem::create_directory(path + ".tmp");
  expect_error(s->sign(req(SignStep::kPrecommit, 2, 0, 0x01)), "signer_state");
  std::filesystem::remove(path + ".tmp");
  // Even now that writing would work, this signer refuses until reopened.
  expect_error(s->sign(req(SignStep::kPrecommit, 2, 0, 0x01)), "signer_state");
  auto reopened = open_ok(path);
  EXPECT_EQ(reopened->last_signed()->step, SignStep::kPrevote);
  EXPECT_TRUE(reopened->sign(req(SignStep::kPrecommit, 2, 0, 0x01)).ok());
}
