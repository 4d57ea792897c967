// Field sizes (issue 6 finding 5, doc/protocol.md "Field sizes"): decode_tx rejects, with code
// "malformed" and the field's path in the message, every payload field of the wrong size and every
// list or variable field above its cap, so no junk rides in a valid-looking transaction. One test per
// field class; each shows the boundary value accepted and the one beyond it rejected.
#include <gtest/gtest.h>

#include <functional>

#include "crypto/secp256k1.h"
#include "primitives/codec.h"
#include "primitives/transaction.h"
#include "primitives/tx_fields.h"

using namespace physis;

namespace {

crypto::PrivateKey signer() {
  crypto::PrivateKey k;
  k.fill(0x07);
  return k;
}

std::string bytes_of(size_t n, char c = '\x11') { return std::string(n, c); }

pb::TxBody envelope_fields(pb::TxBody body) {
  body.set_chain_id("physis-test-1");
  body.set_nonce(3);
  body.set_gas_limit(1'000'000);
  body.set_gas_price(1);
  return body;
}

Result<DecodedTx> decode(const pb::TxBody& body) { return decode_tx(sign_tx(envelope_fields(body), signer())); }

void expect_ok(const pb::TxBody& body) {
  auto r = decode(body);
  EXPECT_TRUE(r.ok()) << r.error().message;
}

// Rejected as malformed, naming `field` and `expected` (the size or limit) in the message.
void expect_malformed(const pb::TxBody& body, std::string_view field, std::string_view expected) {
  auto r = decode(body);
  ASSERT_FALSE(r.ok()) << "accepted; expected a complaint about " << field;
  EXPECT_EQ(r.error().code, "malformed");
  EXPECT_NE(r.error().message.find(field), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(expected), std::string::npos) << r.error().message;
}

pb::Proof good_proof() {
  pb::Proof p;
  p.set_device_id(bytes_of(20));
  p.set_seq(1);
  p.set_epoch(2);
  p.set_ref_height(40);
  p.set_ref_block_hash(bytes_of(32, '\x22'));
  p.mutable_payload()->set_kind(pb::UPTIME);
  p.mutable_payload()->set_uptime_seconds(60);
  p.set_signature(bytes_of(64, '\x33'));
  return p;
}

pb::TxBody proofs_body(std::function<void(pb::Proof&)> change, int count = 1) {
  pb::TxBody b;
  for (int i = 0; i < count; ++i) *b.mutable_submit_proofs()->add_proofs() = good_proof();
  change(*b.mutable_submit_proofs()->mutable_proofs(count - 1));
  return b;
}

pb::AttestationEvidence good_evidence() {
  pb::AttestationEvidence ev;
  ev.set_kind(pb::REGISTRAR_STATEMENT);
  ev.set_device_class(1);
  ev.set_key_type(pb::KEY_P256);
  ev.set_device_key(bytes_of(65, '\x04'));
  ev.set_anchor_id(bytes_of(32, '\x44'));
  ev.mutable_statement()->set_attestation_type(1);
  ev.mutable_statement()->set_evidence_hash(bytes_of(32, '\x55'));
  ev.mutable_statement()->set_expiry_height(100);
  ev.mutable_statement()->set_signature(bytes_of(64, '\x66'));
  ev.set_ref_height(9);
  ev.set_ref_block_hash(bytes_of(32, '\x77'));
  ev.set_pop_signature(bytes_of(64, '\x88'));
  return ev;
}

pb::TxBody evidence_body(std::function<void(pb::AttestationEvidence&)> change) {
  pb::TxBody b;
  pb::AttestationEvidence ev = good_evidence();
  change(ev);
  *b.mutable_register_device()->mutable_evidence() = ev;
  return b;
}

pb::TxBody update_body(std::string device_id, std::string new_owner) {
  pb::TxBody b;
  b.mutable_update_device()->set_device_id(std::move(device_id));
  b.mutable_update_device()->set_new_owner(std::move(new_owner));
  return b;
}

}  // namespace

// ---------------------------------------------------------------- hashes (32 bytes)

TEST(TxFields, HashFieldsAreExactly32Bytes) {
  expect_ok(proofs_body([](pb::Proof&) {}));
  // The finding: a 128 KiB reference hash in a one-proof batch.
  expect_malformed(proofs_body([](pb::Proof& p) { p.set_ref_block_hash(bytes_of(100 * 1024)); }),
                   "submit_proofs.proofs[0].ref_block_hash", "32-byte");
  expect_malformed(proofs_body([](pb::Proof& p) { p.set_ref_block_hash(bytes_of(33)); }, 3),
                   "submit_proofs.proofs[2].ref_block_hash", "got 33 bytes");
  expect_malformed(proofs_body([](pb::Proof& p) { p.clear_ref_block_hash(); }), "ref_block_hash", "32-byte");

  for (size_t n : {31u, 33u}) {
    pb::TxBody anchor;
    anchor.mutable_revoke_anchor()->set_anchor_id(bytes_of(n));
    expect_malformed(anchor, "revoke_anchor.anchor_id", "32-byte");
    pb::TxBody key;
    key.mutable_revoke_key()->set_key_id(bytes_of(n));
    expect_malformed(key, "revoke_key.key_id", "32-byte");
  }
  pb::TxBody ok;
  ok.mutable_revoke_key()->set_key_id(bytes_of(32));
  expect_ok(ok);
  ok.mutable_revoke_anchor()->set_anchor_id(bytes_of(32));
  expect_ok(ok);

  expect_malformed(evidence_body([](auto& ev) { ev.set_ref_block_hash(bytes_of(31)); }),
                   "register_device.evidence.ref_block_hash", "32-byte");
  expect_malformed(evidence_body([](auto& ev) { ev.set_anchor_id(bytes_of(64)); }),
                   "register_device.evidence.anchor_id", "32-byte");
  expect_malformed(evidence_body([](auto& ev) { ev.mutable_statement()->set_evidence_hash(bytes_of(1)); }),
                   "register_device.evidence.statement.evidence_hash", "32-byte");
}

// ---------------------------------------------------------------- addresses and device ids (20 bytes)

TEST(TxFields, AddressesAndDeviceIdsAreExactly20Bytes) {
  expect_ok(update_body(bytes_of(20), ""));
  expect_ok(update_body(bytes_of(20), bytes_of(20, '\x02')));
  // Finding 7: a 3-byte new owner was "not_owner"; it is malformed, and the message says which field.
  expect_malformed(update_body(bytes_of(20), bytes_of(3)), "update_device.new_owner", "20-byte");
  expect_malformed(update_body(bytes_of(19), ""), "update_device.device_id", "20-byte");
  expect_malformed(update_body("", ""), "update_device.device_id", "got 0 bytes");

  // Finding 7: 7-byte ids in ClaimRewards were "unknown_device".
  pb::TxBody claim;
  claim.mutable_claim_rewards()->add_device_ids(bytes_of(20));
  expect_ok(claim);
  claim.mutable_claim_rewards()->add_device_ids(bytes_of(7));
  expect_malformed(claim, "claim_rewards.device_ids[1]", "20-byte");

  expect_malformed(proofs_body([](pb::Proof& p) { p.set_device_id(bytes_of(21)); }),
                   "submit_proofs.proofs[0].device_id", "20-byte");
  expect_malformed(proofs_body([](pb::Proof& p) { p.mutable_payload()->set_beaconer(bytes_of(128)); }),
                   "submit_proofs.proofs[0].payload.beaconer", "20-byte");
  expect_ok(proofs_body([](pb::Proof& p) {
    p.mutable_payload()->set_kind(pb::COVERAGE_WITNESS);
    p.mutable_payload()->set_beaconer(bytes_of(20));
  }));
  // Beacon fields (doc/depin.md "Beacons"): absent or 32 bytes.
  expect_ok(proofs_body([](pb::Proof& p) {
    p.mutable_payload()->set_commitment(bytes_of(32));
    p.mutable_payload()->set_secret(bytes_of(32));
    p.mutable_payload()->set_beacon_receipt(bytes_of(32));
  }));
  expect_malformed(proofs_body([](pb::Proof& p) { p.mutable_payload()->set_commitment(bytes_of(33)); }),
                   "submit_proofs.proofs[0].payload.commitment", "32-byte");
  expect_malformed(proofs_body([](pb::Proof& p) { p.mutable_payload()->set_secret(bytes_of(64)); }),
                   "submit_proofs.proofs[0].payload.secret", "32-byte");
  expect_malformed(proofs_body([](pb::Proof& p) { p.mutable_payload()->set_beacon_receipt(bytes_of(1)); }),
                   "submit_proofs.proofs[0].payload.beacon_receipt", "32-byte");

  pb::TxBody transfer = make_transfer_body("", 0, 0, 0, Address{}, 1);
  transfer.mutable_transfer()->set_to(bytes_of(21));
  expect_malformed(transfer, "transfer.to", "20-byte");
}

// ---------------------------------------------------------------- signatures and keys

TEST(TxFields, SignaturesAre64BytesAndDeviceKeys65) {
  expect_ok(evidence_body([](auto&) {}));
  expect_malformed(proofs_body([](pb::Proof& p) { p.set_signature(bytes_of(65)); }),
                   "submit_proofs.proofs[0].signature", "64-byte");
  expect_malformed(proofs_body([](pb::Proof& p) { p.clear_signature(); }), "signature", "64-byte");
  expect_malformed(evidence_body([](auto& ev) { ev.set_pop_signature(bytes_of(63)); }),
                   "register_device.evidence.pop_signature", "64-byte");
  expect_malformed(evidence_body([](auto& ev) { ev.mutable_statement()->set_signature(bytes_of(65)); }),
                   "register_device.evidence.statement.signature", "64-byte");
  expect_malformed(evidence_body([](auto& ev) { ev.set_device_key(bytes_of(64 * 1024)); }),
                   "register_device.evidence.device_key", "65-byte");
  // Absent optional fields are left to the attestation verifier (its own reason codes).
  expect_ok(evidence_body([](auto& ev) {
    ev.clear_pop_signature();
    ev.clear_statement();
    ev.clear_device_key();
  }));
}

// A usage receipt (doc/depin.md "Usage") has a 20-byte consumer, a 32-byte reference hash and a 65-byte
// recoverable signature; a registration's location signature is empty or 64 bytes.
TEST(TxFields, UsageReceiptAndLocationSignatureSizes) {
  auto with_usage = [](std::function<void(pb::UsageReceipt&)> change) {
    return proofs_body([change](pb::Proof& p) {
      pb::UsageReceipt* u = p.mutable_payload()->mutable_usage();
      u->set_consumer(bytes_of(20));
      u->set_ref_block_hash(bytes_of(32));
      u->set_signature(bytes_of(65));
      change(*u);
    });
  };
  expect_ok(with_usage([](auto&) {}));
  expect_malformed(with_usage([](auto& u) { u.set_consumer(bytes_of(21)); }),
                   "submit_proofs.proofs[0].payload.usage.consumer", "20-byte");
  expect_malformed(with_usage([](auto& u) { u.clear_ref_block_hash(); }),
                   "submit_proofs.proofs[0].payload.usage.ref_block_hash", "32-byte");
  expect_malformed(with_usage([](auto& u) { u.set_signature(bytes_of(64)); }),
                   "submit_proofs.proofs[0].payload.usage.signature", "65-byte");
  pb::TxBody reg = evidence_body([](auto&) {});
  reg.mutable_register_device()->set_location_signature(bytes_of(64));
  expect_ok(reg);
  reg.mutable_register_device()->set_location_signature(bytes_of(65));
  expect_malformed(reg, "register_device.location_signature", "64-byte");
}

// ---------------------------------------------------------------- amounts and chain id

TEST(TxFields, AmountsAreCanonicalAndAtMost16Bytes) {
  pb::TxBody t = make_transfer_body("", 0, 0, 0, Address{}, ~static_cast<Amount>(0));
  expect_ok(t);
  t.mutable_transfer()->set_amount(bytes_of(17, '\x01'));
  expect_malformed(t, "transfer.amount", "16 bytes");
}

TEST(TxFields, ChainIdIsAtMost64Bytes) {
  pb::TxBody t = envelope_fields(make_transfer_body("", 0, 0, 0, Address{}, 1));
  t.set_chain_id(bytes_of(kMaxChainIdBytes, 'c'));
  EXPECT_TRUE(decode_tx(sign_tx(t, signer())).ok());
  t.set_chain_id(bytes_of(kMaxChainIdBytes + 1, 'c'));
  auto r = decode_tx(sign_tx(t, signer()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "malformed");
  EXPECT_NE(r.error().message.find("chain_id"), std::string::npos) << r.error().message;
}

// ---------------------------------------------------------------- variable fields and lists

TEST(TxFields, CertificateChainIsAtMost3CertificatesOf4KiB) {
  expect_ok(evidence_body([](auto& ev) {
    for (int i = 0; i < kMaxCertChainEntries; ++i) ev.add_cert_chain(bytes_of(kMaxCertBytes, '\x30'));
  }));
  expect_malformed(evidence_body([](auto& ev) {
                     for (int i = 0; i <= kMaxCertChainEntries; ++i) ev.add_cert_chain(bytes_of(10, '\x30'));
                   }),
                   "register_device.evidence.cert_chain", "at most 3");
  expect_malformed(evidence_body([](auto& ev) {
                     ev.add_cert_chain(bytes_of(10, '\x30'));
                     ev.add_cert_chain(bytes_of(kMaxCertBytes + 1, '\x30'));
                   }),
                   "register_device.evidence.cert_chain[1]", "at most 4096 bytes");
}

TEST(TxFields, AnchorFieldsAreCapped) {
  auto anchor_body = [](std::function<void(pb::Anchor&)> change) {
    pb::TxBody b;
    pb::Anchor* a = b.mutable_register_anchor()->mutable_anchor();
    a->set_spki(bytes_of(91, '\x30'));
    a->set_role(pb::MANUFACTURER_ROOT);
    a->add_allowed_kinds(pb::SE_P256);
    a->set_max_chain_len(3);
    a->set_name("maker");
    change(*a);
    return b;
  };
  expect_ok(anchor_body([](pb::Anchor& a) {
    a.set_name(bytes_of(kMaxAnchorNameBytes, 'n'));
    for (int i = 1; i < kMaxAnchorClasses; ++i) a.add_allowed_classes(static_cast<uint32_t>(i));
  }));
  expect_malformed(anchor_body([](pb::Anchor& a) { a.set_name(bytes_of(kMaxAnchorNameBytes + 1, 'n')); }),
                   "register_anchor.anchor.name", "at most 64 bytes");
  expect_malformed(anchor_body([](pb::Anchor& a) { a.set_spki(bytes_of(128 * 1024 - 512, '\x30')); }),
                   "register_anchor.anchor.spki", "at most 256 bytes");
  expect_malformed(anchor_body([](pb::Anchor& a) {
                     for (int i = 0; i <= kMaxAnchorClasses; ++i) a.add_allowed_classes(7);
                   }),
                   "register_anchor.anchor.allowed_classes", "at most 64");
  expect_malformed(anchor_body([](pb::Anchor& a) {
                     for (int i = 0; i < kMaxAnchorKinds; ++i) a.add_allowed_kinds(pb::SE_P256);
                   }),
                   "register_anchor.anchor.allowed_kinds", "at most 8");
}

TEST(TxFields, BatchesHoldAtMost1024Entries) {
  pb::TxBody claim;
  for (int i = 0; i < kMaxBatchEntries; ++i) claim.mutable_claim_rewards()->add_device_ids(bytes_of(20));
  expect_ok(claim);
  claim.mutable_claim_rewards()->add_device_ids(bytes_of(20));
  expect_malformed(claim, "claim_rewards.device_ids", "at most 1024");

  pb::TxBody proofs;
  pb::Proof small;  // the smallest proof with every required field: 124 bytes, so 1025 fit in 128 KiB
  small.set_device_id(bytes_of(20));
  small.set_ref_block_hash(bytes_of(32));
  small.set_signature(bytes_of(64));
  for (int i = 0; i <= kMaxBatchEntries; ++i) *proofs.mutable_submit_proofs()->add_proofs() = small;
  expect_malformed(proofs, "submit_proofs.proofs", "at most 1024");
}

// The proof kind is judged per proof by the VM (ProofReject::kMalformed), not at decode: a batch whose
// proofs have the right sizes decodes whatever their kinds.
TEST(TxFields, ProofKindIsLeftToTheVm) {
  expect_ok(proofs_body([](pb::Proof& p) { p.mutable_payload()->set_kind(pb::PROOF_NONE); }));
  expect_ok(proofs_body([](pb::Proof& p) { p.mutable_payload()->set_kind(static_cast<pb::ProofKind>(9)); }));
}

TEST(TxFields, PayloadBytesIsTheEncodedPayloadMessage) {
  pb::TxBody claim;
  for (int i = 0; i < 10; ++i) claim.mutable_claim_rewards()->add_device_ids(bytes_of(20));
  EXPECT_EQ(payload_bytes(claim), 10u * 22u);  // tag, length and 20 bytes per id
  EXPECT_EQ(payload_bytes(envelope_fields(claim)), 10u * 22u);  // the envelope fields do not count
  EXPECT_EQ(payload_bytes(pb::TxBody()), 0u);
  pb::TxBody t = make_transfer_body("c", 0, 0, 0, Address{}, ~static_cast<Amount>(0));
  EXPECT_EQ(payload_bytes(t), 22u + 18u);  // the largest transfer payload
}
