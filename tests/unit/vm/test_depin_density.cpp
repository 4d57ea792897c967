// Density (doc/depin.md "Density"): the state counts active devices with a lat/lon location per cell of
// an integer grid, changed in O(1) by registration, a move and deactivation; a coverage witness in a cell
// of n > target_devices_per_cell devices earns ⌊weight_witness × target / n⌋.
#include <gtest/gtest.h>

#include "depin_proofs_fixture.h"
#include "depin_test_chain.h"
#include "vm/density.h"
#include "vm/depin.h"

using namespace physis;
using namespace physis::vm;

namespace {
using namespace physis::vm::depin_test;
using namespace physis::vm::proofs_test;

TEST(DepinDensity, GridCellsUseFloorDivision) {
  EXPECT_EQ(grid_cell(latlon(525200000, 134050000), 100000), (GridCell{5252, 1340}));
  EXPECT_EQ(grid_cell(latlon(-1, -100000), 100000), (GridCell{-1, -1}));
  EXPECT_EQ(grid_cell(latlon(-100001, 99999), 100000), (GridCell{-2, 0}));
  EXPECT_EQ(grid_cell(latlon(-900000000, -1800000000), 1), (GridCell{-900000000, -1800000000}));
  EXPECT_FALSE(grid_cell(h3(0x891f1d48177ffffULL), 100000).has_value());
  EXPECT_FALSE(grid_cell(pb::Location(), 100000).has_value());
  // Keys sort by cell and are distinct for neighbours.
  EXPECT_LT(density_key({-1, 5}), density_key({0, 5}));
  EXPECT_NE(density_key({0, -1}), density_key({0, 0}));
}

TEST(DepinDensity, ScalingIsTargetOverNFloored) {
  EXPECT_EQ(density_scaled(20, 1, 10), 20u);
  EXPECT_EQ(density_scaled(20, 10, 10), 20u);
  EXPECT_EQ(density_scaled(20, 11, 10), 18u);  // 200 / 11 = 18.18
  EXPECT_EQ(density_scaled(20, 3, 1), 6u);
  EXPECT_EQ(density_scaled(20, 41, 1), 0u);
  const uint64_t max = uint64_t{1} << 32;
  EXPECT_EQ(density_scaled(max, max + 1, max), max * max / (max + 1));  // no overflow at the bounds
}

uint64_t count_at(const DepinChain& c, const pb::Location& l) {
  auto raw = c.get(density_key(*grid_cell(l, kDensityCell)));
  return raw && raw->size() == 8 ? read_u64_be(*raw) : 0;
}

TEST_F(DepinProofs, CellCountsFollowRegistrationMovesAndDeactivation) {
  const pb::Location berlin = latlon(kBerlinLat, kBerlinLon);
  EXPECT_EQ(count_at(chain_, berlin), 2u);                                   // w_ and c_ (11 m apart)
  EXPECT_EQ(count_at(chain_, latlon(kBerlinLat + 100000, kBerlinLon)), 1u);  // n_
  // A move takes the device from one cell to the other: one write each, no scan.
  advance_to(2 + kLocationCooldown - 1);
  WriteSet writes;
  pb::TxBody body;
  *body.mutable_submit_proofs()->add_proofs() =
      proof(prover_of(c_), 1, locate(latlon(kBerlinLat + 100000, kBerlinLon)));
  chain_.run(chain_.tx(kRelayer, body), &writes);
  EXPECT_EQ(count_at(chain_, berlin), 1u);
  EXPECT_EQ(count_at(chain_, latlon(kBerlinLat + 100000, kBerlinLon)), 2u);
  size_t grid_writes = 0;
  for (const auto& [k, v] : writes) grid_writes += !k.empty() && k[0] == kDensityPrefix;
  EXPECT_EQ(grid_writes, 2u);
  // A move inside the cell changes no count; a move to H3 leaves the grid.
  advance_to(chain_.height() + kLocationCooldown);
  EXPECT_PROOF(submit_one(proof(prover_of(c_), 2, locate(latlon(kBerlinLat + 100005, kBerlinLon)))),
               R::kAccepted);
  EXPECT_EQ(count_at(chain_, latlon(kBerlinLat + 100000, kBerlinLon)), 2u);
  advance_to(chain_.height() + kLocationCooldown);
  EXPECT_PROOF(submit_one(proof(prover_of(c_), 3, locate(h3(0x891f1d48177ffffULL)))), R::kAccepted);
  EXPECT_EQ(count_at(chain_, latlon(kBerlinLat + 100000, kBerlinLon)), 1u);
  // Deactivation removes the device; the last one out deletes the counter.
  chain_.run(chain_.update_tx(kBob, n_.id, std::nullopt, std::nullopt, true));
  EXPECT_EQ(count_at(chain_, latlon(kBerlinLat + 100000, kBerlinLon)), 0u);
  const auto gone =
      chain_.get(density_key(*grid_cell(latlon(kBerlinLat + 100000, kBerlinLon), kDensityCell)));
  EXPECT_TRUE(gone.has_value() && gone->empty());  // an empty value deletes the key from storage
  // Devices without lat/lon (h_, x_) and deactivating one of them count nowhere and fault nothing.
  chain_.run(chain_.update_tx(kBob, x_.id, std::nullopt, std::nullopt, true));
}

// target_devices_per_cell = 1: w_ shares its cell with c_, so its witness weight is halved.
class DenseCells : public DepinProofs {
 public:
  DenseCells() : DepinProofs(1000, 1) {}
};

TEST_F(DenseCells, CoverageWeightIsScaledInCrowdedCells) {
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  pb::Receipt r =
      submit({proof(prover_of(w_), 1, witness(n_.id, -90)), proof(prover_of(u_), 1, witness(n_.id, -90))});
  EXPECT_EQ(reasons(r), (std::vector<uint32_t>{0, 0}));
  // The weights are credited at the reveal (doc/depin.md "Beacons").
  r = reveal(n_);
  ASSERT_EQ(r.proofs(0).witnesses_size(), 2);
  EXPECT_EQ(r.proofs(0).witnesses(0).weight(), 10u);  // 20 × 1 / 2
  EXPECT_EQ(r.proofs(0).witnesses(1).weight(), 20u);  // u_ is alone in its cell
  EXPECT_EQ(r.proofs(0).weight(), 20u);               // so is the beaconer n_
  // Uptime is not coverage: not scaled.
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 2, uptime())), R::kAccepted);
  EXPECT_EQ(chain_.device(w_.id)->accrued_weight(), 20u);
  // Once c_ leaves the cell, w_ earns the whole weight again.
  advance_to(2 + kLocationCooldown - 1);
  EXPECT_PROOF(submit_one(proof(prover_of(c_), 1, locate(latlon(kBerlinLat + 300000, kBerlinLon)))),
               R::kAccepted);
  EXPECT_PROOF(open_beacon(b_), R::kAccepted);
  r = submit({proof(prover_of(w_), 3, witness(b_.id, -90))});
  EXPECT_EQ(r.proofs(0).reason(), 0u);
  r = reveal(b_);
  ASSERT_EQ(r.proofs(0).witnesses_size(), 1);
  EXPECT_EQ(r.proofs(0).witnesses(0).weight(), 20u);
}

}  // namespace
