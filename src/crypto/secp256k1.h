// secp256k1 account keys, 65-byte recoverable signatures (r ‖ s ‖ v, v in {0,1}, low-S only) and
// Ethereum-style addresses (DESIGN §2). All functions are thread-safe.
#pragma once

#include <optional>

#include "util/bytes.h"
#include "util/result.h"

namespace physis::crypto {

using PrivateKey = std::array<uint8_t, 32>;
using PublicKey = std::array<uint8_t, 64>;  // uncompressed point without the 0x04 prefix
using Signature = std::array<uint8_t, 65>;

// A fresh random key from the OS CSPRNG (via OpenSSL). Never called from consensus code.
PrivateKey generate_private_key();
// nullopt if the scalar is zero or not below the group order.
std::optional<PublicKey> public_key_of(const PrivateKey& key);
// Address = last 20 bytes of Keccak-256 of the 64-byte public key.
Address address_of(const PublicKey& pub);
// Signs a 32-byte digest; the result is always low-S. Deterministic (RFC 6979).
Signature sign_digest(const PrivateKey& key, const Hash32& digest);
// Recovers the signer's public key. Errors: "bad_signature" for a malformed encoding, v not in {0,1},
// high-S, or a signature that recovers no key.
Result<PublicKey> recover_public_key(const Hash32& digest, ByteSpan signature);
Result<Address> recover_address(const Hash32& digest, ByteSpan signature);

// Verifies a 64-byte r ‖ s signature (low-S required) by a known public key given as a 65-byte SEC1
// uncompressed point. False on any malformed input.
bool verify_with_key(ByteSpan public_key65, const Hash32& digest, ByteSpan signature64);
// True for a 65-byte uncompressed point on the curve.
bool is_valid_public_key(ByteSpan public_key65);
// True for a 64-byte r ‖ s with r, s in range and s ≤ n/2.
bool is_low_s(ByteSpan signature64);
// 64-byte r ‖ s signature (no recovery id), low-S. For device keys of type secp256k1.
std::array<uint8_t, 64> sign_compact(const PrivateKey& key, const Hash32& digest);

// EIP-55 mixed-case checksum form with 0x prefix.
std::string address_to_string(const Address& address);
// Accepts 0x + 40 hex digits that are all lower case, all upper case, or correctly checksummed (EIP-55);
// nullopt otherwise.
std::optional<Address> parse_address(std::string_view text);

}  // namespace physis::crypto
