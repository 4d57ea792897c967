// Vote bookkeeping for the engine (doc/consensus.md §Votes): per height, round and type, each
// validator's votes and the power behind each block (or nil). A validator that equivocates counts
// once toward "any" but toward every block it voted for: the paper's predicates count the senders of
// matching messages, and honest nodes that received different halves of an equivocation must still
// reach the same tallies once gossip has delivered everything (liveness). Thresholds are strict:
// "> 2/3" is 3·power > 2·total and "> 1/3" is 3·power > total, in 128 bits. Pure; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "consensus/types.h"

namespace physis::consensus {

// True when `power` is more than 2/3 of `total`.
bool more_than_two_thirds(uint64_t power, uint64_t total);
// True when `power` is more than 1/3 of `total` (at least one honest validator, for f < n/3).
bool more_than_one_third(uint64_t power, uint64_t total);

enum class AddVote : uint8_t {
  kAdded,
  kDuplicate,    // the same vote again: ignored
  kConflicting,  // a different vote from a validator that already voted: counted for its block, and
                 // evidence of equivocation
};

// The votes of one (height, round, type). Owns copies of the votes it counted.
class VoteSet {
 public:
  explicit VoteSet(uint64_t total_power) : total_power_(total_power) {}

  // Adds `vote` with the voter's `power`. The caller has checked height, round, type and membership.
  // On kConflicting, *first (if given) receives the vote that was counted.
  AddVote add(const Vote& vote, uint64_t power, Vote* first = nullptr);

  // Power of the votes for `block` (nil when nullopt).
  uint64_t power_for(const BlockId& block) const;
  // Power of the distinct validators that voted, whatever for.
  uint64_t power_any() const { return power_any_; }
  bool has_two_thirds_any() const { return more_than_two_thirds(power_any_, total_power_); }
  bool has_two_thirds_for(const BlockId& block) const;
  // The block (or nil) that more than 2/3 voted for, if any; the lowest if equivocation by more than
  // 1/3 made several.
  std::optional<BlockId> two_thirds_majority() const;
  // The votes for `block`, sorted by validator address.
  std::vector<Vote> votes_for(const BlockId& block) const;
  // The first vote of each validator.
  const std::map<Address, Vote>& first_votes() const { return first_; }
  // Every distinct vote, conflicting ones included, ordered by block then validator.
  const std::map<std::pair<BlockId, Address>, Vote>& all_votes() const { return all_; }

 private:
  uint64_t total_power_ = 0;
  uint64_t power_any_ = 0;
  std::map<Address, Vote> first_;
  std::map<std::pair<BlockId, Address>, Vote> all_;
  std::map<BlockId, uint64_t> power_by_block_;  // nil sorts first
};

// Every vote of one height: a prevote and a precommit VoteSet per round, and per round the power of
// the distinct validators that sent anything there (for the round skip on > 1/3).
class HeightVoteSet {
 public:
  HeightVoteSet(uint64_t height, ValidatorSet set) : height_(height), set_(std::move(set)) {}

  enum class Added : uint8_t { kAdded, kDuplicate, kConflicting, kWrongHeight, kNotValidator };
  // Checks height and membership, then adds. On kConflicting, *first receives the counted vote.
  Added add(const Vote& vote, Vote* first = nullptr);

  // nullptr when no vote of that round (of either type) arrived yet.
  const VoteSet* prevotes(uint32_t round) const;
  const VoteSet* precommits(uint32_t round) const;
  const VoteSet* get(VoteType type, uint32_t round) const;
  // Power of the distinct validators with any vote in `round`.
  uint64_t sender_power(uint32_t round) const;
  // Rounds that have any vote, ascending.
  std::vector<uint32_t> rounds() const;
  const ValidatorSet& set() const { return set_; }
  uint64_t height() const { return height_; }

 private:
  struct RoundVotes {
    VoteSet prevotes;
    VoteSet precommits;
    std::map<Address, uint64_t> senders;
    uint64_t sender_power = 0;
  };
  uint64_t height_;
  ValidatorSet set_;
  std::map<uint32_t, RoundVotes> rounds_;
};

}  // namespace physis::consensus
