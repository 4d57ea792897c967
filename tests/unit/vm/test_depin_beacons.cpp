// Challenged beacons (doc/depin.md "Beacons"): the challenge function, the BEACON / COVERAGE_WITNESS /
// BEACON_REVEAL exchange, one test per reason it adds, and the property that a device's coverage
// weight per epoch is bounded by the schedule whatever proofs it signs.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "depin_proofs_fixture.h"
#include "depin_test_chain.h"
#include "vm/beacon.h"
#include "vm/depin.h"
#include "vm/depin_state.h"
#include "vm/gas.h"

using namespace physis;
using namespace physis::vm;

namespace {
using namespace physis::vm::depin_test;
using namespace physis::vm::proofs_test;

uint32_t code(R r) { return static_cast<uint32_t>(r); }

// ---------------------------------------------------------------- the challenge

TEST(BeaconChallenge, ThresholdIsTheScaledRatioSaturating) {
  EXPECT_EQ(challenge_threshold(1, 10), 1844674407370955161ULL);  // ⌊2^64 / 10⌋
  EXPECT_EQ(challenge_threshold(1, 2), 1ULL << 63);
  EXPECT_EQ(challenge_threshold(3, 7), static_cast<uint64_t>((static_cast<Amount>(3) << 64) / 7));
  EXPECT_EQ(challenge_threshold(1, 1), UINT64_MAX);
  EXPECT_EQ(challenge_threshold(20, 10), UINT64_MAX);
  // A saturated threshold challenges every device, even the one whose value is 2^64 − 1.
  Address d{};
  d.fill(0x11);
  EXPECT_TRUE(is_challenged(test_block_hash(5), d, UINT64_MAX));
  EXPECT_FALSE(is_challenged(test_block_hash(5), d, 0));
}

TEST(BeaconChallenge, ValueIsTheFirstEightBytesOfKeccak) {
  Address d{};
  d.fill(0x22);
  const Hash32 block = test_block_hash(77);
  Bytes m(block.begin(), block.end());
  append(m, d);
  const Hash32 k = crypto::keccak256(m);
  EXPECT_EQ(challenge_value(block, d), read_u64_be(ByteSpan(k.data(), 8)));
  const uint64_t t = challenge_threshold(1, 10);
  EXPECT_EQ(is_challenged(block, d, t), challenge_value(block, d) < t);
}

// Over many heights a device is challenged about beacons / epoch_blocks of the time; deterministic.
TEST(BeaconChallenge, FrequencyFollowsTheParameter) {
  Address a{}, b{};
  a.fill(0x31);
  b.fill(0x32);
  for (uint64_t beacons : {uint64_t{1}, uint64_t{3}}) {
    const uint64_t t = challenge_threshold(beacons, 10);
    constexpr uint64_t kHeights = 20'000;
    uint64_t hits = 0, both = 0;
    for (uint64_t h = 0; h < kHeights; ++h) {
      const bool ca = is_challenged(test_block_hash(h), a, t);
      hits += ca;
      both += ca && is_challenged(test_block_hash(h), b, t);
      EXPECT_EQ(ca, is_challenged(test_block_hash(h), a, t));  // a pure function
    }
    // Expected kHeights × beacons / 10; the bound is about 7 standard deviations.
    const uint64_t expected = kHeights * beacons / 10;
    SCOPED_TRACE("beacons " + std::to_string(beacons));
    EXPECT_GT(hits, expected - 7 * 70);
    EXPECT_LT(hits, expected + 7 * 70);
    // Devices are challenged independently: both at once about (beacons/10)^2 of the time.
    const uint64_t expected_both = kHeights * beacons * beacons / 100;
    EXPECT_LT(both, expected_both + 200);
  }
}

// ---------------------------------------------------------------- the exchange

// n_ is Bob's; w_ (Alice's) and u_ (governance's) hear it ~1.1 km and ~1 km away.
TEST_F(DepinProofs, BeaconWitnessRevealCreditsWitnessesAndBeaconer) {
  const uint64_t h = chain_.height();
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  pb::Receipt rw =
      submit({proof(prover_of(w_), 1, witness(n_.id, -90)), proof(prover_of(u_), 1, witness(n_.id, -90))});
  EXPECT_EQ(reasons(rw), (std::vector<uint32_t>{0, 0}));
  // A recorded witness is pending: no weight yet.
  EXPECT_EQ(rw.proofs(0).weight(), 0u);
  EXPECT_EQ(chain_.device(w_.id)->accrued_weight(), 0u);
  auto rec = load_record<pb::Beacon>(StateView(chain_), beacon_key(n_.id));
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->challenge_height(), h);
  EXPECT_EQ(rec->pending_size(), 2);
  EXPECT_EQ(rec->pending(0).witness(), str(w_.id));

  pb::Receipt r = reveal(n_);
  ASSERT_EQ(r.proofs_size(), 1);
  EXPECT_PROOF(static_cast<R>(r.proofs(0).reason()), R::kAccepted);
  EXPECT_EQ(r.proofs(0).kind(), pb::BEACON_REVEAL);
  ASSERT_EQ(r.proofs(0).witnesses_size(), 2);
  EXPECT_EQ(r.proofs(0).witnesses(0).witness(), str(w_.id));
  EXPECT_EQ(r.proofs(0).witnesses(0).reason(), 0u);
  EXPECT_EQ(r.proofs(0).witnesses(0).weight(), 20u);
  EXPECT_EQ(r.proofs(0).witnesses(1).witness(), str(u_.id));
  EXPECT_EQ(r.proofs(0).witnesses(1).weight(), 20u);
  // Two valid witnesses of at most two: the beaconer earns one witness's weight.
  EXPECT_EQ(r.proofs(0).weight(), 20u);
  EXPECT_EQ(chain_.device(w_.id)->accrued_weight(), 20u);
  EXPECT_EQ(chain_.device(u_.id)->accrued_weight(), 20u);
  EXPECT_EQ(chain_.device(n_.id)->accrued_weight(), 20u);
  rec = load_record<pb::Beacon>(StateView(chain_), beacon_key(n_.id));
  ASSERT_TRUE(rec);
  EXPECT_TRUE(rec->revealed());
  EXPECT_EQ(rec->pending_size(), 0);
  EXPECT_EQ(rec->rewarded_size(), 2);
  // The reveal paid for judging the pending witnesses (submit checks the gas to the unit).
  EXPECT_GE(r.gas_used(), gas::kSubmitProofsBase + gas::kPerProof + gas::kPerBeaconReveal);
}

TEST_F(DepinProofs, FewerWitnessesEarnTheBeaconerLess) {
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, witness(n_.id, -90))), R::kAccepted);
  pb::Receipt r = reveal(n_);
  EXPECT_EQ(r.proofs(0).weight(), 10u);  // 20 × 1 / 2
  // A beacon nobody heard earns nothing, but the reveal is accepted.
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  r = reveal(n_);
  EXPECT_EQ(r.proofs(0).reason(), 0u);
  EXPECT_EQ(r.proofs(0).weight(), 0u);
  EXPECT_EQ(r.proofs(0).witnesses_size(), 0);
}

// An unrevealed beacon earns nothing; the next beacon replaces it and its witnesses are released.
TEST_F(DepinProofs, UnrevealedBeaconEarnsNothingAndIsReplaced) {
  const uint64_t h = chain_.height();
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, witness(n_.id, -90))), R::kAccepted);
  advance_to(h + 2 * kBeaconWindow + 1);
  beacons_.erase(str(n_.id));
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  auto rec = load_record<pb::Beacon>(StateView(chain_), beacon_key(n_.id));
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->pending_size(), 0);
  EXPECT_FALSE(rec->revealed());
  // The released witness may witness the new beacon; nobody earned anything from the old one.
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 2, witness(n_.id, -90))), R::kAccepted);
  EXPECT_EQ(chain_.device(w_.id)->accrued_weight(), 0u);
  EXPECT_EQ(chain_.device(n_.id)->accrued_weight(), 0u);
}

// ---------------------------------------------------------------- one test per reason

// Sparse challenges: one per device per epoch on average, so most heights challenge nobody in particular.
class SparseBeacons : public DepinProofs {
 public:
  SparseBeacons() : DepinProofs(1000, 10, 1) {}
  bool challenged(const Address& d, uint64_t h) const {
    return is_challenged(test_block_hash(h), d, challenge_threshold(1, kEpochBlocks));
  }
  // A height in the beacon window of the next block at which `d` is (or is not) challenged,
  // advancing the chain until there is one.
  uint64_t find_height(const Address& d, bool want) {
    for (;;) {
      for (uint64_t h = chain_.height() + 1 - kBeaconWindow; h <= chain_.height(); ++h)
        if (challenged(d, h) == want) return h;
      chain_.block();
    }
  }
};

TEST_F(SparseBeacons, BeaconNotChallenged) {
  const uint64_t no = find_height(n_.id, false);
  EXPECT_PROOF(open_beacon(n_, no), R::kBeaconNotChallenged);
  const uint64_t yes = find_height(n_.id, true);
  EXPECT_PROOF(open_beacon(n_, yes), R::kAccepted);
  // A witness naming a height at which the beaconer was not challenged says so.
  const uint64_t other = find_height(n_.id, false);
  pb::ProofPayload pl = witness(n_.id, -90);
  pl.set_challenge_height(other);
  pl.set_beacon_receipt(std::string(32, '\x01'));
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, pl)), R::kBeaconNotChallenged);
}

TEST_F(DepinProofs, BeaconForAHeightNotYetBuiltIsNotChallenged) {
  EXPECT_PROOF(open_beacon(n_, chain_.height() + 1), R::kBeaconNotChallenged);
  pb::ProofPayload pl = witness(n_.id, -90);
  pl.set_challenge_height(chain_.height() + 1);
  pl.set_beacon_receipt(std::string(32, '\x01'));
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, pl)), R::kBeaconNotChallenged);
}

TEST_F(DepinProofs, BeaconWindowClosed) {
  advance_to(10);
  EXPECT_PROOF(open_beacon(n_, chain_.height() - kBeaconWindow), R::kBeaconWindowClosed);  // W + 1 blocks ago
  EXPECT_PROOF(open_beacon(n_, chain_.height() - kBeaconWindow + 1), R::kAccepted);        // exactly W
}

TEST_F(DepinProofs, BeaconAlreadyRecorded) {
  advance_to(10);
  const uint64_t h = chain_.height();
  EXPECT_PROOF(open_beacon(n_, h), R::kAccepted);
  EXPECT_PROOF(open_beacon(n_, h - 1), R::kBeaconAlreadyRecorded);  // an earlier one
  EXPECT_PROOF(open_beacon(n_, h), R::kBeaconAlreadyRecorded);      // the same challenge
  EXPECT_PROOF(open_beacon(n_, h + 2), R::kAccepted);               // a later one replaces it
}

TEST_F(DepinProofs, BeaconNotCommitted) {
  // A witness of a challenged device that recorded no beacon.
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, witness(n_.id, -90))), R::kBeaconNotCommitted);
  // A reveal without a beacon.
  EXPECT_PROOF(submit_one(proof(prover_of(n_), 1, reveal_payload(chain_.height(), test_secret(n_.id, 0)))),
               R::kBeaconNotCommitted);
  // A witness of a beacon replaced by a later one.
  const uint64_t h = chain_.height();
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  const auto old = beacons_.at(str(n_.id));
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  pb::ProofPayload pl = witness(n_.id, -90);
  pl.set_challenge_height(h);
  pl.set_beacon_receipt(str(beacon_receipt(old.second, w_.id)));
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, pl)), R::kBeaconNotCommitted);
}

TEST_F(DepinProofs, WitnessAfterReveal) {
  const uint64_t h = chain_.height();
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  const Hash32 secret = beacons_.at(str(n_.id)).second;
  EXPECT_EQ(reveal(n_).proofs(0).reason(), 0u);
  pb::ProofPayload pl = witness(n_.id, -90);
  pl.set_challenge_height(h);
  pl.set_beacon_receipt(str(beacon_receipt(secret, w_.id)));  // anyone can compute it now
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, pl)), R::kWitnessAfterReveal);
  // An unrevealed beacon past its reveal deadline takes no more witnesses either.
  const uint64_t h2 = chain_.height();
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  advance_to(h2 + 2 * kBeaconWindow);  // the next block is past the deadline
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, witness(n_.id, -90))), R::kWitnessAfterReveal);
}

TEST_F(DepinProofs, BeaconWitnessesFull) {
  const uint64_t h = chain_.height();
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  // Every pending slot taken (a state no short test reaches with real devices).
  pb::Beacon rec = *load_record<pb::Beacon>(StateView(chain_), beacon_key(n_.id));
  for (int i = 0; i < kMaxPendingWitnesses; ++i) {
    pb::PendingWitness* p = rec.add_pending();
    p->set_witness(std::string(19, '\x70') + static_cast<char>(i));
    p->set_receipt(std::string(32, '\x01'));
  }
  chain_.put_for_test(beacon_key(n_.id), encode_canonical(rec));
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, witness(n_.id, -90))), R::kBeaconWitnessesFull);
  EXPECT_EQ(rec.challenge_height(), h);
}

TEST_F(DepinProofs, RevealOutOfWindow) {
  const uint64_t h = chain_.height();
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  const pb::ProofPayload rv = reveal_payload(h, beacons_.at(str(n_.id)).second);
  // Too early: the next block is still in the window (h + W).
  advance_to(h + kBeaconWindow - 1);
  EXPECT_PROOF(submit_one(proof(prover_of(n_), 2, rv)), R::kRevealOutOfWindow);
  // Too late: past h + 2W.
  advance_to(h + 2 * kBeaconWindow);
  EXPECT_PROOF(submit_one(proof(prover_of(n_), 2, rv)), R::kRevealOutOfWindow);
}

TEST_F(DepinProofs, RevealMismatch) {
  const uint64_t h = chain_.height();
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  advance_to(h + kBeaconWindow);
  EXPECT_PROOF(submit_one(proof(prover_of(n_), 2, reveal_payload(h, test_secret(n_.id, h + 1)))),
               R::kRevealMismatch);
  // The right secret still reveals.
  EXPECT_EQ(reveal(n_).proofs(0).reason(), 0u);
}

TEST_F(DepinProofs, BeaconAlreadyRevealed) {
  const uint64_t h = chain_.height();
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  const Hash32 secret = beacons_.at(str(n_.id)).second;
  EXPECT_EQ(reveal(n_).proofs(0).reason(), 0u);
  EXPECT_PROOF(submit_one(proof(prover_of(n_), next_seq(n_.id), reveal_payload(h, secret))),
               R::kBeaconAlreadyRevealed);
}

// Junk receipts cannot crowd out honest ones: only matching receipts take a rewarded slot.
TEST_F(DepinProofs, WrongBeaconSecret) {
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  pb::ProofPayload junk = witness(n_.id, -90);
  junk.set_challenge_height(beacons_.at(str(n_.id)).first);
  junk.set_beacon_receipt(std::string(32, '\x42'));
  pb::Receipt rw = submit({proof(prover_of(w_), 1, junk), proof(prover_of(v_), 1, junk),
                           proof(prover_of(u_), 1, witness(n_.id, -90))});
  EXPECT_EQ(reasons(rw), (std::vector<uint32_t>{0, 0, 0}));  // pending: judged at the reveal
  pb::Receipt r = reveal(n_);
  ASSERT_EQ(r.proofs(0).witnesses_size(), 3);
  EXPECT_EQ(r.proofs(0).witnesses(0).reason(), code(R::kWrongBeaconSecret));
  EXPECT_EQ(r.proofs(0).witnesses(1).reason(), code(R::kWrongBeaconSecret));
  EXPECT_EQ(r.proofs(0).witnesses(2).reason(), 0u);  // the honest one, third, is rewarded (cap 2)
  EXPECT_EQ(r.proofs(0).witnesses(0).weight(), 0u);
  EXPECT_EQ(chain_.device(w_.id)->accrued_weight(), 0u);
  EXPECT_EQ(chain_.device(u_.id)->accrued_weight(), 20u);
  EXPECT_EQ(r.proofs(0).weight(), 10u);  // one valid witness
  // A witness's receipt for another witness id does not match either (receipts are per witness).
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  pb::ProofPayload copied = witness(n_.id, -90);
  copied.set_challenge_height(beacons_.at(str(n_.id)).first);
  copied.set_beacon_receipt(str(beacon_receipt(beacons_.at(str(n_.id)).second, u_.id)));
  EXPECT_PROOF(submit_one(proof(prover_of(b_), 1, copied)), R::kWitnessSameOwner);  // b_ is Bob's
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 2, copied)), R::kAccepted);
  r = reveal(n_);
  ASSERT_EQ(r.proofs(0).witnesses_size(), 1);
  EXPECT_EQ(r.proofs(0).witnesses(0).reason(), code(R::kWrongBeaconSecret));
}

TEST_F(DepinProofs, TooManyWitnessesAtTheReveal) {
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  pb::Receipt rw =
      submit({proof(prover_of(w_), 1, witness(n_.id, -90)), proof(prover_of(v_), 1, witness(n_.id, -90)),
              proof(prover_of(u_), 1, witness(n_.id, -90))});
  EXPECT_EQ(reasons(rw), (std::vector<uint32_t>{0, 0, 0}));
  pb::Receipt r = reveal(n_);
  ASSERT_EQ(r.proofs(0).witnesses_size(), 3);
  EXPECT_EQ(r.proofs(0).witnesses(0).reason(), 0u);
  EXPECT_EQ(r.proofs(0).witnesses(1).reason(), 0u);
  EXPECT_EQ(r.proofs(0).witnesses(2).reason(), code(R::kTooManyWitnesses));
  EXPECT_EQ(chain_.device(u_.id)->accrued_weight(), 0u);
}

// One rewarded witness per (witness, beaconer) pair per epoch: a second witness of the same beacon is
// refused when recorded; a witness of the beaconer's next beacon in the same epoch is not rewarded.
TEST_F(DepinProofs, DuplicateWitnessPairAtRecordAndAtReveal) {
  advance_to(kEpochBlocks);  // blocks 11..19: two beacons fit in epoch 1
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, witness(n_.id, -90))), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 2, witness(n_.id, -90))), R::kDuplicateWitnessPair);
  EXPECT_EQ(reveal(n_).proofs(0).witnesses(0).reason(), 0u);
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 2, witness(n_.id, -90))), R::kAccepted);
  pb::Receipt r = reveal(n_);
  ASSERT_EQ(chain_.height() / kEpochBlocks, 1u);  // both reveals in epoch 1
  ASSERT_EQ(r.proofs(0).witnesses_size(), 1);
  EXPECT_EQ(r.proofs(0).witnesses(0).reason(), code(R::kDuplicateWitnessPair));
  EXPECT_EQ(chain_.device(w_.id)->accrued_weight(), 20u);  // once
  // In the next epoch the pair earns again.
  advance_to(2 * kEpochBlocks);
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 3, witness(n_.id, -90))), R::kAccepted);
  EXPECT_EQ(reveal(n_).proofs(0).witnesses(0).reason(), 0u);
}

// The beaconer's rules: a device that just moved does not beacon, one without lat/lon cannot.
TEST_F(DepinProofs, BeaconerSettlingAndLocationUnknownForABeacon) {
  EXPECT_PROOF(open_beacon(h_), R::kLocationUnknown);  // an H3 cell only
  advance_to(2 + kLocationCooldown - 1);
  EXPECT_PROOF(submit_one(proof(prover_of(n_), 1, locate(latlon(kBerlinLat + 100007, kBerlinLon)))),
               R::kAccepted);
  EXPECT_PROOF(open_beacon(n_), R::kBeaconerSettling);
  advance_to(chain_.height() + kRelocationSettle);
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  // A revoked beaconer's beacon is refused by the common checks.
  chain_.run(chain_.revoke_anchor_tx(kGovernance, maker_b().id));
  EXPECT_PROOF(open_beacon(b_), R::kAnchorRevoked);
}

// ---------------------------------------------------------------- property

// Whatever proofs a device signs (beacons for any recent height with any commitment, witnesses of any
// beacon with right or wrong receipts, reveals with right or wrong secrets), its coverage weight in an
// epoch is at most weight_witness per other device that beaconed (one rewarded pair per epoch) plus
// weight_witness per challenge of its own whose reveal could fall in the epoch.
class BeaconProperty : public DepinProofs {
 public:
  BeaconProperty() : DepinProofs(1000, 10, 3) {}
};

TEST_F(BeaconProperty, CoverageWeightPerEpochIsBoundedWhateverItSigns) {
  uint64_t rng = 0x9e3779b97f4a7c15ULL;
  auto next = [&rng](uint64_t n) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (rng >> 33) % n;
  };
  const uint64_t threshold = challenge_threshold(3, kEpochBlocks);
  auto challenged = [&](const Address& d, uint64_t h) {
    return is_challenged(test_block_hash(h), d, threshold);
  };
  const std::vector<const Dev*> honest{&n_, &b_, &u_};  // beacon when challenged, reveal on time
  const Dev& me = w_;
  std::map<std::string, std::pair<uint64_t, Hash32>> mine;  // my beacon: h, secret (maybe wrong)
  std::map<uint64_t, uint64_t> weight_by_epoch;
  std::set<std::tuple<std::string, std::string, uint64_t>> heard;  // (witness, beaconer, challenge)
  uint64_t rewarded_witness = 0, rewarded_beacon = 0;
  while (chain_.height() < 6 * kEpochBlocks) {
    const uint64_t tip = chain_.height();
    std::vector<pb::Proof> batch;
    std::map<std::string, uint64_t> seq_of;
    auto add = [&](const Dev& d, const pb::ProofPayload& pl) {
      uint64_t& s = seq_of[str(d.id)];
      if (s == 0) s = next_seq(d.id);
      batch.push_back(proof(prover_of(d), s++, pl));
    };
    // Honest beaconers: beacon when challenged, reveal when the window has closed.
    for (const Dev* d : honest) {
      auto it = beacons_.find(str(d->id));
      if (it != beacons_.end() && tip + 1 == it->second.first + kBeaconWindow + 1) {
        add(*d, reveal_payload(it->second.first, it->second.second));
        beacons_.erase(it);
      } else if (it == beacons_.end() && challenged(d->id, tip)) {
        const Hash32 secret = test_secret(d->id, tip);
        add(*d, beacon_payload(tip, secret));
        beacons_[str(d->id)] = {tip, secret};
      }
    }
    // Honest witnesses hear every open beacon of another owner once, mine included.
    for (const Dev* d : honest) {
      for (const auto* open : {&beacons_, &mine}) {
        for (const auto& [beaconer, beacon] : *open) {
          const bool same_owner =
              chain_.device(bytes_to_address(beaconer))->owner() == chain_.device(d->id)->owner();
          if (beaconer == str(d->id) || same_owner ||
              !heard.insert({str(d->id), beaconer, beacon.first}).second)
            continue;
          pb::ProofPayload pl = witness(bytes_to_address(beaconer), -90);
          pl.set_challenge_height(beacon.first);
          pl.set_beacon_receipt(str(beacon_receipt(beacon.second, d->id)));
          add(*d, pl);
        }
      }
    }
    // Me: 1..3 arbitrary proofs, seqs in order.
    std::map<size_t, std::pair<uint64_t, Hash32>> sent_beacons;  // batch index → (h, secret)
    const uint64_t n = 1 + next(3);
    for (uint64_t k = 0; k < n; ++k) {
      pb::ProofPayload pl;
      const uint64_t h = tip + 1 - std::min<uint64_t>(tip, next(kBeaconWindow + 2));
      Hash32 secret = test_secret(me.id, h + next(2));
      switch (next(3)) {
        case 0: {
          // Often an honest beacon when challenged at the tip, otherwise any recent height.
          const uint64_t at = challenged(me.id, tip) && next(2) == 0 ? tip : h;
          pl = beacon_payload(at, secret);
          sent_beacons[batch.size()] = {at, secret};
          break;
        }
        case 1: {
          const Dev* b = honest[next(honest.size())];
          pl = witness(b->id, -90);
          if (next(4) == 0) {  // a receipt of nothing
            pl.set_challenge_height(h);
            pl.set_beacon_receipt(std::string(32, static_cast<char>(next(256))));
          }
          break;
        }
        default: {
          auto it = mine.find(str(me.id));
          pl = reveal_payload(it == mine.end() ? h : it->second.first,
                              it == mine.end() || next(3) == 0 ? secret : it->second.second);
        }
      }
      add(me, pl);
    }
    pb::Receipt r = submit(batch);
    // Honest witnesses hear my beacon only if the chain recorded it.
    for (const auto& [i, beacon] : sent_beacons)
      if (r.proofs(static_cast<int>(i)).reason() == 0) mine[str(me.id)] = beacon;
    for (const auto& p : r.proofs()) {
      if (p.device_id() == str(me.id)) rewarded_beacon += p.kind() == pb::BEACON_REVEAL && p.weight() > 0;
      for (const auto& v : p.witnesses()) rewarded_witness += v.witness() == str(me.id) && v.weight() > 0;
    }
    const pb::Device dev = *chain_.device(me.id);
    weight_by_epoch[dev.accrued_epoch()] = dev.accrued_weight();
  }
  for (const auto& [epoch, weight] : weight_by_epoch) {
    SCOPED_TRACE("epoch " + std::to_string(epoch));
    // My challenges whose reveal (at most 2W after the challenge) can land in this epoch.
    uint64_t challenges = 0;
    const uint64_t start = epoch * kEpochBlocks, end = start + kEpochBlocks;
    for (uint64_t h = start > 2 * kBeaconWindow ? start - 2 * kBeaconWindow : 0; h < end; ++h)
      challenges += challenged(me.id, h);
    EXPECT_LE(weight, 20 * (honest.size() + challenges));
    EXPECT_LE(weight, 1000u);
  }
  // The run reached the rules it bounds: my witnesses were rewarded, and so was a beacon of mine.
  EXPECT_GE(rewarded_witness, 3u);
  EXPECT_GE(rewarded_beacon, 1u);
}

}  // namespace
