// Coverage witness proofs (doc/depin.md "Proofs"): the beaconer must exist, be active and still trusted;
// both need lat/lon; the distance is bounded; the RSSI is at most the free-space bound for the distance and
// the report is receiver-plausible (RSSI floor, SNR range); the owner and per-beacon rules are in
// test_depin_service.cpp. Then a table with one scenario per ProofReject value, which checks that every
// value is produced by the VM.
#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "depin_proofs_fixture.h"
#include "depin_test_chain.h"
#include "vm/depin.h"
#include "vm/geo.h"

using namespace physis;
using namespace physis::vm;

namespace {
using namespace physis::vm::depin_test;
using namespace physis::vm::proofs_test;

// ---------------------------------------------------------------- coverage witness rules

TEST_F(DepinProofs, WitnessSelf) {
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, witness(w_.id, -80))), R::kWitnessSelf);
}

TEST_F(DepinProofs, UnknownBeaconer) {
  Address nobody{};
  nobody.fill(0x77);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, witness(nobody, -80))), R::kUnknownBeaconer);
  // An inactive beaconer counts as unknown.
  chain_.run(chain_.update_tx(kBob, n_.id, std::nullopt, std::nullopt, true));
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, witness(n_.id, -80))), R::kUnknownBeaconer);
}

TEST_F(DepinProofs, LocationUnknown) {
  const Prover w = prover_of(w_);
  EXPECT_PROOF(submit_one(proof(w, 1, witness(h_.id, -80))), R::kLocationUnknown);  // beaconer: H3 only
  EXPECT_PROOF(submit_one(proof(w, 1, witness(x_.id, -80))), R::kLocationUnknown);  // beaconer: none
  EXPECT_PROOF(submit_one(proof(prover_of(h_), 1, witness(w_.id, -80))), R::kLocationUnknown);  // witness: H3
  EXPECT_PROOF(submit_one(proof(prover_of(x_), 1, witness(w_.id, -80))),
               R::kLocationUnknown);  // witness: none
  // Once the beaconer asserts a lat/lon (a move from its H3 cell) and has settled, the same witness proof
  // is accepted.
  advance_to(2 + kLocationCooldown);
  EXPECT_PROOF(submit_one(proof(prover_of(h_), 1, locate(latlon(kBerlinLat - 50000, kBerlinLon)))), R::kAccepted);
  advance_to(chain_.height() + kRelocationSettle - 1);
  EXPECT_PROOF(open_beacon(h_), R::kAccepted);
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
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, witness(n_.id, strongest))), R::kAccepted);
}

TEST_F(DepinProofs, SignalImplausible) {
  // n_ is ~1.1 km from w_: the free-space bound is −70 dBm, well above the −150 dBm floor.
  const Prover w = prover_of(w_);
  EXPECT_PROOF(submit_one(proof(w, 1, witness(n_.id, -151))), R::kSignalImplausible);       // below the floor
  EXPECT_PROOF(submit_one(proof(w, 1, witness(n_.id, -80, 501))), R::kSignalImplausible);   // SNR > +50 dB
  EXPECT_PROOF(submit_one(proof(w, 1, witness(n_.id, -80, -301))), R::kSignalImplausible);  // SNR < −30 dB
  EXPECT_EQ(chain_.device(w_.id)->seq(), 0u);
  // The bounds themselves are plausible.
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  EXPECT_PROOF(open_beacon(b_), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(w, 1, witness(n_.id, -150, 500))), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(w, 2, witness(b_.id, -80, -300))), R::kAccepted);  // another beaconer
}

TEST_F(DepinProofs, BeaconerRevoked) {
  const Prover w = prover_of(w_);
  EXPECT_PROOF(open_beacon(b_), R::kAccepted);
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(w, 1, witness(b_.id, -80))), R::kAccepted);  // b_ is under maker B
  chain_.run(chain_.revoke_anchor_tx(kGovernance, maker_b().id));
  EXPECT_PROOF(submit_one(proof(w, 2, witness(b_.id, -80))), R::kBeaconerRevoked);
  // A beaconer whose own key is revoked (either id form) is not witnessable either.
  EXPECT_PROOF(submit_one(proof(w, 2, witness(n_.id, -80))), R::kAccepted);
  chain_.run(chain_.revoke_key_tx(kGovernance, raw_key_id(n_.pub)));
  EXPECT_PROOF(submit_one(proof(w, 3, witness(n_.id, -80))), R::kBeaconerRevoked);
}

// ---------------------------------------------------------------- every reason, table-driven

// A fresh chain per scenario: a scenario may revoke, deactivate or advance the chain.
class ProofScenario final : public DepinProofs {
 public:
  void TestBody() override {}
};

void advance_past_deadline(ProofScenario& t, uint64_t h) { t.advance_to(h + 2 * kBeaconWindow); }

struct Scenario {
  R expected;
  std::function<R(ProofScenario&)> run;
};

std::vector<Scenario> scenarios() {
  using T = ProofScenario;
  return {
      {R::kAccepted, [](T& t) { return t.submit_one(t.proof(prover_of(t.w_), 1, uptime())); }},
      {R::kMalformed,
       [](T& t) {
         // A proof without a kind (a wrong field size fails the whole transaction at decode instead).
         pb::ProofPayload none = uptime();
         none.set_kind(pb::PROOF_NONE);
         return t.submit_one(t.proof(prover_of(t.w_), 1, none));
       }},
      {R::kUnknownDevice,
       [](T& t) {
         Address nobody{};
         nobody.fill(0x3c);
         return t.submit_one(t.proof(Prover{nobody, prover_of(t.w_).signer}, 1, uptime()));
       }},
      {R::kDeviceInactive,
       [](T& t) {
         t.chain_.run(t.chain_.update_tx(kAlice, t.w_.id, std::nullopt, std::nullopt, true));
         return t.submit_one(t.proof(prover_of(t.w_), 1, uptime()));
       }},
      {R::kAnchorRevoked,
       [](T& t) {
         t.chain_.run(t.chain_.revoke_anchor_tx(kGovernance, maker_b().id));
         return t.submit_one(t.proof(prover_of(t.b_), 1, uptime()));
       }},
      {R::kKeyRevoked,
       [](T& t) {
         t.chain_.run(t.chain_.revoke_key_tx(kGovernance, raw_key_id(t.w_.pub)));
         return t.submit_one(t.proof(prover_of(t.w_), 1, uptime()));
       }},
      {R::kStatementExpired,
       [](T& t) {
         t.advance_to(DepinProofs::kStatementExpiry - 1);
         return t.submit_one(t.proof(Prover{t.s_id_, t.s_}, 1, uptime()));
       }},
      {R::kFutureReference,
       [](T& t) { return t.submit_one(t.proof(prover_of(t.w_), 1, uptime(), t.chain_.height() + 1)); }},
      {R::kStaleReference,
       [](T& t) {
         t.advance_to(20);
         return t.submit_one(t.proof(prover_of(t.w_), 1, uptime(), t.chain_.height() - kRefWindow));
       }},
      {R::kWrongRefHash,
       [](T& t) {
         const Prover w = prover_of(t.w_);
         pb::Proof p = t.proof(w, 1, uptime());
         p.set_ref_block_hash(str(test_block_hash(t.chain_.height() - 1)));
         DepinProofs::sign(p, w.signer);
         return t.submit_one(p);
       }},
      {R::kWrongEpoch,
       [](T& t) {
         t.advance_to(kEpochBlocks + 2);
         const Prover w = prover_of(t.w_);
         pb::Proof p = t.proof(w, 1, uptime());
         p.set_epoch(0);
         DepinProofs::sign(p, w.signer);
         return t.submit_one(p);
       }},
      {R::kReplayedSeq, [](T& t) { return t.submit_one(t.proof(prover_of(t.w_), 0, uptime())); }},
      {R::kSeqGap, [](T& t) { return t.submit_one(t.proof(prover_of(t.w_), 2, uptime())); }},
      {R::kHighS,
       [](T& t) {
         pb::Proof p = t.proof(prover_of(t.w_), 1, uptime());
         p.set_signature(negate_s(p.signature(), crypto::kP256Order));
         return t.submit_one(p);
       }},
      {R::kBadSignature,
       [](T& t) {
         pb::Proof p = t.proof(prover_of(t.w_), 1, uptime());
         DepinProofs::sign(p, prover_of(t.n_).signer);
         return t.submit_one(p);
       }},
      {R::kWitnessSelf,
       [](T& t) { return t.submit_one(t.proof(prover_of(t.w_), 1, witness(t.w_.id, -80))); }},
      {R::kUnknownBeaconer,
       [](T& t) {
         Address nobody{};
         nobody.fill(0x77);
         return t.submit_one(t.proof(prover_of(t.w_), 1, witness(nobody, -80)));
       }},
      {R::kLocationUnknown,
       [](T& t) { return t.submit_one(t.proof(prover_of(t.w_), 1, witness(t.h_.id, -80))); }},
      {R::kWitnessTooClose,
       [](T& t) { return t.submit_one(t.proof(prover_of(t.w_), 1, witness(t.c_.id, -90))); }},
      {R::kWitnessTooFar,
       [](T& t) { return t.submit_one(t.proof(prover_of(t.w_), 1, witness(t.f_.id, -120))); }},
      {R::kSignalTooStrong,
       [](T& t) { return t.submit_one(t.proof(prover_of(t.w_), 1, witness(t.n_.id, -10))); }},
      {R::kSignalImplausible,
       [](T& t) { return t.submit_one(t.proof(prover_of(t.w_), 1, witness(t.n_.id, -80, 600))); }},
      {R::kBeaconerRevoked,
       [](T& t) {
         t.chain_.run(t.chain_.revoke_anchor_tx(kGovernance, maker_b().id));
         return t.submit_one(t.proof(prover_of(t.w_), 1, witness(t.b_.id, -80)));
       }},
      {R::kTooFrequent,
       [](T& t) {
         t.submit_one(t.proof(prover_of(t.w_), 1, uptime()));
         return t.submit_one(t.proof(prover_of(t.w_), 2, uptime()));  // one block later
       }},
      {R::kWitnessSameOwner,  // b_ and n_ are both Bob's
       [](T& t) { return t.submit_one(t.proof(prover_of(t.b_), 1, witness(t.n_.id, -90))); }},
      {R::kDuplicateWitnessPair,  // the same witness twice for one beacon
       [](T& t) {
         t.open_beacon(t.n_);
         t.submit_one(t.proof(prover_of(t.w_), 1, witness(t.n_.id, -90)));
         return t.submit_one(t.proof(prover_of(t.w_), 2, witness(t.n_.id, -90)));
       }},
      {R::kTooManyWitnesses,  // kMaxWitnesses = 2: w_ and v_ fill n_'s beacon; a verdict of the reveal
       [](T& t) {
         t.open_beacon(t.n_);
         t.submit({t.proof(prover_of(t.w_), 1, witness(t.n_.id, -90)), t.proof(prover_of(t.v_), 1, witness(t.n_.id, -90)),
                   t.proof(prover_of(t.u_), 1, witness(t.n_.id, -90))});
         pb::Receipt r = t.reveal(t.n_);
         return r.proofs(0).witnesses_size() == 3 ? static_cast<R>(r.proofs(0).witnesses(2).reason()) : R::kAccepted;
       }},
      {R::kLocationCooldown,  // w_ asserted its location at registration (height 2)
       [](T& t) { return t.submit_one(t.proof(prover_of(t.w_), 1, locate(latlon(kBerlinLat + 7, kBerlinLon)))); }},
      {R::kRelocationSettling,
       [](T& t) {
         t.advance_to(2 + kLocationCooldown - 1);
         t.submit_one(t.proof(prover_of(t.w_), 1, locate(latlon(kBerlinLat + 7, kBerlinLon))));
         return t.submit_one(t.proof(prover_of(t.w_), 2, witness(t.n_.id, -90)));
       }},
      {R::kBeaconerSettling,
       [](T& t) {
         t.advance_to(2 + kLocationCooldown - 1);
         t.submit_one(t.proof(prover_of(t.n_), 1, locate(latlon(kBerlinLat + 100007, kBerlinLon))));
         return t.submit_one(t.proof(prover_of(t.w_), 1, witness(t.n_.id, -90)));
       }},
      {R::kUsageMissing,
       [](T& t) {
         t.auto_usage_ = false;
         return t.submit_one(t.proof(prover_of(t.w_), 1, data(1 << 20)));
       }},
      {R::kUsageBadReference,
       [](T& t) {
         pb::ProofPayload pl = data(1 << 20);
         attach_usage(pl, t.w_.id, kConsumer, 1, t.chain_.height() + 1);  // a block that does not exist yet
         return t.submit_one(t.proof(prover_of(t.w_), 1, pl));
       }},
      {R::kUsageBadSignature,
       [](T& t) {
         pb::ProofPayload pl = data(1 << 20);
         attach_usage(pl, t.n_.id, kConsumer, 1, t.chain_.height());  // signed for another device
         return t.submit_one(t.proof(prover_of(t.w_), 1, pl));
       }},
      {R::kUsageSelfDealing,  // Alice pays for her own device
       [](T& t) {
         pb::ProofPayload pl = data(1 << 20);
         attach_usage(pl, t.w_.id, kAlice, 1, t.chain_.height());
         return t.submit_one(t.proof(prover_of(t.w_), 1, pl));
       }},
      {R::kUsageReplayed,
       [](T& t) {
         pb::ProofPayload pl = data(1 << 20);
         attach_usage(pl, t.w_.id, kConsumer, 1, t.chain_.height());
         t.submit_one(t.proof(prover_of(t.w_), 1, pl));
         return t.submit_one(t.proof(prover_of(t.w_), 2, pl));
       }},
      {R::kUsageUnpaid,  // 2^40 bytes cost 2^20 × kUsagePrice > kFunds
       [](T& t) { return t.submit_one(t.proof(prover_of(t.w_), 1, data(uint64_t{1} << 40))); }},
      // Challenged beacons (test_depin_beacons.cpp has a test for each).
      {R::kBeaconNotChallenged,  // block height+1 does not exist yet when the beacon is included
       [](T& t) { return t.open_beacon(t.n_, t.chain_.height() + 1); }},
      {R::kBeaconWindowClosed,
       [](T& t) {
         t.advance_to(10);
         return t.open_beacon(t.n_, t.chain_.height() - kBeaconWindow);
       }},
      {R::kBeaconAlreadyRecorded,
       [](T& t) {
         t.open_beacon(t.n_);
         return t.open_beacon(t.n_, t.chain_.height() - 1);
       }},
      {R::kBeaconNotCommitted,
       [](T& t) { return t.submit_one(t.proof(prover_of(t.w_), 1, witness(t.n_.id, -90))); }},
      {R::kWitnessAfterReveal,
       [](T& t) {
         const uint64_t h = t.chain_.height();
         t.open_beacon(t.n_);
         advance_past_deadline(t, h);
         return t.submit_one(t.proof(prover_of(t.w_), 1, witness(t.n_.id, -90)));
       }},
      {R::kBeaconWitnessesFull,
       [](T& t) {
         t.open_beacon(t.n_);
         pb::Beacon rec = *load_record<pb::Beacon>(T::StateView(t.chain_), beacon_key(t.n_.id));
         for (int i = 0; i < kMaxPendingWitnesses; ++i)
           rec.add_pending()->set_witness(std::string(19, '\x70') + static_cast<char>(i));
         t.chain_.put_for_test(beacon_key(t.n_.id), encode_canonical(rec));
         return t.submit_one(t.proof(prover_of(t.w_), 1, witness(t.n_.id, -90)));
       }},
      {R::kRevealOutOfWindow,
       [](T& t) {
         const uint64_t h = t.chain_.height();
         t.open_beacon(t.n_);
         return t.submit_one(t.proof(prover_of(t.n_), 2, reveal_payload(h, test_secret(t.n_.id, h))));
       }},
      {R::kRevealMismatch,
       [](T& t) {
         const uint64_t h = t.chain_.height();
         t.open_beacon(t.n_);
         t.advance_to(h + kBeaconWindow);
         return t.submit_one(t.proof(prover_of(t.n_), 2, reveal_payload(h, test_secret(t.n_.id, h + 9))));
       }},
      {R::kWrongBeaconSecret,  // a verdict of the reveal, not of a proof
       [](T& t) {
         t.open_beacon(t.n_);
         pb::ProofPayload junk = witness(t.n_.id, -90);
         junk.set_challenge_height(t.beacons_.at(str(t.n_.id)).first);
         junk.set_beacon_receipt(std::string(32, '\x42'));
         t.submit_one(t.proof(prover_of(t.w_), 1, junk));
         pb::Receipt r = t.reveal(t.n_);
         return r.proofs(0).witnesses_size() == 1 ? static_cast<R>(r.proofs(0).witnesses(0).reason()) : R::kAccepted;
       }},
      {R::kBeaconAlreadyRevealed,
       [](T& t) {
         const uint64_t h = t.chain_.height();
         t.open_beacon(t.n_);
         const Hash32 secret = t.beacons_.at(str(t.n_.id)).second;
         t.reveal(t.n_);
         return t.submit_one(t.proof(prover_of(t.n_), t.next_seq(t.n_.id), reveal_payload(h, secret)));
       }},
  };
}

TEST(DepinProofReasons, TableHasEveryValueExactlyOnce) {
  std::set<uint32_t> seen;
  for (const Scenario& s : scenarios()) {
    const uint32_t v = static_cast<uint32_t>(s.expected);
    EXPECT_LT(v, kProofRejectCount) << proof_reject_name(s.expected);
    EXPECT_TRUE(seen.insert(v).second) << "listed twice: " << proof_reject_name(s.expected);
  }
  EXPECT_EQ(seen.size(), kProofRejectCount);
  // Names are distinct and none is the fallback (a value missing from the switch).
  std::set<std::string_view> names;
  for (uint32_t v = 0; v < kProofRejectCount; ++v) {
    const std::string_view name = proof_reject_name(static_cast<R>(v));
    EXPECT_NE(name, "unknown") << v;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), kProofRejectCount);
}

TEST(DepinProofReasons, EveryScenarioProducesItsReason) {
  for (const Scenario& s : scenarios()) {
    SCOPED_TRACE(std::string(proof_reject_name(s.expected)));
    ProofScenario t;
    EXPECT_PROOF(s.run(t), s.expected);
  }
}

}  // namespace
