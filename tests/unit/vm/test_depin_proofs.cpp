// SubmitProofs through apply_block (DESIGN §3, §5; doc/depin.md "Proofs"): every proof in a batch is
// accepted or rejected on its own and the receipt lists a ProofReject reason for each (receipt.proofs()[i]).
// Every ProofReject value has a test named after it; accepted proofs earn the per-kind weight, capped per
// device per epoch.
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
#include "vm/geo.h"
#include "vm/state.h"

using namespace physis;
using namespace physis::vm;

namespace {
using namespace physis::vm::depin_test;
constexpr uint64_t kEpochBlocks = 10;
constexpr uint64_t kRefWindow = 8;

Genesis proofs_genesis(uint64_t device_epoch_cap = 1000) {
  Genesis g;
  g.chain_id = kChain;
  g.params.max_block_txs = 100;
  g.validators.push_back({"v0", address_of_key(kProposer), 1});
  for (const auto& k : {kGovernance, kAlice, kBob, kRelayer})
    g.accounts.push_back({"acct", address_of_key(k), kFunds});
  std::sort(g.accounts.begin(), g.accounts.end(), [](auto& a, auto& b) { return a.address < b.address; });
  g.depin.governance = address_of_key(kGovernance);
  g.depin.treasury = kTreasury;
  g.depin.epoch_blocks = kEpochBlocks;
  g.depin.emission_per_epoch = 1'000'000;
  g.depin.ref_window = kRefWindow;
  g.depin.max_proofs_per_tx = 50;
  g.depin.weight_uptime = 10;
  g.depin.weight_witness = 20;
  g.depin.weight_data_per_mib = 5;
  g.depin.device_epoch_cap = device_epoch_cap;
  g.depin.witness_min_distance_m = 30;
  g.depin.witness_max_distance_m = 100'000;
  g.depin.witness_rssi_at_1m_dbm = -10;
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
Prover prover_of(const Dev& d) { return {d.id, Signer{pb::KEY_P256, d.key, {}}}; }

// s' = n − s on a 64-byte r ‖ s signature.
std::string negate_s(const std::string& sig, const std::array<uint8_t, 32>& n) {
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
constexpr std::array<uint8_t, 32> kSecp256k1Order = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};

pb::ProofPayload uptime(uint64_t seconds = 3600) {
  pb::ProofPayload p;
  p.set_kind(pb::UPTIME);
  p.set_uptime_seconds(seconds);
  return p;
}
pb::ProofPayload data(uint64_t bytes) {
  pb::ProofPayload p;
  p.set_kind(pb::DATA_CONTRIBUTION);
  p.set_data_bytes(bytes);
  return p;
}
pb::ProofPayload witness(const Address& beaconer, int32_t rssi_dbm) {
  pb::ProofPayload p;
  p.set_kind(pb::COVERAGE_WITNESS);
  p.set_beaconer(str(beaconer));
  p.set_rssi_dbm(rssi_dbm);
  p.set_snr_db_x10(55);
  return p;
}

// Berlin and points at known offsets from it.
constexpr int32_t kBerlinLat = 525200000, kBerlinLon = 134050000;

using R = ProofReject;

class DepinProofs : public ::testing::Test {
 protected:
  explicit DepinProofs(uint64_t cap = 1000) : chain_(proofs_genesis(cap)) {
    chain_.block();                     // height 1
    w_ = make_device(maker_a(), 0x50);  // the witness, in Berlin
    n_ = make_device(maker_a(), 0x51);  // ~1.1 km north of w
    c_ = make_device(maker_a(), 0x52);  // ~11 m north of w
    f_ = make_device(maker_a(), 0x53);  // Munich, ~504 km
    h_ = make_device(maker_a(), 0x54);  // H3 location only
    x_ = make_device(maker_a(), 0x55);  // no location
    b_ = make_device(maker_b(), 0x56);  // under maker B
    s_.key_type = pb::KEY_P256;
    s_.p256 = p256_key_of(0x57);  // registrar statement, P-256, expires at kStatementExpiry
    k_.key_type = pb::KEY_SECP256K1;
    k_.k1.fill(0x58);  // registrar statement, secp256k1
    std::vector<VerifiedTx> txs{
        chain_.register_tx(kAlice, w_, maker_a(), latlon(kBerlinLat, kBerlinLon)),
        chain_.register_tx(kAlice, n_, maker_a(), latlon(kBerlinLat + 100000, kBerlinLon)),
        chain_.register_tx(kAlice, c_, maker_a(), latlon(kBerlinLat + 100, kBerlinLon)),
        chain_.register_tx(kAlice, f_, maker_a(), latlon(481351000, 115820000)),
        chain_.register_tx(kAlice, h_, maker_a(), h3(0x891f1d48177ffffULL)),
        chain_.register_tx(kAlice, x_, maker_a()),
        chain_.register_tx(kBob, b_, maker_b(), latlon(kBerlinLat, kBerlinLon + 100000)),
        chain_.register_tx(kBob, registrar_evidence(s_, kStatementExpiry, address_of_key(kBob))),
        chain_.register_tx(kBob, registrar_evidence(k_, 100000, address_of_key(kBob))),
    };
    BlockResult r = chain_.block(txs);  // height 2
    for (const auto& rc : r.receipts) EXPECT_EQ(rc.status(), 0u) << rc.message();
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
    sign(pr, p.signer);
    return pr;
  }
  static void sign(pb::Proof& pr, const Signer& s) { pr.set_signature(s.sign(proof_digest(kChain, pr))); }

  // Submits a batch from the relayer in its own block; the transaction itself must succeed.
  pb::Receipt submit(const std::vector<pb::Proof>& proofs) {
    pb::TxBody body;
    for (const auto& p : proofs) *body.mutable_submit_proofs()->add_proofs() = p;
    const Address relayer = address_of_key(kRelayer);
    const Amount before = chain_.balance(relayer);
    pb::Receipt r = chain_.run(chain_.tx(kRelayer, body));
    EXPECT_EQ(r.status(), 0u) << r.message();
    const uint64_t gas = gas::kSubmitProofsBase + gas::kPerProof * proofs.size();
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

  static constexpr uint64_t kStatementExpiry = 12;
  DepinChain chain_;
  Dev w_, n_, c_, f_, h_, x_, b_;
  Signer s_, k_;
  Address s_id_{}, k_id_{};
};

#define EXPECT_PROOF(reason_expr, expected)                                                   \
  do {                                                                                        \
    const R got_ = (reason_expr);                                                             \
    EXPECT_EQ(static_cast<uint32_t>(got_), static_cast<uint32_t>(expected))                   \
        << "got " << proof_reject_name(got_) << ", expected " << proof_reject_name(expected); \
  } while (0)

// ---------------------------------------------------------------- accepted

TEST_F(DepinProofs, AcceptedUptime) {
  const Prover w = prover_of(w_);
  pb::Receipt r = submit({proof(w, 1, uptime())});
  ASSERT_EQ(r.proofs_size(), 1);
  EXPECT_EQ(r.proofs(0).reason(), 0u);
  EXPECT_EQ(r.proofs(0).weight(), 10u);
  EXPECT_EQ(r.proofs(0).kind(), pb::UPTIME);
  EXPECT_EQ(r.proofs(0).epoch(), (chain_.height() - 1) / kEpochBlocks);
  auto d = chain_.device(w_.id);
  EXPECT_EQ(d->seq(), 1u);
  EXPECT_EQ(d->proofs_accepted(), 1u);
  EXPECT_EQ(d->accrued_epoch(), chain_.height() / kEpochBlocks);
  EXPECT_EQ(d->accrued_weight(), 10u);
  pb::EpochRecord e = epoch_record(chain_.height() / kEpochBlocks);
  EXPECT_EQ(e.total_weight(), 10u);
  EXPECT_EQ(e.devices(), 1u);
  EXPECT_EQ(e.proofs_accepted(), 1u);
  EXPECT_EQ(e.proofs_rejected(), 0u);
  EXPECT_EQ(chain_.get(u64_key(kEpochDevicePrefix, chain_.height() / kEpochBlocks, w_.id)), kIndexMarker);
  // The next seq is accepted too.
  EXPECT_PROOF(submit_one(proof(w, 2, uptime())), R::kAccepted);
  EXPECT_EQ(chain_.device(w_.id)->accrued_weight(), 20u);
}

TEST_F(DepinProofs, AcceptedDataContributionWeightIsPerWholeMiB) {
  const Prover w = prover_of(w_);
  const uint64_t mib = uint64_t{1} << 20;
  pb::Receipt r = submit({proof(w, 1, data(3 * mib + 12345)), proof(w, 2, data(mib - 1)),
                          proof(w, 3, data(mib)), proof(w, 4, data(0))});
  EXPECT_EQ(reasons(r), (std::vector<uint32_t>{0, 0, 0, 0}));
  EXPECT_EQ(r.proofs(0).weight(), 5u * 3);  // ⌊(3 MiB + 12345) / 2^20⌋ = 3
  EXPECT_EQ(r.proofs(1).weight(), 0u);      // under one MiB: accepted, no weight
  EXPECT_EQ(r.proofs(2).weight(), 5u);
  EXPECT_EQ(r.proofs(3).weight(), 0u);
  EXPECT_EQ(chain_.device(w_.id)->accrued_weight(), 20u);
  EXPECT_EQ(chain_.device(w_.id)->seq(), 4u);
  EXPECT_EQ(epoch_record(chain_.height() / kEpochBlocks).total_weight(), 20u);
}

TEST_F(DepinProofs, AcceptedWitness) {
  const uint64_t d = distance_m(kBerlinLat, kBerlinLon, kBerlinLat + 100000, kBerlinLon);
  EXPECT_GT(d, 1100u);
  EXPECT_LT(d, 1125u);
  const int32_t strongest = -10 - 6 * floor_log2(d);
  EXPECT_EQ(strongest, -70);
  pb::Receipt r = submit({proof(prover_of(w_), 1, witness(n_.id, strongest))});
  ASSERT_EQ(r.proofs_size(), 1);
  EXPECT_EQ(r.proofs(0).reason(), 0u);
  EXPECT_EQ(r.proofs(0).weight(), 20u);
  EXPECT_EQ(r.proofs(0).kind(), pb::COVERAGE_WITNESS);
  EXPECT_EQ(chain_.device(w_.id)->accrued_weight(), 20u);
  // Witnessing is symmetric: n hears w at the same distance.
  EXPECT_PROOF(submit_one(proof(prover_of(n_), 1, witness(w_.id, -90))), R::kAccepted);
  // The beaconer earns nothing from being heard.
  EXPECT_EQ(chain_.device(n_.id)->accrued_weight(), 20u);
}

TEST_F(DepinProofs, AcceptedFromSecp256k1Device) {
  Prover k{k_id_, k_};
  EXPECT_PROOF(submit_one(proof(k, 1, uptime())), R::kAccepted);
  EXPECT_EQ(chain_.device(k_id_)->seq(), 1u);
}

TEST_F(DepinProofs, AcceptedWithReferenceInThePreviousEpochCountsInTheIncludingEpoch) {
  advance_to(kEpochBlocks - 1);  // the next block is the first of epoch 1
  const Prover w = prover_of(w_);
  pb::Proof p = proof(w, 1, uptime(), kEpochBlocks - 1);
  EXPECT_EQ(p.epoch(), 0u);
  EXPECT_PROOF(submit_one(p), R::kAccepted);
  EXPECT_EQ(chain_.height(), kEpochBlocks);
  EXPECT_EQ(chain_.device(w_.id)->accrued_epoch(), 1u);
  EXPECT_EQ(epoch_record(1).total_weight(), 10u);
  EXPECT_EQ(epoch_record(0).total_weight(), 0u);
}

TEST_F(DepinProofs, PerDeviceEpochCapClipsWeight) {
  // A chain whose cap is 25: uptime proofs of 10 earn 10, 10, then 5, then nothing.
  DepinChain capped(proofs_genesis(25));
  std::swap(chain_, capped);
  chain_.block();
  Dev d = make_device(maker_a(), 0x60);
  Dev e = make_device(maker_a(), 0x61);
  chain_.block({chain_.register_tx(kAlice, d, maker_a()), chain_.register_tx(kAlice, e, maker_a())});
  const Prover p = prover_of(d);
  pb::Receipt r =
      submit({proof(p, 1, uptime()), proof(p, 2, uptime()), proof(p, 3, uptime()), proof(p, 4, uptime())});
  EXPECT_EQ(reasons(r), (std::vector<uint32_t>{0, 0, 0, 0}));
  EXPECT_EQ(chain_.device(d.id)->accrued_weight(), 25u);
  EXPECT_EQ(chain_.device(d.id)->seq(), 4u);  // capped proofs are still accepted: the seq advances
  // A huge data contribution is clipped too, and the cap is per device: e still earns up to 25.
  pb::Receipt r2 = submit({proof(prover_of(e), 1, data(uint64_t{1} << 40))});
  EXPECT_EQ(r2.proofs(0).reason(), 0u);
  EXPECT_LE(r2.proofs(0).weight(), 25u);
  EXPECT_EQ(chain_.device(e.id)->accrued_weight(), 25u);
  EXPECT_EQ(epoch_record(chain_.height() / kEpochBlocks).total_weight(), 50u);
  // In the next epoch the device earns again (its epoch-0 weight is settled first).
  advance_to(kEpochBlocks);
  EXPECT_PROOF(submit_one(proof(p, 5, uptime())), R::kAccepted);
  EXPECT_EQ(chain_.device(d.id)->accrued_epoch(), 1u);
  EXPECT_EQ(chain_.device(d.id)->accrued_weight(), 10u);
}

// ProofResult.weight is what depin_getProofs shows for each proof. Under the per-device epoch cap it must be
// the weight the proof actually earned, so that an epoch's accepted receipt weights add up to its
// total_weight.
TEST_F(DepinProofs, ReceiptWeightIsTheWeightEarnedUnderTheCap) {
  DepinChain capped(proofs_genesis(25));
  std::swap(chain_, capped);
  chain_.block();
  Dev d = make_device(maker_a(), 0x62);
  chain_.block({chain_.register_tx(kAlice, d, maker_a())});
  const Prover p = prover_of(d);
  pb::Receipt r =
      submit({proof(p, 1, uptime()), proof(p, 2, uptime()), proof(p, 3, uptime()), proof(p, 4, uptime())});
  EXPECT_EQ(reasons(r), (std::vector<uint32_t>{0, 0, 0, 0}));
  uint64_t sum = 0;
  for (const auto& pr : r.proofs()) sum += pr.weight();
  EXPECT_EQ(sum, epoch_record(chain_.height() / kEpochBlocks).total_weight());
  EXPECT_EQ(r.proofs(2).weight(), 5u);
  EXPECT_EQ(r.proofs(3).weight(), 0u);
}

TEST_F(DepinProofs, BatchMixingAcceptedAndRejectedRecordsEachOnItsOwn) {
  const Prover w = prover_of(w_), n = prover_of(n_);
  pb::Proof forged = proof(n, 1, uptime());
  forged.mutable_payload()->set_uptime_seconds(99999);  // changed after signing
  Address unknown{};
  unknown.fill(0xee);
  pb::Proof ghost = proof(w, 1, uptime());
  ghost.set_device_id(str(unknown));
  std::vector<pb::Proof> batch{
      proof(w, 1, uptime()),             // 0 accepted
      forged,                            // 1 bad signature: n's seq stays 0
      proof(n, 1, data(2 << 20)),        // 2 accepted: n's seq 1 still free
      proof(w, 1, uptime()),             // 3 replayed: w's seq 1 taken by proof 0
      ghost,                             // 4 unknown device
      proof(w, 3, uptime()),             // 5 gap
      proof(w, 2, witness(n_.id, -80)),  // 6 accepted
  };
  pb::Receipt r = submit(batch);
  EXPECT_EQ(reasons(r),
            (std::vector<uint32_t>{
                0, static_cast<uint32_t>(R::kBadSignature), 0, static_cast<uint32_t>(R::kReplayedSeq),
                static_cast<uint32_t>(R::kUnknownDevice), static_cast<uint32_t>(R::kSeqGap), 0}));
  EXPECT_EQ(r.proofs(0).weight(), 10u);
  EXPECT_EQ(r.proofs(1).weight(), 0u);
  EXPECT_EQ(r.proofs(2).weight(), 10u);
  EXPECT_EQ(r.proofs(6).weight(), 20u);
  EXPECT_EQ(r.proofs(6).kind(), pb::COVERAGE_WITNESS);
  EXPECT_EQ(chain_.device(w_.id)->seq(), 2u);
  EXPECT_EQ(chain_.device(w_.id)->accrued_weight(), 30u);
  EXPECT_EQ(chain_.device(n_.id)->seq(), 1u);
  EXPECT_EQ(chain_.device(n_.id)->accrued_weight(), 10u);
  pb::EpochRecord e = epoch_record(chain_.height() / kEpochBlocks);
  EXPECT_EQ(e.proofs_accepted(), 3u);
  EXPECT_EQ(e.proofs_rejected(), 4u);
  EXPECT_EQ(e.total_weight(), 40u);
  EXPECT_EQ(e.devices(), 2u);
}

// ---------------------------------------------------------------- rejections, in the documented order

TEST_F(DepinProofs, Malformed) {
  const Prover w = prover_of(w_);
  std::vector<pb::Proof> batch;
  {
    pb::Proof p = proof(w, 1, uptime());
    p.set_device_id(p.device_id().substr(0, 19));
    batch.push_back(p);
  }
  {
    pb::Proof p = proof(w, 1, uptime());
    p.set_ref_block_hash(p.ref_block_hash().substr(0, 31));
    batch.push_back(p);
  }
  {
    pb::Proof p = proof(w, 1, uptime());
    p.set_signature(std::string(1, '\0') + p.signature());  // 65 bytes: r of 33
    batch.push_back(p);
  }
  {
    pb::Proof p = proof(w, 1, uptime());
    p.set_signature(p.signature().substr(0, 63));
    batch.push_back(p);
  }
  {
    pb::ProofPayload none;
    none.set_uptime_seconds(5);  // no kind
    batch.push_back(proof(w, 1, none));
  }
  {
    pb::ProofPayload unknown_kind = uptime();
    unknown_kind.set_kind(static_cast<pb::ProofKind>(9));
    batch.push_back(proof(w, 1, unknown_kind));
  }
  {
    pb::ProofPayload short_beaconer = witness(n_.id, -80);
    short_beaconer.set_beaconer(str(n_.id).substr(0, 19));
    batch.push_back(proof(w, 1, short_beaconer));
  }
  pb::Receipt r = submit(batch);
  for (uint32_t reason : reasons(r)) EXPECT_EQ(reason, static_cast<uint32_t>(R::kMalformed));
  EXPECT_EQ(chain_.device(w_.id)->seq(), 0u);
  EXPECT_EQ(epoch_record(chain_.height() / kEpochBlocks).proofs_rejected(), batch.size());
}

TEST_F(DepinProofs, UnknownDevice) {
  Address unknown{};
  unknown.fill(0x3c);
  EXPECT_PROOF(submit_one(proof(Prover{unknown, prover_of(w_).signer}, 1, uptime())), R::kUnknownDevice);
}

TEST_F(DepinProofs, DeviceInactive) {
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, uptime())), R::kAccepted);
  chain_.run(chain_.update_tx(kAlice, w_.id, std::nullopt, std::nullopt, true));
  ASSERT_TRUE(chain_.device(w_.id)->inactive());
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 2, uptime())), R::kDeviceInactive);
}

TEST_F(DepinProofs, AnchorRevokedAfterRegistration) {
  const Prover b = prover_of(b_);
  EXPECT_PROOF(submit_one(proof(b, 1, uptime())), R::kAccepted);
  // Revoked with an effective height two blocks ahead: still accepted until then.
  const uint64_t at = chain_.height() + 3;
  chain_.run(chain_.revoke_anchor_tx(kGovernance, maker_b().id, at));
  EXPECT_PROOF(submit_one(proof(b, 2, uptime())), R::kAccepted);
  EXPECT_EQ(chain_.height(), at - 1);
  EXPECT_PROOF(submit_one(proof(b, 3, uptime())), R::kAnchorRevoked);
  // Devices of other anchors are unaffected.
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, uptime())), R::kAccepted);
}

TEST_F(DepinProofs, AnchorRevokedEarlierInTheSameBlock) {
  // Proof, revocation, proof in one block: the per-block memo of anchor revocations is refreshed.
  const Prover b = prover_of(b_);
  pb::TxBody first, second;
  *first.mutable_submit_proofs()->add_proofs() = proof(b, 1, uptime());
  *second.mutable_submit_proofs()->add_proofs() = proof(b, 2, uptime());
  BlockResult blk =
      chain_.block({chain_.tx(kRelayer, first), chain_.revoke_anchor_tx(kGovernance, maker_b().id),
                    chain_.tx(kRelayer, second)});
  ASSERT_EQ(blk.receipts.size(), 3u);
  EXPECT_EQ(blk.receipts[0].proofs(0).reason(), 0u);
  EXPECT_EQ(blk.receipts[1].status(), 0u);
  EXPECT_EQ(blk.receipts[2].proofs(0).reason(), static_cast<uint32_t>(R::kAnchorRevoked));
}

TEST_F(DepinProofs, KeyRevoked) {
  const Prover w = prover_of(w_);
  EXPECT_PROOF(submit_one(proof(w, 1, uptime())), R::kAccepted);
  const std::string leaf_id = chain_.device(w_.id)->key_ids(0);
  EXPECT_EQ(leaf_id, str(crypto::spki_id(crypto::p256_spki_der(w_.pub))));
  chain_.run(chain_.revoke_key_tx(kGovernance, as_span(leaf_id)));
  EXPECT_PROOF(submit_one(proof(w, 2, uptime())), R::kKeyRevoked);
  // A registrar device's raw key id.
  const Prover s{s_id_, s_};
  EXPECT_PROOF(submit_one(proof(s, 1, uptime())), R::kAccepted);
  chain_.run(chain_.revoke_key_tx(kGovernance, raw_key_id(s_.pub())));
  EXPECT_PROOF(submit_one(proof(s, 2, uptime())), R::kKeyRevoked);
}

// RevokeKey naming the other id form of the device key stops the device too: the raw-key id of a
// secure-element device, the SPKI id of a registrar device's P-256 key.
TEST_F(DepinProofs, KeyRevokedByTheOtherIdForm) {
  const Prover n = prover_of(n_);
  EXPECT_PROOF(submit_one(proof(n, 1, uptime())), R::kAccepted);
  chain_.run(chain_.revoke_key_tx(kGovernance, raw_key_id(n_.pub)));
  EXPECT_PROOF(submit_one(proof(n, 2, uptime())), R::kKeyRevoked);
  const Prover s{s_id_, s_};
  EXPECT_PROOF(submit_one(proof(s, 1, uptime())), R::kAccepted);
  auto pub = p256_pub(s_.p256);
  chain_.run(chain_.revoke_key_tx(kGovernance, crypto::spki_id(crypto::p256_spki_der(pub))));
  EXPECT_PROOF(submit_one(proof(s, 2, uptime())), R::kKeyRevoked);
}

TEST_F(DepinProofs, KeyRevokedEarlierInTheSameBlock) {
  const Prover w = prover_of(w_);
  pb::TxBody first, second;
  *first.mutable_submit_proofs()->add_proofs() = proof(w, 1, uptime());
  *second.mutable_submit_proofs()->add_proofs() = proof(w, 2, uptime());
  BlockResult blk =
      chain_.block({chain_.tx(kRelayer, first),
                    chain_.revoke_key_tx(kGovernance, crypto::spki_id(crypto::p256_spki_der(w_.pub))),
                    chain_.tx(kRelayer, second)});
  ASSERT_EQ(blk.receipts.size(), 3u);
  EXPECT_EQ(blk.receipts[0].proofs(0).reason(), 0u);
  EXPECT_EQ(blk.receipts[2].proofs(0).reason(), static_cast<uint32_t>(R::kKeyRevoked));
}

TEST_F(DepinProofs, StatementExpired) {
  const Prover s{s_id_, s_};
  EXPECT_EQ(chain_.device(s_id_)->statement_expiry(), kStatementExpiry);
  EXPECT_PROOF(submit_one(proof(s, 1, uptime())), R::kAccepted);
  advance_to(kStatementExpiry - 2);
  EXPECT_PROOF(submit_one(proof(s, 2, uptime())), R::kAccepted);  // included at expiry − 1
  EXPECT_EQ(chain_.height(), kStatementExpiry - 1);
  EXPECT_PROOF(submit_one(proof(s, 3, uptime())), R::kStatementExpired);  // included at the expiry height
}

TEST_F(DepinProofs, FutureReference) {
  const Prover w = prover_of(w_);
  EXPECT_PROOF(submit_one(proof(w, 1, uptime(), chain_.height() + 1)),
               R::kFutureReference);  // the including block
  EXPECT_PROOF(submit_one(proof(w, 1, uptime(), chain_.height() + 5)), R::kFutureReference);
  EXPECT_EQ(chain_.device(w_.id)->seq(), 0u);
}

TEST_F(DepinProofs, StaleReference) {
  advance_to(20);
  const Prover w = prover_of(w_);
  const uint64_t including = chain_.height() + 1;
  EXPECT_PROOF(submit_one(proof(w, 1, uptime(), including - kRefWindow - 1)), R::kStaleReference);
  // Exactly ref_window blocks old is still recent.
  const uint64_t including2 = chain_.height() + 1;
  EXPECT_PROOF(submit_one(proof(w, 1, uptime(), including2 - kRefWindow)), R::kAccepted);
}

TEST_F(DepinProofs, WrongRefHash) {
  const Prover w = prover_of(w_);
  pb::Proof p = proof(w, 1, uptime());
  p.set_ref_block_hash(str(test_block_hash(chain_.height() - 1)));  // a real hash, of another height
  sign(p, w.signer);
  EXPECT_PROOF(submit_one(p), R::kWrongRefHash);
}

TEST_F(DepinProofs, WrongEpoch) {
  advance_to(kEpochBlocks + 2);
  const Prover w = prover_of(w_);
  pb::Proof p = proof(w, 1, uptime());
  ASSERT_EQ(p.epoch(), 1u);
  p.set_epoch(0);
  sign(p, w.signer);
  EXPECT_PROOF(submit_one(p), R::kWrongEpoch);
  p = proof(w, 1, uptime());
  p.set_epoch(2);
  sign(p, w.signer);
  EXPECT_PROOF(submit_one(p), R::kWrongEpoch);
}

TEST_F(DepinProofs, ReplayedSeq) {
  const Prover w = prover_of(w_);
  EXPECT_PROOF(submit_one(proof(w, 0, uptime())), R::kReplayedSeq);  // seq 0 ≤ stored 0
  const pb::Proof first = proof(w, 1, uptime());
  EXPECT_PROOF(submit_one(first), R::kAccepted);
  EXPECT_PROOF(submit_one(first), R::kReplayedSeq);  // the very same proof again
  EXPECT_PROOF(submit_one(proof(w, 1, data(5 << 20))), R::kReplayedSeq);
  EXPECT_EQ(chain_.device(w_.id)->accrued_weight(), 10u);
}

TEST_F(DepinProofs, SeqGap) {
  const Prover w = prover_of(w_);
  EXPECT_PROOF(submit_one(proof(w, 2, uptime())), R::kSeqGap);
  EXPECT_PROOF(submit_one(proof(w, 1, uptime())), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(w, 3, uptime())), R::kSeqGap);
  EXPECT_PROOF(submit_one(proof(w, 2, uptime())), R::kAccepted);
}

TEST_F(DepinProofs, HighS) {
  const Prover w = prover_of(w_);
  pb::Proof p = proof(w, 1, uptime());
  const std::string high = negate_s(p.signature(), crypto::kP256Order);
  ASSERT_TRUE(crypto::p256_verify(w_.pub, proof_digest(kChain, p), as_span(high), /*require_low_s=*/false));
  p.set_signature(high);
  EXPECT_PROOF(submit_one(p), R::kHighS);
  EXPECT_EQ(chain_.device(w_.id)->seq(), 0u);
}

// DESIGN §2 ("low-s only") and ProofReject::kHighS apply to secp256k1 device keys too (regression: a high-S
// secp256k1 proof was once reported as bad_signature).
TEST_F(DepinProofs, HighSSecp256k1Device) {
  const Prover k{k_id_, k_};
  pb::Proof p = proof(k, 1, uptime());
  p.set_signature(negate_s(p.signature(), kSecp256k1Order));
  EXPECT_PROOF(submit_one(p), R::kHighS);
}

TEST_F(DepinProofs, BadSignature) {
  const Prover w = prover_of(w_);
  {  // signed by another device's key
    pb::Proof p = proof(w, 1, uptime());
    sign(p, prover_of(n_).signer);
    EXPECT_PROOF(submit_one(p), R::kBadSignature);
  }
  {  // payload changed after signing
    pb::Proof p = proof(w, 1, data(1 << 20));
    p.mutable_payload()->set_data_bytes(100 << 20);
    EXPECT_PROOF(submit_one(p), R::kBadSignature);
  }
  {  // signed for another chain
    pb::Proof p = proof(w, 1, uptime());
    p.set_signature(w.signer.sign(proof_digest("physis-other-chain", p)));
    EXPECT_PROOF(submit_one(p), R::kBadSignature);
  }
  {  // a signature of another seq
    pb::Proof p = proof(w, 2, uptime());
    p.set_seq(1);
    EXPECT_PROOF(submit_one(p), R::kBadSignature);
  }
  EXPECT_EQ(chain_.device(w_.id)->seq(), 0u);
}

TEST_F(DepinProofs, ProofMessageLayoutIsPinned) {
  pb::Proof p = proof(prover_of(w_), 7, uptime(42), 1);
  Bytes m;
  append(m, std::string_view("PHYSIS/PROOF/v1"));
  append_u32_be(m, static_cast<uint32_t>(kChain.size()));
  append(m, kChain);
  append(m, w_.id);
  append_u64_be(m, 7);
  append_u64_be(m, 0);  // epoch of ref height 1
  append_u64_be(m, 1);
  append(m, test_block_hash(1));
  append(m, crypto::sha256(encode_canonical(uptime(42))));
  EXPECT_EQ(proof_message(kChain, p), m);
  EXPECT_EQ(proof_digest(kChain, p), crypto::sha256(m));
}

// ---------------------------------------------------------------- coverage witness rules

TEST_F(DepinProofs, WitnessSelf) {
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, witness(w_.id, -80))), R::kWitnessSelf);
}

TEST_F(DepinProofs, UnknownBeaconer) {
  Address nobody{};
  nobody.fill(0x77);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, witness(nobody, -80))), R::kUnknownBeaconer);
  // An inactive beaconer counts as unknown.
  chain_.run(chain_.update_tx(kAlice, n_.id, std::nullopt, std::nullopt, true));
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, witness(n_.id, -80))), R::kUnknownBeaconer);
}

TEST_F(DepinProofs, LocationUnknown) {
  const Prover w = prover_of(w_);
  EXPECT_PROOF(submit_one(proof(w, 1, witness(h_.id, -80))), R::kLocationUnknown);  // beaconer: H3 only
  EXPECT_PROOF(submit_one(proof(w, 1, witness(x_.id, -80))), R::kLocationUnknown);  // beaconer: none
  EXPECT_PROOF(submit_one(proof(prover_of(h_), 1, witness(w_.id, -80))), R::kLocationUnknown);  // witness: H3
  EXPECT_PROOF(submit_one(proof(prover_of(x_), 1, witness(w_.id, -80))),
               R::kLocationUnknown);  // witness: none
  // Once the beaconer asserts a lat/lon, the same witness proof is accepted.
  chain_.run(chain_.update_tx(kAlice, h_.id, latlon(kBerlinLat - 50000, kBerlinLon)));
  EXPECT_PROOF(submit_one(proof(w, 1, witness(h_.id, -80))), R::kAccepted);
}

TEST_F(DepinProofs, WitnessTooClose) {
  EXPECT_LT(distance_m(kBerlinLat, kBerlinLon, kBerlinLat + 100, kBerlinLon), 30u);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, witness(c_.id, -90))), R::kWitnessTooClose);
}

TEST_F(DepinProofs, WitnessTooFar) {
  EXPECT_GT(distance_m(kBerlinLat, kBerlinLon, 481351000, 115820000), 100'000u);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, witness(f_.id, -120))), R::kWitnessTooFar);
}

TEST_F(DepinProofs, SignalTooStrong) {
  const uint64_t d = distance_m(kBerlinLat, kBerlinLon, kBerlinLat + 100000, kBerlinLon);
  const int32_t strongest = -10 - 6 * floor_log2(d);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, witness(n_.id, strongest + 1))), R::kSignalTooStrong);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, witness(n_.id, -10))), R::kSignalTooStrong);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, witness(n_.id, strongest))), R::kAccepted);
}

TEST_F(DepinProofs, EveryReasonIsCovered) {
  // The enum has exactly the values the tests above name (kProofRejectCount, never renumbered).
  EXPECT_EQ(kProofRejectCount, 21u);
  EXPECT_EQ(static_cast<uint32_t>(R::kMalformed), 1u);
  EXPECT_EQ(static_cast<uint32_t>(R::kBadSignature), 14u);
  EXPECT_EQ(static_cast<uint32_t>(R::kWitnessSelf), 15u);
}

}  // namespace
