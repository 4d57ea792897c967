// Device-signature checks behind an interface, so the node can answer from a cache of checks it already
// made in parallel at mempool admission (DESIGN §8: verify in parallel, once). The answer must be the
// same as verify_device_signature's; a cache only memoises that pure function.
#pragma once

#include <optional>

#include "util/bytes.h"

namespace physis::vm {

// pb::KeyType values.
inline constexpr uint32_t kKeyP256 = 1;
inline constexpr uint32_t kKeySecp256k1 = 2;
// Not a device key type: X.509 certificate signatures by P-256 CAs, which may have high S. Used only
// to let chain checks share the signature cache; device signatures always require low S.
inline constexpr uint32_t kCertP256AnyS = 0x81;

// Verifies a 64-byte r ‖ s signature, low-S required, over `digest` by a 65-byte uncompressed key of
// the given type. False on any malformed input. Pure and thread-safe.
bool verify_device_signature(uint32_t key_type, ByteSpan public_key, const Hash32& digest,
                             ByteSpan signature);

// The account that made a 65-byte recoverable secp256k1 signature (r ‖ s ‖ v, low S) over `digest`,
// or nullopt when it recovers none. Pure and thread-safe (usage receipts' consumer signatures).
std::optional<Address> recover_signer(const Hash32& digest, ByteSpan signature);

class SignatureVerifier {
 public:
  virtual ~SignatureVerifier() = default;
  virtual bool verify(uint32_t key_type, ByteSpan public_key, const Hash32& digest,
                      ByteSpan signature) const = 0;
  // Must answer what vm::recover_signer answers; the default computes it.
  virtual std::optional<Address> recover(const Hash32& digest, ByteSpan signature) const {
    return recover_signer(digest, signature);
  }
};

// Verifies every time.
class DirectSignatureVerifier final : public SignatureVerifier {
 public:
  bool verify(uint32_t key_type, ByteSpan public_key, const Hash32& digest,
              ByteSpan signature) const override {
    return verify_device_signature(key_type, public_key, digest, signature);
  }
};

}  // namespace physis::vm
