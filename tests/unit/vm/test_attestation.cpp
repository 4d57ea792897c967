// vm::verify_evidence (DESIGN §5, doc/attestation.md), driven directly with a small in-test ChainView.
//
// SE_P256 chains are the golden openssl fixtures of tests/fixtures/attestation (root -> intermediate
// (pathlen 0) -> device, plus the negative chains make-fixtures.sh writes); mutated copies give the flipped
// byte, trailing byte and BER negatives. Registrar statements use fixed test keys. Every AttestReject value
// that verify_evidence can return has a test named after it here; kDeviceExists and kBadLocation are decided
// by the VM and are tested through apply_block in test_depin_apply.cpp.
#include <gtest/gtest.h>

#include "attestation_test_fixture.h"

namespace {
using namespace physis::vm::attest_test;

// ---------------------------------------------------------------- accepted evidence

TEST_F(AttestationVerify, GoldenSeP256ChainIsAccepted) {
  AttestOutcome out = verify(se_evidence());
  ASSERT_TRUE(out.ok()) << attest_reject_name(out.reason) << ": " << out.message;
  EXPECT_EQ(out.device_id, device_id_of(pb::SE_P256, device_pub_));
  EXPECT_EQ(out.anchor_id, root_id_);
  // Revocable keys: the certificate SPKIs, leaf first (the anchor is revoked as an anchor, not listed here),
  // then the device key's raw-key id, so that either id form of the device key revokes it.
  ASSERT_EQ(out.key_ids.size(), 3u);
  EXPECT_EQ(out.key_ids[0], crypto::spki_id(read_fixture("device.spki.der")));
  EXPECT_EQ(out.key_ids[1], cert_spki_id(intermediate_der_));
  EXPECT_EQ(out.key_ids[2], raw_key_id(device_pub_));
  EXPECT_EQ(out.statement_expiry, 0u);
}

TEST_F(AttestationVerify, DeviceIdIsLast20BytesOfKeccakOfKindAndKey) {
  Bytes pre{static_cast<uint8_t>(pb::SE_P256)};
  append(pre, device_pub_);
  Hash32 h = crypto::keccak256(pre);
  Address expected{};
  std::copy(h.begin() + 12, h.end(), expected.begin());
  EXPECT_EQ(device_id_of(pb::SE_P256, device_pub_), expected);
  // The kind is part of the id: the same key under another kind is another device.
  EXPECT_NE(device_id_of(pb::REGISTRAR_STATEMENT, device_pub_), expected);
  EXPECT_EQ(raw_key_id(device_pub_), crypto::sha256(device_pub_));
}

TEST_F(AttestationVerify, RegistrationMessageLayoutIsPinned) {
  pb::AttestationEvidence ev = se_evidence();
  Bytes m;
  append(m, std::string_view("PHYSIS/REG/v1"));
  append_u32_be(m, static_cast<uint32_t>(kChain.size()));
  append(m, kChain);
  m.push_back(1);  // SE_P256
  append_u32_be(m, 1);
  append(m, ctx_.owner);
  append_u64_be(m, kHeight - 1);
  append(m, block_hash_at(kHeight - 1));
  m.push_back(1);  // KEY_P256
  append_u32_be(m, 65);
  append(m, device_pub_);
  EXPECT_EQ(registration_message(kChain, ev, ctx_.owner), m);
}

TEST_F(AttestationVerify, RegistrarStatementMessageLayoutIsPinned) {
  pb::AttestationEvidence ev = registrar_evidence(p256_key_of(0x21));
  Bytes m;
  append(m, std::string_view("PHYSIS/REGISTRAR/v1"));
  append_u32_be(m, static_cast<uint32_t>(kChain.size()));
  append(m, kChain);
  m.push_back(1);  // KEY_P256
  append_u32_be(m, 65);
  append(m, ev.device_key());
  append_u32_be(m, 7);
  append_u32_be(m, 4);
  append(m, ev.statement().evidence_hash());
  append_u64_be(m, kHeight + 100);
  EXPECT_EQ(registrar_statement_message(kChain, ev), m);
}

TEST_F(AttestationVerify, RegistrarStatementValidIsAccepted) {
  const auto dev = p256_key_of(0x21);
  pb::AttestationEvidence ev = registrar_evidence(dev);
  AttestOutcome out = verify(ev);
  ASSERT_TRUE(out.ok()) << attest_reject_name(out.reason) << ": " << out.message;
  EXPECT_EQ(out.anchor_id, registrar_id_);
  EXPECT_EQ(out.device_id, device_id_of(pb::REGISTRAR_STATEMENT, p256_pub(dev)));
  // The raw-key id, then the same key's SPKI id (either form revokes it).
  ASSERT_EQ(out.key_ids.size(), 2u);
  EXPECT_EQ(out.key_ids[0], raw_key_id(p256_pub(dev)));
  EXPECT_EQ(out.key_ids[1], crypto::spki_id(crypto::p256_spki_der(p256_pub(dev))));
  EXPECT_EQ(out.statement_expiry, kHeight + 100);
}

TEST_F(AttestationVerify, RegistrarStatementWithSecp256k1DeviceKeyIsAccepted) {
  crypto::PrivateKey k{};
  k.fill(0x33);
  auto pub64 = crypto::public_key_of(k);
  ASSERT_TRUE(pub64.has_value());
  Bytes pub{0x04};
  append(pub, *pub64);
  pb::AttestationEvidence ev = registrar_evidence(p256_key_of(0x21));
  ev.set_key_type(pb::KEY_SECP256K1);
  ev.set_device_key(str(pub));
  sign_statement(ev, registrar_key_);
  auto sig = crypto::sign_compact(k, crypto::sha256(registration_message(kChain, ev, ctx_.owner)));
  ev.set_pop_signature(str(sig));
  AttestOutcome out = verify(ev);
  ASSERT_TRUE(out.ok()) << attest_reject_name(out.reason) << ": " << out.message;
  EXPECT_EQ(out.device_id, device_id_of(pb::REGISTRAR_STATEMENT, pub));
  ASSERT_EQ(out.key_ids.size(), 1u);
  EXPECT_EQ(out.key_ids[0], raw_key_id(pub));

  // The same PoP for another owner does not verify.
  ctx_.owner.fill(0x12);
  EXPECT_REASON(ev, AttestReject::kBadPossessionSignature);
}

TEST_F(AttestationVerify, OfflineViewSkipsReferenceChecks) {
  pb::AttestationEvidence ev = se_evidence();
  ev.set_ref_height(5000);  // far in the future of kHeight, and no hash known
  ev.set_ref_block_hash(std::string(32, '\x42'));
  sign_pop(ev, device_key_);
  EXPECT_REASON(ev, AttestReject::kFutureReference);
  chain_.references = false;
  EXPECT_REASON(ev, AttestReject::kOk);
  // The hash must still be 32 bytes.
  ev.set_ref_block_hash(std::string(31, '\x42'));
  sign_pop(ev, device_key_);
  EXPECT_REASON(ev, AttestReject::kMalformedEvidence);
}

// ---------------------------------------------------------------- 1. shape

TEST_F(AttestationVerify, MalformedEvidenceAnchorIdLength) {
  pb::AttestationEvidence ev = se_evidence();
  ev.set_anchor_id(str(root_id_).substr(0, 31));
  EXPECT_REASON(ev, AttestReject::kMalformedEvidence);
  ev.set_anchor_id("");
  EXPECT_REASON(ev, AttestReject::kMalformedEvidence);
}

TEST_F(AttestationVerify, MalformedEvidenceSignatureWithRorSOf33Bytes) {
  pb::AttestationEvidence ev = se_evidence();
  const std::string sig = ev.pop_signature();
  // A 65-byte signature: r written with a leading zero byte (33 bytes), then s.
  ev.set_pop_signature(std::string(1, '\0') + sig);
  EXPECT_REASON(ev, AttestReject::kMalformedEvidence);
  // r, then s with a leading zero byte.
  ev.set_pop_signature(sig.substr(0, 32) + std::string(1, '\0') + sig.substr(32));
  EXPECT_REASON(ev, AttestReject::kMalformedEvidence);
  ev.set_pop_signature(sig.substr(0, 63));
  EXPECT_REASON(ev, AttestReject::kMalformedEvidence);
  ev.clear_pop_signature();
  EXPECT_REASON(ev, AttestReject::kMalformedEvidence);
}

TEST_F(AttestationVerify, MalformedEvidenceRefHashLength) {
  pb::AttestationEvidence ev = se_evidence();
  ev.set_ref_block_hash(ev.ref_block_hash() + "x");
  sign_pop(ev, device_key_);
  EXPECT_REASON(ev, AttestReject::kMalformedEvidence);
}

TEST_F(AttestationVerify, MalformedEvidenceRegistrarStatementFields) {
  const auto dev = p256_key_of(0x21);
  {
    pb::AttestationEvidence ev = registrar_evidence(dev);
    ev.mutable_statement()->set_evidence_hash(std::string(31, '\1'));
    EXPECT_REASON(ev, AttestReject::kMalformedEvidence);
  }
  {
    pb::AttestationEvidence ev = registrar_evidence(dev);
    ev.mutable_statement()->set_signature(std::string(1, '\0') + ev.statement().signature());  // 65 bytes
    EXPECT_REASON(ev, AttestReject::kMalformedEvidence);
  }
  for (uint32_t type : {0u, 5u}) {
    pb::AttestationEvidence ev = registrar_evidence(dev);
    ev.mutable_statement()->set_attestation_type(type);
    sign_statement(ev, registrar_key_);
    EXPECT_REASON(ev, AttestReject::kMalformedEvidence) << "attestation type " << type;
  }
  {
    pb::AttestationEvidence ev = registrar_evidence(dev);
    ev.clear_statement();  // registrar evidence without its statement
    EXPECT_REASON(ev, AttestReject::kMalformedEvidence);
  }
}

TEST_F(AttestationVerify, UnsupportedKind) {
  pb::AttestationEvidence ev = se_evidence();
  ev.set_kind(pb::TPM2_QUOTE);
  sign_pop(ev, device_key_);
  EXPECT_REASON(ev, AttestReject::kUnsupportedKind);
  ev.set_kind(pb::EVIDENCE_NONE);
  sign_pop(ev, device_key_);
  EXPECT_REASON(ev, AttestReject::kUnsupportedKind);
  ev.set_kind(static_cast<pb::EvidenceKind>(9));  // proto3 enums are open: an unknown value reaches the VM
  sign_pop(ev, device_key_);
  EXPECT_REASON(ev, AttestReject::kUnsupportedKind);
}

TEST_F(AttestationVerify, BadDeviceKeyNotOnCurve) {
  pb::AttestationEvidence ev = se_evidence();
  std::string key = ev.device_key();
  key[64] = static_cast<char>(key[64] ^ 0x01);  // y off by one: not on the curve
  ev.set_device_key(key);
  EXPECT_REASON(ev, AttestReject::kBadDeviceKey);
  ev.set_device_key(key.substr(0, 33));  // compressed-length
  EXPECT_REASON(ev, AttestReject::kBadDeviceKey);
  ev.set_device_key("");
  EXPECT_REASON(ev, AttestReject::kBadDeviceKey);
}

TEST_F(AttestationVerify, BadDeviceKeyType) {
  pb::AttestationEvidence ev = se_evidence();
  ev.set_key_type(pb::KEY_NONE);
  EXPECT_REASON(ev, AttestReject::kBadDeviceKey);
  ev.set_key_type(static_cast<pb::KeyType>(3));
  EXPECT_REASON(ev, AttestReject::kBadDeviceKey);
}

TEST_F(AttestationVerify, BadDeviceKeySeP256NeedsAP256Key) {
  crypto::PrivateKey k{};
  k.fill(0x33);
  Bytes pub{0x04};
  append(pub, *crypto::public_key_of(k));
  pb::AttestationEvidence ev = se_evidence();
  ev.set_key_type(pb::KEY_SECP256K1);
  ev.set_device_key(str(pub));
  EXPECT_REASON(ev, AttestReject::kBadDeviceKey);
}

// doc/attestation.md rule 1: "device key a valid point of its type (bad_device_key)" holds for secp256k1 keys
// too: an off-curve key is refused at the shape check, not later at the PoP (regression: the check once
// looked only at the length and the 0x04 prefix).
TEST_F(AttestationVerify, BadDeviceKeySecp256k1PointNotOnCurve) {
  pb::AttestationEvidence ev = registrar_evidence(p256_key_of(0x21));
  ev.set_key_type(pb::KEY_SECP256K1);
  std::string key(65, '\0');
  key[0] = 0x04;  // (0, 0) is not on y² = x³ + 7
  ev.set_device_key(key);
  sign_statement(ev, registrar_key_);
  ev.set_pop_signature(std::string(64, '\x01'));
  EXPECT_REASON(ev, AttestReject::kBadDeviceKey);
}

// ---------------------------------------------------------------- 2. reference block

TEST_F(AttestationVerify, FutureReference) {
  pb::AttestationEvidence ev = se_evidence();
  ev.set_ref_height(kHeight);  // the including block itself
  ev.set_ref_block_hash(str(block_hash_at(kHeight)));
  sign_pop(ev, device_key_);
  EXPECT_REASON(ev, AttestReject::kFutureReference);
  ev.set_ref_height(kHeight + 1);
  ev.set_ref_block_hash(str(block_hash_at(kHeight + 1)));
  sign_pop(ev, device_key_);
  EXPECT_REASON(ev, AttestReject::kFutureReference);
}

TEST_F(AttestationVerify, StaleReference) {
  pb::AttestationEvidence ev = se_evidence();
  ev.set_ref_height(kHeight - kWindow - 1);
  ev.set_ref_block_hash(str(block_hash_at(kHeight - kWindow - 1)));
  sign_pop(ev, device_key_);
  EXPECT_REASON(ev, AttestReject::kStaleReference);
  // Exactly ref_window blocks old is still recent.
  ev.set_ref_height(kHeight - kWindow);
  ev.set_ref_block_hash(str(block_hash_at(kHeight - kWindow)));
  sign_pop(ev, device_key_);
  EXPECT_REASON(ev, AttestReject::kOk);
}

TEST_F(AttestationVerify, WrongRefHash) {
  pb::AttestationEvidence ev = se_evidence();
  ev.set_ref_block_hash(str(block_hash_at(kHeight - 2)));  // a real hash, of another height
  sign_pop(ev, device_key_);
  EXPECT_REASON(ev, AttestReject::kWrongRefHash);
  // A height whose hash the chain does not know.
  chain_.hashes.erase(kHeight - 1);
  ev = se_evidence();
  EXPECT_REASON(ev, AttestReject::kWrongRefHash);
}

// ---------------------------------------------------------------- 3. anchor

TEST_F(AttestationVerify, UnknownAnchor) {
  pb::AttestationEvidence ev = se_evidence();
  Hash32 other = root_id_;
  other[0] ^= 0xff;
  ev.set_anchor_id(str(other));
  EXPECT_REASON(ev, AttestReject::kUnknownAnchor);
}

TEST_F(AttestationVerify, AnchorRevoked) {
  pb::AttestationEvidence ev = se_evidence();
  chain_.anchors[root_id_].set_revoked_at(kHeight);  // revoked_at ≤ height: revoked
  EXPECT_REASON(ev, AttestReject::kAnchorRevoked);
  chain_.anchors[root_id_].set_revoked_at(3);
  EXPECT_REASON(ev, AttestReject::kAnchorRevoked);
  chain_.anchors[root_id_].set_revoked_at(kHeight + 1);  // not yet in effect
  EXPECT_REASON(ev, AttestReject::kOk);
}

TEST_F(AttestationVerify, AnchorWrongRole) {
  // A registrar key named as a manufacturer root.
  pb::AttestationEvidence ev = se_evidence();
  ev.set_anchor_id(str(registrar_id_));
  EXPECT_REASON(ev, AttestReject::kAnchorWrongRole);
  // A manufacturer root named as a registrar.
  pb::AttestationEvidence st = registrar_evidence(p256_key_of(0x21));
  st.set_anchor_id(str(root_id_));
  EXPECT_REASON(st, AttestReject::kAnchorWrongRole);
  // A TPM AK CA is no manufacturer root either.
  chain_.anchors[root_id_].set_role(pb::TPM_AK_CA);
  EXPECT_REASON(se_evidence(), AttestReject::kAnchorWrongRole);
}

TEST_F(AttestationVerify, KindNotAllowed) {
  chain_.anchors[root_id_].clear_allowed_kinds();
  chain_.anchors[root_id_].add_allowed_kinds(pb::TPM2_QUOTE);
  EXPECT_REASON(se_evidence(), AttestReject::kKindNotAllowed);
  chain_.anchors[root_id_].clear_allowed_kinds();
  EXPECT_REASON(se_evidence(), AttestReject::kKindNotAllowed);
}

TEST_F(AttestationVerify, ClassNotAllowed) {
  chain_.anchors[root_id_].add_allowed_classes(2);
  chain_.anchors[root_id_].add_allowed_classes(3);
  EXPECT_REASON(se_evidence(), AttestReject::kClassNotAllowed);  // evidence class 1
  chain_.anchors[root_id_].add_allowed_classes(1);
  EXPECT_REASON(se_evidence(), AttestReject::kOk);
}

// ---------------------------------------------------------------- 4a. certificate chain

}  // namespace
