// ECDSA over NIST P-256 (secp256r1) with SHA-256 digests, through OpenSSL 3 (DESIGN §5: device keys of
// secure elements and TPMs). Signatures on chain are raw r ‖ s (32 bytes each, big-endian) with low S.
//
// Thread-safety: every function is safe to call concurrently from any number of threads. The only state
// shared between calls is an immutable P-256 parameter object built once on first use.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "util/bytes.h"
#include "util/result.h"

struct evp_pkey_st;  // OpenSSL EVP_PKEY, declared at global scope as OpenSSL does

namespace physis::crypto {

using P256PrivateKey = std::array<uint8_t, 32>;  // big-endian scalar in [1, n-1]
using P256PublicKey = std::array<uint8_t, 65>;   // SEC 1 uncompressed point: 0x04 ‖ x ‖ y
using P256Signature = std::array<uint8_t, 64>;   // r ‖ s, each a 32-byte big-endian integer

// The group order n of P-256, big-endian.
inline constexpr std::array<uint8_t, 32> kP256Order = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

// True iff `scalar` is 32 bytes holding a big-endian integer in [1, n-1] (valid private key, r or s).
bool p256_scalar_in_range(ByteSpan scalar);

// A fresh private key from OpenSSL's CSPRNG. Never called from consensus code. Throws std::runtime_error only
// if the operating system's random source fails.
P256PrivateKey p256_generate();

// The public key of `key`; nullopt if the scalar is zero or not below n.
std::optional<P256PublicKey> p256_public_key(const P256PrivateKey& key);

// Signs a 32-byte digest. The signature is always low-S (s <= n/2): a high s from OpenSSL is replaced by
// n - s, which verifies identically. The nonce is random (OpenSSL's default), so two signatures of the same
// digest differ. Errors: "bad_private_key" (scalar zero or >= n), "openssl_failure".
Result<P256Signature> p256_sign(const P256PrivateKey& key, const Hash32& digest);

// True iff `signature` is 64 bytes and its s is at most n/2 (floor). Says nothing about validity.
bool p256_is_low_s(ByteSpan signature);

// True iff `public_key` is a 65-byte uncompressed point (0x04 prefix) whose coordinates are below p and which
// lies on the curve (P-256 has cofactor 1, so such a point is in the prime-order group).
bool p256_is_valid_public_key(ByteSpan public_key);

// Verifies an ECDSA signature (raw r ‖ s) over a 32-byte digest. Returns false, never an error, for any
// malformed input: a key that is not a valid uncompressed point, a signature that is not 64 bytes, r or s
// zero or >= n, or high S when `require_low_s` is true. Certificate signatures made by ordinary CAs may have
// high S, so X.509 chain checks pass require_low_s = false; on-chain signatures always pass true.
bool p256_verify(ByteSpan public_key, const Hash32& digest, ByteSpan signature, bool require_low_s);

// A public key decoded once, for verifying many signatures by the same key (a device proves with one key for
// its whole life): each verify then skips decoding the point, about 10% of p256_verify's cost. Holds an
// immutable OpenSSL key object; copies share it. verify() is const and safe to call from many threads on one
// instance at once.
class P256VerifyKey {
 public:
  // nullopt unless `public_key` passes p256_is_valid_public_key.
  static std::optional<P256VerifyKey> parse(ByteSpan public_key);
  // Same contract as p256_verify with this key.
  bool verify(const Hash32& digest, ByteSpan signature, bool require_low_s) const;

 private:
  explicit P256VerifyKey(std::shared_ptr<::evp_pkey_st> key) : key_(std::move(key)) {}
  std::shared_ptr<::evp_pkey_st> key_;  // OpenSSL's EVP_PKEY, never null, never modified
};

// A private key imported into OpenSSL once, for signing many digests (a load generator signs with each
// device key again and again): each sign then skips deriving the public key and importing the key, most
// of p256_sign's cost. Same signatures as p256_sign. Copies share the immutable key object; sign() is
// const and safe to call from many threads on one instance at once. Never used by consensus code.
class P256SigningKey {
 public:
  // nullopt if the scalar is zero or not below n (or OpenSSL cannot import it).
  static std::optional<P256SigningKey> create(const P256PrivateKey& key);
  // Same contract as p256_sign with this key; error "openssl_failure" only.
  Result<P256Signature> sign(const Hash32& digest) const;

 private:
  explicit P256SigningKey(std::shared_ptr<::evp_pkey_st> key) : key_(std::move(key)) {}
  std::shared_ptr<::evp_pkey_st> key_;  // OpenSSL's EVP_PKEY, never null, never modified
};

}  // namespace physis::crypto
