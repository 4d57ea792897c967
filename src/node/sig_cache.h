// A memo of device-signature checks (DESIGN §8: verify once, in parallel, at admission; the block
// producer then finds the answers here). Only successful checks are stored, keyed by a hash of
// (key type, key, digest, signature), so a hit is exactly the answer verify_device_signature gives.
// Thread-safe. Bounded: when full, it is cleared (a miss only costs a fresh verification).
#pragma once

#include <mutex>
#include <unordered_set>

#include "vm/signatures.h"

namespace physis::node {

class SignatureCache final : public vm::SignatureVerifier {
 public:
  explicit SignatureCache(size_t max_entries = 4'000'000) : max_entries_(max_entries) {}
  // Answers from the cache, or verifies and remembers a success.
  bool verify(uint32_t key_type, ByteSpan public_key, const Hash32& digest, ByteSpan signature) const override;
  size_t size() const;

 private:
  struct KeyHash {
    size_t operator()(const Hash32& h) const;
  };
  const size_t max_entries_;
  mutable std::mutex mutex_;
  mutable std::unordered_set<Hash32, KeyHash> verified_;
};

}  // namespace physis::node
