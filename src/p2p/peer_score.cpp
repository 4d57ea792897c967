#include "p2p/peer_score.h"

#include <algorithm>

namespace physis::p2p {

int32_t reject_cost(const ScoreOptions& o, RejectReason reason) {
  switch (reason) {
    case RejectReason::kOversize: return o.cost_oversize;
    case RejectReason::kMalformed: return o.cost_malformed;
    case RejectReason::kNonCanonical: return o.cost_non_canonical;
    case RejectReason::kWrongChain: return o.cost_wrong_chain;
    case RejectReason::kEmptyBody: return o.cost_empty_body;
    case RejectReason::kRateLimited: return o.cost_rate_limited;
    case RejectReason::kInvalid: return o.cost_invalid;
  }
  return o.cost_malformed;
}

// Capacities are clamped so milli-token arithmetic cannot overflow 64 bits (2^64 / 1000 ≈ 1.8e16).
constexpr uint64_t kMaxTokens = uint64_t{1} << 50;

TokenBucket::TokenBucket(uint64_t per_second, uint64_t burst, int64_t now_ms)
    : per_second_(std::min(per_second, kMaxTokens)),
      capacity_milli_(std::min(burst, kMaxTokens) * 1000),
      milli_tokens_(capacity_milli_),
      last_ms_(now_ms) {}

bool TokenBucket::take(uint64_t amount, int64_t now_ms) {
  if (now_ms > last_ms_) {
    // elapsed is capped at an hour: per_second_ ≤ 2^50 and 3.6e6 ms < 2^22, product < 2^72 would
    // overflow, so cap the refill at the capacity first.
    const uint64_t elapsed = static_cast<uint64_t>(std::min<int64_t>(now_ms - last_ms_, 3'600'000));
    const uint64_t room = capacity_milli_ - milli_tokens_;
    const uint64_t refill = per_second_ == 0 ? 0
                            : elapsed > room / per_second_ ? room
                                                           : elapsed * per_second_;
    milli_tokens_ += std::min(refill, room);
    last_ms_ = now_ms;
  }
  const uint64_t need = std::min(amount, kMaxTokens) * 1000;
  if (need > milli_tokens_) return false;
  milli_tokens_ -= need;
  return true;
}

PeerScore::PeerScore(const ScoreOptions& options, int64_t now_ms)
    : options_(options),
      score_(options.initial_score),
      messages_(options.messages_per_second, options.message_burst, now_ms),
      bytes_(options.bytes_per_second, options.byte_burst, now_ms) {}

bool PeerScore::admit(uint64_t bytes, int64_t now_ms) {
  // Check both before taking from either, so a refused message costs no tokens.
  TokenBucket m = messages_;
  TokenBucket b = bytes_;
  if (!m.take(1, now_ms) || !b.take(bytes, now_ms)) return false;
  messages_ = m;
  bytes_ = b;
  return true;
}

bool PeerScore::penalize(RejectReason reason) {
  score_ -= reject_cost(options_, reason);
  return score_ <= options_.disconnect_at_or_below;
}

}  // namespace physis::p2p
