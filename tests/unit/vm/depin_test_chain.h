// Shared test chain for the DePIN VM tests: accounts, manufacturer roots with certificate chains,
// devices, and DepinChain, which applies blocks to an in-memory state through apply_block.
// Test-only; each test file includes it inside its own anonymous namespace.
#pragma once

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
#include "vm/geo.h"
#include "vm/reason_text.h"
#include "vm/state.h"

namespace physis::vm::depin_test {

using namespace physis;
using namespace physis::vm;

const std::string kChain = "physis-depin-test-1";
const Amount kFunds = static_cast<Amount>(1'000'000'000'000ULL);

inline crypto::PrivateKey acct_key(uint8_t n) {
  crypto::PrivateKey k{};
  k[31] = n;
  return k;
}
inline Address address_of_key(const crypto::PrivateKey& k) {
  return crypto::address_of(*crypto::public_key_of(k));
}

const crypto::PrivateKey kGovernance = acct_key(0x60);
const crypto::PrivateKey kAlice = acct_key(0x61);
const crypto::PrivateKey kBob = acct_key(0x62);
const crypto::PrivateKey kRelayer = acct_key(0x63);
const crypto::PrivateKey kProposer = acct_key(0x64);

inline Address fixed_address(uint8_t b) {
  Address a{};
  a.fill(b);
  return a;
}
const Address kTreasury = fixed_address(0x7e);

inline crypto::P256PrivateKey p256_key_of(uint8_t b) {
  crypto::P256PrivateKey k{};
  k.fill(b);
  return k;
}
inline crypto::P256PublicKey p256_pub(const crypto::P256PrivateKey& k) {
  return crypto::p256_public_key(k).value();
}
inline std::string str(ByteSpan b) { return to_string(b); }

inline std::string p256_sign_str(const crypto::P256PrivateKey& k, const Hash32& digest) {
  auto sig = crypto::p256_sign(k, digest);
  EXPECT_TRUE(sig.ok());
  return sig.ok() ? str(*sig) : std::string(64, '\0');
}

inline Hash32 test_block_hash(uint64_t h) {
  Bytes m;
  append_u64_be(m, h);
  m.push_back(0xb0);  // domain byte: test block hashes
  return crypto::keccak256(m);
}

// A manufacturer root (a CA key) and the devices it certifies directly: chain = [leaf].
struct Maker {
  crypto::P256PrivateKey key{};
  Bytes spki;
  Hash32 id{};
};
inline Maker make_maker(uint8_t seed) {
  Maker m;
  m.key = p256_key_of(seed);
  m.spki = crypto::p256_spki_der(p256_pub(m.key));
  m.id = crypto::spki_id(m.spki);
  return m;
}

struct Dev {
  crypto::P256PrivateKey key{};
  crypto::P256PublicKey pub{};
  Bytes cert;
  Address id{};
};
inline Dev make_device(const Maker& maker, uint8_t seed) {
  Dev d;
  d.key = p256_key_of(seed);
  d.pub = p256_pub(d.key);
  crypto::CertSpec spec;
  spec.serial = seed;
  spec.issuer_cn = "Physis TEST Maker Root";
  spec.subject_cn = "Physis TEST Device " + std::to_string(seed);
  spec.subject_key = d.pub;
  auto cert = crypto::build_certificate(spec, maker.key);
  EXPECT_TRUE(cert.ok()) << (cert.ok() ? "" : cert.error().message);
  if (cert.ok()) d.cert = *cert;
  d.id = device_id_of(pb::SE_P256, d.pub);
  return d;
}

inline GenesisAnchor genesis_anchor(const Maker& m, uint32_t role, uint32_t kind, std::string name) {
  GenesisAnchor a;
  a.name = std::move(name);
  a.spki = m.spki;
  a.role = role;
  a.kinds = {kind};
  a.max_chain_len = 3;
  return a;
}

inline pb::Location latlon(int32_t lat_e7, int32_t lon_e7) {
  pb::Location l;
  l.mutable_latlon()->set_lat_e7(lat_e7);
  l.mutable_latlon()->set_lon_e7(lon_e7);
  return l;
}
inline pb::Location h3(uint64_t cell) {
  pb::Location l;
  l.set_h3_cell(cell);
  return l;
}

// `body` on the test chain with `nonce`, its intrinsic gas and gas price 1, signed by `key` and verified.
inline VerifiedTx signed_test_tx(const ChainParams& params, uint64_t nonce, const crypto::PrivateKey& key,
                                 pb::TxBody body) {
  body.set_chain_id(kChain);
  body.set_nonce(nonce);
  body.set_gas_limit(intrinsic_gas(params, body));
  body.set_gas_price(1);
  auto v = decode_and_verify_tx(sign_tx(body, key));
  EXPECT_TRUE(v.ok()) << v.error().message;
  return std::move(v).value();
}

// A usage receipt (doc/depin.md "Usage") for `payload`'s data_bytes, signed by `consumer` for `device`
// with `seq` and reference block `ref` (test_block_hash).
inline void attach_usage(pb::ProofPayload& payload, const Address& device, const crypto::PrivateKey& consumer,
                         uint64_t seq, uint64_t ref) {
  pb::UsageReceipt* u = payload.mutable_usage();
  u->set_consumer(str(address_of_key(consumer)));
  u->set_data_bytes(payload.data_bytes());
  u->set_seq(seq);
  u->set_ref_height(ref);
  u->set_ref_block_hash(str(test_block_hash(ref)));
  u->set_signature(str(crypto::sign_digest(consumer, usage_digest(kChain, device, *u))));
}

// The DePIN tests' common genesis: validator kProposer, the governance key, Alice, Bob and the
// relayer funded with kFunds each (sorted, as parse_genesis requires), governance and treasury set.
// Tests then set the epoch, emission, weight and anchor parameters they are about.
inline Genesis depin_base_genesis() {
  Genesis g;
  g.chain_id = kChain;
  g.params.max_block_txs = 100;
  g.validators.push_back({"v0", address_of_key(kProposer), 1});
  for (const auto& k : {kGovernance, kAlice, kBob, kRelayer})
    g.accounts.push_back({"acct", address_of_key(k), kFunds});
  std::sort(g.accounts.begin(), g.accounts.end(), [](auto& a, auto& b) { return a.address < b.address; });
  g.depin.governance = address_of_key(kGovernance);
  g.depin.treasury = kTreasury;
  return g;
}

// An in-memory chain: genesis, then blocks applied one by one with distinct parent hashes.
class DepinChain {
 public:
  explicit DepinChain(Genesis g) : genesis_(std::move(g)) {
    BlockResult gs = genesis_state(genesis_);
    state_.apply(gs.writes);
    root_ = gs.state_root;
    for (const auto& v : genesis_.validators) validators_.emplace_back(v.address, v.power);
  }

  Result<BlockResult> try_block(const std::vector<VerifiedTx>& txs) const {
    BlockContext ctx{kChain, height_ + 1, address_of_key(kProposer), test_block_hash(height_), validators_};
    return apply_block(state_, root_, genesis_.params, genesis_.depin, ctx, txs, verifier_);
  }
  BlockResult block(const std::vector<VerifiedTx>& txs = {}) {
    auto r = try_block(txs);
    EXPECT_TRUE(r.ok()) << r.error().code << ": " << r.error().message;
    if (!r.ok()) return {};
    state_.apply(r->writes);
    root_ = r->state_root;
    ++height_;
    pending_nonce_.clear();
    return std::move(r).value();
  }
  // One transaction in its own block; returns its receipt.
  pb::Receipt run(const VerifiedTx& tx, WriteSet* writes = nullptr) {
    BlockResult r = block({tx});
    if (writes) *writes = r.writes;
    EXPECT_EQ(r.receipts.size(), 1u);
    return r.receipts.empty() ? pb::Receipt() : r.receipts[0];
  }

  // Signs `body` for `key` with the next nonce (counting transactions made for the coming block).
  VerifiedTx tx(const crypto::PrivateKey& key, pb::TxBody body) {
    const Address from = address_of_key(key);
    return signed_test_tx(genesis_.params, load_account(state_, from).nonce + pending_nonce_[from]++, key,
                          std::move(body));
  }
  // The same transaction built without decode_tx, for the VM's own checks of fields that decode_tx
  // already refuses (primitives/tx_fields.h): the VM must not rely on every caller having decoded.
  VerifiedTx tx_without_decode(const crypto::PrivateKey& key, pb::TxBody body) {
    const Address from = address_of_key(key);
    body.set_chain_id(kChain);
    body.set_nonce(load_account(state_, from).nonce + pending_nonce_[from]++);
    body.set_gas_limit(intrinsic_gas(genesis_.params, body));
    body.set_gas_price(1);
    VerifiedTx v;
    v.tx.raw = sign_tx(body, key);
    v.tx.hash = crypto::keccak256(v.tx.raw);
    v.tx.body = std::move(body);
    v.sender = from;
    return v;
  }

  // RegisterDevice evidence for `dev` under `maker`, bound to the last block, PoP for `owner`.
  pb::AttestationEvidence evidence(const Dev& dev, const Maker& maker, const Address& owner) const {
    pb::AttestationEvidence ev;
    ev.set_kind(pb::SE_P256);
    ev.set_device_class(1);
    ev.set_key_type(pb::KEY_P256);
    ev.set_device_key(str(dev.pub));
    ev.set_anchor_id(str(maker.id));
    ev.add_cert_chain(str(dev.cert));
    ev.set_ref_height(height_);
    ev.set_ref_block_hash(str(test_block_hash(height_)));
    ev.set_pop_signature(p256_sign_str(dev.key, crypto::sha256(registration_message(kChain, ev, owner))));
    return ev;
  }
  // With a location, the device key signs it (doc/depin.md "Locations") over the evidence's reference.
  VerifiedTx register_tx(const crypto::PrivateKey& owner, const Dev& dev, const Maker& maker,
                         std::optional<pb::Location> loc = std::nullopt) {
    pb::TxBody body;
    auto* reg = body.mutable_register_device();
    *reg->mutable_evidence() = evidence(dev, maker, address_of_key(owner));
    if (loc) {
      *reg->mutable_location() = *loc;
      reg->set_location_signature(p256_sign_str(dev.key, location_digest_of(reg->evidence(), *loc)));
    }
    return tx(owner, body);
  }
  // `location_signature` as given (the caller signs location_digest_of with the device key).
  VerifiedTx register_tx(const crypto::PrivateKey& owner, const pb::AttestationEvidence& ev,
                         std::optional<pb::Location> loc = std::nullopt, std::string location_signature = {}) {
    pb::TxBody body;
    *body.mutable_register_device()->mutable_evidence() = ev;
    if (loc) *body.mutable_register_device()->mutable_location() = *loc;
    body.mutable_register_device()->set_location_signature(std::move(location_signature));
    return tx(owner, body);
  }
  // The digest a device signs for a location given at registration with `ev`.
  static Hash32 location_digest_of(const pb::AttestationEvidence& ev, const pb::Location& loc) {
    return location_digest(kChain, device_id_of(ev.kind(), as_span(ev.device_key())), loc, ev.ref_height(),
                           as_span(ev.ref_block_hash()));
  }
  VerifiedTx update_tx(const crypto::PrivateKey& sender, const Address& id, std::optional<pb::Location> loc,
                       std::optional<Address> new_owner = std::nullopt, bool deactivate = false) {
    pb::TxBody body;
    auto* u = body.mutable_update_device();
    u->set_device_id(str(id));
    if (loc) *u->mutable_location() = *loc;
    if (new_owner) u->set_new_owner(str(*new_owner));
    if (deactivate) u->set_deactivate(true);
    return tx(sender, body);
  }
  VerifiedTx register_anchor_tx(const crypto::PrivateKey& sender, const pb::Anchor& a) {
    pb::TxBody body;
    *body.mutable_register_anchor()->mutable_anchor() = a;
    return tx(sender, body);
  }
  VerifiedTx revoke_anchor_tx(const crypto::PrivateKey& sender, ByteSpan id, uint64_t effective = 0) {
    pb::TxBody body;
    body.mutable_revoke_anchor()->set_anchor_id(str(id));
    if (effective) body.mutable_revoke_anchor()->set_effective_height(effective);
    return tx(sender, body);
  }
  VerifiedTx revoke_key_tx(const crypto::PrivateKey& sender, ByteSpan id, uint64_t effective = 0) {
    pb::TxBody body;
    body.mutable_revoke_key()->set_key_id(str(id));
    if (effective) body.mutable_revoke_key()->set_effective_height(effective);
    return tx(sender, body);
  }

  std::optional<pb::Device> device(const Address& id) const {
    return load_record<pb::Device>(state_, device_key(id));
  }
  std::optional<pb::Anchor> anchor(const Hash32& id) const {
    return load_record<pb::Anchor>(state_, anchor_key(id));
  }
  Amount balance(const Address& a) const { return load_account(state_, a).balance; }
  uint64_t nonce(const Address& a) const { return load_account(state_, a).nonce; }
  std::optional<Bytes> get(const Bytes& key) const { return state_.get(key); }
  // Writes a record straight into state, for a state no short test reaches through transactions
  // (e.g. a beacon with every pending slot taken).
  void put_for_test(const Bytes& key, const Bytes& value) { state_.apply(WriteSet{{key, value}}); }
  uint64_t height() const { return height_; }
  const Genesis& genesis() const { return genesis_; }

 private:
  Genesis genesis_;
  MemoryState state_;
  Hash32 root_{};
  uint64_t height_ = 0;
  std::vector<std::pair<Address, uint64_t>> validators_;
  std::map<Address, uint64_t> pending_nonce_;
  DirectSignatureVerifier verifier_;
};

inline const Maker& maker_a() {
  static const Maker m = make_maker(0x41);
  return m;
}
inline const Maker& maker_b() {
  static const Maker m = make_maker(0x42);
  return m;
}
inline const Maker& registrar() {
  static const Maker m = make_maker(0x43);
  return m;
}

}  // namespace physis::vm::depin_test
