#include "consensus/proposer.h"

#include <algorithm>
#include <limits>

namespace physis::consensus {

namespace {

__extension__ typedef __int128 Wide;  // sums of int64 priorities and uint64 powers never overflow it

int64_t clamp64(Wide v) {
  constexpr Wide lo = std::numeric_limits<int64_t>::min();
  constexpr Wide hi = std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(std::clamp(v, lo, hi));
}

Status check_set(const ValidatorSet& set) {
  if (set.validators().empty()) return make_error("bad_validator_set", "the validator set is empty");
  Wide total = 0;
  for (const auto& v : set.validators()) {
    if (v.power == 0) return make_error("bad_validator_set", "a validator has zero voting power");
    total += v.power;
  }
  if (total > static_cast<Wide>(kMaxTotalVotingPower))
    return make_error("bad_validator_set", "total voting power exceeds the maximum (INT64_MAX / 8)");
  return ok_status();
}

}  // namespace

ProposerPriorities::ProposerPriorities(ValidatorSet set, std::vector<int64_t> priorities)
    : set_(std::move(set)), priorities_(std::move(priorities)) {
  pick_highest();
}

Result<ProposerPriorities> ProposerPriorities::start(const ValidatorSet& set) {
  if (auto st = check_set(set); !st) return st.error();
  return ProposerPriorities(set, std::vector<int64_t>(set.validators().size(), 0));
}

Result<ProposerPriorities> ProposerPriorities::with_set(const ValidatorSet& next) const {
  if (auto st = check_set(next); !st) return st.error();
  // Total ≤ INT64_MAX / 8, so total + total / 8 fits in int64.
  const int64_t total = static_cast<int64_t>(next.total_power());
  const int64_t newcomer = -(total + total / 8);
  std::vector<int64_t> prio;
  prio.reserve(next.validators().size());
  for (const auto& v : next.validators()) {
    auto it = std::lower_bound(set_.validators().begin(), set_.validators().end(), v.address,
                               [](const Validator& a, const Address& b) { return a.address < b; });
    const bool kept = it != set_.validators().end() && it->address == v.address;
    prio.push_back(kept ? priorities_[static_cast<size_t>(it - set_.validators().begin())] : newcomer);
  }
  ProposerPriorities out(next, std::move(prio));
  out.rescale_and_centre();
  out.pick_highest();
  return out;
}

void ProposerPriorities::rescale_and_centre() {
  const Wide total = set_.total_power();
  // Rescale: keep max − min ≤ 2 × total, so one validator cannot be starved (or favoured) for long
  // after a set change. Division truncates toward zero, like every integer division here.
  const auto [mn, mx] = std::minmax_element(priorities_.begin(), priorities_.end());
  const Wide diff = static_cast<Wide>(*mx) - static_cast<Wide>(*mn);
  const Wide diff_max = 2 * total;
  if (diff > diff_max) {
    const Wide ratio = (diff + diff_max - 1) / diff_max;
    for (auto& p : priorities_) p = clamp64(static_cast<Wide>(p) / ratio);
  }
  // Centre on zero: subtract the (truncated) average.
  Wide sum = 0;
  for (int64_t p : priorities_) sum += p;
  const Wide avg = sum / static_cast<Wide>(priorities_.size());
  for (auto& p : priorities_) p = clamp64(static_cast<Wide>(p) - avg);
}

void ProposerPriorities::pick_highest() {
  // Highest priority wins; among equals the lowest address, which is the earliest in the sorted set.
  proposer_index_ = 0;
  for (size_t i = 1; i < priorities_.size(); ++i)
    if (priorities_[i] > priorities_[proposer_index_]) proposer_index_ = i;
}

void ProposerPriorities::advance() {
  rescale_and_centre();
  const auto& vs = set_.validators();
  for (size_t i = 0; i < vs.size(); ++i)
    priorities_[i] = clamp64(static_cast<Wide>(priorities_[i]) + vs[i].power);
  pick_highest();
  priorities_[proposer_index_] =
      clamp64(static_cast<Wide>(priorities_[proposer_index_]) - static_cast<Wide>(set_.total_power()));
}

void ProposerPriorities::advance(uint64_t steps) {
  for (uint64_t i = 0; i < steps; ++i) advance();
}

ProposerPriorities ProposerPriorities::advanced(uint64_t steps) const {
  ProposerPriorities copy = *this;
  copy.advance(steps);
  return copy;
}

Validator HeightValidators::proposer(uint32_t round) const { return priorities.advanced(round).proposer(); }

Result<FixedValidatorSetProvider> FixedValidatorSetProvider::make(const ValidatorSet& set) {
  auto zero = ProposerPriorities::start(set);
  if (!zero) return zero.error();
  return FixedValidatorSetProvider(std::move(*zero));
}

Result<HeightValidators> FixedValidatorSetProvider::validators_at(uint64_t height) {
  if (height == 0) return make_error("bad_height", "height 0 is genesis; it has no proposer");
  if (height < cached_height_) {
    cached_ = zero_;
    cached_height_ = 0;
  }
  cached_.advance(height - cached_height_);
  cached_height_ = height;
  return HeightValidators{cached_.set(), cached_};
}

}  // namespace physis::consensus
