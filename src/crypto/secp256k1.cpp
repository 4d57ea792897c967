#include "crypto/secp256k1.h"

#include <openssl/rand.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <cstring>
#include <stdexcept>

#include "crypto/keccak.h"

namespace physis::crypto {

namespace {
// One read-only context for the process: libsecp256k1 documents that a context is thread-safe as long
// as it is not modified (we never randomize or destroy it).
const secp256k1_context* context() {
  static const secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  return ctx;
}
// The 64-byte x ‖ y form of a parsed key (uncompressed SEC1 without its 0x04 prefix).
PublicKey to_public_key(const secp256k1_pubkey& pk) {
  uint8_t out[65];
  size_t len = sizeof out;
  secp256k1_ec_pubkey_serialize(context(), out, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
  PublicKey pub{};
  std::memcpy(pub.data(), out + 1, 64);
  return pub;
}
}  // namespace

PrivateKey generate_private_key() {
  PrivateKey key{};
  do {
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
      throw std::runtime_error("OS random number generator failed");
  } while (!secp256k1_ec_seckey_verify(context(), key.data()));
  return key;
}

std::optional<PublicKey> public_key_of(const PrivateKey& key) {
  secp256k1_pubkey pk;
  if (!secp256k1_ec_pubkey_create(context(), &pk, key.data())) return std::nullopt;
  return to_public_key(pk);
}

Address address_of(const PublicKey& pub) {
  Hash32 h = keccak256(pub);
  Address a{};
  std::memcpy(a.data(), h.data() + 12, 20);
  return a;
}

Signature sign_digest(const PrivateKey& key, const Hash32& digest) {
  secp256k1_ecdsa_recoverable_signature sig;
  if (!secp256k1_ecdsa_sign_recoverable(context(), &sig, digest.data(), key.data(), nullptr, nullptr))
    throw std::invalid_argument("invalid secp256k1 private key");
  Signature out{};
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), out.data(), &recid, &sig);
  out[64] = static_cast<uint8_t>(recid);
  return out;
}

Result<PublicKey> recover_public_key(const Hash32& digest, ByteSpan signature) {
  if (signature.size() != 65) return make_error("bad_signature", "signature must be 65 bytes (r, s, v)");
  int recid = signature[64];
  if (recid > 1) return make_error("bad_signature", "signature recovery id v must be 0 or 1");
  secp256k1_ecdsa_signature plain;
  if (!secp256k1_ecdsa_signature_parse_compact(context(), &plain, signature.data()))
    return make_error("bad_signature", "signature r or s is out of range");
  secp256k1_ecdsa_signature normalized;
  if (secp256k1_ecdsa_signature_normalize(context(), &normalized, &plain))
    return make_error("bad_signature", "signature s is not low-S");
  secp256k1_ecdsa_recoverable_signature sig;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &sig, signature.data(), recid))
    return make_error("bad_signature", "signature could not be parsed");
  secp256k1_pubkey pk;
  if (!secp256k1_ecdsa_recover(context(), &pk, &sig, digest.data()))
    return make_error("bad_signature", "signature does not recover a public key");
  return to_public_key(pk);
}

Result<Address> recover_address(const Hash32& digest, ByteSpan signature) {
  auto pub = recover_public_key(digest, signature);
  if (!pub) return pub.error();
  return address_of(*pub);
}

bool verify_with_key(ByteSpan public_key65, const Hash32& digest, ByteSpan signature64) {
  if (public_key65.size() != 65 || signature64.size() != 64 || public_key65[0] != 0x04) return false;
  secp256k1_pubkey pk;
  if (!secp256k1_ec_pubkey_parse(context(), &pk, public_key65.data(), public_key65.size())) return false;
  secp256k1_ecdsa_signature sig;
  if (!secp256k1_ecdsa_signature_parse_compact(context(), &sig, signature64.data())) return false;
  // secp256k1_ecdsa_verify rejects high-S signatures itself.
  return secp256k1_ecdsa_verify(context(), &sig, digest.data(), &pk) == 1;
}

bool is_valid_public_key(ByteSpan public_key65) {
  if (public_key65.size() != 65 || public_key65[0] != 0x04) return false;
  secp256k1_pubkey pk;
  return secp256k1_ec_pubkey_parse(context(), &pk, public_key65.data(), public_key65.size()) == 1;
}

bool is_low_s(ByteSpan signature64) {
  if (signature64.size() != 64) return false;
  secp256k1_ecdsa_signature sig;
  if (!secp256k1_ecdsa_signature_parse_compact(context(), &sig, signature64.data())) return false;
  secp256k1_ecdsa_signature normalized;
  return secp256k1_ecdsa_signature_normalize(context(), &normalized, &sig) == 0;  // 1 means it was high
}

std::array<uint8_t, 64> sign_compact(const PrivateKey& key, const Hash32& digest) {
  secp256k1_ecdsa_signature sig;
  if (!secp256k1_ecdsa_sign(context(), &sig, digest.data(), key.data(), nullptr, nullptr))
    throw std::invalid_argument("invalid secp256k1 private key");
  std::array<uint8_t, 64> out{};
  secp256k1_ecdsa_signature_serialize_compact(context(), out.data(), &sig);
  return out;
}

std::string address_to_string(const Address& address) {
  std::string hex = to_hex(address);
  Hash32 h = keccak256(as_span(hex));
  for (size_t i = 0; i < hex.size(); ++i) {
    int nibble = (i % 2 == 0) ? (h[i / 2] >> 4) : (h[i / 2] & 0xf);
    if (hex[i] >= 'a' && hex[i] <= 'f' && nibble >= 8) hex[i] = static_cast<char>(hex[i] - 'a' + 'A');
  }
  return "0x" + hex;
}

std::optional<Address> parse_address(std::string_view text) {
  if (text.size() != 42 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) return std::nullopt;
  auto addr = from_hex_fixed<20>(text);
  if (!addr) return std::nullopt;
  std::string_view digits = text.substr(2);
  bool has_lower = false, has_upper = false;
  for (char c : digits) {
    if (c >= 'a' && c <= 'f') has_lower = true;
    if (c >= 'A' && c <= 'F') has_upper = true;
  }
  if (has_lower && has_upper && address_to_string(*addr).substr(2) != digits) return std::nullopt;
  return addr;
}

}  // namespace physis::crypto
