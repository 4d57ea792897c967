#include "vm/signatures.h"

#include "crypto/p256.h"
#include "crypto/secp256k1.h"

namespace physis::vm {

bool verify_device_signature(uint32_t key_type, ByteSpan public_key, const Hash32& digest,
                             ByteSpan signature) {
  if (signature.size() != 64 || public_key.size() != 65) return false;
  switch (key_type) {
    case kKeyP256: return crypto::p256_verify(public_key, digest, signature, /*require_low_s=*/true);
    case kKeySecp256k1: return crypto::verify_with_key(public_key, digest, signature);
    case kCertP256AnyS: return crypto::p256_verify(public_key, digest, signature, /*require_low_s=*/false);
    default: return false;
  }
}

std::optional<Address> recover_signer(const Hash32& digest, ByteSpan signature) {
  auto address = crypto::recover_address(digest, signature);
  if (!address) return std::nullopt;
  return *address;
}

}  // namespace physis::vm
