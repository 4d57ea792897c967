// vm::verify_evidence, continued: certificate-chain, registrar-statement, revocation and
// proof-of-possession rejections (see test_attestation.cpp for the fixture and the first reasons).
#include <gtest/gtest.h>

#include "attestation_test_fixture.h"

namespace {
using namespace physis::vm::attest_test;
TEST_F(AttestationVerify, ChainTooLongFourCertificates) {
  pb::AttestationEvidence ev = with_chain({read_fixture("long-leaf.der"), read_fixture("long-ca2.der"),
                                           read_fixture("long-ca1.der"), read_fixture("root.der")});
  EXPECT_REASON(ev, AttestReject::kChainTooLong);
}

TEST_F(AttestationVerify, ChainTooLongForAnchorMaxChainLen) {
  chain_.anchors[root_id_].set_max_chain_len(1);
  EXPECT_REASON(se_evidence(), AttestReject::kChainTooLong);
  chain_.anchors[root_id_].set_max_chain_len(2);
  EXPECT_REASON(se_evidence(), AttestReject::kOk);
}

TEST_F(AttestationVerify, EmptyChain) { EXPECT_REASON(with_chain({}), AttestReject::kEmptyChain); }

TEST_F(AttestationVerify, MalformedCertificateTrailingByte) {
  Bytes leaf = device_der_;
  leaf.push_back(0x00);
  EXPECT_REASON(with_chain({leaf, intermediate_der_}), AttestReject::kMalformedCertificate);
  Bytes mid = intermediate_der_;
  mid.push_back(0x00);
  EXPECT_REASON(with_chain({device_der_, mid}), AttestReject::kMalformedCertificate);
}

TEST_F(AttestationVerify, MalformedCertificateBerLongFormLength) {
  // The outer SEQUENCE length 30 82 LL LL re-encoded as 30 83 00 LL LL: the same length, not minimal (BER).
  ASSERT_EQ(device_der_[0], 0x30);
  ASSERT_EQ(device_der_[1], 0x82);
  Bytes ber{0x30, 0x83, 0x00};
  ber.insert(ber.end(), device_der_.begin() + 2, device_der_.end());
  EXPECT_REASON(with_chain({ber, intermediate_der_}), AttestReject::kMalformedCertificate);
  // The same inside: the TBSCertificate's length.
  ASSERT_EQ(device_der_[4], 0x30);
  ASSERT_EQ(device_der_[5], 0x82);
  Bytes inner(device_der_.begin(), device_der_.begin() + 4);
  size_t outer_len = (size_t{device_der_[2]} << 8) | device_der_[3];
  inner[2] = static_cast<uint8_t>((outer_len + 1) >> 8);
  inner[3] = static_cast<uint8_t>((outer_len + 1) & 0xff);
  inner.insert(inner.end(), {0x30, 0x83, 0x00});
  inner.insert(inner.end(), device_der_.begin() + 6, device_der_.end());
  EXPECT_REASON(with_chain({inner, intermediate_der_}), AttestReject::kMalformedCertificate);
}

TEST_F(AttestationVerify, MalformedCertificateTruncated) {
  Bytes cut(device_der_.begin(), device_der_.end() - 1);
  EXPECT_REASON(with_chain({cut, intermediate_der_}), AttestReject::kMalformedCertificate);
  EXPECT_REASON(with_chain({Bytes{}, intermediate_der_}), AttestReject::kMalformedCertificate);
}

TEST_F(AttestationVerify, UnsupportedAlgorithm) {
  EXPECT_REASON(with_chain({read_fixture("p384-key.der"), intermediate_der_}),
                AttestReject::kUnsupportedAlgorithm);
  EXPECT_REASON(with_chain({read_fixture("ecdsa-sha384.der"), intermediate_der_}),
                AttestReject::kUnsupportedAlgorithm);
  EXPECT_REASON(with_chain({read_fixture("rsa-key.der"), intermediate_der_}),
                AttestReject::kUnsupportedAlgorithm);
}

TEST_F(AttestationVerify, LeafIsCa) {
  EXPECT_REASON(with_chain({intermediate_der_}), AttestReject::kLeafIsCa);
}

TEST_F(AttestationVerify, IssuerMismatchWrongIssuer) {
  // A leaf of another maker's root, presented under our intermediate.
  EXPECT_REASON(with_chain({read_fixture("root2-leaf.der"), intermediate_der_}),
                AttestReject::kIssuerMismatch);
}

TEST_F(AttestationVerify, IssuerNotCa) {
  EXPECT_REASON(with_chain({read_fixture("notca-leaf.der"), read_fixture("notca.der")}),
                AttestReject::kIssuerNotCa);
}

TEST_F(AttestationVerify, IssuerCannotSignCerts) {
  EXPECT_REASON(with_chain({read_fixture("nocertsign-leaf.der"), read_fixture("nocertsign.der")}),
                AttestReject::kIssuerCannotSignCerts);
}

TEST_F(AttestationVerify, PathLenExceeded) {
  // intermediate has pathlen 0, yet a sub-CA sits between it and the leaf.
  EXPECT_REASON(with_chain({read_fixture("subca-leaf.der"), read_fixture("subca.der"), intermediate_der_}),
                AttestReject::kPathLenExceeded);
}

TEST_F(AttestationVerify, BadCertSignatureFlippedByteInLeaf) {
  // Flip one character of the device's subject common name ("... Device 0001"): still strict DER, but the
  // intermediate's signature no longer covers these bytes.
  const std::string needle = "Device 0001";
  auto it = std::search(device_der_.begin(), device_der_.end(), needle.begin(), needle.end());
  ASSERT_NE(it, device_der_.end());
  Bytes flipped = device_der_;
  flipped[static_cast<size_t>(it - device_der_.begin()) + needle.size() - 1] ^= 0x01;  // '1' -> '0'
  EXPECT_REASON(with_chain({flipped, intermediate_der_}), AttestReject::kBadCertSignature);
  // A flipped bit in the signature value itself (the last byte of s).
  Bytes sig_flipped = device_der_;
  sig_flipped.back() ^= 0x01;
  EXPECT_REASON(with_chain({sig_flipped, intermediate_der_}), AttestReject::kBadCertSignature);
}

TEST_F(AttestationVerify, NotSignedByAnchor) {
  // The right chain named with another maker's root.
  pb::AttestationEvidence ev = se_evidence();
  ev.set_anchor_id(str(root2_id_));
  EXPECT_REASON(ev, AttestReject::kNotSignedByAnchor);
  // A flipped byte in the last certificate's signature: the anchor's signature no longer verifies.
  Bytes mid = intermediate_der_;
  mid.back() ^= 0x01;
  EXPECT_REASON(with_chain({device_der_, mid}), AttestReject::kNotSignedByAnchor);
}

TEST_F(AttestationVerify, AnchorMalformed) {
  Bytes bad = root_spki_;
  bad.push_back(0x00);  // trailing byte after the SubjectPublicKeyInfo
  chain_.anchors[root_id_].set_spki(str(bad));
  EXPECT_REASON(se_evidence(), AttestReject::kAnchorMalformed);
  // A registrar anchor whose key is not P-256.
  chain_.anchors[registrar_id_].set_spki("not a key");
  EXPECT_REASON(registrar_evidence(p256_key_of(0x21)), AttestReject::kAnchorMalformed);
}

TEST_F(AttestationVerify, LeafKeyMismatch) {
  // A valid chain for the golden device, but evidence for another key (with that key's valid PoP).
  const auto other = p256_key_of(0x44);
  pb::AttestationEvidence ev = se_evidence();
  ev.set_device_key(str(p256_pub(other)));
  sign_pop(ev, other);
  EXPECT_REASON(ev, AttestReject::kLeafKeyMismatch);
}

// ---------------------------------------------------------------- 4b. registrar statement

TEST_F(AttestationVerify, StatementExpired) {
  const auto dev = p256_key_of(0x21);
  pb::AttestationEvidence ev = registrar_evidence(dev);
  ev.mutable_statement()->set_expiry_height(kHeight);  // expiry ≤ height: expired
  sign_statement(ev, registrar_key_);
  EXPECT_REASON(ev, AttestReject::kStatementExpired);
  ev.mutable_statement()->set_expiry_height(kHeight - 50);
  sign_statement(ev, registrar_key_);
  EXPECT_REASON(ev, AttestReject::kStatementExpired);
  ev.mutable_statement()->set_expiry_height(kHeight + 1);
  sign_statement(ev, registrar_key_);
  EXPECT_REASON(ev, AttestReject::kOk);
}

TEST_F(AttestationVerify, BadStatementSignature) {
  const auto dev = p256_key_of(0x21);
  {  // signed by a key that is not the registrar's
    pb::AttestationEvidence ev = registrar_evidence(dev);
    sign_statement(ev, p256_key_of(0x5b));
    EXPECT_REASON(ev, AttestReject::kBadStatementSignature);
  }
  {  // signed for another chain
    pb::AttestationEvidence ev = registrar_evidence(dev);
    sign_statement(ev, registrar_key_, "physis-other-chain");
    EXPECT_REASON(ev, AttestReject::kBadStatementSignature);
  }
  {  // a statement field changed after signing (the expiry extended)
    pb::AttestationEvidence ev = registrar_evidence(dev);
    ev.mutable_statement()->set_expiry_height(kHeight + 1000);
    EXPECT_REASON(ev, AttestReject::kBadStatementSignature);
  }
  {  // the statement vouches for another device class
    pb::AttestationEvidence ev = registrar_evidence(dev);
    ev.set_device_class(8);
    sign_pop(ev, dev);
    EXPECT_REASON(ev, AttestReject::kBadStatementSignature);
  }
}

TEST_F(AttestationVerify, HighSRegistrarStatement) {
  pb::AttestationEvidence ev = registrar_evidence(p256_key_of(0x21));
  ev.mutable_statement()->set_signature(negate_s(ev.statement().signature(), crypto::kP256Order));
  EXPECT_REASON(ev, AttestReject::kHighS);
}

// ---------------------------------------------------------------- 5. revoked keys

TEST_F(AttestationVerify, KeyRevokedIntermediate) {
  const Hash32 mid = cert_spki_id(intermediate_der_);
  chain_.revoked[mid] = kHeight;  // key_revoked_at ≤ height: revoked
  EXPECT_REASON(se_evidence(), AttestReject::kKeyRevoked);
  chain_.revoked[mid] = kHeight + 1;
  EXPECT_REASON(se_evidence(), AttestReject::kOk);
}

TEST_F(AttestationVerify, KeyRevokedLeaf) {
  chain_.revoked[crypto::spki_id(read_fixture("device.spki.der"))] = 1;
  EXPECT_REASON(se_evidence(), AttestReject::kKeyRevoked);
}

TEST_F(AttestationVerify, KeyRevokedRegistrarDeviceKey) {
  const auto dev = p256_key_of(0x21);
  chain_.revoked[raw_key_id(p256_pub(dev))] = kHeight - 1;
  EXPECT_REASON(registrar_evidence(dev), AttestReject::kKeyRevoked);
}

// ---------------------------------------------------------------- 6. proof of possession

TEST_F(AttestationVerify, HighSPossessionSignature) {
  pb::AttestationEvidence ev = se_evidence();
  const std::string high = negate_s(ev.pop_signature(), crypto::kP256Order);
  ASSERT_FALSE(crypto::p256_is_low_s(as_span(high)));
  // n − s verifies mathematically (p256_verify without the low-S rule accepts it) ...
  Hash32 digest = crypto::sha256(registration_message(kChain, ev, ctx_.owner));
  EXPECT_TRUE(crypto::p256_verify(device_pub_, digest, as_span(high), /*require_low_s=*/false));
  // ... but on chain only the low-S form is accepted.
  ev.set_pop_signature(high);
  EXPECT_REASON(ev, AttestReject::kHighS);
}

// DESIGN §2/§5 and doc/attestation.md rule 6: "Proof of possession: low-S (high_s)" for secp256k1 device keys
// too (regression: a high-S secp256k1 PoP was once reported as bad_possession_signature).
TEST_F(AttestationVerify, HighSPossessionSignatureSecp256k1) {
  crypto::PrivateKey k{};
  k.fill(0x33);
  Bytes pub{0x04};
  append(pub, *crypto::public_key_of(k));
  pb::AttestationEvidence ev = registrar_evidence(p256_key_of(0x21));
  ev.set_key_type(pb::KEY_SECP256K1);
  ev.set_device_key(str(pub));
  sign_statement(ev, registrar_key_);
  auto sig = crypto::sign_compact(k, crypto::sha256(registration_message(kChain, ev, ctx_.owner)));
  ev.set_pop_signature(negate_s(str(sig), kSecp256k1Order));
  EXPECT_REASON(ev, AttestReject::kHighS);
}

TEST_F(AttestationVerify, BadPossessionSignatureWrongOwner) {
  pb::AttestationEvidence ev = se_evidence();
  Address other{};
  other.fill(0x99);
  sign_pop(ev, device_key_, kChain, other);  // signed for another owner
  EXPECT_REASON(ev, AttestReject::kBadPossessionSignature);
  // The same evidence verifies for the owner it was signed for.
  ctx_.owner = other;
  EXPECT_REASON(ev, AttestReject::kOk);
}

TEST_F(AttestationVerify, BadPossessionSignatureWrongChainId) {
  pb::AttestationEvidence ev = se_evidence();
  sign_pop(ev, device_key_, "physis-other-chain");
  EXPECT_REASON(ev, AttestReject::kBadPossessionSignature);
  ctx_.chain_id = "physis-other-chain";
  EXPECT_REASON(ev, AttestReject::kOk);
}

TEST_F(AttestationVerify, BadPossessionSignatureOverOtherFields) {
  {  // signed for ref height 98 with its hash, then re-pointed at 99
    pb::AttestationEvidence ev = se_evidence();
    ev.set_ref_height(kHeight - 2);
    ev.set_ref_block_hash(str(block_hash_at(kHeight - 2)));
    sign_pop(ev, device_key_);
    ev.set_ref_height(kHeight - 1);
    ev.set_ref_block_hash(str(block_hash_at(kHeight - 1)));
    EXPECT_REASON(ev, AttestReject::kBadPossessionSignature);
  }
  {  // device class changed after signing
    pb::AttestationEvidence ev = se_evidence();
    ev.set_device_class(2);
    EXPECT_REASON(ev, AttestReject::kBadPossessionSignature);
  }
  {  // signed by another key
    pb::AttestationEvidence ev = se_evidence();
    sign_pop(ev, p256_key_of(0x44));
    EXPECT_REASON(ev, AttestReject::kBadPossessionSignature);
  }
  {  // r ‖ s swapped: same length, not the signature
    pb::AttestationEvidence ev = se_evidence();
    const std::string s = ev.pop_signature();
    ev.set_pop_signature(s.substr(32) + s.substr(0, 32));
    const AttestReject r = reason(ev);
    EXPECT_TRUE(r == AttestReject::kBadPossessionSignature || r == AttestReject::kHighS)
        << attest_reject_name(r);
  }
}

// ---------------------------------------------------------------- names

TEST(AttestRejectNames, EveryValueHasAStableDistinctName) {
  std::set<std::string_view> names;
  for (uint32_t i = 0; i < kAttestRejectCount; ++i) {
    std::string_view n = attest_reject_name(static_cast<AttestReject>(i));
    EXPECT_NE(n, "unknown") << i;
    names.insert(n);
  }
  EXPECT_EQ(names.size(), kAttestRejectCount);
  EXPECT_EQ(attest_reject_name(static_cast<AttestReject>(kAttestRejectCount)), "unknown");
  EXPECT_EQ(attest_reject_name(AttestReject::kMalformedEvidence), "malformed_evidence");
  EXPECT_EQ(attest_reject_name(AttestReject::kBadLocation), "bad_location");
  EXPECT_EQ(static_cast<uint32_t>(AttestReject::kBadLocation), 31u);  // stored in receipts: never renumbered
}

}  // namespace
