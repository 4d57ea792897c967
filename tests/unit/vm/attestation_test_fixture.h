// Fixture for the attestation verifier tests: golden openssl chains, registrar keys, an in-test
// ChainView and helpers that mutate evidence. Test-only.
#pragma once

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

namespace physis::vm::attest_test {

using namespace physis;
using namespace physis::vm;

const std::string kChain = "physis-attest-test-1";
constexpr uint64_t kHeight = 100;  // the including block's height in most tests
constexpr uint64_t kWindow = 64;

inline std::string fixture_path(const std::string& name) {
  return std::string(PHYSIS_SOURCE_DIR) + "/tests/fixtures/attestation/" + name;
}

inline Bytes read_fixture(const std::string& name) {
  std::ifstream in(fixture_path(name), std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << name;
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string str(ByteSpan b) { return to_string(b); }

inline Hash32 block_hash_at(uint64_t h) {
  Bytes m;
  append(m, std::string_view("attest-test-block"));
  append_u64_be(m, h);
  return crypto::keccak256(m);
}

// A fixed, valid P-256 scalar whose every byte is `b` (b < 0xff keeps it below n).
inline crypto::P256PrivateKey p256_key_of(uint8_t b) {
  crypto::P256PrivateKey k{};
  k.fill(b);
  return k;
}

inline crypto::P256PublicKey p256_pub(const crypto::P256PrivateKey& k) {
  auto pub = crypto::p256_public_key(k);
  EXPECT_TRUE(pub.has_value());
  return pub.value_or(crypto::P256PublicKey{});
}

inline std::string p256_sign_str(const crypto::P256PrivateKey& k, const Hash32& digest) {
  auto sig = crypto::p256_sign(k, digest);
  EXPECT_TRUE(sig.ok());
  return sig.ok() ? str(*sig) : std::string(64, '\0');
}

// s' = n − s on a 64-byte r ‖ s signature (the other valid signature, with the opposite S half).
inline std::string negate_s(const std::string& sig, const std::array<uint8_t, 32>& n) {
  std::string out = sig;
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int v = static_cast<int>(n[static_cast<size_t>(i)]) -
            static_cast<uint8_t>(sig[32 + static_cast<size_t>(i)]) - borrow;
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

inline pb::Anchor make_anchor(ByteSpan spki, pb::AnchorRole role,
                              std::initializer_list<pb::EvidenceKind> kinds, uint32_t max_chain_len = 3) {
  pb::Anchor a;
  a.set_spki(str(spki));
  a.set_role(role);
  for (auto k : kinds) a.add_allowed_kinds(k);
  a.set_max_chain_len(max_chain_len);
  a.set_registered_at(1);
  return a;
}

// Members are public so that the table of scenarios (test_attestation_reasons.cpp) can drive a fresh
// fixture.
class AttestationVerify : public ::testing::Test {
 public:
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
  void sign_pop(pb::AttestationEvidence& ev, const crypto::P256PrivateKey& key,
                const std::string& chain_id = kChain, std::optional<Address> owner = std::nullopt) const {
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
    ev.mutable_statement()->set_evidence_hash(
        str(crypto::sha256(as_span(std::string_view("allow-list entry 42")))));
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

#define EXPECT_REASON(ev, r) \
  EXPECT_EQ(reason(ev), (r)) << attest_reject_name(reason(ev)) << ": " << verify(ev).message

}  // namespace physis::vm::attest_test
