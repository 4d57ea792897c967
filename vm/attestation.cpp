#include "vm/attestation.h"

#include <algorithm>

#include "crypto/keccak.h"
#include "crypto/p256.h"
#include "crypto/secp256k1.h"
#include "crypto/sha256.h"
#include "crypto/x509_builder.h"
#include "crypto/x509_chain.h"
#include "primitives/block.h"

namespace physis::vm {

namespace {
AttestOutcome reject(AttestReject reason, std::string message) {
  AttestOutcome out;
  out.reason = reason;
  out.message = std::move(message);
  return out;
}

void append_str(Bytes& out, const std::string& s) {
  append_u32_be(out, static_cast<uint32_t>(s.size()));
  append(out, s);
}

AttestReject map_chain_reject(crypto::ChainReject r) {
  using C = crypto::ChainReject;
  switch (r) {
    case C::kOk: return AttestReject::kOk;
    case C::kAnchorMalformed: return AttestReject::kAnchorMalformed;
    case C::kEmptyChain: return AttestReject::kEmptyChain;
    case C::kChainTooLong: return AttestReject::kChainTooLong;
    case C::kMalformedCert: return AttestReject::kMalformedCertificate;
    case C::kUnsupportedAlgorithm: return AttestReject::kUnsupportedAlgorithm;
    case C::kLeafIsCa: return AttestReject::kLeafIsCa;
    case C::kIssuerMismatch: return AttestReject::kIssuerMismatch;
    case C::kIssuerNotCa: return AttestReject::kIssuerNotCa;
    case C::kIssuerCannotSignCerts: return AttestReject::kIssuerCannotSignCerts;
    case C::kPathLenExceeded: return AttestReject::kPathLenExceeded;
    case C::kBadSignature: return AttestReject::kBadCertSignature;
    case C::kNotSignedByAnchor: return AttestReject::kNotSignedByAnchor;
  }
  return AttestReject::kMalformedCertificate;
}

// Checks the reference block (DESIGN §5: recent window, canonical hash).
AttestOutcome check_reference(uint64_t ref_height, const std::string& ref_hash, const AttestContext& ctx,
                              const ChainView& chain) {
  if (ref_hash.size() != 32)
    return reject(AttestReject::kMalformedEvidence, "ref_block_hash must be 32 bytes");
  if (!chain.checks_references()) return {};
  if (ref_height >= ctx.height)
    return reject(AttestReject::kFutureReference, "ref height " + std::to_string(ref_height) +
                                                      " is not below the including height " +
                                                      std::to_string(ctx.height));
  if (ctx.height - ref_height > ctx.ref_window)
    return reject(AttestReject::kStaleReference, "ref height " + std::to_string(ref_height) +
                                                     " is more than " + std::to_string(ctx.ref_window) +
                                                     " blocks old");
  auto canonical = chain.block_hash(ref_height);
  if (!canonical || to_hash32(ref_hash) != *canonical)
    return reject(AttestReject::kWrongRefHash,
                  "ref block hash is not the chain's block at height " + std::to_string(ref_height));
  return {};
}

bool contains(const google::protobuf::RepeatedField<int>& values, int v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}
}  // namespace

std::string_view attest_reject_name(AttestReject reason) {
  switch (reason) {
    case AttestReject::kOk: return "ok";
    case AttestReject::kMalformedEvidence: return "malformed_evidence";
    case AttestReject::kUnsupportedKind: return "unsupported_kind";
    case AttestReject::kBadDeviceKey: return "bad_device_key";
    case AttestReject::kUnknownAnchor: return "unknown_anchor";
    case AttestReject::kAnchorRevoked: return "anchor_revoked";
    case AttestReject::kAnchorWrongRole: return "anchor_wrong_role";
    case AttestReject::kKindNotAllowed: return "kind_not_allowed";
    case AttestReject::kClassNotAllowed: return "class_not_allowed";
    case AttestReject::kChainTooLong: return "chain_too_long";
    case AttestReject::kEmptyChain: return "empty_chain";
    case AttestReject::kMalformedCertificate: return "malformed_certificate";
    case AttestReject::kUnsupportedAlgorithm: return "unsupported_algorithm";
    case AttestReject::kLeafIsCa: return "leaf_is_ca";
    case AttestReject::kIssuerMismatch: return "issuer_mismatch";
    case AttestReject::kIssuerNotCa: return "issuer_not_ca";
    case AttestReject::kIssuerCannotSignCerts: return "issuer_cannot_sign_certs";
    case AttestReject::kPathLenExceeded: return "path_len_exceeded";
    case AttestReject::kBadCertSignature: return "bad_cert_signature";
    case AttestReject::kNotSignedByAnchor: return "not_signed_by_anchor";
    case AttestReject::kAnchorMalformed: return "anchor_malformed";
    case AttestReject::kKeyRevoked: return "key_revoked";
    case AttestReject::kLeafKeyMismatch: return "leaf_key_mismatch";
    case AttestReject::kBadPossessionSignature: return "bad_possession_signature";
    case AttestReject::kHighS: return "high_s";
    case AttestReject::kStatementExpired: return "statement_expired";
    case AttestReject::kBadStatementSignature: return "bad_statement_signature";
    case AttestReject::kStaleReference: return "stale_reference";
    case AttestReject::kFutureReference: return "future_reference";
    case AttestReject::kWrongRefHash: return "wrong_ref_hash";
    case AttestReject::kDeviceExists: return "device_exists";
    case AttestReject::kBadLocation: return "bad_location";
    case AttestReject::kKeyAlreadyRegistered: return "key_already_registered";
    case AttestReject::kBadLocationSignature: return "bad_location_signature";
  }
  return "unknown";
}

Bytes registration_message(const std::string& chain_id, const pb::AttestationEvidence& ev,
                           const Address& owner) {
  Bytes m;
  append(m, std::string_view("PHYSIS/REG/v1"));
  append_str(m, chain_id);
  m.push_back(static_cast<uint8_t>(ev.kind()));
  append_u32_be(m, ev.device_class());
  append(m, owner);
  append_u64_be(m, ev.ref_height());
  append(m, ev.ref_block_hash());
  m.push_back(static_cast<uint8_t>(ev.key_type()));
  append_str(m, ev.device_key());
  return m;
}

Bytes registrar_statement_message(const std::string& chain_id, const pb::AttestationEvidence& ev) {
  Bytes m;
  append(m, std::string_view("PHYSIS/REGISTRAR/v1"));
  append_str(m, chain_id);
  m.push_back(static_cast<uint8_t>(ev.key_type()));
  append_str(m, ev.device_key());
  append_u32_be(m, ev.device_class());
  append_u32_be(m, ev.statement().attestation_type());
  append(m, ev.statement().evidence_hash());
  append_u64_be(m, ev.statement().expiry_height());
  return m;
}

Address device_id_of(uint32_t kind, ByteSpan device_key) {
  const uint8_t k = static_cast<uint8_t>(kind);
  Hash32 h = crypto::Keccak256().update({&k, 1}).update(device_key).finish();
  Address a{};
  std::copy(h.begin() + 12, h.end(), a.begin());
  return a;
}

Hash32 raw_key_id(ByteSpan device_key) { return crypto::sha256(device_key); }

AttestOutcome verify_evidence(const pb::AttestationEvidence& ev, const AttestContext& ctx,
                              const ChainView& chain, const SignatureVerifier& signatures) {
  // 1. Shape.
  if (ev.anchor_id().size() != 32)
    return reject(AttestReject::kMalformedEvidence, "anchor_id must be 32 bytes");
  if (ev.pop_signature().size() != 64)
    return reject(AttestReject::kMalformedEvidence, "pop_signature must be 64 bytes (r ‖ s)");
  const ByteSpan key = as_span(ev.device_key());
  switch (ev.key_type()) {
    case pb::KEY_P256:
      if (!crypto::p256_is_valid_public_key(key))
        return reject(AttestReject::kBadDeviceKey, "device key is not a valid uncompressed P-256 point");
      break;
    case pb::KEY_SECP256K1:
      if (!crypto::is_valid_public_key(key))
        return reject(AttestReject::kBadDeviceKey, "device key is not a valid uncompressed secp256k1 point");
      break;
    default: return reject(AttestReject::kBadDeviceKey, "device key type must be P256 or SECP256K1");
  }
  const uint32_t required_role = ev.kind() == pb::SE_P256               ? pb::MANUFACTURER_ROOT
                                 : ev.kind() == pb::REGISTRAR_STATEMENT ? pb::REGISTRAR
                                                                        : 0;
  if (required_role == 0)
    return reject(AttestReject::kUnsupportedKind, ev.kind() == pb::TPM2_QUOTE
                                                      ? "TPM2_QUOTE evidence is not supported yet"
                                                      : "unknown evidence kind");
  if (ev.kind() == pb::SE_P256 && ev.key_type() != pb::KEY_P256)
    return reject(AttestReject::kBadDeviceKey, "SE_P256 evidence needs a P-256 device key");

  // 2. Reference block.
  if (auto r = check_reference(ev.ref_height(), ev.ref_block_hash(), ctx, chain); !r.ok()) return r;

  // 3. Anchor: known, not revoked at this height, right role, allows kind and class.
  const Hash32 anchor_id = to_hash32(ev.anchor_id());
  auto anchor = chain.anchor(anchor_id);
  if (!anchor)
    return reject(AttestReject::kUnknownAnchor, "anchor " + to_hex0x(anchor_id) + " is not registered");
  if (anchor->revoked_at() != 0 && anchor->revoked_at() <= ctx.height)
    return reject(AttestReject::kAnchorRevoked,
                  "anchor was revoked at height " + std::to_string(anchor->revoked_at()));
  if (static_cast<uint32_t>(anchor->role()) != required_role)
    return reject(AttestReject::kAnchorWrongRole, "anchor role does not match the evidence kind");
  if (!contains(anchor->allowed_kinds(), ev.kind()))
    return reject(AttestReject::kKindNotAllowed, "anchor does not allow this evidence kind");
  if (anchor->allowed_classes_size() > 0 &&
      std::find(anchor->allowed_classes().begin(), anchor->allowed_classes().end(), ev.device_class()) ==
          anchor->allowed_classes().end())
    return reject(AttestReject::kClassNotAllowed,
                  "anchor does not allow device class " + std::to_string(ev.device_class()));

  AttestOutcome out;
  out.anchor_id = anchor_id;
  if (ev.kind() == pb::SE_P256) {
    // 4a. Certificate chain to the anchor, by our strict DER code.
    std::vector<Bytes> certs;
    for (const auto& c : ev.cert_chain()) certs.emplace_back(c.begin(), c.end());
    // Certificate signatures go through the signature verifier too, so the block producer finds the
    // checks admission already made (DESIGN §8: verify once).
    auto cert_check = [&signatures](const crypto::P256PublicKey& key, const Hash32& digest, ByteSpan sig) {
      return signatures.verify(kCertP256AnyS, key, digest, sig);
    };
    auto chain_result =
        crypto::verify_cert_chain(certs, as_span(anchor->spki()), anchor->max_chain_len(), cert_check);
    if (!chain_result.ok()) return reject(map_chain_reject(chain_result.reason), chain_result.message);
    if (!std::equal(chain_result.leaf_public_key.begin(), chain_result.leaf_public_key.end(), key.begin(),
                    key.end()))
      return reject(AttestReject::kLeafKeyMismatch, "leaf certificate key is not the device key");
    out.key_ids = chain_result.spki_ids;
  } else {
    // 4b. Registrar statement, signed by the registrar anchor's key, not expired.
    const auto& st = ev.statement();
    if (st.evidence_hash().size() != 32 || st.signature().size() != 64 || st.attestation_type() == 0 ||
        st.attestation_type() > 4)
      return reject(AttestReject::kMalformedEvidence,
                    "registrar statement needs a 32-byte evidence hash, a 64-byte signature and type 1..4");
    if (st.expiry_height() <= ctx.height)
      return reject(AttestReject::kStatementExpired,
                    "registrar statement expired at height " + std::to_string(st.expiry_height()));
    auto spki = crypto::parse_p256_spki(as_span(anchor->spki()));
    if (!spki.ok()) return reject(AttestReject::kAnchorMalformed, "registrar anchor key: " + spki.message);
    if (!crypto::p256_is_low_s(as_span(st.signature())))
      return reject(AttestReject::kHighS, "registrar statement signature has high S");
    Hash32 digest = crypto::sha256(registrar_statement_message(ctx.chain_id, ev));
    if (!signatures.verify(pb::KEY_P256, spki.public_key, digest, as_span(st.signature())))
      return reject(AttestReject::kBadStatementSignature, "registrar statement signature does not verify");
    out.statement_expiry = st.expiry_height();
  }
  // The device key in both id forms (doc/attestation.md rule 5): governance may name a device key
  // by the SHA-256 of its SPKI (as for certificates) or of its raw bytes, whatever the evidence kind.
  auto add_key_id = [&out](const Hash32& id) {
    if (std::find(out.key_ids.begin(), out.key_ids.end(), id) == out.key_ids.end()) out.key_ids.push_back(id);
  };
  if (ev.kind() == pb::REGISTRAR_STATEMENT) add_key_id(raw_key_id(key));
  if (ev.key_type() == pb::KEY_P256) {
    crypto::P256PublicKey pub{};
    std::copy(key.begin(), key.end(), pub.begin());  // 65 bytes: checked in step 1
    add_key_id(crypto::spki_id(crypto::p256_spki_der(pub)));
  }
  add_key_id(raw_key_id(key));
  // 5. No revoked key in the attestation.
  for (const auto& id : out.key_ids) {
    auto at = chain.key_revoked_at(id);
    if (at && *at <= ctx.height)
      return reject(AttestReject::kKeyRevoked, "key " + to_hex0x(id) + " is revoked");
  }
  // 6. Proof of possession by the device key over the registration message.
  const ByteSpan pop = as_span(ev.pop_signature());
  bool low_s = ev.key_type() == pb::KEY_P256 ? crypto::p256_is_low_s(pop) : crypto::is_low_s(pop);
  if (!low_s) return reject(AttestReject::kHighS, "proof-of-possession signature has high S");
  Hash32 digest = crypto::sha256(registration_message(ctx.chain_id, ev, ctx.owner));
  if (!signatures.verify(ev.key_type(), key, digest, pop))
    return reject(
        AttestReject::kBadPossessionSignature,
        "proof-of-possession signature does not verify over the registration message (check chain id, "
        "owner, device class and reference block)");
  out.device_id = device_id_of(ev.kind(), key);
  return out;
}

}  // namespace physis::vm
