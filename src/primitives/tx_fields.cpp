#include "primitives/tx_fields.h"

#include <string>

#include "crypto/x509_chain.h"
#include "util/amount.h"

namespace physis {

static_assert(kMaxCertChainEntries == static_cast<int>(crypto::kMaxCertChainLength));

namespace {

Error malformed(const std::string& field, const std::string& rule, size_t got) {
  return make_error("malformed", field + " must be " + rule + ", got " + std::to_string(got) + " bytes");
}

// A required field of exactly `n` bytes.
Status exact(const std::string& value, size_t n, const std::string& field, const char* what) {
  if (value.size() == n) return ok_status();
  return malformed(field, "a " + std::to_string(n) + "-byte " + what, value.size());
}

// An optional field: absent (empty) or exactly `n` bytes.
Status empty_or(const std::string& value, size_t n, const std::string& field, const char* what) {
  if (value.empty() || value.size() == n) return ok_status();
  return malformed(field, "empty or a " + std::to_string(n) + "-byte " + what, value.size());
}

Status at_most(size_t size, size_t max, const std::string& field) {
  if (size <= max) return ok_status();
  return malformed(field, "at most " + std::to_string(max) + " bytes", size);
}

Status count_at_most(int count, int max, const std::string& field) {
  if (count <= max) return ok_status();
  return make_error("malformed", field + " holds " + std::to_string(count) + " entries; at most " +
                                     std::to_string(max) + " are allowed");
}

std::string at(const std::string& list, int i) { return list + "[" + std::to_string(i) + "]"; }

Status check_transfer(const pb::Transfer& t) {
  if (auto st = exact(t.to(), kAddressBytes, "transfer.to", "address"); !st) return st;
  if (!decode_amount(as_span(t.amount())))
    return make_error("malformed",
                      "transfer.amount must be a canonical amount of at most 16 bytes (no "
                      "leading zero byte), got " +
                          std::to_string(t.amount().size()) + " bytes");
  return ok_status();
}

Status check_anchor_fields(const pb::Anchor& a) {
  if (auto st = at_most(a.spki().size(), kMaxAnchorSpkiBytes, "register_anchor.anchor.spki"); !st) return st;
  if (auto st =
          count_at_most(a.allowed_kinds_size(), kMaxAnchorKinds, "register_anchor.anchor.allowed_kinds");
      !st)
    return st;
  if (auto st = count_at_most(a.allowed_classes_size(), kMaxAnchorClasses,
                              "register_anchor.anchor.allowed_classes");
      !st)
    return st;
  return at_most(a.name().size(), kMaxAnchorNameBytes, "register_anchor.anchor.name");
}

Status check_evidence(const pb::AttestationEvidence& ev) {
  const std::string p = "register_device.evidence.";
  if (auto st = empty_or(ev.device_key(), kDeviceKeyBytes, p + "device_key", "uncompressed public key"); !st)
    return st;
  if (auto st = empty_or(ev.anchor_id(), kHashBytes, p + "anchor_id", "anchor id"); !st) return st;
  if (auto st = count_at_most(ev.cert_chain_size(), kMaxCertChainEntries, p + "cert_chain"); !st) return st;
  for (int i = 0; i < ev.cert_chain_size(); ++i)
    if (auto st = at_most(ev.cert_chain(i).size(), kMaxCertBytes, at(p + "cert_chain", i)); !st) return st;
  if (ev.has_statement()) {
    const auto& stmt = ev.statement();
    if (auto st = empty_or(stmt.evidence_hash(), kHashBytes, p + "statement.evidence_hash", "hash"); !st)
      return st;
    if (auto st = empty_or(stmt.signature(), kCompactSignatureBytes, p + "statement.signature", "signature");
        !st)
      return st;
  }
  if (auto st = empty_or(ev.ref_block_hash(), kHashBytes, p + "ref_block_hash", "block hash"); !st) return st;
  return empty_or(ev.pop_signature(), kCompactSignatureBytes, p + "pop_signature", "signature");
}

Status check_update(const pb::UpdateDevice& u) {
  if (auto st = exact(u.device_id(), kAddressBytes, "update_device.device_id", "device id"); !st) return st;
  return empty_or(u.new_owner(), kAddressBytes, "update_device.new_owner", "address");
}

Status check_proofs(const pb::SubmitProofs& s) {
  if (auto st = count_at_most(s.proofs_size(), kMaxBatchEntries, "submit_proofs.proofs"); !st) return st;
  for (int i = 0; i < s.proofs_size(); ++i) {
    const pb::Proof& proof = s.proofs(i);
    const pb::ProofPayload& pl = proof.payload();
    const size_t beaconer = pl.beaconer().size();
    // Beacon fields (doc/depin.md "Beacons"): absent or 32 bytes.
    const auto empty_or_hash = [](const std::string& f) { return f.empty() || f.size() == kHashBytes; };
    const bool beacon_ok =
        empty_or_hash(pl.commitment()) && empty_or_hash(pl.secret()) && empty_or_hash(pl.beacon_receipt());
    // The common case without building the field path (admission decodes batches of hundreds).
    const pb::UsageReceipt& usage = proof.payload().usage();
    const bool usage_ok = !proof.payload().has_usage() ||
                          (usage.consumer().size() == kAddressBytes && usage.ref_block_hash().size() == kHashBytes &&
                           usage.signature().size() == kRecoverableSignatureBytes);
    if (proof.device_id().size() == kAddressBytes && proof.ref_block_hash().size() == kHashBytes &&
        (beaconer == 0 || beaconer == kAddressBytes) && proof.signature().size() == kCompactSignatureBytes &&
        usage_ok && beacon_ok)
      continue;
    const std::string p = at("submit_proofs.proofs", i) + ".";
    if (auto st = exact(proof.device_id(), kAddressBytes, p + "device_id", "device id"); !st) return st;
    if (auto st = exact(proof.ref_block_hash(), kHashBytes, p + "ref_block_hash", "block hash"); !st)
      return st;
    if (auto st = empty_or(proof.payload().beaconer(), kAddressBytes, p + "payload.beaconer", "device id");
        !st)
      return st;
    if (auto st = exact(proof.signature(), kCompactSignatureBytes, p + "signature", "signature (r ‖ s)"); !st)
      return st;
    if (auto st = empty_or(pl.commitment(), kHashBytes, p + "payload.commitment", "hash"); !st) return st;
    if (auto st = empty_or(pl.secret(), kHashBytes, p + "payload.secret", "secret"); !st) return st;
    if (auto st = empty_or(pl.beacon_receipt(), kHashBytes, p + "payload.beacon_receipt", "hash"); !st) return st;
    if (proof.payload().has_usage()) {
      if (auto st = exact(usage.consumer(), kAddressBytes, p + "payload.usage.consumer", "address"); !st) return st;
      if (auto st = exact(usage.ref_block_hash(), kHashBytes, p + "payload.usage.ref_block_hash", "block hash"); !st)
        return st;
      if (auto st = exact(usage.signature(), kRecoverableSignatureBytes, p + "payload.usage.signature",
                          "signature (r ‖ s ‖ v)");
          !st)
        return st;
    }
  }
  return ok_status();
}

Status check_claim(const pb::ClaimRewards& c) {
  if (auto st = count_at_most(c.device_ids_size(), kMaxBatchEntries, "claim_rewards.device_ids"); !st)
    return st;
  for (int i = 0; i < c.device_ids_size(); ++i)
    if (c.device_ids(i).size() != kAddressBytes)
      return exact(c.device_ids(i), kAddressBytes, at("claim_rewards.device_ids", i), "device id");
  return ok_status();
}

}  // namespace

Status check_tx_fields(const pb::TxBody& body) {
  if (auto st = at_most(body.chain_id().size(), kMaxChainIdBytes, "chain_id"); !st) return st;
  switch (body.payload_case()) {
    case pb::TxBody::kTransfer: return check_transfer(body.transfer());
    case pb::TxBody::kRegisterAnchor: return check_anchor_fields(body.register_anchor().anchor());
    case pb::TxBody::kRevokeAnchor:
      return exact(body.revoke_anchor().anchor_id(), kHashBytes, "revoke_anchor.anchor_id", "anchor id");
    case pb::TxBody::kRevokeKey:
      return exact(body.revoke_key().key_id(), kHashBytes, "revoke_key.key_id", "key id");
    case pb::TxBody::kRegisterDevice:
      if (auto st = check_evidence(body.register_device().evidence()); !st) return st;
      return empty_or(body.register_device().location_signature(), kCompactSignatureBytes,
                      "register_device.location_signature", "signature");
    case pb::TxBody::kUpdateDevice: return check_update(body.update_device());
    case pb::TxBody::kSubmitProofs: return check_proofs(body.submit_proofs());
    case pb::TxBody::kClaimRewards: return check_claim(body.claim_rewards());
    case pb::TxBody::PAYLOAD_NOT_SET: return ok_status();
  }
  return ok_status();
}

}  // namespace physis
