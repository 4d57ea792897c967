// Proposer selection by priority (doc/consensus.md §Proposer), the algorithm CometBFT describes:
// every validator carries an integer priority; one step adds each validator's power to its priority,
// picks the highest priority (ties: lowest address) as proposer and subtracts the total power from
// the proposer. Over many steps each validator proposes in proportion to its power, and consecutive
// steps move to another validator unless one holds most of the power.
//
// One step per height and one per round: the proposer of (height h, round r) is the proposer after
// the steps of h heights plus r more. So a validator that is offline costs one round: round r + 1 is
// one more step, which picks someone else.
//
// Deterministic integer arithmetic only: priorities are int64, every sum is done in 128 bits and
// clamped to the int64 range, and before each step the priorities are rescaled so that their spread
// stays within 2 × total power, then centred on zero. Pure: no I/O, clock or threads.
#pragma once

#include <cstdint>
#include <vector>

#include "consensus/validator_set.h"
#include "util/result.h"

namespace physis::consensus {

// Total power above this is refused, so that priorities (bounded by a few × total power) and their
// sums cannot leave int64 (the bound CometBFT uses: INT64_MAX / 8).
inline constexpr uint64_t kMaxTotalVotingPower = static_cast<uint64_t>(INT64_MAX) / 8;

// The priorities of one validator set at one point of the schedule. A value type: copying is how a
// caller looks ahead (round r = this state advanced r steps) without changing the height's state.
class ProposerPriorities {
 public:
  // Zero priorities for `set`, and no step taken yet (proposer() is then the lowest address).
  // Errors: "bad_validator_set" when the set is empty, a power is zero or the total exceeds
  // kMaxTotalVotingPower.
  static Result<ProposerPriorities> start(const ValidatorSet& set);

  // Carries the priorities over to `next` (a validator-set change at a height boundary, when staking
  // lands): validators present in both keep their priority, new ones start at -(1.125 × total power
  // of `next`) so that joining cannot be used to jump the queue, removed ones drop out; then rescale
  // and centre. Same errors as start().
  Result<ProposerPriorities> with_set(const ValidatorSet& next) const;

  // Takes one step: rescale, centre, add powers, pick, charge the proposer.
  void advance();
  // `steps` steps.
  void advance(uint64_t steps);
  // A copy advanced by `steps`; the receiver is unchanged.
  ProposerPriorities advanced(uint64_t steps) const;

  // The proposer picked by the last step (or the lowest address before any step).
  const Validator& proposer() const { return set_.validators()[proposer_index_]; }
  const ValidatorSet& set() const { return set_; }
  // Priorities in the set's address order.
  const std::vector<int64_t>& priorities() const { return priorities_; }

 private:
  ProposerPriorities(ValidatorSet set, std::vector<int64_t> priorities);
  void rescale_and_centre();
  void pick_highest();

  ValidatorSet set_;
  std::vector<int64_t> priorities_;
  size_t proposer_index_ = 0;
};

// The validators of one height: the set, and the priorities whose proposer() is round 0's proposer.
struct HeightValidators {
  ValidatorSet set;
  ProposerPriorities priorities;
  // The proposer of `round` at this height (priorities advanced `round` steps). O(round × n).
  Validator proposer(uint32_t round) const;
};

// Where the validators of a height come from. Fixed at genesis today; staking will answer from state,
// so nothing in the engine or driver may assume the set never changes. Not thread-safe.
class ValidatorSetProvider {
 public:
  virtual ~ValidatorSetProvider() = default;
  // The validators that decide `height` (≥ 1). Errors: whatever the source reports (for example a
  // height beyond what state knows).
  virtual Result<HeightValidators> validators_at(uint64_t height) = 0;
};

// A set fixed at genesis: height h's priorities are the zero state advanced h steps. Caches the last
// height asked for, so walking heights upward costs one step each; asking for a lower height
// recomputes from zero (O(height × n)).
class FixedValidatorSetProvider final : public ValidatorSetProvider {
 public:
  // Errors as ProposerPriorities::start.
  static Result<FixedValidatorSetProvider> make(const ValidatorSet& set);
  Result<HeightValidators> validators_at(uint64_t height) override;

 private:
  explicit FixedValidatorSetProvider(ProposerPriorities zero) : zero_(zero), cached_(std::move(zero)) {}
  ProposerPriorities zero_;
  ProposerPriorities cached_;
  uint64_t cached_height_ = 0;
};

}  // namespace physis::consensus
