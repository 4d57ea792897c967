#include "consensus/engine.h"

#include <algorithm>
#include <limits>

namespace physis::consensus {

namespace {

uint64_t saturating_add(uint64_t a, uint64_t b) {
  return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max() : a + b;
}

uint64_t saturating_mul(uint64_t a, uint64_t b) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return std::numeric_limits<uint64_t>::max();
  return a * b;
}

}  // namespace

uint64_t EngineConfig::timeout_ms(TimeoutStep step, uint32_t round) const {
  switch (step) {
    case TimeoutStep::kPropose:
      return saturating_add(propose_base_ms, saturating_mul(round, propose_delta_ms));
    case TimeoutStep::kPrevote:
      return saturating_add(prevote_base_ms, saturating_mul(round, prevote_delta_ms));
    case TimeoutStep::kPrecommit:
      return saturating_add(precommit_base_ms, saturating_mul(round, precommit_delta_ms));
  }
  return 0;
}

// ---- inputs ----

void Engine::reset_height(uint64_t height, HeightValidators validators, uint64_t now_ms) {
  now_ms_ = now_ms;
  effects_.clear();
  height_ = height;
  round_ = 0;
  step_ = Step::kPropose;
  votes_.emplace(height, validators.set);
  proposer_cursor_ = validators.priorities;
  proposer_by_round_ = {validators.priorities.proposer().address};
  validators_.emplace(std::move(validators));
  proposals_.clear();
  validity_.clear();
  locked_block_.reset();
  locked_round_ = kNoRound;
  valid_block_.reset();
  valid_round_ = kNoRound;
  own_votes_.clear();
  own_proposals_.clear();
  evidence_.clear();
  prevote_timeout_scheduled_ = polka_seen_ = precommit_timeout_scheduled_ = awaiting_block_ = false;
}

Output Engine::start_height(uint64_t height, HeightValidators validators, uint64_t now_ms) {
  reset_height(height, std::move(validators), now_ms);
  start_round(0);
  run_rules();
  return finish(Verdict::kAccepted);
}

Output Engine::restore(const EngineSnapshot& snap, HeightValidators validators, uint64_t now_ms) {
  reset_height(snap.height, std::move(validators), now_ms);
  round_ = snap.round;
  step_ = snap.step;
  locked_block_ = snap.locked_block;
  locked_round_ = snap.locked_round;
  valid_block_ = snap.valid_block;
  valid_round_ = snap.valid_round;
  // The locked and valid blocks were validated before the crash; the WAL model keeps them.
  if (locked_block_) validity_[*locked_block_] = Validity::kValid;
  if (valid_block_) validity_[*valid_block_] = Validity::kValid;
  for (const Proposal& p : snap.own_proposals) {
    own_proposals_.push_back(p);
    proposals_.emplace(p.round, p);
    validity_[p.block] = Validity::kValid;  // we built or re-proposed it
  }
  for (const Vote& v : snap.own_votes) {
    own_votes_.push_back(v);
    (void)votes_->add(v);
  }
  if (step_ == Step::kCommitted) return finish(Verdict::kAccepted);
  // Re-emit what was signed in this round: the signer hands back the same signatures, and peers that
  // missed them get them now.
  for (const Proposal& p : own_proposals_)
    if (p.round == round_) effects_.push_back(SignProposal{p});
  for (const Vote& v : own_votes_)
    if (v.round == round_) effects_.push_back(SignVote{v});
  // Timeouts were lost with the process: schedule the current step's. Timeouts only ever lead to nil
  // votes or a later round, so scheduling one early is always safe.
  switch (step_) {
    case Step::kPropose:
      schedule(TimeoutStep::kPropose);
      if (proposer(round_) == self_.value_or(Address{}) && is_validator()) {
        bool proposed = false;
        for (const Proposal& p : own_proposals_) proposed = proposed || p.round == round_;
        if (!proposed) propose_if_proposer();
      }
      break;
    case Step::kPrevote:
      schedule(TimeoutStep::kPrevote);
      prevote_timeout_scheduled_ = true;
      break;
    case Step::kPrecommit:
      schedule(TimeoutStep::kPrecommit);
      precommit_timeout_scheduled_ = true;
      break;
    case Step::kCommitted: break;
  }
  run_rules();
  return finish(Verdict::kAccepted);
}

Output Engine::on_proposal(const Proposal& p, uint64_t now_ms) {
  now_ms_ = now_ms;
  effects_.clear();
  if (!started()) return finish(Verdict::kNotStarted);
  if (p.height != height_) return finish(Verdict::kWrongHeight);
  if (!validators_->set.find(p.proposer)) return finish(Verdict::kNotValidator);
  if (p.round > round_ && p.round - round_ > kMaxProposalRoundsAhead) return finish(Verdict::kFutureRound);
  if (proposer(p.round) != p.proposer) return finish(Verdict::kWrongProposer);
  if (p.pol_round < kNoRound || p.pol_round >= static_cast<int64_t>(p.round))
    return finish(Verdict::kBadPolRound);
  if (auto it = proposals_.find(p.round); it != proposals_.end())
    return finish(it->second == p ? Verdict::kDuplicate : Verdict::kConflictingProposal);
  proposals_.emplace(p.round, p);
  if (step_ != Step::kCommitted) {
    (void)validity(p.block);  // ask early: the answer is needed by the prevote and the commit rules
    run_rules();
  }
  return finish(Verdict::kAccepted);
}

Output Engine::on_vote(const Vote& v, uint64_t now_ms) {
  now_ms_ = now_ms;
  effects_.clear();
  if (!started()) return finish(Verdict::kNotStarted);
  Vote first;
  switch (votes_->add(v, &first)) {
    case HeightVoteSet::Added::kWrongHeight: return finish(Verdict::kWrongHeight);
    case HeightVoteSet::Added::kNotValidator: return finish(Verdict::kNotValidator);
    case HeightVoteSet::Added::kDuplicate: return finish(Verdict::kDuplicate);
    case HeightVoteSet::Added::kConflicting: {
      // Counted for its block too (vote_set.h says why); kept as evidence.
      Equivocation e{first, v};
      evidence_.push_back(e);
      effects_.push_back(ReportEquivocation{e});
      if (step_ != Step::kCommitted) run_rules();
      return finish(Verdict::kEquivocation);
    }
    case HeightVoteSet::Added::kAdded: break;
  }
  if (step_ != Step::kCommitted) run_rules();
  return finish(Verdict::kAccepted);
}

Output Engine::on_timeout(const Timeout& t, uint64_t now_ms) {
  now_ms_ = now_ms;
  effects_.clear();
  if (!started()) return finish(Verdict::kNotStarted);
  if (t.height != height_ || t.round != round_ || step_ == Step::kCommitted) return finish(Verdict::kStale);
  switch (t.step) {
    case TimeoutStep::kPropose:  // lines 57-60
      if (step_ != Step::kPropose) return finish(Verdict::kStale);
      sign_vote(VoteType::kPrevote, std::nullopt);
      step_ = Step::kPrevote;
      break;
    case TimeoutStep::kPrevote:  // lines 61-64
      if (step_ != Step::kPrevote) return finish(Verdict::kStale);
      sign_vote(VoteType::kPrecommit, std::nullopt);
      step_ = Step::kPrecommit;
      break;
    case TimeoutStep::kPrecommit:  // lines 65-67
      start_round(round_ + 1);
      break;
  }
  run_rules();
  return finish(Verdict::kAccepted);
}

Output Engine::on_block_validated(uint64_t height, const Hash32& block, bool valid, uint64_t now_ms) {
  now_ms_ = now_ms;
  effects_.clear();
  if (!started()) return finish(Verdict::kNotStarted);
  if (height != height_) return finish(Verdict::kWrongHeight);
  auto it = validity_.find(block);
  if (it == validity_.end() || it->second != Validity::kPending) return finish(Verdict::kStale);
  it->second = valid ? Validity::kValid : Validity::kInvalid;
  if (step_ != Step::kCommitted) run_rules();
  return finish(Verdict::kAccepted);
}

Output Engine::on_block_built(uint64_t height, uint32_t round, const Hash32& block, uint64_t now_ms) {
  now_ms_ = now_ms;
  effects_.clear();
  if (!started()) return finish(Verdict::kNotStarted);
  if (height != height_) return finish(Verdict::kWrongHeight);
  if (!awaiting_block_ || round != round_ || step_ != Step::kPropose) return finish(Verdict::kStale);
  awaiting_block_ = false;
  Proposal p{height_, round_, block, kNoRound, *self_};
  validity_[block] = Validity::kValid;  // we built it from our own state
  proposals_.emplace(round_, p);
  own_proposals_.push_back(p);
  effects_.push_back(SignProposal{p});
  run_rules();
  return finish(Verdict::kAccepted);
}

// ---- rounds and proposing ----

Address Engine::proposer(uint32_t round) {
  while (proposer_by_round_.size() <= round) {
    proposer_cursor_->advance();
    proposer_by_round_.push_back(proposer_cursor_->proposer().address);
  }
  return proposer_by_round_[round];
}

bool Engine::is_validator() const { return self_ && validators_ && validators_->set.find(*self_); }

void Engine::start_round(uint32_t round) {  // lines 11-21
  round_ = round;
  step_ = Step::kPropose;
  prevote_timeout_scheduled_ = polka_seen_ = precommit_timeout_scheduled_ = awaiting_block_ = false;
  // Every node waits for the proposal at most timeout_propose, the proposer included: if its driver
  // never answers BuildBlock the round still ends.
  schedule(TimeoutStep::kPropose);
  propose_if_proposer();
}

void Engine::propose_if_proposer() {
  if (!is_validator() || proposer(round_) != *self_) return;
  if (valid_block_) {
    // Re-propose the valid value with the round of its polka (line 15), so others may unlock.
    Proposal p{height_, round_, *valid_block_, valid_round_, *self_};
    proposals_.emplace(round_, p);
    own_proposals_.push_back(p);
    effects_.push_back(SignProposal{p});
    return;
  }
  awaiting_block_ = true;
  effects_.push_back(BuildBlock{height_, round_});
}

void Engine::schedule(TimeoutStep step) {
  const uint64_t d = config_.timeout_ms(step, round_);
  effects_.push_back(ScheduleTimeout{Timeout{height_, round_, step}, d, saturating_add(now_ms_, d)});
}

Engine::Validity Engine::validity(const Hash32& block) {
  auto [it, inserted] = validity_.emplace(block, Validity::kPending);
  if (inserted) effects_.push_back(ValidateBlock{height_, round_, block});
  return it->second;
}

void Engine::sign_vote(VoteType type, const BlockId& block) {
  if (!is_validator()) return;
  Vote v{type, height_, round_, block, *self_};
  // Safety net under the step guards: never sign a second, different vote for a height/round/type.
  for (const Vote& mine : own_votes_)
    if (mine.type == type && mine.round == round_) return;
  (void)votes_->add(v);
  own_votes_.push_back(v);
  effects_.push_back(SignVote{v});
}

// ---- the upon-rules ----

void Engine::run_rules() {
  // Each rule changes state at most once per condition (step guards and first-time flags), so the
  // loop ends; it runs until a full pass changes nothing.
  bool changed = true;
  while (changed && step_ != Step::kCommitted) {
    changed = rule_commit();
    if (step_ == Step::kCommitted) break;
    changed = rule_round_skip() || changed;
    changed = rule_prevote_proposal() || changed;
    changed = rule_prevote_timeout() || changed;
    changed = rule_polka() || changed;
    changed = rule_nil_polka() || changed;
    changed = rule_precommit_timeout() || changed;
  }
}

bool Engine::rule_commit() {
  for (uint32_t r : votes_->rounds()) {
    const VoteSet* pc = votes_->precommits(r);
    if (!pc) continue;
    auto maj = pc->two_thirds_majority();
    if (!maj || !maj->has_value()) continue;
    const Hash32 block = **maj;
    // The paper waits for the proposal; we need only the block (fetched by hash if the proposal was
    // missed) and its validity: > 2/3 precommits mean an honest validator saw both.
    if (validity(block) != Validity::kValid) continue;
    step_ = Step::kCommitted;
    effects_.push_back(CommitBlock{height_, r, block, pc->votes_for(block)});
    return true;
  }
  return false;
}

bool Engine::rule_round_skip() {
  const uint64_t total = validators_->set.total_power();
  const auto rounds = votes_->rounds();
  for (auto it = rounds.rbegin(); it != rounds.rend() && *it > round_; ++it) {
    if (!more_than_one_third(votes_->sender_power(*it), total)) continue;
    start_round(*it);
    return true;
  }
  return false;
}

bool Engine::rule_prevote_proposal() {
  if (step_ != Step::kPropose) return false;
  auto it = proposals_.find(round_);
  if (it == proposals_.end()) return false;
  const Proposal& p = it->second;
  bool lock_allows;
  if (p.pol_round == kNoRound) {  // lines 22-27
    lock_allows = locked_round_ == kNoRound || locked_block_ == p.block;
  } else {  // lines 28-33: only with the polka of pol_round in hand
    const VoteSet* pv = votes_->prevotes(static_cast<uint32_t>(p.pol_round));
    if (!pv || !pv->has_two_thirds_for(p.block)) return false;
    lock_allows = locked_round_ <= p.pol_round || locked_block_ == p.block;
  }
  BlockId vote_for;
  if (lock_allows) {
    switch (validity(p.block)) {
      case Validity::kPending: return false;  // wait for the answer; timeout_propose bounds the wait
      case Validity::kValid: vote_for = p.block; break;
      case Validity::kInvalid: break;
    }
  }
  sign_vote(VoteType::kPrevote, vote_for);
  step_ = Step::kPrevote;
  return true;
}

bool Engine::rule_prevote_timeout() {
  if (step_ != Step::kPrevote || prevote_timeout_scheduled_) return false;
  const VoteSet* pv = votes_->prevotes(round_);
  if (!pv || !pv->has_two_thirds_any()) return false;
  prevote_timeout_scheduled_ = true;
  schedule(TimeoutStep::kPrevote);
  return true;
}

bool Engine::rule_polka() {
  if (polka_seen_ || (step_ != Step::kPrevote && step_ != Step::kPrecommit)) return false;
  auto it = proposals_.find(round_);
  if (it == proposals_.end()) return false;
  const Hash32 block = it->second.block;
  const VoteSet* pv = votes_->prevotes(round_);
  if (!pv || !pv->has_two_thirds_for(block)) return false;
  if (validity(block) != Validity::kValid) return false;
  polka_seen_ = true;
  if (step_ == Step::kPrevote) {
    locked_block_ = block;
    locked_round_ = round_;
    sign_vote(VoteType::kPrecommit, block);
    step_ = Step::kPrecommit;
  }
  valid_block_ = block;
  valid_round_ = round_;
  return true;
}

bool Engine::rule_nil_polka() {
  if (step_ != Step::kPrevote) return false;
  const VoteSet* pv = votes_->prevotes(round_);
  if (!pv || !pv->has_two_thirds_for(std::nullopt)) return false;
  sign_vote(VoteType::kPrecommit, std::nullopt);
  step_ = Step::kPrecommit;
  return true;
}

bool Engine::rule_precommit_timeout() {
  if (precommit_timeout_scheduled_) return false;
  const VoteSet* pc = votes_->precommits(round_);
  if (!pc || !pc->has_two_thirds_any()) return false;
  precommit_timeout_scheduled_ = true;
  schedule(TimeoutStep::kPrecommit);
  return true;
}

EngineSnapshot Engine::snapshot() const {
  return EngineSnapshot{height_,      round_,       step_,      locked_block_, locked_round_,
                        valid_block_, valid_round_, own_votes_, own_proposals_};
}

Output Engine::finish(Verdict verdict) {
  Output out{verdict, std::move(effects_)};
  effects_.clear();
  return out;
}

}  // namespace physis::consensus
