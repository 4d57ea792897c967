// A memo of device-signature checks (DESIGN §8: verify once, in parallel, at admission; the block
// producer then finds the answers here). Only successful checks are stored, keyed by the exact bytes
// of (key type, key, digest, signature), so a hit is exactly the answer verify_device_signature gives.
// Thread-safe. Bounded: when full, it is cleared (a miss only costs a fresh verification).
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "crypto/p256.h"
#include "vm/signatures.h"

namespace physis::node {

class SignatureCache final : public vm::SignatureVerifier {
 public:
  explicit SignatureCache(size_t max_entries = 1'000'000) : max_entries_(max_entries) {}
  // Answers from the cache, or verifies and remembers a success.
  bool verify(uint32_t key_type, ByteSpan public_key, const Hash32& digest,
              ByteSpan signature) const override;
  size_t size() const;

 private:
  // A P-256 device key parsed once and reused: devices prove again and again (saves the point
  // decoding of every verification).
  std::optional<crypto::P256VerifyKey> p256_key(ByteSpan public_key) const;

  const size_t max_entries_;
  mutable std::mutex mutex_;
  mutable std::unordered_set<std::string> verified_;
  mutable std::mutex keys_mutex_;
  mutable std::unordered_map<std::string, crypto::P256VerifyKey> p256_keys_;
};

}  // namespace physis::node
