// Rewards for service, not signatures (doc/depin.md "Proofs"): uptime is time served (too_frequent), a
// witness must not share its beaconer's owner (witness_same_owner), one witness is rewarded per
// (witness, beaconer) pair per epoch (duplicate_witness_pair) and a beacon rewards at most
// max_witnesses_per_beacon witnesses in inclusion order (too_many_witnesses). Plus the property that a
// device's uptime weight per epoch is bounded whatever uptime proofs it signs.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "depin_proofs_fixture.h"
#include "depin_test_chain.h"
#include "vm/depin.h"
#include "vm/depin_state.h"

using namespace physis;
using namespace physis::vm;

namespace {
using namespace physis::vm::depin_test;
using namespace physis::vm::proofs_test;

uint32_t code(R r) { return static_cast<uint32_t>(r); }

// ---------------------------------------------------------------- uptime is time served

TEST_F(DepinProofs, TooFrequentUntilTheIntervalHasPassed) {
  const Prover w = prover_of(w_);
  const uint64_t first_ref = chain_.height();
  EXPECT_PROOF(submit_one(proof(w, 1, uptime())), R::kAccepted);
  for (uint64_t k = 1; k < kUptimeInterval; ++k) {
    EXPECT_EQ(chain_.height(), first_ref + k);
    EXPECT_PROOF(submit_one(proof(w, 2, uptime())), R::kTooFrequent);
  }
  // A rejected proof takes neither the seq nor the interval; other kinds are not rate-limited by it.
  EXPECT_EQ(chain_.device(w_.id)->seq(), 1u);
  EXPECT_EQ(chain_.device(w_.id)->uptime_next_ref_height(), first_ref + kUptimeInterval);
  EXPECT_EQ(chain_.height(), first_ref + kUptimeInterval);
  EXPECT_PROOF(submit_one(proof(w, 2, uptime(), first_ref + kUptimeInterval - 1)), R::kTooFrequent);
  EXPECT_PROOF(submit_one(proof(w, 2, uptime())), R::kAccepted);
  EXPECT_EQ(chain_.device(w_.id)->accrued_weight(), 20u);
  EXPECT_PROOF(submit_one(proof(w, 3, data(2 << 20))), R::kAccepted);
  // Several uptime proofs in one batch, with one reference: only the first earns.
  advance_to(chain_.height() + kUptimeInterval);
  pb::Receipt r = submit({proof(w, 4, uptime()), proof(w, 5, uptime()), proof(w, 5, uptime())});
  EXPECT_EQ(reasons(r), (std::vector<uint32_t>{0, code(R::kTooFrequent), code(R::kTooFrequent)}));
  EXPECT_EQ(r.proofs(0).weight(), 10u);
  EXPECT_EQ(chain_.device(w_.id)->seq(), 4u);
}

// A proof whose reference is in an earlier epoch counts at the previous epoch's last height: a device
// that was silent in epoch 0 cannot bring epoch-0 references into epoch 1, spaced by the interval, and
// earn them all there.
TEST_F(DepinProofs, AnOlderReferenceCountsAtTheEpochStart) {
  advance_to(kEpochBlocks + 1);  // the next block is height 12, in epoch 1; refs down to 4 are recent
  const Prover w = prover_of(w_);
  pb::Receipt r = submit({proof(w, 1, uptime(), 4), proof(w, 2, uptime(), 7), proof(w, 2, uptime(), 10)});
  // 4 counts at 9, so the next earns from 12; 7 (at 9) and 10 are too early.
  EXPECT_EQ(reasons(r), (std::vector<uint32_t>{0, code(R::kTooFrequent), code(R::kTooFrequent)}));
  EXPECT_EQ(chain_.device(w_.id)->uptime_next_ref_height(), kEpochBlocks - 1 + kUptimeInterval);
  // An honest proof included right after its reference is never moved.
  advance_to(kEpochBlocks - 1 + kUptimeInterval);
  EXPECT_PROOF(submit_one(proof(w, 2, uptime())), R::kAccepted);
  EXPECT_EQ(chain_.device(w_.id)->uptime_next_ref_height(), kEpochBlocks - 1 + 2 * kUptimeInterval);
}

// Property: however many uptime proofs a device signs, with whatever recent references, the uptime weight
// credited in one epoch is at most (epoch_blocks / uptime_interval_blocks + 1) × weight_uptime. Two
// devices send two transactions per block, each a batch of uptime proofs with pseudo-random recent
// references (seeded, so the run is reproducible); the bound must hold in every epoch and must be
// nearly reached, so that the test would see a weaker rule.
TEST_F(DepinProofs, UptimeWeightPerEpochIsBoundedWhateverTheDeviceSigns) {
  const uint64_t bound = (kEpochBlocks / kUptimeInterval + 1) * 10;
  uint64_t rng = 0x9e3779b97f4a7c15ULL;
  auto next = [&rng](uint64_t n) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (rng >> 33) % n;
  };
  const std::vector<Prover> provers{prover_of(w_), prover_of(n_)};
  std::map<std::pair<size_t, uint64_t>, uint64_t> earned;  // (device, including epoch) → uptime weight
  while (chain_.height() < 6 * kEpochBlocks) {
    const uint64_t h = chain_.height();  // the next block is h + 1: refs in [h + 1 − window, h]
    const uint64_t oldest = h + 1 > kRefWindow ? h + 1 - kRefWindow : 0;
    std::vector<VerifiedTx> txs;
    for (const Prover& p : provers) {
      const uint64_t seq = chain_.device(p.id)->seq();
      for (uint64_t t = 1; t <= 2; ++t) {
        pb::TxBody body;
        const uint64_t n = 1 + next(4);
        for (uint64_t k = 0; k < n; ++k)
          *body.mutable_submit_proofs()->add_proofs() = proof(p, seq + t, uptime(), oldest + next(h + 1 - oldest));
        txs.push_back(chain_.tx(kRelayer, body));
      }
    }
    BlockResult r = chain_.block(txs);
    const uint64_t epoch = chain_.height() / kEpochBlocks;
    for (size_t i = 0; i < r.receipts.size(); ++i)
      for (const auto& pr : r.receipts[i].proofs())
        if (pr.reason() == 0) earned[{i / 2, epoch}] += pr.weight();
  }
  uint64_t best = 0;
  for (const auto& [key, w] : earned) {
    EXPECT_LE(w, bound) << "device " << key.first << " epoch " << key.second;
    best = std::max(best, w);
  }
  EXPECT_GE(best, bound - 10);
}

// ---------------------------------------------------------------- witness rules

TEST_F(DepinProofs, WitnessSameOwner) {
  // b_ and n_ are Bob's, w_ is Alice's. The owner rule comes before the beacon is looked up.
  EXPECT_PROOF(submit_one(proof(prover_of(b_), 1, witness(n_.id, -90))), R::kWitnessSameOwner);
  EXPECT_PROOF(submit_one(proof(prover_of(n_), 1, witness(b_.id, -90))), R::kWitnessSameOwner);
  EXPECT_EQ(chain_.device(b_.id)->seq(), 0u);
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, witness(n_.id, -90))), R::kAccepted);
  // The rule reads the owners at the including height: once Bob sells n_ to Alice, w_ cannot witness it.
  chain_.run(chain_.update_tx(kBob, n_.id, std::nullopt, address_of_key(kAlice)));
  advance_to(kEpochBlocks);
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 2, witness(n_.id, -90))), R::kWitnessSameOwner);
  EXPECT_PROOF(submit_one(proof(prover_of(b_), 1, witness(n_.id, -90))), R::kAccepted);
}

TEST_F(DepinProofs, OneRewardedWitnessPerPairPerEpoch) {
  const Prover w = prover_of(w_);
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(w, 1, witness(n_.id, -90))), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(w, 2, witness(n_.id, -95))), R::kDuplicateWitnessPair);  // the same beacon
  EXPECT_EQ(chain_.device(w_.id)->seq(), 1u);
  EXPECT_EQ(reveal(n_).proofs(0).witnesses(0).weight(), 20u);
  EXPECT_EQ(chain_.device(w_.id)->accrued_weight(), 20u);
  // Another beaconer, and the reverse pair, are other pairs.
  EXPECT_PROOF(open_beacon(b_), R::kAccepted);
  EXPECT_PROOF(open_beacon(w_), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(w, next_seq(w_.id), witness(b_.id, -90))), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(prover_of(n_), next_seq(n_.id), witness(w_.id, -90))), R::kAccepted);
  EXPECT_EQ(reveal(b_).proofs(0).witnesses(0).weight(), 20u);
  pb::Receipt r = reveal(w_);
  EXPECT_EQ(r.proofs(0).witnesses(0).weight(), 20u);
  EXPECT_EQ(r.proofs(0).weight(), 10u);  // w_'s own beacon, one witness of two
  ASSERT_EQ(chain_.height() / kEpochBlocks, 1u);  // the first pair's weight was epoch 0's
  EXPECT_EQ(chain_.device(w_.id)->accrued_weight(), 20u + 10u);
}

TEST_F(DepinProofs, AtMostMaxWitnessesPerBeaconInInclusionOrder) {
  static_assert(kMaxWitnesses == 2);
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  // A receipt that fails another rule takes no slot: u_'s implausible one comes first.
  pb::Receipt r = submit({proof(prover_of(u_), 1, witness(n_.id, -151)), proof(prover_of(v_), 1, witness(n_.id, -90)),
                          proof(prover_of(w_), 1, witness(n_.id, -90)), proof(prover_of(u_), 1, witness(n_.id, -90))});
  EXPECT_EQ(reasons(r), (std::vector<uint32_t>{code(R::kSignalImplausible), 0, 0, 0}));
  r = reveal(n_);
  ASSERT_EQ(r.proofs(0).witnesses_size(), 3);
  EXPECT_EQ(r.proofs(0).witnesses(2).reason(), code(R::kTooManyWitnesses));
  EXPECT_EQ(r.proofs(0).witnesses(2).weight(), 0u);
  auto rec = load_record<pb::Beacon>(StateView(chain_), beacon_key(n_.id));
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->rewarded_epoch(), 0u);
  ASSERT_EQ(rec->rewarded_size(), 2);
  EXPECT_EQ(rec->rewarded(0), str(v_.id));  // inclusion order
  EXPECT_EQ(rec->rewarded(1), str(w_.id));
  // The cap is per beaconer: u_ may witness b_.
  EXPECT_PROOF(open_beacon(b_), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(prover_of(u_), 2, witness(b_.id, -90))), R::kAccepted);
  EXPECT_EQ(reveal(b_).proofs(0).witnesses(0).reason(), 0u);
  // The next epoch's first reveal replaces the rewarded list: one per beaconer, never more than the cap.
  advance_to(kEpochBlocks);
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(prover_of(u_), 3, witness(n_.id, -90))), R::kAccepted);
  EXPECT_EQ(reveal(n_).proofs(0).witnesses(0).reason(), 0u);
  rec = load_record<pb::Beacon>(StateView(chain_), beacon_key(n_.id));
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->rewarded_epoch(), 1u);
  ASSERT_EQ(rec->rewarded_size(), 1);
  EXPECT_EQ(rec->rewarded(0), str(u_.id));
}

}  // namespace
