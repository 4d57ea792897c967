// Per-peer misbehaviour score and rate limit. Pure (time is passed in); not thread-safe — the Host
// keeps one PeerScore per peer on its own thread.
#pragma once

#include <cstdint>

#include "p2p/envelope.h"

namespace physis::p2p {

struct ScoreOptions {
  int32_t initial_score = 100;
  int32_t disconnect_at_or_below = 0;
  // Cost of each rejected message, by reason. Wrong chain and oversize are never honest mistakes
  // between two nodes of the same network, so they cost the most.
  int32_t cost_malformed = 25;
  int32_t cost_non_canonical = 25;
  int32_t cost_wrong_chain = 100;
  int32_t cost_oversize = 50;
  int32_t cost_empty_body = 25;
  int32_t cost_rate_limited = 5;
  int32_t cost_invalid = 25;
  // Token buckets: sustained rate per second, and burst capacity.
  uint64_t messages_per_second = 500;
  uint64_t message_burst = 1000;
  uint64_t bytes_per_second = 8u << 20;
  uint64_t byte_burst = 16u << 20;
};

int32_t reject_cost(const ScoreOptions& options, RejectReason reason);

// A token bucket in integer milli-tokens so refills at any rate stay exact over time.
class TokenBucket {
 public:
  TokenBucket(uint64_t per_second, uint64_t burst, int64_t now_ms);
  // Takes `amount` tokens if available; false (nothing taken) otherwise.
  bool take(uint64_t amount, int64_t now_ms);

 private:
  uint64_t per_second_ = 0;
  uint64_t capacity_milli_ = 0;
  uint64_t milli_tokens_ = 0;
  int64_t last_ms_ = 0;
};

class PeerScore {
 public:
  PeerScore(const ScoreOptions& options, int64_t now_ms);
  // Charges one message of `bytes` against both buckets; false if either is exhausted (the caller
  // then drops the message and calls penalize(kRateLimited)).
  bool admit(uint64_t bytes, int64_t now_ms);
  // Lowers the score by the reason's cost; true if the peer is now at or below the threshold.
  bool penalize(RejectReason reason);
  int32_t score() const { return score_; }

 private:
  ScoreOptions options_;
  int32_t score_ = 0;
  TokenBucket messages_;
  TokenBucket bytes_;
};

}  // namespace physis::p2p
