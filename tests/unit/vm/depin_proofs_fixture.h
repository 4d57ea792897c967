// Shared fixture of the SubmitProofs tests (test_depin_proofs.cpp, test_depin_witness.cpp): a chain with
// devices at known places under two makers and a registrar, signers for P-256 and secp256k1 device keys,
// proof builders, and EXPECT_PROOF. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "depin_test_chain.h"
#include "vm/beacon.h"

namespace physis::vm::proofs_test {

using namespace physis;
using namespace physis::vm;
using namespace physis::vm::depin_test;

inline constexpr uint64_t kEpochBlocks = 10;
inline constexpr uint64_t kRefWindow = 8;
inline constexpr uint64_t kUptimeInterval = 3;
inline constexpr uint32_t kMaxWitnesses = 2;
inline constexpr uint64_t kLocationCooldown = 5;
inline constexpr uint64_t kRelocationSettle = 4;
inline constexpr Amount kUsagePrice = 1'000'000;  // per MiB, per byte rounded up
const crypto::PrivateKey kConsumer = acct_key(0x65);  // pays for data; owns no device
inline constexpr uint64_t kDensityCell = 100'000;  // 0.01°: w_ and c_ share a cell in Berlin
inline constexpr uint64_t kBeaconWindow = 3;
// Every device is challenged at every height (a saturated threshold) unless a test asks for fewer.
inline constexpr uint64_t kAlwaysChallenged = kEpochBlocks;

inline Genesis proofs_genesis(uint64_t device_epoch_cap = 1000, uint64_t target_devices_per_cell = 10,
                              uint64_t beacons_per_epoch = kAlwaysChallenged) {
  Genesis g = depin_base_genesis();
  g.depin.beacons_per_device_per_epoch = beacons_per_epoch;
  g.depin.beacon_window_blocks = kBeaconWindow;
  g.depin.epoch_blocks = kEpochBlocks;
  g.depin.emission_per_epoch = 1'000'000;
  g.depin.ref_window = kRefWindow;
  g.depin.uptime_interval_blocks = kUptimeInterval;
  g.depin.max_witnesses_per_beacon = kMaxWitnesses;
  g.depin.location_cooldown_blocks = kLocationCooldown;
  g.depin.relocation_settle_blocks = kRelocationSettle;
  g.depin.density_cell_e7 = kDensityCell;
  g.depin.target_devices_per_cell = target_devices_per_cell;
  g.depin.max_proofs_per_tx = 50;
  g.depin.weight_uptime = 10;
  g.depin.weight_witness = 20;
  g.depin.weight_data_per_mib = 5;
  g.depin.device_epoch_cap = device_epoch_cap;
  g.depin.witness_min_distance_m = 30;
  g.depin.witness_max_distance_m = 100'000;
  g.depin.witness_rssi_at_1m_dbm = -10;
  g.depin.usage_price_per_mib = kUsagePrice;
  g.accounts.push_back({"consumer", address_of_key(kConsumer), kFunds});
  std::sort(g.accounts.begin(), g.accounts.end(), [](auto& a, auto& b) { return a.address < b.address; });
  g.depin.anchors.push_back(genesis_anchor(maker_a(), pb::MANUFACTURER_ROOT, pb::SE_P256, "maker A"));
  g.depin.anchors.push_back(genesis_anchor(maker_b(), pb::MANUFACTURER_ROOT, pb::SE_P256, "maker B"));
  g.depin.anchors.push_back(genesis_anchor(registrar(), pb::REGISTRAR, pb::REGISTRAR_STATEMENT, "registrar"));
  return g;
}

// A device key that signs proofs: P-256 (secure element or registrar) or secp256k1 (registrar).
struct Signer {
  uint32_t key_type = pb::KEY_P256;
  crypto::P256PrivateKey p256{};
  crypto::PrivateKey k1{};
  Bytes pub() const {
    if (key_type == pb::KEY_P256) {
      auto p = p256_pub(p256);
      return Bytes(p.begin(), p.end());
    }
    Bytes b{0x04};
    append(b, *crypto::public_key_of(k1));
    return b;
  }
  std::string sign(const Hash32& digest) const {
    if (key_type == pb::KEY_P256) return p256_sign_str(p256, digest);
    return str(crypto::sign_compact(k1, digest));
  }
};

struct Prover {
  Address id{};
  Signer signer;
};
inline Prover prover_of(const Dev& d) { return {d.id, Signer{pb::KEY_P256, d.key, {}}}; }

// s' = n − s on a 64-byte r ‖ s signature.
inline std::string negate_s(const std::string& sig, const std::array<uint8_t, 32>& n) {
  std::string out = sig;
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    const size_t j = static_cast<size_t>(i);
    int v = static_cast<int>(n[j]) - static_cast<uint8_t>(sig[32 + j]) - borrow;
    borrow = v < 0 ? 1 : 0;
    out[32 + j] = static_cast<char>(static_cast<uint8_t>(v + (borrow ? 256 : 0)));
  }
  return out;
}
inline constexpr std::array<uint8_t, 32> kSecp256k1Order = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};

inline pb::ProofPayload uptime(uint64_t seconds = 3600) {
  pb::ProofPayload p;
  p.set_kind(pb::UPTIME);
  p.set_uptime_seconds(seconds);
  return p;
}
inline pb::ProofPayload data(uint64_t bytes) {
  pb::ProofPayload p;
  p.set_kind(pb::DATA_CONTRIBUTION);
  p.set_data_bytes(bytes);
  return p;
}
inline pb::ProofPayload witness(const Address& beaconer, int32_t rssi_dbm, int32_t snr_db_x10 = 55) {
  pb::ProofPayload p;
  p.set_kind(pb::COVERAGE_WITNESS);
  p.set_beaconer(str(beaconer));
  p.set_rssi_dbm(rssi_dbm);
  p.set_snr_db_x10(snr_db_x10);
  return p;
}

// Challenged beacons (doc/depin.md "Beacons").
inline pb::ProofPayload beacon_payload(uint64_t challenge_height, const Hash32& secret) {
  pb::ProofPayload p;
  p.set_kind(pb::BEACON);
  p.set_challenge_height(challenge_height);
  p.set_commitment(str(beacon_commitment(secret)));
  return p;
}
inline pb::ProofPayload reveal_payload(uint64_t challenge_height, const Hash32& secret) {
  pb::ProofPayload p;
  p.set_kind(pb::BEACON_REVEAL);
  p.set_challenge_height(challenge_height);
  p.set_secret(str(secret));
  return p;
}
// A deterministic secret per device and challenge.
inline Hash32 test_secret(const Address& id, uint64_t h) {
  Bytes m(id.begin(), id.end());
  append_u64_be(m, h);
  m.push_back(0x5e);
  return crypto::sha256(m);
}

// A location assertion by the device (doc/depin.md "Locations").
inline pb::ProofPayload locate(const pb::Location& where) {
  pb::ProofPayload p;
  p.set_kind(pb::LOCATION_ASSERTION);
  *p.mutable_location() = where;
  return p;
}

// Berlin and points at known offsets from it.
inline constexpr int32_t kBerlinLat = 525200000, kBerlinLon = 134050000;

using R = ProofReject;

// Members are public so that the table of scenarios (test_depin_witness.cpp) can drive a fresh fixture.
class DepinProofs : public ::testing::Test {
 public:
  explicit DepinProofs(uint64_t cap = 1000, uint64_t target = 10, uint64_t beacons = kAlwaysChallenged)
      : chain_(proofs_genesis(cap, target, beacons)) {
    chain_.block();                     // height 1
    // Alice owns the witness w_; Bob owns the devices it hears, so that the witness rules about
    // owners (witness_same_owner) only apply where a test asks for them.
    w_ = make_device(maker_a(), 0x50);  // the witness, in Berlin
    n_ = make_device(maker_a(), 0x51);  // ~1.1 km north of w
    c_ = make_device(maker_a(), 0x52);  // ~11 m north of w
    f_ = make_device(maker_a(), 0x53);  // Munich, ~504 km
    h_ = make_device(maker_a(), 0x54);  // H3 location only
    x_ = make_device(maker_a(), 0x55);  // no location
    b_ = make_device(maker_b(), 0x56);  // under maker B, ~680 m east of w
    v_ = make_device(maker_a(), 0x5a);  // Alice's second witness, ~1.1 km south of w
    u_ = make_device(maker_a(), 0x5b);  // the governance key's, ~680 m west of w: a third owner
    s_.key_type = pb::KEY_P256;
    s_.p256 = p256_key_of(0x57);  // registrar statement, P-256, expires at kStatementExpiry
    k_.key_type = pb::KEY_SECP256K1;
    k_.k1.fill(0x58);  // registrar statement, secp256k1
    std::vector<VerifiedTx> txs{
        chain_.register_tx(kAlice, w_, maker_a(), latlon(kBerlinLat, kBerlinLon)),
        chain_.register_tx(kBob, n_, maker_a(), latlon(kBerlinLat + 100000, kBerlinLon)),
        chain_.register_tx(kBob, c_, maker_a(), latlon(kBerlinLat + 100, kBerlinLon)),
        chain_.register_tx(kBob, f_, maker_a(), latlon(481351000, 115820000)),
        chain_.register_tx(kBob, h_, maker_a(), h3(0x891f1d48177ffffULL)),
        chain_.register_tx(kBob, x_, maker_a()),
        chain_.register_tx(kBob, b_, maker_b(), latlon(kBerlinLat, kBerlinLon + 100000)),
        chain_.register_tx(kBob, registrar_evidence(s_, kStatementExpiry, address_of_key(kBob))),
        chain_.register_tx(kBob, registrar_evidence(k_, 100000, address_of_key(kBob))),
        chain_.register_tx(kAlice, v_, maker_a(), latlon(kBerlinLat - 100000, kBerlinLon)),
        chain_.register_tx(kGovernance, u_, maker_a(), latlon(kBerlinLat, kBerlinLon - 100000)),
    };
    BlockResult r = chain_.block(txs);  // height 2
    for (const auto& rc : r.receipts) EXPECT_EQ(rc.status(), 0u) << receipt_message(rc);
    s_id_ = device_id_of(pb::REGISTRAR_STATEMENT, s_.pub());
    k_id_ = device_id_of(pb::REGISTRAR_STATEMENT, k_.pub());
  }

  pb::AttestationEvidence registrar_evidence(const Signer& s, uint64_t expiry, const Address& owner) const {
    pb::AttestationEvidence ev;
    ev.set_kind(pb::REGISTRAR_STATEMENT);
    ev.set_device_class(2);
    ev.set_key_type(static_cast<pb::KeyType>(s.key_type));
    ev.set_device_key(str(s.pub()));
    ev.set_anchor_id(str(registrar().id));
    ev.mutable_statement()->set_attestation_type(4);
    ev.mutable_statement()->set_evidence_hash(std::string(32, '\x09'));
    ev.mutable_statement()->set_expiry_height(expiry);
    ev.set_ref_height(chain_.height());
    ev.set_ref_block_hash(str(test_block_hash(chain_.height())));
    ev.mutable_statement()->set_signature(
        p256_sign_str(registrar().key, crypto::sha256(registrar_statement_message(kChain, ev))));
    ev.set_pop_signature(s.sign(crypto::sha256(registration_message(kChain, ev, owner))));
    return ev;
  }

  // A proof bound to `ref` (default: the last block, so it is recent in the next block).
  pb::Proof proof(const Prover& p, uint64_t seq, const pb::ProofPayload& payload,
                  std::optional<uint64_t> ref = std::nullopt) const {
    const uint64_t ref_height = ref.value_or(chain_.height());
    pb::Proof pr;
    pr.set_device_id(str(p.id));
    pr.set_seq(seq);
    pr.set_epoch(ref_height / kEpochBlocks);
    pr.set_ref_height(ref_height);
    pr.set_ref_block_hash(str(test_block_hash(ref_height)));
    *pr.mutable_payload() = payload;
    // A data contribution without a receipt gets one from kConsumer (paid usage), unless the test
    // turned that off to send unpaid data.
    if (payload.kind() == pb::DATA_CONTRIBUTION && !payload.has_usage() && auto_usage_)
      attach_usage(*pr.mutable_payload(), p.id, kConsumer, ++usage_seq_, ref_height);
    // A witness without a receipt names the beaconer's open beacon (open_beacon) with the receipt of
    // its secret, or, without one, the last height and a receipt of nothing.
    if (payload.kind() == pb::COVERAGE_WITNESS && payload.beacon_receipt().empty()) {
      pb::ProofPayload& pl = *pr.mutable_payload();
      auto it = beacons_.find(payload.beaconer());
      if (it != beacons_.end()) {
        pl.set_challenge_height(it->second.first);
        pl.set_beacon_receipt(str(beacon_receipt(it->second.second, p.id)));
      } else {
        pl.set_challenge_height(chain_.height());
        pl.set_beacon_receipt(std::string(32, '\0'));
      }
    }
    sign(pr, p.signer);
    return pr;
  }
  static void sign(pb::Proof& pr, const Signer& s) { pr.set_signature(s.sign(proof_digest(kChain, pr))); }

  // Submits a batch from the relayer in its own block; the transaction itself must succeed. Without
  // `through_decode` the transaction skips decode_tx (DepinChain::tx_without_decode), for proofs whose
  // field sizes decode_tx refuses.
  pb::Receipt submit(const std::vector<pb::Proof>& proofs, bool through_decode = true) {
    pb::TxBody body;
    for (const auto& p : proofs) *body.mutable_submit_proofs()->add_proofs() = p;
    const Address relayer = address_of_key(kRelayer);
    const Amount before = chain_.balance(relayer);
    pb::Receipt r =
        chain_.run(through_decode ? chain_.tx(kRelayer, body) : chain_.tx_without_decode(kRelayer, body));
    EXPECT_EQ(r.status(), 0u) << receipt_message(r);
    // Per proof, and per payload byte beyond the free ones (vm/gas.h).
    uint64_t reveals = 0;
    for (const auto& p : proofs) reveals += p.payload().kind() == pb::BEACON_REVEAL ? 1 : 0;
    const uint64_t gas = gas::kSubmitProofsBase + gas::kPerProof * proofs.size() + gas::kPerBeaconReveal * reveals +
                         gas::payload_byte_gas(payload_bytes(body));
    EXPECT_EQ(r.gas_used(), gas);
    EXPECT_TRUE(chain_.balance(relayer) == before - gas);  // the relayer pays, accepted or not
    EXPECT_EQ(r.proofs_size(), static_cast<int>(proofs.size()));
    for (int i = 0; i < r.proofs_size(); ++i) {
      EXPECT_EQ(r.proofs(i).index(), static_cast<uint32_t>(i));
      EXPECT_EQ(r.proofs(i).device_id(), proofs[static_cast<size_t>(i)].device_id());
      EXPECT_EQ(r.proofs(i).seq(), proofs[static_cast<size_t>(i)].seq());
    }
    return r;
  }
  // The reason of a single proof submitted alone.
  R submit_one(const pb::Proof& p) {
    pb::Receipt r = submit({p});
    return r.proofs_size() == 1 ? static_cast<R>(r.proofs(0).reason()) : R::kMalformed;
  }
  static std::vector<uint32_t> reasons(const pb::Receipt& r) {
    std::vector<uint32_t> out;
    for (const auto& p : r.proofs()) out.push_back(p.reason());
    return out;
  }

  uint64_t next_seq(const Address& id) const { return chain_.device(id)->seq() + 1; }

  // Records a BEACON for `d` challenged at `h` (default: the last block) in its own block; the
  // fixture then fills witnesses of `d` with that beacon's receipts. Returns the BEACON's reason.
  R open_beacon(const Dev& d, std::optional<uint64_t> h = std::nullopt) {
    const uint64_t at = h.value_or(chain_.height());
    const Hash32 secret = test_secret(d.id, at);
    const R r = submit_one(proof(prover_of(d), next_seq(d.id), beacon_payload(at, secret)));
    if (r == R::kAccepted) beacons_[str(d.id)] = {at, secret};
    return r;
  }
  // Reveals `d`'s open beacon in the first block after its window (advancing the chain); the receipt
  // of the reveal's batch.
  pb::Receipt reveal(const Dev& d) {
    const auto [h, secret] = beacons_.at(str(d.id));
    advance_to(h + kBeaconWindow);  // the reveal is included in the next block, h + window + 1
    pb::Receipt r = submit({proof(prover_of(d), next_seq(d.id), reveal_payload(h, secret))});
    beacons_.erase(str(d.id));
    return r;
  }
  pb::EpochRecord epoch_record(uint64_t e) const {
    return load_record<pb::EpochRecord>(StateView(chain_), epoch_key(e)).value_or(pb::EpochRecord());
  }
  // Adapts the chain's reads to a StateReader.
  class StateView final : public StateReader {
   public:
    explicit StateView(const DepinChain& c) : c_(c) {}
    std::optional<Bytes> get(const Bytes& key) const override { return c_.get(key); }

   private:
    const DepinChain& c_;
  };
  void advance_to(uint64_t height) {
    while (chain_.height() < height) chain_.block();
  }

  bool auto_usage_ = true;
  std::map<std::string, std::pair<uint64_t, Hash32>> beacons_;  // beaconer → (challenge height, secret)
  mutable uint64_t usage_seq_ = 0;  // kConsumer's receipt seq (gaps are allowed)
  static constexpr uint64_t kStatementExpiry = 12;
  DepinChain chain_;
  Dev w_, n_, c_, f_, h_, x_, b_, v_, u_;
  Signer s_, k_;
  Address s_id_{}, k_id_{};
};

#define EXPECT_PROOF(reason_expr, expected)                                                   \
  do {                                                                                        \
    const R got_ = (reason_expr);                                                             \
    EXPECT_EQ(static_cast<uint32_t>(got_), static_cast<uint32_t>(expected))                   \
        << "got " << proof_reject_name(got_) << ", expected " << proof_reject_name(expected); \
  } while (0)

}  // namespace physis::vm::proofs_test
