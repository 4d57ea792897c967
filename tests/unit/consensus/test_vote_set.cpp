// Vote bookkeeping (consensus/vote_set.h): strict thresholds, duplicates, equivocation counted for
// each block but once for "any", membership and height checks, sender power per round.
#include <gtest/gtest.h>

#include "consensus/vote_set.h"

using namespace physis;
using namespace physis::consensus;

namespace {

Address addr(int i) {
  Address a{};
  a[0] = 0xb0;
  a[19] = static_cast<uint8_t>(i + 1);
  return a;
}

Hash32 blk(uint8_t b) {
  Hash32 h{};
  h.fill(b);
  return h;
}

Vote vote(VoteType t, uint32_t round, BlockId b, int who) { return Vote{t, 4, round, b, addr(who)}; }

ValidatorSet equal(int n, uint64_t power = 10) {
  std::vector<Validator> vs;
  for (int i = 0; i < n; ++i) vs.push_back({addr(i), power});
  return ValidatorSet(vs);
}

}  // namespace

TEST(VoteSet, ThresholdsAreStrict) {
  EXPECT_FALSE(more_than_two_thirds(2, 3));
  EXPECT_TRUE(more_than_two_thirds(3, 3));
  EXPECT_FALSE(more_than_two_thirds(20, 30));
  EXPECT_TRUE(more_than_two_thirds(21, 30));
  EXPECT_FALSE(more_than_one_third(1, 3));
  EXPECT_TRUE(more_than_one_third(2, 4));
  // No overflow at the top of the range.
  EXPECT_TRUE(more_than_two_thirds(UINT64_MAX, UINT64_MAX));
  EXPECT_FALSE(more_than_two_thirds(UINT64_MAX / 3 * 2, UINT64_MAX));
}

TEST(VoteSet, TalliesByBlockAndNil) {
  VoteSet vs(40);
  EXPECT_EQ(vs.add(vote(VoteType::kPrevote, 0, blk(1), 0), 10), AddVote::kAdded);
  EXPECT_EQ(vs.add(vote(VoteType::kPrevote, 0, blk(1), 1), 10), AddVote::kAdded);
  EXPECT_EQ(vs.add(vote(VoteType::kPrevote, 0, std::nullopt, 2), 10), AddVote::kAdded);
  EXPECT_EQ(vs.power_for(blk(1)), 20u);
  EXPECT_EQ(vs.power_for(std::nullopt), 10u);
  EXPECT_EQ(vs.power_any(), 30u);
  EXPECT_TRUE(vs.has_two_thirds_any());
  EXPECT_FALSE(vs.has_two_thirds_for(blk(1)));
  EXPECT_FALSE(vs.two_thirds_majority());
  EXPECT_EQ(vs.add(vote(VoteType::kPrevote, 0, blk(1), 3), 10), AddVote::kAdded);
  ASSERT_TRUE(vs.two_thirds_majority());
  EXPECT_EQ(*vs.two_thirds_majority(), BlockId{blk(1)});
  auto votes = vs.votes_for(blk(1));
  ASSERT_EQ(votes.size(), 3u);
  for (size_t i = 1; i < votes.size(); ++i) EXPECT_LT(votes[i - 1].validator, votes[i].validator);
}

TEST(VoteSet, DuplicateIsIgnoredAndConflictIsCountedPerBlockOnly) {
  VoteSet vs(30);
  EXPECT_EQ(vs.add(vote(VoteType::kPrecommit, 1, blk(1), 0), 10), AddVote::kAdded);
  EXPECT_EQ(vs.add(vote(VoteType::kPrecommit, 1, blk(1), 0), 10), AddVote::kDuplicate);
  Vote first;
  EXPECT_EQ(vs.add(vote(VoteType::kPrecommit, 1, blk(2), 0), 10, &first), AddVote::kConflicting);
  EXPECT_EQ(first.block, BlockId{blk(1)});
  EXPECT_EQ(vs.add(vote(VoteType::kPrecommit, 1, blk(2), 0), 10), AddVote::kDuplicate);
  EXPECT_EQ(vs.power_any(), 10u);
  EXPECT_EQ(vs.power_for(blk(1)), 10u);
  EXPECT_EQ(vs.power_for(blk(2)), 10u);
  EXPECT_EQ(vs.first_votes().size(), 1u);
  EXPECT_EQ(vs.all_votes().size(), 2u);
}

TEST(HeightVoteSet, ChecksHeightAndMembership) {
  HeightVoteSet h(4, equal(3));
  EXPECT_EQ(h.add(vote(VoteType::kPrevote, 0, blk(1), 0)), HeightVoteSet::Added::kAdded);
  Vote other_height = vote(VoteType::kPrevote, 0, blk(1), 1);
  other_height.height = 5;
  EXPECT_EQ(h.add(other_height), HeightVoteSet::Added::kWrongHeight);
  EXPECT_EQ(h.add(vote(VoteType::kPrevote, 0, blk(1), 7)), HeightVoteSet::Added::kNotValidator);
  EXPECT_EQ(h.add(vote(VoteType::kPrevote, 0, blk(1), 0)), HeightVoteSet::Added::kDuplicate);
  EXPECT_EQ(h.add(vote(VoteType::kPrevote, 0, blk(2), 0)), HeightVoteSet::Added::kConflicting);
  EXPECT_EQ(h.prevotes(1), nullptr);
  ASSERT_NE(h.precommits(0), nullptr);  // the round exists; no precommit in it yet
  EXPECT_EQ(h.precommits(0)->power_any(), 0u);
  ASSERT_NE(h.prevotes(0), nullptr);
  EXPECT_EQ(h.prevotes(0)->power_any(), 10u);
}

TEST(HeightVoteSet, SenderPowerCountsEachValidatorOncePerRound) {
  HeightVoteSet h(4, equal(4));
  (void)h.add(vote(VoteType::kPrevote, 2, blk(1), 0));
  (void)h.add(vote(VoteType::kPrecommit, 2, blk(1), 0));
  (void)h.add(vote(VoteType::kPrecommit, 2, std::nullopt, 1));
  (void)h.add(vote(VoteType::kPrevote, 3, std::nullopt, 2));
  EXPECT_EQ(h.sender_power(2), 20u);
  EXPECT_EQ(h.sender_power(3), 10u);
  EXPECT_EQ(h.sender_power(0), 0u);
  EXPECT_EQ(h.rounds(), (std::vector<uint32_t>{2, 3}));
}
