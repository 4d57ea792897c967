// One test per rule of the engine (doc/consensus.md §Rules; the paper's Algorithm 1 line numbers in
// the names' comments), and one scenario per Verdict (VerdictTableHasEveryValue).
#include <gtest/gtest.h>

#include <set>

#include "consensus/engine.h"

using namespace physis;
using namespace physis::consensus;

namespace {

Address addr(int i) {
  Address a{};
  a[0] = 0xa0;
  a[19] = static_cast<uint8_t>(i + 1);
  return a;
}

Hash32 blk(uint8_t b) {
  Hash32 h{};
  h.fill(b);
  return h;
}

ValidatorSet set_of(std::vector<uint64_t> powers) {
  std::vector<Validator> vs;
  for (size_t i = 0; i < powers.size(); ++i) vs.push_back({addr(static_cast<int>(i)), powers[i]});
  return ValidatorSet(vs);
}

HeightValidators at(const ValidatorSet& set, uint64_t height) {
  auto p = FixedValidatorSetProvider::make(set);
  return *p->validators_at(height);
}

template <class T>
std::vector<T> all(const Output& o) {
  std::vector<T> out;
  for (const Effect& e : o.effects)
    if (const T* t = std::get_if<T>(&e)) out.push_back(*t);
  return out;
}

template <class T>
bool has(const Output& o) {
  return !all<T>(o).empty();
}

EngineConfig config() { return EngineConfig{100, 10, 50, 5, 60, 6, 0}; }

// An engine at height 1 for validator `self` of equal-power validators, plus helpers that feed it
// other validators' messages. `self` is chosen so that it does not propose round 0 unless asked.
struct Net {
  ValidatorSet set;
  HeightValidators hv;
  int self;
  Engine e;
  uint64_t now = 1000;

  // `avoid`: rounds that self must not propose (unless self_proposes_round0, then it proposes 0).
  Net(std::vector<uint64_t> powers, bool self_proposes_round0 = false, std::vector<uint32_t> avoid = {0})
      : set(set_of(powers)),
        hv(at(set, 1)),
        self(pick(hv, powers.size(), self_proposes_round0, avoid)),
        e(config(), addr(self)) {}
  static int pick(const HeightValidators& hv, size_t n, bool proposer, const std::vector<uint32_t>& avoid) {
    for (size_t i = 0; i < n; ++i) {
      const Address a = addr(static_cast<int>(i));
      if (proposer) {
        if (hv.proposer(0).address == a) return static_cast<int>(i);
        continue;
      }
      bool free = true;
      for (uint32_t r : avoid) free = free && hv.proposer(r).address != a;
      if (free) return static_cast<int>(i);
    }
    ADD_FAILURE() << "no validator avoids those rounds";
    return 0;
  }
  Output start() { return e.start_height(1, hv, now); }
  int index_of(const Address& a) const {
    for (int i = 0; i < static_cast<int>(set.validators().size()); ++i)
      if (addr(i) == a) return i;
    return -1;
  }
  // Other validators (not self), in index order.
  std::vector<int> others() const {
    std::vector<int> out;
    for (int i = 0; i < static_cast<int>(set.validators().size()); ++i)
      if (i != self) out.push_back(i);
    return out;
  }
  Output propose(uint32_t round, const Hash32& b, int64_t pol = kNoRound) {
    return e.on_proposal(Proposal{1, round, b, pol, e.proposer(round)}, now);
  }
  Output vote(VoteType t, uint32_t round, BlockId b, int who) {
    return e.on_vote(Vote{t, 1, round, b, addr(who)}, now);
  }
  // Votes from the first k other validators.
  void votes(VoteType t, uint32_t round, BlockId b, size_t k) {
    auto o = others();
    for (size_t i = 0; i < k && i < o.size(); ++i) (void)vote(t, round, b, o[i]);
  }
  Output valid(const Hash32& b, bool ok = true) { return e.on_block_validated(1, b, ok, now); }
  Output timeout(TimeoutStep s, uint32_t round) { return e.on_timeout(Timeout{1, round, s}, now); }
  std::optional<Vote> signed_vote(const Output& o, VoteType t) {
    for (const auto& sv : all<SignVote>(o))
      if (sv.vote.type == t) return sv.vote;
    return std::nullopt;
  }
  // Moves to `round` through a precommit timeout of each earlier round (nil votes on the way).
  void go_to_round(uint32_t round) {
    while (e.round() < round) {
      if (e.step() == Step::kPropose) (void)timeout(TimeoutStep::kPropose, e.round());
      if (e.step() == Step::kPrevote) (void)timeout(TimeoutStep::kPrevote, e.round());
      (void)timeout(TimeoutStep::kPrecommit, e.round());
    }
  }
};

}  // namespace

// ---- proposing ----

TEST(Engine, SingleValidatorDecidesInOneCallChain) {
  ValidatorSet set = set_of({10});
  Engine e(config(), addr(0));
  Output o = e.start_height(1, at(set, 1), 0);
  ASSERT_EQ(all<BuildBlock>(o).size(), 1u);
  EXPECT_EQ(all<BuildBlock>(o)[0].round, 0u);
  o = e.on_block_built(1, 0, blk(7), 5);
  ASSERT_EQ(all<SignProposal>(o).size(), 1u);
  EXPECT_EQ(all<SignProposal>(o)[0].proposal.pol_round, kNoRound);
  ASSERT_EQ(all<SignVote>(o).size(), 2u);
  ASSERT_EQ(all<CommitBlock>(o).size(), 1u);
  const CommitBlock c = all<CommitBlock>(o)[0];
  EXPECT_EQ(c.block, blk(7));
  ASSERT_EQ(c.precommits.size(), 1u);
  EXPECT_EQ(c.precommits[0].validator, addr(0));
  EXPECT_EQ(e.step(), Step::kCommitted);
}

TEST(Engine, ProposerAsksForABlockThenProposesIt) {
  Net n({10, 10, 10, 10}, /*self_proposes_round0=*/true);
  Output o = n.start();
  EXPECT_EQ(all<BuildBlock>(o).size(), 1u);
  EXPECT_FALSE(has<SignProposal>(o));
  o = n.e.on_block_built(1, 0, blk(1), n.now);
  ASSERT_EQ(all<SignProposal>(o).size(), 1u);
  // Its own block is valid: it prevotes it at once.
  auto pv = n.signed_vote(o, VoteType::kPrevote);
  ASSERT_TRUE(pv);
  EXPECT_EQ(pv->block, BlockId{blk(1)});
}

TEST(Engine, NonProposerSchedulesProposeTimeout) {
  Net n({10, 10, 10, 10});
  Output o = n.start();
  EXPECT_FALSE(has<BuildBlock>(o));
  ASSERT_EQ(all<ScheduleTimeout>(o).size(), 1u);
  const ScheduleTimeout st = all<ScheduleTimeout>(o)[0];
  EXPECT_EQ(st.timeout, (Timeout{1, 0, TimeoutStep::kPropose}));
  EXPECT_EQ(st.duration_ms, 100u);
  EXPECT_EQ(st.deadline_ms, n.now + 100);
}

// ---- prevote (lines 22-33, 57-60) ----

TEST(Engine, PrevotesAValidProposalAfterValidation) {
  Net n({10, 10, 10, 10});
  (void)n.start();
  Output o = n.propose(0, blk(1));
  ASSERT_EQ(all<ValidateBlock>(o).size(), 1u);
  EXPECT_FALSE(has<SignVote>(o));  // waits for the answer
  o = n.valid(blk(1));
  auto pv = n.signed_vote(o, VoteType::kPrevote);
  ASSERT_TRUE(pv);
  EXPECT_EQ(pv->block, BlockId{blk(1)});
  EXPECT_EQ(n.e.step(), Step::kPrevote);
}

TEST(Engine, PrevotesNilOnAnInvalidBlock) {
  Net n({10, 10, 10, 10});
  (void)n.start();
  (void)n.propose(0, blk(1));
  Output o = n.valid(blk(1), false);
  auto pv = n.signed_vote(o, VoteType::kPrevote);
  ASSERT_TRUE(pv);
  EXPECT_EQ(pv->block, BlockId{});
}

TEST(Engine, PrevotesNilOnProposeTimeout) {
  Net n({10, 10, 10, 10});
  (void)n.start();
  Output o = n.timeout(TimeoutStep::kPropose, 0);
  auto pv = n.signed_vote(o, VoteType::kPrevote);
  ASSERT_TRUE(pv);
  EXPECT_EQ(pv->block, BlockId{});
  // A proposal that arrives later changes nothing: one prevote per round.
  (void)n.propose(0, blk(1));
  EXPECT_FALSE(has<SignVote>(n.valid(blk(1))));
}

// ---- locking (lines 36-43) and unlocking through a newer polka (lines 28-33) ----

// Locks blk(1) in round 0: proposal, validation, prevotes from all others.
void lock_round0(Net& n, const Hash32& b) {
  (void)n.start();
  (void)n.propose(0, b);
  (void)n.valid(b);
  n.votes(VoteType::kPrevote, 0, b, 3);
}

TEST(Engine, LocksAndPrecommitsOnPolka) {
  Net n({10, 10, 10, 10});
  (void)n.start();
  (void)n.propose(0, blk(1));
  (void)n.valid(blk(1));
  n.votes(VoteType::kPrevote, 0, blk(1), 1);
  EXPECT_EQ(n.e.step(), Step::kPrevote);  // 2 of 4 prevotes: no polka
  Output o = n.vote(VoteType::kPrevote, 0, blk(1), n.others()[1]);
  auto pc = n.signed_vote(o, VoteType::kPrecommit);
  ASSERT_TRUE(pc);
  EXPECT_EQ(pc->block, BlockId{blk(1)});
  EXPECT_EQ(n.e.locked_block(), blk(1));
  EXPECT_EQ(n.e.locked_round(), 0);
  EXPECT_EQ(n.e.valid_block(), blk(1));
  EXPECT_EQ(n.e.valid_round(), 0);
}

TEST(Engine, LockedValidatorPrevotesNilForAnotherFreshBlock) {
  Net n({10, 10, 10, 10}, false, {0, 1});
  lock_round0(n, blk(1));
  n.go_to_round(1);
  // The lock decides without waiting for validation.
  Output o = n.propose(1, blk(2));
  auto pv = n.signed_vote(o, VoteType::kPrevote);
  ASSERT_TRUE(pv);
  EXPECT_EQ(pv->block, BlockId{});
  EXPECT_FALSE(has<SignVote>(n.valid(blk(2))));
  EXPECT_EQ(n.e.locked_block(), blk(1));
}

TEST(Engine, LockedValidatorPrevotesItsLockedBlockAgain) {
  Net n({10, 10, 10, 10}, false, {0, 1});
  lock_round0(n, blk(1));
  n.go_to_round(1);
  Output o = n.propose(1, blk(1), 0);
  auto pv = n.signed_vote(o, VoteType::kPrevote);
  ASSERT_TRUE(pv);
  EXPECT_EQ(pv->block, BlockId{blk(1)});
}

TEST(Engine, UnlocksOnPolkaFromANewerRound) {
  Net n({10, 10, 10, 10}, false, {0, 2});
  lock_round0(n, blk(1));
  n.go_to_round(2);
  // Round 1 had a polka for blk(2) that we missed live; its prevotes arrive now.
  n.votes(VoteType::kPrevote, 1, blk(2), 3);
  (void)n.propose(2, blk(2), 1);
  Output o = n.valid(blk(2));
  auto pv = n.signed_vote(o, VoteType::kPrevote);
  ASSERT_TRUE(pv);
  EXPECT_EQ(pv->block, BlockId{blk(2)});
}

TEST(Engine, KeepsLockAgainstAnOlderPolka) {
  // Locked in round 1 on blk(2); a round-3 proposal of blk(1) justified by round 0 is refused.
  // Five validators, so that self proposes none of rounds 0, 1 and 3.
  Net n({10, 10, 10, 10, 10}, false, {0, 1, 3});
  (void)n.start();
  n.votes(VoteType::kPrevote, 0, blk(1), 4);
  n.go_to_round(1);
  (void)n.propose(1, blk(2));
  (void)n.valid(blk(2));
  n.votes(VoteType::kPrevote, 1, blk(2), 3);
  ASSERT_EQ(n.e.locked_round(), 1);
  n.go_to_round(3);
  Output o = n.propose(3, blk(1), 0);
  auto pv = n.signed_vote(o, VoteType::kPrevote);
  ASSERT_TRUE(pv);
  EXPECT_EQ(pv->block, BlockId{});
}

TEST(Engine, ReproposalWithoutItsPolkaWaits) {
  Net n({10, 10, 10, 10}, false, {0, 1});
  (void)n.start();
  n.go_to_round(1);
  Output o = n.propose(1, blk(1), 0);  // claims a round-0 polka nobody has shown us
  (void)n.valid(blk(1));
  EXPECT_EQ(n.e.step(), Step::kPropose);
  EXPECT_FALSE(has<SignVote>(o));
  n.votes(VoteType::kPrevote, 0, blk(1), 3);  // the polka arrives
  EXPECT_EQ(n.e.step(), Step::kPrevote);
}

TEST(Engine, ProposerReproposesItsValidValue) {
  // Find a validator that proposes round 1, give it a valid value in round 0, move to round 1.
  ValidatorSet set = set_of({10, 10, 10, 10});
  HeightValidators hv = at(set, 1);
  const Address p1 = hv.proposer(1).address;
  Engine e(config(), p1);
  (void)e.start_height(1, hv, 0);
  if (e.proposer(0) == p1) GTEST_SKIP();
  (void)e.on_proposal(Proposal{1, 0, blk(1), kNoRound, e.proposer(0)}, 0);
  (void)e.on_block_validated(1, blk(1), true, 0);
  for (int i = 0; i < 4; ++i)
    if (addr(i) != p1) (void)e.on_vote(Vote{VoteType::kPrevote, 1, 0, blk(1), addr(i)}, 0);
  ASSERT_EQ(e.valid_round(), 0);
  (void)e.on_timeout(Timeout{1, 0, TimeoutStep::kPrecommit}, 0);
  Output o = e.on_timeout(Timeout{1, 0, TimeoutStep::kPrecommit}, 0);
  EXPECT_EQ(o.verdict, Verdict::kStale);  // already in round 1
  EXPECT_EQ(e.round(), 1u);
  auto props = e.proposals();
  ASSERT_TRUE(props.count(1));
  EXPECT_EQ(props.at(1).block, blk(1));
  EXPECT_EQ(props.at(1).pol_round, 0);
}

// ---- precommit (lines 34-35, 44-48, 61-67) ----

TEST(Engine, PrecommitsNilOnNilPolka) {
  Net n({10, 10, 10, 10});
  (void)n.start();
  (void)n.timeout(TimeoutStep::kPropose, 0);
  n.votes(VoteType::kPrevote, 0, std::nullopt, 1);
  EXPECT_EQ(n.e.step(), Step::kPrevote);
  Output o = n.vote(VoteType::kPrevote, 0, std::nullopt, n.others()[1]);
  auto pc = n.signed_vote(o, VoteType::kPrecommit);
  ASSERT_TRUE(pc);
  EXPECT_EQ(pc->block, BlockId{});
}

TEST(Engine, PrevoteTimeoutOnTwoThirdsOfMixedPrevotes) {
  Net n({10, 10, 10, 10});
  (void)n.start();
  (void)n.timeout(TimeoutStep::kPropose, 0);  // own nil prevote
  (void)n.vote(VoteType::kPrevote, 0, blk(1), n.others()[0]);
  Output o = n.vote(VoteType::kPrevote, 0, blk(2), n.others()[1]);
  ASSERT_EQ(all<ScheduleTimeout>(o).size(), 1u);
  EXPECT_EQ(all<ScheduleTimeout>(o)[0].timeout.step, TimeoutStep::kPrevote);
  EXPECT_FALSE(has<SignVote>(o));
  o = n.timeout(TimeoutStep::kPrevote, 0);
  auto pc = n.signed_vote(o, VoteType::kPrecommit);
  ASSERT_TRUE(pc);
  EXPECT_EQ(pc->block, BlockId{});
}

TEST(Engine, PrecommitTimeoutMovesToTheNextRound) {
  Net n({10, 10, 10, 10});
  (void)n.start();
  n.votes(VoteType::kPrecommit, 0, std::nullopt, 2);
  Output o = n.vote(VoteType::kPrecommit, 0, blk(1), n.others()[2]);
  ASSERT_EQ(all<ScheduleTimeout>(o).size(), 1u);
  EXPECT_EQ(all<ScheduleTimeout>(o)[0].timeout.step, TimeoutStep::kPrecommit);
  o = n.timeout(TimeoutStep::kPrecommit, 0);
  EXPECT_EQ(n.e.round(), 1u);
  EXPECT_EQ(n.e.step(), Step::kPropose);
}

TEST(Engine, TimeoutsGrowPerRound) {
  EngineConfig c = config();
  for (uint32_t r : {0u, 1u, 5u}) {
    EXPECT_EQ(c.timeout_ms(TimeoutStep::kPropose, r), 100u + 10u * r);
    EXPECT_EQ(c.timeout_ms(TimeoutStep::kPrevote, r), 50u + 5u * r);
    EXPECT_EQ(c.timeout_ms(TimeoutStep::kPrecommit, r), 60u + 6u * r);
  }
  c.propose_delta_ms = UINT64_MAX / 2;
  EXPECT_EQ(c.timeout_ms(TimeoutStep::kPropose, 7), UINT64_MAX);  // saturates, never wraps
  // Round 2's propose timeout, scheduled when round 2 starts at t=200: base 100 + 2 × 10.
  Engine e(config(), addr(9));  // a non-validator: only timeouts
  Output o = e.start_height(1, at(set_of({10, 10}), 1), 0);
  (void)e.on_timeout(Timeout{1, 0, TimeoutStep::kPropose}, 0);
  (void)e.on_timeout(Timeout{1, 0, TimeoutStep::kPrecommit}, 100);
  o = e.on_timeout(Timeout{1, 1, TimeoutStep::kPrecommit}, 200);
  ASSERT_EQ(all<ScheduleTimeout>(o).size(), 1u);
  EXPECT_EQ(all<ScheduleTimeout>(o)[0].duration_ms, 120u);
  EXPECT_EQ(all<ScheduleTimeout>(o)[0].deadline_ms, 320u);
}

// ---- round skip (line 55) ----

TEST(Engine, SkipsToARoundWithMoreThanOneThird) {
  Net n({10, 10, 10, 10});
  (void)n.start();
  (void)n.vote(VoteType::kPrevote, 5, std::nullopt, n.others()[0]);
  EXPECT_EQ(n.e.round(), 0u);  // 1/4 is not > 1/3
  (void)n.vote(VoteType::kPrecommit, 5, std::nullopt, n.others()[1]);
  EXPECT_EQ(n.e.round(), 5u);  // 2/4, prevote and precommit senders together
}

TEST(Engine, ExactlyOneThirdDoesNotSkip) {
  Net n({10, 10, 10});
  (void)n.start();
  (void)n.vote(VoteType::kPrevote, 3, std::nullopt, n.others()[0]);
  (void)n.vote(VoteType::kPrecommit, 3, std::nullopt, n.others()[0]);
  EXPECT_EQ(n.e.round(), 0u);
}

// ---- commit (lines 49-54) ----

TEST(Engine, CommitNeedsMoreThanTwoThirdsNotExactlyTwoThirds) {
  // Self (a non-validator observer) sees precommits of 3 equal validators: 2 of 3 is exactly 2/3.
  ValidatorSet set = set_of({10, 10, 10});
  Engine e(config(), std::nullopt);
  (void)e.start_height(1, at(set, 1), 0);
  (void)e.on_proposal(Proposal{1, 0, blk(1), kNoRound, e.proposer(0)}, 0);
  (void)e.on_block_validated(1, blk(1), true, 0);
  (void)e.on_vote(Vote{VoteType::kPrecommit, 1, 0, blk(1), addr(0)}, 0);
  Output o = e.on_vote(Vote{VoteType::kPrecommit, 1, 0, blk(1), addr(1)}, 0);
  EXPECT_FALSE(has<CommitBlock>(o));
  o = e.on_vote(Vote{VoteType::kPrecommit, 1, 0, blk(1), addr(2)}, 0);
  ASSERT_EQ(all<CommitBlock>(o).size(), 1u);
  EXPECT_EQ(all<CommitBlock>(o)[0].precommits.size(), 3u);
  EXPECT_FALSE(has<SignVote>(o));  // an observer never signs
}

TEST(Engine, WeightedCommitIsByPowerNotCount) {
  ValidatorSet set = set_of({6, 3});
  Engine e(config(), std::nullopt);
  (void)e.start_height(1, at(set, 1), 0);
  (void)e.on_vote(Vote{VoteType::kPrecommit, 1, 0, blk(1), addr(0)}, 0);  // 6 of 9: exactly 2/3
  Output o = e.on_vote(Vote{VoteType::kPrecommit, 1, 0, blk(1), addr(1)}, 0);
  ASSERT_EQ(all<ValidateBlock>(o).size(), 1u);  // 9 of 9, block unknown: fetch and validate it
  o = e.on_block_validated(1, blk(1), true, 0);
  ASSERT_EQ(all<CommitBlock>(o).size(), 1u);
}

TEST(Engine, CommitsFromALaterRoundWithoutItsProposal) {
  Net n({10, 10, 10, 10});
  (void)n.start();
  n.votes(VoteType::kPrecommit, 3, blk(4), 3);
  EXPECT_EQ(n.e.round(), 3u);  // skipped there on > 1/3
  Output o = n.valid(blk(4));
  ASSERT_EQ(all<CommitBlock>(o).size(), 1u);
  EXPECT_EQ(all<CommitBlock>(o)[0].round, 3u);
  EXPECT_EQ(n.e.step(), Step::kCommitted);
  // Nothing more at this height.
  EXPECT_EQ(n.timeout(TimeoutStep::kPrecommit, 3).verdict, Verdict::kStale);
}

TEST(Engine, NoCommitOnAnInvalidBlock) {
  Net n({10, 10, 10, 10});
  (void)n.start();
  n.votes(VoteType::kPrecommit, 0, blk(4), 3);
  Output o = n.valid(blk(4), false);
  EXPECT_FALSE(has<CommitBlock>(o));
}

// ---- equivocation ----

TEST(Engine, RecordsEquivocationOnceAndCountsEachBlock) {
  Net n({10, 10, 10, 10});
  (void)n.start();
  const int byz = n.others()[0];
  EXPECT_EQ(n.vote(VoteType::kPrevote, 0, blk(1), byz).verdict, Verdict::kAccepted);
  Output o = n.vote(VoteType::kPrevote, 0, blk(2), byz);
  EXPECT_EQ(o.verdict, Verdict::kEquivocation);
  ASSERT_EQ(all<ReportEquivocation>(o).size(), 1u);
  EXPECT_EQ(n.vote(VoteType::kPrevote, 0, blk(2), byz).verdict, Verdict::kDuplicate);
  ASSERT_EQ(n.e.evidence().size(), 1u);
  EXPECT_EQ(n.e.evidence()[0].first.block, BlockId{blk(1)});
  EXPECT_EQ(n.e.evidence()[0].second.block, BlockId{blk(2)});
  const VoteSet* pv = n.e.votes()->prevotes(0);
  EXPECT_EQ(pv->power_any(), 10u);
  EXPECT_EQ(pv->power_for(blk(1)), 10u);
  EXPECT_EQ(pv->power_for(blk(2)), 10u);
}

// ---- restart (the WAL model) ----

TEST(Engine, RestoreReemitsTheSameVotesAndNeverSignsAnother) {
  Net n({10, 10, 10, 10});
  lock_round0(n, blk(1));
  ASSERT_EQ(n.e.step(), Step::kPrecommit);
  EngineSnapshot snap = n.e.snapshot();
  Engine again(config(), addr(n.self));
  Output o = again.restore(snap, n.hv, n.now);
  EXPECT_EQ(again.locked_block(), blk(1));
  EXPECT_EQ(again.step(), Step::kPrecommit);
  auto pc = n.signed_vote(o, VoteType::kPrecommit);
  ASSERT_TRUE(pc);
  EXPECT_EQ(pc->block, BlockId{blk(1)});
  // Nil prevotes from the others cannot make it sign a second prevote or precommit in round 0.
  for (int i : n.others()) {
    Output x = again.on_vote(Vote{VoteType::kPrevote, 1, 0, std::nullopt, addr(i)}, n.now);
    EXPECT_FALSE(has<SignVote>(x));
  }
}

TEST(Engine, RestoredProposerReemitsItsProposalInsteadOfBuilding) {
  Net n({10, 10, 10, 10}, true);
  (void)n.start();
  (void)n.e.on_block_built(1, 0, blk(3), n.now);
  Engine again(config(), addr(n.self));
  EngineSnapshot snap = n.e.snapshot();
  snap.step = Step::kPropose;  // crashed after signing the proposal, before the prevote reached the WAL
  snap.own_votes.clear();
  Output o = again.restore(snap, n.hv, n.now);
  EXPECT_FALSE(has<BuildBlock>(o));
  ASSERT_EQ(all<SignProposal>(o).size(), 1u);
  EXPECT_EQ(all<SignProposal>(o)[0].proposal.block, blk(3));
}

// ---- verdicts: every value has a scenario ----

TEST(Engine, VerdictTableHasEveryValue) {
  std::set<Verdict> seen;
  auto see = [&](Verdict v, Verdict want, const char* what) {
    EXPECT_EQ(v, want) << what;
    seen.insert(v);
  };
  {
    Engine e(config(), addr(0));
    see(e.on_vote(Vote{VoteType::kPrevote, 1, 0, std::nullopt, addr(0)}, 0).verdict, Verdict::kNotStarted,
        "vote before start");
  }
  Net n({10, 10, 10, 10});
  see(n.start().verdict, Verdict::kAccepted, "start");
  const int other = n.others()[0];
  see(n.e.on_vote(Vote{VoteType::kPrevote, 2, 0, std::nullopt, addr(other)}, 0).verdict,
      Verdict::kWrongHeight, "vote for height 2");
  see(n.vote(VoteType::kPrevote, 0, std::nullopt, 9).verdict, Verdict::kNotValidator, "vote from outsider");
  see(n.e.on_proposal(Proposal{1, 0, blk(1), kNoRound, addr(9)}, 0).verdict, Verdict::kNotValidator,
      "proposal from outsider");
  Address wrong{};
  for (int i = 0; i < 4; ++i)
    if (addr(i) != n.e.proposer(0)) wrong = addr(i);
  see(n.e.on_proposal(Proposal{1, 0, blk(1), kNoRound, wrong}, 0).verdict, Verdict::kWrongProposer,
      "proposal from a non-proposer");
  see(n.propose(0, blk(1), 0).verdict, Verdict::kBadPolRound, "pol_round equal to round");
  see(n.propose(0, blk(1), -2).verdict, Verdict::kBadPolRound, "pol_round below -1");
  see(n.propose(kMaxProposalRoundsAhead + 1, blk(1)).verdict, Verdict::kFutureRound, "far future proposal");
  see(n.propose(0, blk(1)).verdict, Verdict::kAccepted, "proposal");
  see(n.propose(0, blk(1)).verdict, Verdict::kDuplicate, "same proposal again");
  see(n.propose(0, blk(2)).verdict, Verdict::kConflictingProposal, "second proposal");
  see(n.vote(VoteType::kPrevote, 0, blk(1), other).verdict, Verdict::kAccepted, "vote");
  see(n.vote(VoteType::kPrevote, 0, blk(1), other).verdict, Verdict::kDuplicate, "same vote again");
  see(n.vote(VoteType::kPrevote, 0, blk(2), other).verdict, Verdict::kEquivocation, "conflicting vote");
  see(n.timeout(TimeoutStep::kPrecommit, 7).verdict, Verdict::kStale, "timeout of another round");
  see(n.e.on_block_validated(1, blk(9), true, 0).verdict, Verdict::kStale, "validation nobody asked for");
  see(n.e.on_block_built(1, 0, blk(9), 0).verdict, Verdict::kStale, "block nobody asked for");
  // Every enumerator from the first to the last was produced.
  for (int v = static_cast<int>(Verdict::kAccepted); v <= static_cast<int>(Verdict::kStale); ++v)
    EXPECT_TRUE(seen.count(static_cast<Verdict>(v))) << "no scenario for verdict " << v;
}
