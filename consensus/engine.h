// The Tendermint consensus engine (doc/consensus.md; Buchman, Kwon, Milosevic, "The latest gossip on
// BFT consensus", 2018, Algorithm 1). A pure state machine: each input (start a height, a proposal, a
// vote, a fired timeout, a validation answer, a built block) comes with the current time and returns
// the effects the driver must carry out, in order. No threads, sockets, clock, storage or randomness:
// the driver in src/node owns those, and the simulator in tests/unit/consensus runs this unchanged.
//
// State owned: the current height, round and step; the locked and valid value with their rounds; the
// height's proposals, votes, validation answers and equivocation evidence; the votes and proposals
// this validator signed at the height. Not thread-safe: one driver thread calls it.
//
// The engine decides one height at a time. Messages for other heights get kWrongHeight (the driver
// may buffer height + 1). After CommitBlock it ignores the height's inputs until start_height.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "consensus/proposer.h"
#include "consensus/types.h"
#include "consensus/vote_set.h"

namespace physis::consensus {

enum class Step : uint8_t { kPropose = 1, kPrevote = 2, kPrecommit = 3, kCommitted = 4 };

// Proposals for rounds further ahead than this are refused (kFutureRound is not needed for votes:
// they cost no proposer lookup). Bounds the work one message can cause.
inline constexpr uint32_t kMaxProposalRoundsAhead = 1000;

// What a restarted validator resumes from: what the WAL holds (written before any effect of the
// change leaves the driver). snapshot() returns it; restore() takes it back.
struct EngineSnapshot {
  uint64_t height = 0;
  uint32_t round = 0;
  Step step = Step::kPropose;
  std::optional<Hash32> locked_block;
  int64_t locked_round = kNoRound;
  std::optional<Hash32> valid_block;
  int64_t valid_round = kNoRound;
  std::vector<Vote> own_votes;          // every vote this validator signed at the height
  std::vector<Proposal> own_proposals;  // every proposal this validator signed at the height
};

// The result of one input.
struct Output {
  Verdict verdict = Verdict::kAccepted;
  std::vector<Effect> effects;
};

class Engine {
 public:
  // `self`: this node's validator address; nullopt (or an address outside a height's set) for a
  // node that follows and commits but never signs.
  Engine(EngineConfig config, std::optional<Address> self) : config_(config), self_(self) {}

  // Starts `height` at round 0 with empty locks. Ends whatever height was running.
  Output start_height(uint64_t height, HeightValidators validators, uint64_t now_ms);
  // Resumes from a snapshot after a crash: restores round, step, locks and own signed messages,
  // re-emits the signed messages of the current round (the signer returns the same signatures) and
  // schedules the current step's timeouts. Never signs anything that conflicts with `snap`.
  Output restore(const EngineSnapshot& snap, HeightValidators validators, uint64_t now_ms);

  Output on_proposal(const Proposal& proposal, uint64_t now_ms);
  Output on_vote(const Vote& vote, uint64_t now_ms);
  Output on_timeout(const Timeout& timeout, uint64_t now_ms);
  // The answer to ValidateBlock. kStale when the hash was not asked for at this height.
  Output on_block_validated(uint64_t height, const Hash32& block, bool valid, uint64_t now_ms);
  // The answer to BuildBlock. kStale when this round is no longer waiting for a block.
  Output on_block_built(uint64_t height, uint32_t round, const Hash32& block, uint64_t now_ms);

  bool started() const { return validators_.has_value(); }
  uint64_t height() const { return height_; }
  uint32_t round() const { return round_; }
  Step step() const { return step_; }
  const std::optional<Hash32>& locked_block() const { return locked_block_; }
  int64_t locked_round() const { return locked_round_; }
  const std::optional<Hash32>& valid_block() const { return valid_block_; }
  int64_t valid_round() const { return valid_round_; }
  // Every equivocation seen at this height, in arrival order, each pair once.
  const std::vector<Equivocation>& evidence() const { return evidence_; }
  // The first valid proposal received (or made) per round at this height.
  const std::map<uint32_t, Proposal>& proposals() const { return proposals_; }
  // nullptr before the first height.
  const HeightVoteSet* votes() const { return votes_ ? &*votes_ : nullptr; }
  // The proposer of `round` at the current height. Requires started().
  Address proposer(uint32_t round);
  EngineSnapshot snapshot() const;
  const EngineConfig& config() const { return config_; }

 private:
  enum class Validity : uint8_t { kPending, kValid, kInvalid };

  void reset_height(uint64_t height, HeightValidators validators, uint64_t now_ms);
  void start_round(uint32_t round);
  void propose_if_proposer();
  // Runs the upon-rules of Algorithm 1 until none fires.
  void run_rules();
  bool rule_commit();             // lines 49-54: > 2/3 precommits for a valid block in any round
  bool rule_round_skip();         // line 55: > 1/3 of the power in a higher round
  bool rule_prevote_proposal();   // lines 22-33: prevote on the round's proposal
  bool rule_prevote_timeout();    // lines 34-35
  bool rule_polka();              // lines 36-43: lock / valid value on > 2/3 prevotes for the proposal
  bool rule_nil_polka();          // lines 44-46
  bool rule_precommit_timeout();  // lines 47-48
  // Validity of `block`: asks the driver the first time (ValidateBlock).
  Validity validity(const Hash32& block);
  void sign_vote(VoteType type, const BlockId& block);
  void schedule(TimeoutStep step);
  bool is_validator() const;
  Output finish(Verdict verdict);

  EngineConfig config_;
  std::optional<Address> self_;

  uint64_t height_ = 0;
  uint32_t round_ = 0;
  Step step_ = Step::kPropose;
  std::optional<HeightValidators> validators_;
  std::optional<HeightVoteSet> votes_;
  std::map<uint32_t, Proposal> proposals_;
  std::map<Hash32, Validity> validity_;
  std::optional<Hash32> locked_block_;
  int64_t locked_round_ = kNoRound;
  std::optional<Hash32> valid_block_;
  int64_t valid_round_ = kNoRound;
  std::vector<Vote> own_votes_;
  std::vector<Proposal> own_proposals_;
  std::vector<Equivocation> evidence_;
  // "For the first time" flags of the current round (lines 34, 36, 47).
  bool prevote_timeout_scheduled_ = false;
  bool polka_seen_ = false;
  bool precommit_timeout_scheduled_ = false;
  bool awaiting_block_ = false;
  // Proposer per round, filled on demand from a cursor one step per round.
  std::vector<Address> proposer_by_round_;
  std::optional<ProposerPriorities> proposer_cursor_;

  uint64_t now_ms_ = 0;
  std::vector<Effect> effects_;
};

}  // namespace physis::consensus
