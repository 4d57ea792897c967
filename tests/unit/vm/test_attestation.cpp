// vm::verify_evidence (DESIGN §5, doc/attestation.md), driven directly with a small in-test ChainView.
//
// SE_P256 chains are the golden openssl fixtures of tests/fixtures/attestation (root -> intermediate
// (pathlen 0) -> device, plus the negative chains make-fixtures.sh writes); mutated copies give the flipped
// byte, trailing byte and BER negatives. Registrar statements use fixed test keys. Every AttestReject value
// that verify_evidence can return has a test named after it here; kDeviceExists and kBadLocation are decided
// by the VM and are tested through apply_block in test_depin_apply.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>

#include "crypto/keccak.h"
#include "crypto/p256.h"
#include "crypto/pem.h"
#include "crypto/secp256k1.h"
#include "crypto/sha256.h"
#include "crypto/x509.h"
#include "crypto/x509_builder.h"
#include "crypto/x509_chain.h"
#include "primitives/physis.pb.h"
#include "vm/attestation.h"
#include "vm/signatures.h"

using namespace physis;
using namespace physis::vm;

namespace {

const std::string kChain = "physis-attest-test-1";
constexpr uint64_t kHeight = 100;  // the including block's height in most tests
constexpr uint64_t kWindow = 64;

std::string fixture_path(const std::string& name) {
  return std::string(PHYSIS_SOURCE_DIR) + "/tests/fixtures/attestation/" + name;
}

Bytes read_fixture(const std::string& name) {
  std::ifstream in(fixture_path(name), std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << name;
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string str(ByteSpan b) { return to_string(b); }

Hash32 block_hash_at(uint64_t h) {
  Bytes m;
  append(m, std::string_view("attest-test-block"));
  append_u64_be(m, h);
  return crypto::keccak256(m);
}

// A fixed, valid P-256 scalar whose every byte is `b` (b < 0xff keeps it below n).
crypto::P256PrivateKey p256_key_of(uint8_t b) {
  crypto::P256PrivateKey k{};
  k.fill(b);
  return k;
}

crypto::P256PublicKey p256_pub(const crypto::P256PrivateKey& k) {
  auto pub = crypto::p256_public_key(k);
  EXPECT_TRUE(pub.has_value());
  return pub.value_or(crypto::P256PublicKey{});
}

std::string p256_sign_str(const crypto::P256PrivateKey& k, const Hash32& digest) {
  auto sig = crypto::p256_sign(k, digest);
  EXPECT_TRUE(sig.ok());
  return sig.ok() ? str(*sig) : std::string(64, '\0');
}

// s' = n − s on a 64-byte r ‖ s signature (the other valid signature, with the opposite S half).
std::string negate_s(const std::string& sig, const std::array<uint8_t, 32>& n) {
  std::string out = sig;
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int v = static_cast<int>(n[static_cast<size_t>(i)]) - static_cast<uint8_t>(sig[32 + static_cast<size_t>(i)]) -
            borrow;
    borrow = v < 0 ? 1 : 0;
    out[32 + static_cast<size_t>(i)] = static_cast<char>(static_cast<uint8_t>(v + (borrow ? 256 : 0)));
  }
  return out;
}

constexpr std::array<uint8_t, 32> kSecp256k1Order = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};

class TestChain final : public ChainView {
 public:
  std::optional<pb::Anchor> anchor(const Hash32& id) const override {
    auto it = anchors.find(id);
    if (it == anchors.end()) return std::nullopt;
    return it->second;
  }
  std::optional<uint64_t> key_revoked_at(const Hash32& id) const override {
    auto it = revoked.find(id);
    if (it == revoked.end()) return std::nullopt;
    return it->second;
  }
  std::optional<Hash32> block_hash(uint64_t height) const override {
    if (!references) return std::nullopt;
    auto it = hashes.find(height);
    if (it == hashes.end()) return std::nullopt;
    return it->second;
  }
  bool checks_references() const override { return references; }

  std::map<Hash32, pb::Anchor> anchors;
  std::map<Hash32, uint64_t> revoked;
  std::map<uint64_t, Hash32> hashes;
  bool references = true;
};

pb::Anchor make_anchor(ByteSpan spki, pb::AnchorRole role, std::initializer_list<pb::EvidenceKind> kinds,
                       uint32_t max_chain_len = 3) {
  pb::Anchor a;
  a.set_spki(str(spki));
  a.set_role(role);
  for (auto k : kinds) a.add_allowed_kinds(k);
  a.set_max_chain_len(max_chain_len);
  a.set_registered_at(1);
  return a;
}

class AttestationVerify : public ::testing::Test {
 protected:
  AttestationVerify() {
    root_spki_ = read_fixture("root.spki.der");
    root2_spki_ = read_fixture("root2.spki.der");
    device_der_ = read_fixture("device.der");
    intermediate_der_ = read_fixture("intermediate.der");
    auto key = crypto::p256_private_key_from_pem_file(fixture_path("device.key.pem"));
    EXPECT_TRUE(key.ok()) << (key.ok() ? "" : key.error().message);
    if (key.ok()) device_key_ = *key;
    device_pub_ = p256_pub(device_key_);

    registrar_key_ = p256_key_of(0x5a);
    registrar_spki_ = crypto::p256_spki_der(p256_pub(registrar_key_));

    root_id_ = crypto::spki_id(root_spki_);
    root2_id_ = crypto::spki_id(root2_spki_);
    registrar_id_ = crypto::spki_id(registrar_spki_);
    chain_.anchors[root_id_] = make_anchor(root_spki_, pb::MANUFACTURER_ROOT, {pb::SE_P256});
    chain_.anchors[root2_id_] = make_anchor(root2_spki_, pb::MANUFACTURER_ROOT, {pb::SE_P256});
    chain_.anchors[registrar_id_] = make_anchor(registrar_spki_, pb::REGISTRAR, {pb::REGISTRAR_STATEMENT}, 1);
    for (uint64_t h = 0; h < 200; ++h) chain_.hashes[h] = block_hash_at(h);

    ctx_.chain_id = kChain;
    ctx_.owner.fill(0x11);
    ctx_.height = kHeight;
    ctx_.ref_window = kWindow;
  }

  // The golden chain [device, intermediate] to the root anchor, bound to block kHeight-1, PoP signed.
  pb::AttestationEvidence se_evidence() const {
    pb::AttestationEvidence ev;
    ev.set_kind(pb::SE_P256);
    ev.set_device_class(1);
    ev.set_key_type(pb::KEY_P256);
    ev.set_device_key(str(device_pub_));
    ev.set_anchor_id(str(root_id_));
    ev.add_cert_chain(str(device_der_));
    ev.add_cert_chain(str(intermediate_der_));
    ev.set_ref_height(kHeight - 1);
    ev.set_ref_block_hash(str(block_hash_at(kHeight - 1)));
    sign_pop(ev, device_key_);
    return ev;
  }

  // PoP by a P-256 key over the registration message for (chain id, owner).
  void sign_pop(pb::AttestationEvidence& ev, const crypto::P256PrivateKey& key, const std::string& chain_id = kChain,
                std::optional<Address> owner = std::nullopt) const {
    Hash32 digest = crypto::sha256(registration_message(chain_id, ev, owner.value_or(ctx_.owner)));
    ev.set_pop_signature(p256_sign_str(key, digest));
  }

  void sign_statement(pb::AttestationEvidence& ev, const crypto::P256PrivateKey& key,
                      const std::string& chain_id = kChain) const {
    Hash32 digest = crypto::sha256(registrar_statement_message(chain_id, ev));
    ev.mutable_statement()->set_signature(p256_sign_str(key, digest));
  }

  // A registrar statement for a fresh P-256 device key, expiring at kHeight + 100.
  pb::AttestationEvidence registrar_evidence(const crypto::P256PrivateKey& device) const {
    pb::AttestationEvidence ev;
    ev.set_kind(pb::REGISTRAR_STATEMENT);
    ev.set_device_class(7);
    ev.set_key_type(pb::KEY_P256);
    ev.set_device_key(str(p256_pub(device)));
    ev.set_anchor_id(str(registrar_id_));
    ev.mutable_statement()->set_attestation_type(4);
    ev.mutable_statement()->set_evidence_hash(str(crypto::sha256(as_span(std::string_view("allow-list entry 42")))));
    ev.mutable_statement()->set_expiry_height(kHeight + 100);
    ev.set_ref_height(kHeight - 2);
    ev.set_ref_block_hash(str(block_hash_at(kHeight - 2)));
    sign_statement(ev, registrar_key_);
    sign_pop(ev, device);
    return ev;
  }

  AttestOutcome verify(const pb::AttestationEvidence& ev) const {
    return verify_evidence(ev, ctx_, chain_, signatures_);
  }
  AttestReject reason(const pb::AttestationEvidence& ev) const { return verify(ev).reason; }

  // The golden evidence with a different certificate chain (PoP still valid: it does not cover the chain).
  pb::AttestationEvidence with_chain(std::initializer_list<Bytes> certs) const {
    pb::AttestationEvidence ev = se_evidence();
    ev.clear_cert_chain();
    for (const auto& c : certs) ev.add_cert_chain(str(c));
    return ev;
  }

  static Hash32 cert_spki_id(const Bytes& der) {
    auto cert = crypto::parse_certificate(der);
    EXPECT_TRUE(cert.ok());
    return cert.ok() ? crypto::spki_id(cert->spki_der) : Hash32{};
  }

  Bytes root_spki_, root2_spki_, registrar_spki_, device_der_, intermediate_der_;
  Hash32 root_id_{}, root2_id_{}, registrar_id_{};
  crypto::P256PrivateKey device_key_{}, registrar_key_{};
  crypto::P256PublicKey device_pub_{};
  TestChain chain_;
  AttestContext ctx_;
  DirectSignatureVerifier signatures_;
};

#define EXPECT_REASON(ev, r) EXPECT_EQ(reason(ev), (r)) << attest_reject_name(reason(ev)) << ": " << verify(ev).message

// ---------------------------------------------------------------- accepted evidence

TEST_F(AttestationVerify, GoldenSeP256ChainIsAccepted) {
  AttestOutcome out = verify(se_evidence());
  ASSERT_TRUE(out.ok()) << attest_reject_name(out.reason) << ": " << out.message;
  EXPECT_EQ(out.device_id, device_id_of(pb::SE_P256, device_pub_));
  EXPECT_EQ(out.anchor_id, root_id_);
  // Revocable keys: the certificate SPKIs, leaf first (the anchor is revoked as an anchor, not listed here).
  ASSERT_EQ(out.key_ids.size(), 2u);
  EXPECT_EQ(out.key_ids[0], crypto::spki_id(read_fixture("device.spki.der")));
  EXPECT_EQ(out.key_ids[1], cert_spki_id(intermediate_der_));
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
  ASSERT_EQ(out.key_ids.size(), 1u);
  EXPECT_EQ(out.key_ids[0], raw_key_id(p256_pub(dev)));
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
  EXPECT_REASON(with_chain({read_fixture("p384-key.der"), intermediate_der_}), AttestReject::kUnsupportedAlgorithm);
  EXPECT_REASON(with_chain({read_fixture("ecdsa-sha384.der"), intermediate_der_}),
                AttestReject::kUnsupportedAlgorithm);
  EXPECT_REASON(with_chain({read_fixture("rsa-key.der"), intermediate_der_}), AttestReject::kUnsupportedAlgorithm);
}

TEST_F(AttestationVerify, LeafIsCa) {
  EXPECT_REASON(with_chain({intermediate_der_}), AttestReject::kLeafIsCa);
}

TEST_F(AttestationVerify, IssuerMismatchWrongIssuer) {
  // A leaf of another maker's root, presented under our intermediate.
  EXPECT_REASON(with_chain({read_fixture("root2-leaf.der"), intermediate_der_}), AttestReject::kIssuerMismatch);
}

TEST_F(AttestationVerify, IssuerNotCa) {
  EXPECT_REASON(with_chain({read_fixture("notca-leaf.der"), read_fixture("notca.der")}), AttestReject::kIssuerNotCa);
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
    EXPECT_TRUE(r == AttestReject::kBadPossessionSignature || r == AttestReject::kHighS) << attest_reject_name(r);
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
