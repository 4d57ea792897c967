// Messages, timeouts and effects of the consensus engine (doc/consensus.md). Plain values: the engine
// never signs, sends or stores them; the driver in src/node does, and feeds what arrives back in.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "consensus/validator_set.h"
#include "util/bytes.h"

namespace physis::consensus {

// A block hash, or nil (no block).
using BlockId = std::optional<Hash32>;

// "No proof-of-lock round" in a proposal (the paper's -1).
inline constexpr int64_t kNoRound = -1;

// A prevote or precommit (VoteType is in validator_set.h with the vote sign-bytes). Unsigned here:
// the driver verifies signatures before a vote reaches the engine and signs the engine's own votes.
struct Vote {
  VoteType type = VoteType::kPrevote;
  uint64_t height = 0;
  uint32_t round = 0;
  BlockId block;  // nullopt = nil vote
  Address validator{};
  bool operator==(const Vote&) const = default;
};

// A proposal for (height, round): the block's hash and the round of the polka that justifies
// re-proposing it (pol_round, kNoRound for a fresh block). The block itself travels beside it; the
// engine only asks the driver whether it is valid.
struct Proposal {
  uint64_t height = 0;
  uint32_t round = 0;
  Hash32 block{};
  int64_t pol_round = kNoRound;
  Address proposer{};
  bool operator==(const Proposal&) const = default;
};

enum class TimeoutStep : uint8_t { kPropose = 1, kPrevote = 2, kPrecommit = 3 };

// Names a timeout; the driver hands it back to Engine::on_timeout when it fires.
struct Timeout {
  uint64_t height = 0;
  uint32_t round = 0;
  TimeoutStep step = TimeoutStep::kPropose;
  bool operator==(const Timeout&) const = default;
};

// Two different votes by one validator for the same (height, round, type): proof of equivocation,
// kept until staking can slash it. `first` is the vote the engine counted.
struct Equivocation {
  Vote first;
  Vote second;
  bool operator==(const Equivocation&) const = default;
};

// ---- effects: what the engine asks the driver to do, in order ----

// Sign the proposal (persist before it leaves: never two proposals for one height/round) and
// broadcast it with its block.
struct SignProposal {
  Proposal proposal;
};
// Sign the vote (the signer persists height/round/step/block first and refuses regressions) and
// broadcast it. The engine has already counted it.
struct SignVote {
  Vote vote;
};
// Call Engine::on_timeout(timeout, now) at or after deadline_ms (= the `now` of the input + duration).
struct ScheduleTimeout {
  Timeout timeout;
  uint64_t duration_ms = 0;
  uint64_t deadline_ms = 0;
};
// Validate the block with this hash (fetch it from peers if it is not here) and answer with
// Engine::on_block_validated. Asked once per hash and height.
struct ValidateBlock {
  uint64_t height = 0;
  uint32_t round = 0;
  Hash32 block{};
};
// We propose in this round and hold no valid value: build a block for (height, round) and answer with
// Engine::on_block_built.
struct BuildBlock {
  uint64_t height = 0;
  uint32_t round = 0;
};
// The height is decided: commit the block with these precommits (> 2/3 of the power, sorted by
// validator address). The engine does nothing more at this height; the driver calls start_height for
// the next one (after its commit timeout).
struct CommitBlock {
  uint64_t height = 0;
  uint32_t round = 0;
  Hash32 block{};
  std::vector<Vote> precommits;
};
// A validator equivocated; also kept in Engine::evidence().
struct ReportEquivocation {
  Equivocation evidence;
};

using Effect = std::variant<SignProposal, SignVote, ScheduleTimeout, ValidateBlock, BuildBlock, CommitBlock,
                            ReportEquivocation>;

// What the engine made of one input. kAccepted also covers inputs that changed nothing (a timeout for
// a step already left is kStale).
enum class Verdict : uint8_t {
  kAccepted,
  kNotStarted,           // no height started yet
  kWrongHeight,          // message for another height (the driver may buffer height + 1)
  kNotValidator,         // vote or proposal from an address outside the height's set
  kWrongProposer,        // proposal from someone who is not that round's proposer
  kBadPolRound,          // proposal whose pol_round is not in [-1, round)
  kFutureRound,          // proposal more than kMaxProposalRoundsAhead rounds past the current one
  kDuplicate,            // the same vote or proposal again
  kEquivocation,         // a second, different vote by a validator for the same height/round/type
  kConflictingProposal,  // a second, different proposal for the same height/round
  kStale,                // a timeout or answer that no longer applies
};

// Timeouts: base + round × delta (saturating), in milliseconds. Options for the engine; the driver
// fills them from genesis or config.
struct EngineConfig {
  uint64_t propose_base_ms = 3000;
  uint64_t propose_delta_ms = 500;
  uint64_t prevote_base_ms = 1000;
  uint64_t prevote_delta_ms = 500;
  uint64_t precommit_base_ms = 1000;
  uint64_t precommit_delta_ms = 500;
  // Not used by the engine: how long the driver waits after CommitBlock before start_height, to
  // collect late precommits for the next block's last_commit.
  uint64_t commit_ms = 1000;

  // The timeout of `step` in `round`.
  uint64_t timeout_ms(TimeoutStep step, uint32_t round) const;
};

}  // namespace physis::consensus
