// Proposer selection by priority (doc/consensus.md §Proposer): weighted frequencies, a new round
// moves to another proposer, a pinned golden sequence, set changes and the arithmetic bounds.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "consensus/proposer.h"
#include "tests/unit/test_support.h"

using namespace physis;
using namespace physis::consensus;
using physis::test::address_of_key;
using physis::test::key_n;

namespace {

ValidatorSet weighted(std::initializer_list<uint64_t> powers) {
  std::vector<Validator> vs;
  uint8_t k = 1;
  for (uint64_t p : powers) vs.push_back({address_of_key(key_n(k++)), p});
  return ValidatorSet(vs);
}

ProposerPriorities start_of(const ValidatorSet& set) {
  auto p = ProposerPriorities::start(set);
  EXPECT_TRUE(p.ok());
  return *p;
}

size_t index_of(const ValidatorSet& set, const Address& a) {
  for (size_t i = 0; i < set.validators().size(); ++i)
    if (set.validators()[i].address == a) return i;
  ADD_FAILURE() << "proposer not in the set";
  return 0;
}

}  // namespace

TEST(Proposer, SingleValidatorAlwaysProposes) {
  ProposerPriorities p = start_of(weighted({7}));
  for (int i = 0; i < 100; ++i) {
    p.advance();
    EXPECT_EQ(p.proposer().address, address_of_key(key_n(1)));
  }
}

TEST(Proposer, FrequenciesMatchThePowerRatio) {
  for (auto powers : {std::vector<uint64_t>{1, 2, 3, 4}, std::vector<uint64_t>{10, 10, 10, 10},
                      std::vector<uint64_t>{1, 1, 1, 1, 1, 1, 94}, std::vector<uint64_t>{5, 30, 65}}) {
    std::vector<Validator> vs;
    uint8_t k = 1;
    for (uint64_t pw : powers) vs.push_back({address_of_key(key_n(k++)), pw});
    ValidatorSet set(vs);
    ProposerPriorities p = start_of(set);
    const uint64_t cycles = 50;
    const uint64_t steps = cycles * set.total_power();
    std::map<Address, uint64_t> count;
    for (uint64_t i = 0; i < steps; ++i) {
      p.advance();
      count[p.proposer().address]++;
    }
    // Priorities stay within a few × total power, so over `cycles` full cycles each count is within
    // one or two of cycles × power.
    for (const auto& v : set.validators()) {
      const int64_t expected = static_cast<int64_t>(cycles * v.power);
      EXPECT_LE(std::llabs(static_cast<int64_t>(count[v.address]) - expected), 2)
          << "power " << v.power << " proposed " << count[v.address] << " of " << steps;
    }
  }
}

TEST(Proposer, OneOfFourOfflineCostsOneRound) {
  // Whoever proposes round 0 at a height (and is offline), round 1 is someone else.
  ValidatorSet set = weighted({10, 10, 10, 10});
  auto provider = FixedValidatorSetProvider::make(set);
  ASSERT_TRUE(provider.ok());
  for (uint64_t h = 1; h <= 200; ++h) {
    auto hv = provider->validators_at(h);
    ASSERT_TRUE(hv.ok());
    EXPECT_NE(hv->proposer(0).address, hv->proposer(1).address) << "height " << h;
  }
}

TEST(Proposer, WeightedOfflineValidatorCostsAtMostTwoRounds) {
  // The heaviest validator (5 of 14) may propose two rounds running, never three: with any proposer
  // of round 0 offline, round 1 or round 2 has another proposer.
  ValidatorSet set = weighted({2, 3, 4, 5});
  auto provider = FixedValidatorSetProvider::make(set);
  ASSERT_TRUE(provider.ok());
  int repeats = 0;
  for (uint64_t h = 1; h <= 500; ++h) {
    auto hv = provider->validators_at(h);
    ASSERT_TRUE(hv.ok());
    const Address first = hv->proposer(0).address;
    repeats += hv->proposer(1).address == first;
    EXPECT_TRUE(hv->proposer(1).address != first || hv->proposer(2).address != first) << "height " << h;
  }
  EXPECT_GT(repeats, 0);  // the weighted case really is different from the equal one
}

// Golden sequence: a change to the algorithm (tie-break, rounding, order) is a fork and must fail loudly.
TEST(Proposer, GoldenSequenceIsPinned) {
  ValidatorSet set = weighted({1, 2, 3, 4});
  ProposerPriorities p = start_of(set);
  std::string seq;
  for (int i = 0; i < 30; ++i) {
    p.advance();
    seq += static_cast<char>('0' + index_of(set, p.proposer().address));
  }
  std::string powers;
  for (const auto& v : set.validators()) powers += static_cast<char>('0' + v.power);
  // Index i in the sorted set has power powers[i]; the schedule repeats every total power (10) steps.
  EXPECT_EQ(powers, "4231") << powers;
  EXPECT_EQ(seq, "021023012002102301200210230120") << seq;
}

TEST(Proposer, HeightAndRoundAreTheSameStepsAsValidatorSetProposer) {
  ValidatorSet set = weighted({1, 2, 3, 4});
  auto provider = FixedValidatorSetProvider::make(set);
  ASSERT_TRUE(provider.ok());
  for (uint64_t h : {1, 2, 3, 10, 11, 5, 40}) {  // includes walking down, which recomputes
    auto hv = provider->validators_at(h);
    ASSERT_TRUE(hv.ok());
    for (uint32_t r = 0; r < 4; ++r) EXPECT_EQ(hv->proposer(r).address, set.proposer(h, r).address);
  }
  EXPECT_FALSE(provider->validators_at(0).ok());
}

TEST(Proposer, RefusesBadSets) {
  EXPECT_FALSE(ProposerPriorities::start(ValidatorSet({})).ok());
  EXPECT_FALSE(ProposerPriorities::start(weighted({1, 0})).ok());
  EXPECT_FALSE(ProposerPriorities::start(weighted({kMaxTotalVotingPower, 1})).ok());
  auto ok = ProposerPriorities::start(weighted({kMaxTotalVotingPower - 1, 1}));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->with_set(ValidatorSet({})).error().code, "bad_validator_set");
}

TEST(Proposer, HugePowersStayWithinBounds) {
  // Total at the maximum: every sum is done in 128 bits and clamped; priorities stay within
  // [-2 × total, 2 × total] and the light validator's priority keeps rising.
  ValidatorSet set = weighted({kMaxTotalVotingPower - 3, 3});
  ProposerPriorities p = start_of(set);
  __extension__ typedef __int128 Wide;
  const Wide total = set.total_power();
  for (int i = 0; i < 1000; ++i) {
    p.advance();
    for (int64_t pr : p.priorities()) {
      EXPECT_LE(static_cast<Wide>(pr), 2 * total);
      EXPECT_GE(static_cast<Wide>(pr), -2 * total);
    }
  }
}

TEST(Proposer, NewcomerWaitsAndRemovedValidatorLeaves) {
  ValidatorSet three = weighted({10, 10, 10});
  ProposerPriorities p = start_of(three);
  p.advance(7);
  // Add key 4 with equal power, drop key 1.
  std::vector<Validator> next_vs = {
      {address_of_key(key_n(2)), 10}, {address_of_key(key_n(3)), 10}, {address_of_key(key_n(4)), 10}};
  ValidatorSet next(next_vs);
  auto q = p.with_set(next);
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->priorities().size(), 3u);
  // The newcomer starts at about -1.125 × total: lowest priority, and not the next proposer.
  const size_t newcomer = index_of(next, address_of_key(key_n(4)));
  for (size_t i = 0; i < 3; ++i) {
    if (i != newcomer) {
      EXPECT_LT(q->priorities()[newcomer], q->priorities()[i]);
    }
  }
  q->advance();
  EXPECT_NE(q->proposer().address, address_of_key(key_n(4)));
  // Over two cycles all three propose, and key 1 never does.
  std::map<Address, int> count;
  for (int i = 0; i < 6; ++i) {
    q->advance();
    count[q->proposer().address]++;
  }
  EXPECT_EQ(count.count(address_of_key(key_n(1))), 0u);
  EXPECT_EQ(count.size(), 3u);
}

TEST(Proposer, AdvancedLeavesTheOriginalUnchanged) {
  ProposerPriorities p = start_of(weighted({1, 2, 3}));
  const auto before = p.priorities();
  ProposerPriorities q = p.advanced(5);
  EXPECT_EQ(p.priorities(), before);
  p.advance(5);
  EXPECT_EQ(p.priorities(), q.priorities());
  EXPECT_EQ(p.proposer().address, q.proposer().address);
}
