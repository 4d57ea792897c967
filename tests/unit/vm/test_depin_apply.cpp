// DePIN transactions through apply_block (DESIGN §3, §5; doc/depin.md "Transactions and gas"): anchor
// governance, device registration and updates. A failed transaction keeps its fee and nonce and changes
// nothing else; receipt.reason says why, receipt.detail carries the AttestReject of a failed registration.
//
// Certificates are made in the test with crypto/x509_builder.h (root -> device leaf); test_attestation.cpp
// covers the golden openssl chains.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "crypto/keccak.h"
#include "crypto/p256.h"
#include "crypto/secp256k1.h"
#include "crypto/sha256.h"
#include "crypto/x509_builder.h"
#include "crypto/x509_chain.h"
#include "depin_test_chain.h"
#include "primitives/codec.h"
#include "primitives/genesis.h"
#include "primitives/physis.pb.h"
#include "primitives/transaction.h"
#include "vm/accounts.h"
#include "vm/apply.h"
#include "vm/attestation.h"
#include "vm/depin.h"
#include "vm/depin_state.h"
#include "vm/gas.h"
#include "vm/state.h"

using namespace physis;
using namespace physis::vm;

namespace {
using namespace physis::vm::depin_test;

Genesis apply_genesis() {
  Genesis g = depin_base_genesis();
  g.depin.epoch_blocks = 1000;  // no epoch closes in these tests
  g.depin.emission_per_epoch = 0;
  g.depin.max_proofs_per_tx = 4;
  g.depin.anchors.push_back(genesis_anchor(maker_a(), pb::MANUFACTURER_ROOT, pb::SE_P256, "maker A"));
  g.depin.anchors.push_back(genesis_anchor(registrar(), pb::REGISTRAR, pb::REGISTRAR_STATEMENT, "registrar"));
  return g;
}

pb::Anchor anchor_of(const Maker& m) {
  pb::Anchor a;
  a.set_spki(str(m.spki));
  a.set_role(pb::MANUFACTURER_ROOT);
  a.add_allowed_kinds(pb::SE_P256);
  a.set_max_chain_len(2);
  a.set_name("maker B");
  return a;
}

Bytes owner_index(const Address& owner, const Address& dev) {
  return prefixed_key(kOwnerIndexPrefix, owner, dev);
}
Bytes anchor_index(const Hash32& anchor, const Address& dev) {
  return prefixed_key(kAnchorIndexPrefix, anchor, dev);
}

class DepinApply : public ::testing::Test {
 protected:
  DepinApply() : chain_(apply_genesis()) { chain_.block(); }  // height 1: hash of block 0 recorded

  // A failed transaction: status 1, `reason`, its full fee charged, nonce consumed, and no state written but
  // the sender's and proposer's accounts and the block-hash record.
  void expect_failed_only_fee(const crypto::PrivateKey& sender, const VerifiedTx& tx, TxFailReason reason,
                              uint32_t detail = 0) {
    const Address from = address_of_key(sender);
    const Amount before = chain_.balance(from);
    const uint64_t nonce = chain_.nonce(from);
    WriteSet writes;
    pb::Receipt r = chain_.run(tx, &writes);
    EXPECT_EQ(r.status(), 1u);
    EXPECT_EQ(r.reason(), static_cast<uint32_t>(reason))
        << "got " << tx_fail_reason_name(static_cast<TxFailReason>(r.reason())) << ": " << receipt_message(r);
    EXPECT_EQ(r.detail(), detail) << attest_reject_name(static_cast<AttestReject>(r.detail())) << ": "
                                  << receipt_message(r);
    EXPECT_FALSE(receipt_message(r).empty());
    EXPECT_TRUE(r.device_id().empty());
    const uint64_t gas = intrinsic_gas(chain_.genesis().params, tx.tx.body);
    EXPECT_EQ(r.gas_used(), gas);
    EXPECT_TRUE(chain_.balance(from) == before - gas) << "fee must be charged";
    EXPECT_EQ(chain_.nonce(from), nonce + 1);
    std::set<Bytes> allowed{account_key(from), account_key(address_of_key(kProposer)),
                            block_hash_key(chain_.height() - 1)};
    for (const auto& [k, v] : writes) EXPECT_TRUE(allowed.count(k)) << "unexpected write " << to_hex(k);
  }

  pb::Receipt expect_ok(const VerifiedTx& tx) {
    pb::Receipt r = chain_.run(tx);
    EXPECT_EQ(r.status(), 0u) << tx_fail_reason_name(static_cast<TxFailReason>(r.reason())) << ": "
                              << receipt_message(r);
    EXPECT_EQ(r.reason(), 0u);
    return r;
  }

  // Registers `dev` (maker A) for `owner`; returns the receipt.
  pb::Receipt register_ok(const crypto::PrivateKey& owner, const Dev& dev,
                          std::optional<pb::Location> loc = std::nullopt) {
    return expect_ok(chain_.register_tx(owner, dev, maker_a(), loc));
  }

  DepinChain chain_;
};

// ---------------------------------------------------------------- gas

TEST_F(DepinApply, IntrinsicGasFollowsTheTable) {
  const ChainParams& p = chain_.genesis().params;
  pb::TxBody b;
  b.mutable_register_anchor();
  EXPECT_EQ(intrinsic_gas(p, b), 50'000u);
  b.mutable_revoke_anchor();
  EXPECT_EQ(intrinsic_gas(p, b), 30'000u);
  b.mutable_revoke_key();
  EXPECT_EQ(intrinsic_gas(p, b), 30'000u);
  b.mutable_register_device();
  EXPECT_EQ(intrinsic_gas(p, b), 350'000u);
  b.mutable_update_device();
  EXPECT_EQ(intrinsic_gas(p, b), 30'000u);
  for (int i = 0; i < 3; ++i) b.mutable_submit_proofs()->add_proofs();
  EXPECT_EQ(intrinsic_gas(p, b), 21'000u + 3 * 34'000u);  // vm/gas.h kPerProof (issue 8: priced to work)
  for (int i = 0; i < 2; ++i) b.mutable_claim_rewards()->add_device_ids(std::string(20, 'x'));
  EXPECT_EQ(intrinsic_gas(p, b), 21'000u + 2 * 5'000u);  // 44 payload bytes: all within the free 64
  for (int i = 0; i < 2; ++i) b.mutable_claim_rewards()->add_device_ids(std::string(20, 'x'));
  EXPECT_EQ(intrinsic_gas(p, b), 21'000u + 4 * 5'000u + (88 - 64) * 180u);  // vm/gas.h, per payload byte
}

TEST_F(DepinApply, BlockRecordsItsParentHash) {
  chain_.block();
  chain_.block();
  for (uint64_t h = 0; h < chain_.height(); ++h) {
    auto raw = chain_.get(block_hash_key(h));
    ASSERT_TRUE(raw.has_value()) << h;
    Hash32 expected = test_block_hash(h);
    EXPECT_EQ(*raw, Bytes(expected.begin(), expected.end())) << h;
  }
  EXPECT_FALSE(chain_.get(block_hash_key(chain_.height())).has_value());
}

// ---------------------------------------------------------------- anchors

TEST_F(DepinApply, RegisterAnchorByGovernance) {
  const VerifiedTx tx = chain_.register_anchor_tx(kGovernance, anchor_of(maker_b()));
  pb::Receipt r = expect_ok(tx);
  EXPECT_EQ(r.gas_used(), gas::kRegisterAnchor + gas::payload_byte_gas(payload_bytes(tx.tx.body)));
  EXPECT_GT(r.gas_used(), gas::kRegisterAnchor);  // an SPKI is more than the free payload bytes
  auto a = chain_.anchor(maker_b().id);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->spki(), str(maker_b().spki));
  EXPECT_EQ(a->role(), pb::MANUFACTURER_ROOT);
  ASSERT_EQ(a->allowed_kinds_size(), 1);
  EXPECT_EQ(a->allowed_kinds(0), pb::SE_P256);
  EXPECT_EQ(a->max_chain_len(), 2u);
  EXPECT_EQ(a->registered_at(), chain_.height());
  EXPECT_EQ(a->revoked_at(), 0u);
  // A device of the new maker can register in the next block.
  Dev d = make_device(maker_b(), 0x10);
  pb::Receipt reg = expect_ok(chain_.register_tx(kAlice, d, maker_b()));
  EXPECT_EQ(reg.device_id(), str(d.id));
}

TEST_F(DepinApply, GenesisAnchorsAreInState) {
  auto a = chain_.anchor(maker_a().id);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->role(), pb::MANUFACTURER_ROOT);
  auto r = chain_.anchor(registrar().id);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->role(), pb::REGISTRAR);
}

TEST_F(DepinApply, RevokeAnchorByGovernanceTakesEffectFromTheIncludingBlock) {
  expect_ok(chain_.revoke_anchor_tx(kGovernance, maker_a().id));
  auto a = chain_.anchor(maker_a().id);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->revoked_at(), chain_.height());
  // A device of the revoked maker cannot register any more.
  Dev d = make_device(maker_a(), 0x11);
  expect_failed_only_fee(kAlice, chain_.register_tx(kAlice, d, maker_a()), TxFailReason::kAttestationFailed,
                         static_cast<uint32_t>(AttestReject::kAnchorRevoked));
}

TEST_F(DepinApply, RevokeAnchorEffectiveHeightOnlyMovesEarlier) {
  const uint64_t h = chain_.height() + 1;
  expect_ok(chain_.revoke_anchor_tx(kGovernance, maker_a().id, h + 10));
  EXPECT_EQ(chain_.anchor(maker_a().id)->revoked_at(), h + 10);
  // Until then, devices still register.
  Dev d = make_device(maker_a(), 0x12);
  register_ok(kAlice, d);
  // A later effective height does not postpone it ...
  expect_ok(chain_.revoke_anchor_tx(kGovernance, maker_a().id, h + 50));
  EXPECT_EQ(chain_.anchor(maker_a().id)->revoked_at(), h + 10);
  // ... an earlier one brings it forward, but never before the including block.
  expect_ok(chain_.revoke_anchor_tx(kGovernance, maker_a().id, 1));
  EXPECT_EQ(chain_.anchor(maker_a().id)->revoked_at(), chain_.height());
}

TEST_F(DepinApply, RevokeKeyByGovernance) {
  Hash32 key_id = crypto::sha256(as_span(std::string_view("some intermediate")));
  const uint64_t effective = chain_.height() + 20;
  expect_ok(chain_.revoke_key_tx(kGovernance, key_id, effective));
  auto raw = chain_.get(prefixed_key(kRevokedKeyPrefix, key_id));
  ASSERT_TRUE(raw.has_value());
  ASSERT_EQ(raw->size(), 8u);
  EXPECT_EQ(read_u64_be(*raw), effective);
  // Later: unchanged; earlier (0 = now): moved to the including height.
  const uint64_t first = read_u64_be(*raw);
  expect_ok(chain_.revoke_key_tx(kGovernance, key_id, chain_.height() + 100));
  EXPECT_EQ(read_u64_be(*chain_.get(prefixed_key(kRevokedKeyPrefix, key_id))), first);
  expect_ok(chain_.revoke_key_tx(kGovernance, key_id));
  EXPECT_EQ(read_u64_be(*chain_.get(prefixed_key(kRevokedKeyPrefix, key_id))), chain_.height());
}

TEST_F(DepinApply, RevokedDeviceKeyBlocksRegistration) {
  Dev d = make_device(maker_a(), 0x13);
  expect_ok(chain_.revoke_key_tx(kGovernance, crypto::spki_id(crypto::p256_spki_der(d.pub))));
  expect_failed_only_fee(kAlice, chain_.register_tx(kAlice, d, maker_a()), TxFailReason::kAttestationFailed,
                         static_cast<uint32_t>(AttestReject::kKeyRevoked));
}

TEST_F(DepinApply, NotGovernanceRegisterAnchor) {
  expect_failed_only_fee(kAlice, chain_.register_anchor_tx(kAlice, anchor_of(maker_b())),
                         TxFailReason::kNotGovernance);
  EXPECT_FALSE(chain_.anchor(maker_b().id).has_value());
}

TEST_F(DepinApply, NotGovernanceRevokeAnchor) {
  expect_failed_only_fee(kBob, chain_.revoke_anchor_tx(kBob, maker_a().id), TxFailReason::kNotGovernance);
  EXPECT_EQ(chain_.anchor(maker_a().id)->revoked_at(), 0u);
}

TEST_F(DepinApply, NotGovernanceRevokeKey) {
  Hash32 key_id{};
  key_id.fill(7);
  expect_failed_only_fee(kRelayer, chain_.revoke_key_tx(kRelayer, key_id), TxFailReason::kNotGovernance);
  EXPECT_FALSE(chain_.get(prefixed_key(kRevokedKeyPrefix, key_id)).has_value());
}

TEST_F(DepinApply, BadAnchor) {
  std::vector<std::pair<std::string, pb::Anchor>> cases;
  {
    pb::Anchor a = anchor_of(maker_b());
    a.set_spki("not a SubjectPublicKeyInfo");
    cases.emplace_back("garbage spki", a);
  }
  {
    pb::Anchor a = anchor_of(maker_b());
    Bytes spki = maker_b().spki;
    spki.push_back(0);
    a.set_spki(str(spki));
    cases.emplace_back("trailing byte after spki", a);
  }
  {
    pb::Anchor a = anchor_of(maker_b());
    a.set_role(pb::ROLE_NONE);
    cases.emplace_back("role none", a);
  }
  {
    pb::Anchor a = anchor_of(maker_b());
    a.set_role(static_cast<pb::AnchorRole>(9));
    cases.emplace_back("unknown role", a);
  }
  {
    pb::Anchor a = anchor_of(maker_b());
    a.clear_allowed_kinds();
    cases.emplace_back("no kinds", a);
  }
  for (uint32_t len : {0u, 4u}) {
    pb::Anchor a = anchor_of(maker_b());
    a.set_max_chain_len(len);
    cases.emplace_back("max_chain_len " + std::to_string(len), a);
  }
  {
    pb::Anchor a = anchor_of(maker_b());
    a.set_revoked_at(5);
    cases.emplace_back("revoked_at set", a);
  }
  {
    pb::Anchor a = anchor_of(maker_b());
    a.set_registered_at(1);
    cases.emplace_back("registered_at set", a);
  }
  for (const auto& [what, a] : cases) {
    SCOPED_TRACE(what);
    expect_failed_only_fee(kGovernance, chain_.register_anchor_tx(kGovernance, a), TxFailReason::kBadAnchor);
  }
  EXPECT_FALSE(chain_.anchor(maker_b().id).has_value());
}

// tx_fail_reason.h: kBadAnchor = "anchor spki, role, kinds or max chain length invalid", and parse_genesis
// refuses anchor kinds outside SE_P256 / TPM2_QUOTE / REGISTRAR_STATEMENT. RegisterAnchor must refuse them
// too.
TEST_F(DepinApply, BadAnchorInvalidEvidenceKind) {
  // Each case with its own key, so that one wrongly accepted anchor does not turn the next into
  // anchor_exists.
  for (const auto& [kind, seed] :
       {std::pair{static_cast<int>(pb::EVIDENCE_NONE), 0x44}, std::pair{9, 0x45}}) {
    SCOPED_TRACE("kind " + std::to_string(kind));
    const Maker m = make_maker(static_cast<uint8_t>(seed));
    pb::Anchor a = anchor_of(m);
    a.clear_allowed_kinds();
    a.add_allowed_kinds(static_cast<pb::EvidenceKind>(kind));
    expect_failed_only_fee(kGovernance, chain_.register_anchor_tx(kGovernance, a), TxFailReason::kBadAnchor);
    EXPECT_FALSE(chain_.anchor(m.id).has_value());
  }
}

TEST_F(DepinApply, AnchorExists) {
  pb::Anchor a = anchor_of(maker_a());  // maker A is a genesis anchor
  expect_failed_only_fee(kGovernance, chain_.register_anchor_tx(kGovernance, a), TxFailReason::kAnchorExists);
  EXPECT_EQ(chain_.anchor(maker_a().id)->max_chain_len(), 3u);  // the genesis record is untouched
  expect_ok(chain_.register_anchor_tx(kGovernance, anchor_of(maker_b())));
  expect_failed_only_fee(kGovernance, chain_.register_anchor_tx(kGovernance, anchor_of(maker_b())),
                         TxFailReason::kAnchorExists);
}

TEST_F(DepinApply, UnknownAnchorOnRevoke) {
  expect_failed_only_fee(kGovernance, chain_.revoke_anchor_tx(kGovernance, maker_b().id),
                         TxFailReason::kUnknownAnchor);
  // A 31-byte id is malformed at decode (primitives/tx_fields.h); the VM still refuses it without decoding.
  pb::TxBody short_id;
  short_id.mutable_revoke_anchor()->set_anchor_id(std::string(31, '\x01'));
  expect_failed_only_fee(kGovernance, chain_.tx_without_decode(kGovernance, short_id),
                         TxFailReason::kUnknownAnchor);
}

TEST_F(DepinApply, BadKeyId) {
  // decode_tx refuses a 31-byte key id (primitives/tx_fields.h); the VM keeps its reason for callers that
  // skip decoding.
  pb::TxBody short_id;
  short_id.mutable_revoke_key()->set_key_id(std::string(31, '\x01'));
  expect_failed_only_fee(kGovernance, chain_.tx_without_decode(kGovernance, short_id),
                         TxFailReason::kBadKeyId);
}

// ---------------------------------------------------------------- devices

TEST_F(DepinApply, RegisterDeviceSuccess) {
  Dev d = make_device(maker_a(), 0x20);
  const Address alice = address_of_key(kAlice);
  const Amount before = chain_.balance(alice);
  const VerifiedTx tx = chain_.register_tx(kAlice, d, maker_a(), latlon(525200000, 134050000));
  pb::Receipt r = expect_ok(tx);
  // The table gas and the evidence's bytes (a certificate, a key, signatures), vm/gas.h.
  const uint64_t gas = gas::kRegisterDevice + gas::payload_byte_gas(payload_bytes(tx.tx.body));
  EXPECT_GT(gas, gas::kRegisterDevice);
  EXPECT_EQ(r.gas_used(), gas);
  EXPECT_TRUE(chain_.balance(alice) == before - gas);
  EXPECT_EQ(r.device_id(), str(d.id));
  auto dev = chain_.device(d.id);
  ASSERT_TRUE(dev.has_value());
  EXPECT_EQ(dev->owner(), str(alice));
  EXPECT_EQ(dev->kind(), pb::SE_P256);
  EXPECT_EQ(dev->device_class(), 1u);
  EXPECT_EQ(dev->key_type(), pb::KEY_P256);
  EXPECT_EQ(dev->device_key(), str(d.pub));
  EXPECT_EQ(dev->anchor_id(), str(maker_a().id));
  ASSERT_EQ(dev->key_ids_size(), 2);
  EXPECT_EQ(dev->key_ids(0), str(crypto::spki_id(crypto::p256_spki_der(d.pub))));
  EXPECT_EQ(dev->key_ids(1), str(raw_key_id(d.pub)));
  EXPECT_EQ(chain_.get(device_key_index_key(raw_key_id(d.pub))), Bytes(d.id.begin(), d.id.end()));
  EXPECT_EQ(dev->location().latlon().lat_e7(), 525200000);
  EXPECT_EQ(dev->location().latlon().lon_e7(), 134050000);
  EXPECT_FALSE(dev->inactive());
  EXPECT_EQ(dev->seq(), 0u);
  EXPECT_EQ(dev->registered_at(), chain_.height());
  EXPECT_EQ(dev->statement_expiry(), 0u);
  EXPECT_EQ(chain_.get(owner_index(alice, d.id)), kIndexMarker);
  EXPECT_EQ(chain_.get(anchor_index(maker_a().id, d.id)), kIndexMarker);
}

// Registrar-statement evidence for the P-256 key `dkey`, class 3, expiring at 500, PoP for `owner`.
pb::AttestationEvidence registrar_ev(const DepinChain& chain, const crypto::P256PrivateKey& dkey,
                                     const Address& owner) {
  pb::AttestationEvidence ev;
  ev.set_kind(pb::REGISTRAR_STATEMENT);
  ev.set_device_class(3);
  ev.set_key_type(pb::KEY_P256);
  ev.set_device_key(str(p256_pub(dkey)));
  ev.set_anchor_id(str(registrar().id));
  ev.mutable_statement()->set_attestation_type(1);
  ev.mutable_statement()->set_evidence_hash(std::string(32, '\x05'));
  ev.mutable_statement()->set_expiry_height(500);
  ev.set_ref_height(chain.height());
  ev.set_ref_block_hash(str(test_block_hash(chain.height())));
  ev.mutable_statement()->set_signature(
      p256_sign_str(registrar().key, crypto::sha256(registrar_statement_message(kChain, ev))));
  ev.set_pop_signature(p256_sign_str(dkey, crypto::sha256(registration_message(kChain, ev, owner))));
  return ev;
}

TEST_F(DepinApply, RegisterDeviceByRegistrarStatementRecordsExpiry) {
  const auto dkey = p256_key_of(0x21);
  const Address bob = address_of_key(kBob);
  pb::AttestationEvidence ev = registrar_ev(chain_, dkey, bob);
  const pb::Location loc = h3(0x8928308280fffffULL);
  pb::Receipt r = expect_ok(
      chain_.register_tx(kBob, ev, loc, p256_sign_str(dkey, DepinChain::location_digest_of(ev, loc))));
  const Address id = device_id_of(pb::REGISTRAR_STATEMENT, p256_pub(dkey));
  EXPECT_EQ(r.device_id(), str(id));
  auto dev = chain_.device(id);
  ASSERT_TRUE(dev.has_value());
  EXPECT_EQ(dev->statement_expiry(), 500u);
  EXPECT_EQ(dev->anchor_id(), str(registrar().id));
  ASSERT_EQ(dev->key_ids_size(), 2);
  EXPECT_EQ(dev->key_ids(0), str(raw_key_id(p256_pub(dkey))));
  EXPECT_EQ(dev->key_ids(1), str(crypto::spki_id(crypto::p256_spki_der(p256_pub(dkey)))));
  EXPECT_EQ(dev->location().h3_cell(), 0x8928308280fffffULL);
  EXPECT_EQ(chain_.get(anchor_index(registrar().id, id)), kIndexMarker);
}

TEST_F(DepinApply, DeviceExists) {
  Dev d = make_device(maker_a(), 0x22);
  register_ok(kAlice, d);
  // The same device again, even for another owner with a valid PoP.
  expect_failed_only_fee(kBob, chain_.register_tx(kBob, d, maker_a()), TxFailReason::kAttestationFailed,
                         static_cast<uint32_t>(AttestReject::kDeviceExists));
  EXPECT_EQ(chain_.device(d.id)->owner(), str(address_of_key(kAlice)));
  EXPECT_FALSE(chain_.get(owner_index(address_of_key(kBob), d.id)).has_value());
}

// One key, one device: the device id includes the evidence kind, but the same key cannot register again
// under another kind (it would earn twice), in either order.
TEST_F(DepinApply, SameKeyUnderAnotherKindIsRejected) {
  Dev d = make_device(maker_a(), 0x27);
  register_ok(kAlice, d);
  expect_failed_only_fee(
      kAlice, chain_.register_tx(kAlice, registrar_ev(chain_, d.key, address_of_key(kAlice))),
      TxFailReason::kAttestationFailed, static_cast<uint32_t>(AttestReject::kKeyAlreadyRegistered));
  EXPECT_FALSE(chain_.device(device_id_of(pb::REGISTRAR_STATEMENT, d.pub)).has_value());

  Dev e = make_device(maker_a(), 0x28);  // registrar statement first, then a secure-element chain
  expect_ok(chain_.register_tx(kBob, registrar_ev(chain_, e.key, address_of_key(kBob))));
  expect_failed_only_fee(kBob, chain_.register_tx(kBob, e, maker_a()), TxFailReason::kAttestationFailed,
                         static_cast<uint32_t>(AttestReject::kKeyAlreadyRegistered));
  EXPECT_FALSE(chain_.device(e.id).has_value());
  const Address e_id = device_id_of(pb::REGISTRAR_STATEMENT, e.pub);
  EXPECT_EQ(chain_.get(device_key_index_key(raw_key_id(e.pub))), Bytes(e_id.begin(), e_id.end()));
}

// Either id form of a device key (SHA-256 of its SPKI or of its raw bytes) revokes it, whatever the kind.
TEST_F(DepinApply, RevokedDeviceKeyByEitherFormBlocksRegistration) {
  Dev d = make_device(maker_a(), 0x29);
  expect_ok(chain_.revoke_key_tx(kGovernance, raw_key_id(d.pub)));
  expect_failed_only_fee(kAlice, chain_.register_tx(kAlice, d, maker_a()), TxFailReason::kAttestationFailed,
                         static_cast<uint32_t>(AttestReject::kKeyRevoked));
  const auto rkey = p256_key_of(0x2a);
  expect_ok(chain_.revoke_key_tx(kGovernance, crypto::spki_id(crypto::p256_spki_der(p256_pub(rkey)))));
  expect_failed_only_fee(kAlice,
                         chain_.register_tx(kAlice, registrar_ev(chain_, rkey, address_of_key(kAlice))),
                         TxFailReason::kAttestationFailed, static_cast<uint32_t>(AttestReject::kKeyRevoked));
}

TEST_F(DepinApply, BadLocationAtRegistration) {
  Dev d = make_device(maker_a(), 0x23);
  const std::vector<std::pair<std::string, pb::Location>> bad = {
      {"lat > 90", latlon(900000001, 0)},
      {"lat < -90", latlon(-900000001, 0)},
      {"lon > 180", latlon(0, 1800000001)},
      {"h3 res-9 cell with a res-10 digit set", h3(0x8928308280fffffULL & ~0x7ULL)},
      {"h3 mode 0", h3(0x0928308280fffffULL)},
      {"empty location", pb::Location()},
  };
  for (const auto& [what, loc] : bad) {
    SCOPED_TRACE(what);
    expect_failed_only_fee(kAlice, chain_.register_tx(kAlice, d, maker_a(), loc),
                           TxFailReason::kAttestationFailed,
                           static_cast<uint32_t>(AttestReject::kBadLocation));
  }
  EXPECT_FALSE(chain_.device(d.id).has_value());
  // Boundaries are valid.
  register_ok(kAlice, d, latlon(-900000000, 1800000000));
}

TEST_F(DepinApply, AttestationFailedCarriesTheAttestReject) {
  Dev d = make_device(maker_a(), 0x24);
  {  // PoP for another owner
    pb::AttestationEvidence ev = chain_.evidence(d, maker_a(), address_of_key(kBob));
    expect_failed_only_fee(kAlice, chain_.register_tx(kAlice, ev), TxFailReason::kAttestationFailed,
                           static_cast<uint32_t>(AttestReject::kBadPossessionSignature));
  }
  {  // a maker not on chain
    Dev other = make_device(maker_b(), 0x25);
    expect_failed_only_fee(kAlice, chain_.register_tx(kAlice, other, maker_b()),
                           TxFailReason::kAttestationFailed,
                           static_cast<uint32_t>(AttestReject::kUnknownAnchor));
  }
  {  // a reference to the including block itself
    pb::AttestationEvidence ev = chain_.evidence(d, maker_a(), address_of_key(kAlice));
    ev.set_ref_height(chain_.height() + 1);
    ev.set_ref_block_hash(str(test_block_hash(chain_.height() + 1)));
    ev.set_pop_signature(
        p256_sign_str(d.key, crypto::sha256(registration_message(kChain, ev, address_of_key(kAlice)))));
    expect_failed_only_fee(kAlice, chain_.register_tx(kAlice, ev), TxFailReason::kAttestationFailed,
                           static_cast<uint32_t>(AttestReject::kFutureReference));
  }
  {  // a reference hash that is not the chain's
    pb::AttestationEvidence ev = chain_.evidence(d, maker_a(), address_of_key(kAlice));
    ev.set_ref_block_hash(std::string(32, '\x01'));
    ev.set_pop_signature(
        p256_sign_str(d.key, crypto::sha256(registration_message(kChain, ev, address_of_key(kAlice)))));
    expect_failed_only_fee(kAlice, chain_.register_tx(kAlice, ev), TxFailReason::kAttestationFailed,
                           static_cast<uint32_t>(AttestReject::kWrongRefHash));
  }
  EXPECT_FALSE(chain_.device(d.id).has_value());
  EXPECT_FALSE(chain_.get(owner_index(address_of_key(kAlice), d.id)).has_value());
  EXPECT_FALSE(chain_.get(anchor_index(maker_a().id, d.id)).has_value());
}

TEST_F(DepinApply, RevocationEarlierInTheBlockAppliesToLaterTransactions) {
  Dev d = make_device(maker_a(), 0x26);
  auto revoke = chain_.revoke_anchor_tx(kGovernance, maker_a().id);
  auto reg = chain_.register_tx(kAlice, d, maker_a());
  BlockResult b = chain_.block({revoke, reg});
  ASSERT_EQ(b.receipts.size(), 2u);
  EXPECT_EQ(b.receipts[0].status(), 0u);
  EXPECT_EQ(b.receipts[1].status(), 1u);
  EXPECT_EQ(b.receipts[1].reason(), static_cast<uint32_t>(TxFailReason::kAttestationFailed));
  EXPECT_EQ(b.receipts[1].detail(), static_cast<uint32_t>(AttestReject::kAnchorRevoked));
}

// Locations are the device's word (doc/depin.md "Locations"): the owner cannot set one, whatever else
// the update does; the device asserts it with a LOCATION_ASSERTION proof (test_depin_location.cpp).
TEST_F(DepinApply, UpdateDeviceLocationIsRefused) {
  Dev d = make_device(maker_a(), 0x30);
  register_ok(kAlice, d, latlon(5, 5));
  expect_failed_only_fee(kAlice, chain_.update_tx(kAlice, d.id, latlon(-338688000, 1512093000)),
                         TxFailReason::kLocationByDevice);
  expect_failed_only_fee(kAlice, chain_.update_tx(kAlice, d.id, h3(0x872830828ffffffULL), address_of_key(kBob)),
                         TxFailReason::kLocationByDevice);
  EXPECT_EQ(chain_.device(d.id)->location().latlon().lat_e7(), 5);
  EXPECT_EQ(chain_.device(d.id)->owner(), str(address_of_key(kAlice)));
}

// A registration's location needs the device key's signature over the location message with the
// evidence's reference block: none, another key's, another location's, or a high-S one is refused.
TEST_F(DepinApply, RegistrationLocationNeedsTheDeviceSignature) {
  Dev d = make_device(maker_a(), 0x3a);
  Dev other = make_device(maker_a(), 0x3b);
  const pb::Location loc = latlon(100, 200);
  const pb::AttestationEvidence ev = chain_.evidence(d, maker_a(), address_of_key(kAlice));
  const Hash32 digest = DepinChain::location_digest_of(ev, loc);
  const std::string good = p256_sign_str(d.key, digest);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"no signature", ""},
      {"another key", p256_sign_str(other.key, digest)},
      {"another location", p256_sign_str(d.key, DepinChain::location_digest_of(ev, latlon(100, 201)))},
      {"high S", [&] {
         std::string s = good;
         int borrow = 0;
         for (int i = 31; i >= 0; --i) {
           const size_t j = static_cast<size_t>(i);
           int v = static_cast<int>(crypto::kP256Order[j]) - static_cast<uint8_t>(good[32 + j]) - borrow;
           borrow = v < 0 ? 1 : 0;
           s[32 + j] = static_cast<char>(static_cast<uint8_t>(v + (borrow ? 256 : 0)));
         }
         return s;
       }()},
  };
  for (const auto& [what, sig] : bad) {
    SCOPED_TRACE(what);
    expect_failed_only_fee(kAlice, chain_.register_tx(kAlice, ev, loc, sig), TxFailReason::kAttestationFailed,
                           static_cast<uint32_t>(AttestReject::kBadLocationSignature));
  }
  EXPECT_FALSE(chain_.device(d.id).has_value());
  expect_ok(chain_.register_tx(kAlice, ev, loc, good));
  EXPECT_EQ(chain_.device(d.id)->location().latlon().lon_e7(), 200);
  EXPECT_EQ(chain_.device(d.id)->location_asserted_at(), chain_.height());
}

TEST_F(DepinApply, UpdateDeviceNewOwnerMovesTheIndex) {
  Dev d = make_device(maker_a(), 0x31);
  register_ok(kAlice, d);
  const Address alice = address_of_key(kAlice), bob = address_of_key(kBob);
  WriteSet writes;
  pb::Receipt r = chain_.run(chain_.update_tx(kAlice, d.id, std::nullopt, bob), &writes);
  EXPECT_EQ(r.status(), 0u) << receipt_message(r);
  EXPECT_EQ(chain_.device(d.id)->owner(), str(bob));
  // The old index key is deleted (empty value in the write set), the new one set.
  ASSERT_TRUE(writes.count(owner_index(alice, d.id)));
  EXPECT_TRUE(writes.at(owner_index(alice, d.id)).empty());
  EXPECT_EQ(chain_.get(owner_index(bob, d.id)), kIndexMarker);
  EXPECT_EQ(chain_.get(anchor_index(maker_a().id, d.id)), kIndexMarker);
  // The old owner lost control; the new owner has it.
  expect_failed_only_fee(kAlice, chain_.update_tx(kAlice, d.id, std::nullopt, alice), TxFailReason::kNotOwner);
  expect_ok(chain_.update_tx(kBob, d.id, std::nullopt, alice));
}

TEST_F(DepinApply, UpdateDeviceDeactivate) {
  Dev d = make_device(maker_a(), 0x32);
  register_ok(kAlice, d);
  expect_ok(chain_.update_tx(kAlice, d.id, std::nullopt, std::nullopt, true));
  EXPECT_TRUE(chain_.device(d.id)->inactive());
  // An inactive device cannot be updated any more (nor re-registered: its id is taken).
  expect_failed_only_fee(kAlice, chain_.update_tx(kAlice, d.id, std::nullopt, address_of_key(kBob)),
                         TxFailReason::kDeviceInactive);
  expect_failed_only_fee(kAlice, chain_.register_tx(kAlice, d, maker_a()), TxFailReason::kAttestationFailed,
                         static_cast<uint32_t>(AttestReject::kDeviceExists));
}

TEST_F(DepinApply, UpdateDeviceNotOwner) {
  Dev d = make_device(maker_a(), 0x33);
  register_ok(kAlice, d, latlon(10, 10));
  expect_failed_only_fee(kBob, chain_.update_tx(kBob, d.id, std::nullopt, address_of_key(kBob)),
                         TxFailReason::kNotOwner);
  expect_failed_only_fee(kBob, chain_.update_tx(kBob, d.id, std::nullopt, std::nullopt, true),
                         TxFailReason::kNotOwner);
  auto dev = chain_.device(d.id);
  EXPECT_EQ(dev->owner(), str(address_of_key(kAlice)));
  EXPECT_EQ(dev->location().latlon().lat_e7(), 10);
  EXPECT_FALSE(dev->inactive());
}

TEST_F(DepinApply, UpdateDeviceUnknownDevice) {
  expect_failed_only_fee(kAlice, chain_.update_tx(kAlice, fixed_address(0xab), std::nullopt, std::nullopt, true),
                         TxFailReason::kUnknownDevice);
  pb::TxBody body;
  body.mutable_update_device()->set_device_id(std::string(19, '\x01'));
  body.mutable_update_device()->set_deactivate(true);
  // Malformed at decode (primitives/tx_fields.h); the VM's own check, without decoding.
  expect_failed_only_fee(kAlice, chain_.tx_without_decode(kAlice, body), TxFailReason::kUnknownDevice);
}

TEST_F(DepinApply, UpdateDeviceMalformedNewOwnerFailsWithoutPartialWrites) {
  Dev d = make_device(maker_a(), 0x35);
  register_ok(kAlice, d, latlon(5, 5));
  pb::TxBody body;
  body.mutable_update_device()->set_device_id(str(d.id));
  *body.mutable_update_device()->mutable_location() = latlon(7, 7);
  body.mutable_update_device()->set_new_owner(std::string(19, '\x01'));
  VerifiedTx tx = chain_.tx_without_decode(kAlice, body);  // decode_tx refuses it (tx_fields.h)
  WriteSet writes;
  pb::Receipt r = chain_.run(tx, &writes);
  EXPECT_EQ(r.status(), 1u);
  EXPECT_NE(r.reason(), 0u);
  EXPECT_FALSE(writes.count(device_key(d.id)));
  EXPECT_EQ(chain_.device(d.id)->location().latlon().lat_e7(), 5);
}

// ---------------------------------------------------------------- batch sizes

TEST_F(DepinApply, BadBatchSize) {
  pb::TxBody empty_proofs;
  empty_proofs.mutable_submit_proofs();
  expect_failed_only_fee(kRelayer, chain_.tx(kRelayer, empty_proofs), TxFailReason::kBadBatchSize);
  pb::TxBody too_many;
  for (int i = 0; i < 5; ++i) {  // max_proofs_per_tx 4; the proofs' fields have their sizes (tx_fields.h)
    pb::Proof* p = too_many.mutable_submit_proofs()->add_proofs();
    p->set_device_id(std::string(20, '\x01'));
    p->set_seq(1);
    p->set_ref_block_hash(std::string(32, '\x02'));
    p->set_signature(std::string(64, '\x03'));
  }
  expect_failed_only_fee(kRelayer, chain_.tx(kRelayer, too_many), TxFailReason::kBadBatchSize);
  pb::TxBody empty_claim;
  empty_claim.mutable_claim_rewards();
  expect_failed_only_fee(kRelayer, chain_.tx(kRelayer, empty_claim), TxFailReason::kBadBatchSize);
  pb::TxBody many_claims;
  for (int i = 0; i < 5; ++i) many_claims.mutable_claim_rewards()->add_device_ids(std::string(20, 'x'));
  expect_failed_only_fee(kRelayer, chain_.tx(kRelayer, many_claims), TxFailReason::kBadBatchSize);
}

TEST_F(DepinApply, ClaimRewardsForAnUnknownDeviceFails) {
  Dev d = make_device(maker_a(), 0x36);
  register_ok(kAlice, d);
  pb::TxBody body;
  body.mutable_claim_rewards()->add_device_ids(str(d.id));
  body.mutable_claim_rewards()->add_device_ids(str(fixed_address(0xcd)));
  expect_failed_only_fee(kRelayer, chain_.tx(kRelayer, body), TxFailReason::kUnknownDevice);
}

TEST(DepinNames, TxFailReasonAndProofRejectNamesAreDistinct) {
  std::set<std::string_view> tx_names;
  for (uint32_t i = 0; i <= static_cast<uint32_t>(TxFailReason::kLocationByDevice); ++i)
    tx_names.insert(tx_fail_reason_name(static_cast<TxFailReason>(i)));
  EXPECT_EQ(tx_names.size(), static_cast<size_t>(TxFailReason::kLocationByDevice) + 1);
  EXPECT_FALSE(tx_names.count("unknown"));
  std::set<std::string_view> proof_names;
  for (uint32_t i = 0; i < kProofRejectCount; ++i)
    proof_names.insert(proof_reject_name(static_cast<ProofReject>(i)));
  EXPECT_EQ(proof_names.size(), kProofRejectCount);
  EXPECT_FALSE(proof_names.count("unknown"));
  EXPECT_EQ(proof_reject_name(ProofReject::kSignalTooStrong), "signal_too_strong");
  EXPECT_EQ(static_cast<uint32_t>(ProofReject::kSignalTooStrong), 20u);
}

}  // namespace
