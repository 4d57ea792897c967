// A memo of device-signature checks (DESIGN §8: verify once, in parallel, at admission; the block
// producer then finds the answers here). Successes and failures are both remembered, keyed by the exact
// bytes of (key type, key, digest, signature), so a hit is exactly the answer verify_device_signature
// gives, and a bad signature sent again costs no second verification.
// Thread-safe. Bounded without ever emptying itself: each memo keeps two generations and, when the
// current one is full, drops the older one (entries used since survive, being moved to the current one).
// Failures have their own, smaller memo, so a flood of bad signatures cannot evict the good ones.
// secp256k1 recoveries (usage receipts) are memoised the same way, in memos of their own.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>

#include "crypto/p256.h"
#include "vm/signatures.h"

namespace physis::node {

// A map of at most 2 × `generation` entries, forgetting the least recently used generation first.
// Not thread-safe (the owner locks).
template <typename V, typename K = std::string, typename H = std::hash<K>>
class TwoGenerationMap {
 public:
  explicit TwoGenerationMap(size_t generation) : generation_(generation == 0 ? 1 : generation) {}
  // The value, moving a hit from the old generation to the current one.
  const V* find(const K& key) {
    if (auto it = current_.find(key); it != current_.end()) return &it->second;
    auto old = previous_.find(key);
    if (old == previous_.end()) return nullptr;
    V value = std::move(old->second);
    previous_.erase(old);
    return &insert(key, std::move(value));
  }
  const V& insert(const K& key, V value) {
    if (current_.size() >= generation_) {
      previous_ = std::move(current_);
      current_.clear();
    }
    return current_.insert_or_assign(key, std::move(value)).first->second;
  }
  size_t size() const { return current_.size() + previous_.size(); }

 private:
  const size_t generation_;
  std::unordered_map<K, V, H> current_;
  std::unordered_map<K, V, H> previous_;
};

class SignatureCache final : public vm::SignatureVerifier {
 public:
  // Holds at most `max_entries` successes, max_entries / 8 failures and max_entries / 4 parsed keys,
  // and max_entries / 4 recovered signers with max_entries / 16 failed recoveries.
  explicit SignatureCache(size_t max_entries = 1'000'000)
      : verified_(max_entries / 2),
        failed_(max_entries / 16),
        recovered_(max_entries / 8),
        recover_failed_(max_entries / 32),
        p256_keys_(max_entries / 8) {}
  // Answers from the cache, or verifies and remembers the answer.
  bool verify(uint32_t key_type, ByteSpan public_key, const Hash32& digest,
              ByteSpan signature) const override;
  // Answers from the cache, or recovers and remembers the answer.
  std::optional<Address> recover(const Hash32& digest, ByteSpan signature) const override;

  struct Stats {
    size_t valid_entries = 0;    // successes remembered
    size_t invalid_entries = 0;  // failures remembered
    uint64_t hits = 0;           // answers from the cache
    uint64_t verifications = 0;  // answers computed (each one signature verification)
  };
  Stats stats() const;
  size_t size() const { return stats().valid_entries; }

 private:
  // A P-256 device key parsed once and reused: devices prove again and again (saves the point
  // decoding of every verification).
  std::optional<crypto::P256VerifyKey> p256_key(ByteSpan public_key) const;

  mutable std::mutex mutex_;
  mutable TwoGenerationMap<bool> verified_;  // value unused: presence means valid
  mutable TwoGenerationMap<bool> failed_;
  mutable TwoGenerationMap<Address> recovered_;
  mutable TwoGenerationMap<bool> recover_failed_;
  mutable std::atomic<uint64_t> hits_{0};
  mutable std::atomic<uint64_t> verifications_{0};
  mutable std::mutex keys_mutex_;
  mutable TwoGenerationMap<crypto::P256VerifyKey> p256_keys_;
};

}  // namespace physis::node
