// The engine snapshot the consensus driver keeps in its WAL: it must come back exactly, and anything
// that is not exactly one snapshot must be refused (a restarted validator never resumes from garbage).
#include <gtest/gtest.h>

#include "node/engine_snapshot.h"

namespace physis::node {
namespace {

consensus::EngineSnapshot sample() {
  consensus::EngineSnapshot s;
  s.height = 42;
  s.round = 3;
  s.step = consensus::Step::kPrecommit;
  s.locked_block = Hash32{1, 2, 3};
  s.locked_round = 2;
  s.valid_block = Hash32{4, 5, 6};
  s.valid_round = 2;
  s.own_votes.push_back({consensus::VoteType::kPrevote, 42, 2, Hash32{1, 2, 3}, Address{9}});
  s.own_votes.push_back({consensus::VoteType::kPrecommit, 42, 3, std::nullopt, Address{9}});
  s.own_proposals.push_back({42, 1, Hash32{7}, consensus::kNoRound, Address{9}});
  return s;
}

void expect_equal(const consensus::EngineSnapshot& a, const consensus::EngineSnapshot& b) {
  EXPECT_EQ(a.height, b.height);
  EXPECT_EQ(a.round, b.round);
  EXPECT_EQ(a.step, b.step);
  EXPECT_EQ(a.locked_block, b.locked_block);
  EXPECT_EQ(a.locked_round, b.locked_round);
  EXPECT_EQ(a.valid_block, b.valid_block);
  EXPECT_EQ(a.valid_round, b.valid_round);
  EXPECT_EQ(a.own_votes, b.own_votes);
  EXPECT_EQ(a.own_proposals, b.own_proposals);
}

TEST(EngineSnapshot, RoundTripsExactly) {
  const auto s = sample();
  auto back = decode_snapshot(ByteSpan(encode_snapshot(s)));
  ASSERT_TRUE(back.has_value());
  expect_equal(*back, s);
  consensus::EngineSnapshot empty;
  empty.height = 1;
  auto e = decode_snapshot(ByteSpan(encode_snapshot(empty)));
  ASSERT_TRUE(e.has_value());
  expect_equal(*e, empty);
  EXPECT_FALSE(e->locked_block.has_value());
  EXPECT_EQ(e->locked_round, consensus::kNoRound);
}

TEST(EngineSnapshot, RefusesEveryTruncationAndTrailingBytes) {
  const Bytes bytes = encode_snapshot(sample());
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(decode_snapshot(ByteSpan(bytes.data(), n)).has_value()) << "prefix of " << n << " bytes";
  Bytes longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(decode_snapshot(ByteSpan(longer)).has_value());
}

TEST(EngineSnapshot, RefusesAWrongTagStepOrVoteType) {
  Bytes bytes = encode_snapshot(sample());
  Bytes tag = bytes;
  tag[0] = 'X';
  EXPECT_FALSE(decode_snapshot(ByteSpan(tag)).has_value());
  Bytes step = bytes;
  step[1 + 8 + 4] = 9;  // after tag, height, round
  EXPECT_FALSE(decode_snapshot(ByteSpan(step)).has_value());
  Bytes type = bytes;
  // First own vote's type: after tag, height, round, step, locked (33), locked_round, valid (33),
  // valid_round, vote count.
  type[1 + 8 + 4 + 1 + 33 + 8 + 33 + 8 + 4] = 7;
  EXPECT_FALSE(decode_snapshot(ByteSpan(type)).has_value());
}

}  // namespace
}  // namespace physis::node
