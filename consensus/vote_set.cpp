#include "consensus/vote_set.h"

namespace physis::consensus {

namespace {
__extension__ typedef unsigned __int128 Wide;  // 3 × a uint64 power cannot overflow it
}

bool more_than_two_thirds(uint64_t power, uint64_t total) {
  return static_cast<Wide>(power) * 3 > static_cast<Wide>(total) * 2;
}

bool more_than_one_third(uint64_t power, uint64_t total) {
  return static_cast<Wide>(power) * 3 > static_cast<Wide>(total);
}

AddVote VoteSet::add(const Vote& vote, uint64_t power, Vote* first) {
  auto [it, inserted] = first_.emplace(vote.validator, vote);
  if (!all_.emplace(std::make_pair(vote.block, vote.validator), vote).second) return AddVote::kDuplicate;
  // Sums stay ≤ the set's total power (≤ kMaxTotalVotingPower) per block and for "any": no overflow.
  power_by_block_[vote.block] += power;
  if (inserted) {
    power_any_ += power;
    return AddVote::kAdded;
  }
  if (first) *first = it->second;
  return AddVote::kConflicting;
}

uint64_t VoteSet::power_for(const BlockId& block) const {
  auto it = power_by_block_.find(block);
  return it == power_by_block_.end() ? 0 : it->second;
}

bool VoteSet::has_two_thirds_for(const BlockId& block) const {
  return more_than_two_thirds(power_for(block), total_power_);
}

std::optional<BlockId> VoteSet::two_thirds_majority() const {
  for (const auto& [block, power] : power_by_block_)
    if (more_than_two_thirds(power, total_power_)) return block;
  return std::nullopt;
}

std::vector<Vote> VoteSet::votes_for(const BlockId& block) const {
  std::vector<Vote> out;
  for (auto it = all_.lower_bound({block, Address{}}); it != all_.end() && it->first.first == block; ++it)
    out.push_back(it->second);
  return out;
}

HeightVoteSet::Added HeightVoteSet::add(const Vote& vote, Vote* first) {
  if (vote.height != height_) return Added::kWrongHeight;
  const Validator* v = set_.find(vote.validator);
  if (!v) return Added::kNotValidator;
  auto it = rounds_.find(vote.round);
  if (it == rounds_.end())
    it = rounds_
             .emplace(vote.round, RoundVotes{VoteSet(set_.total_power()), VoteSet(set_.total_power()), {}, 0})
             .first;
  RoundVotes& rv = it->second;
  VoteSet& vs = vote.type == VoteType::kPrevote ? rv.prevotes : rv.precommits;
  switch (vs.add(vote, v->power, first)) {
    case AddVote::kDuplicate: return Added::kDuplicate;
    case AddVote::kConflicting: return Added::kConflicting;
    case AddVote::kAdded: break;
  }
  if (rv.senders.emplace(vote.validator, v->power).second) rv.sender_power += v->power;
  return Added::kAdded;
}

const VoteSet* HeightVoteSet::get(VoteType type, uint32_t round) const {
  auto it = rounds_.find(round);
  if (it == rounds_.end()) return nullptr;
  switch (type) {
    case VoteType::kPrevote: return &it->second.prevotes;
    case VoteType::kPrecommit: return &it->second.precommits;
  }
  return nullptr;
}

const VoteSet* HeightVoteSet::prevotes(uint32_t round) const { return get(VoteType::kPrevote, round); }
const VoteSet* HeightVoteSet::precommits(uint32_t round) const { return get(VoteType::kPrecommit, round); }

uint64_t HeightVoteSet::sender_power(uint32_t round) const {
  auto it = rounds_.find(round);
  return it == rounds_.end() ? 0 : it->second.sender_power;
}

std::vector<uint32_t> HeightVoteSet::rounds() const {
  std::vector<uint32_t> out;
  for (const auto& [r, rv] : rounds_) out.push_back(r);
  return out;
}

}  // namespace physis::consensus
