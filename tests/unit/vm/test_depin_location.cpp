// Locations are the device's word (doc/depin.md "Locations"): a LOCATION_ASSERTION proof signed by the
// device key moves it, at most one per location_cooldown_blocks (location_cooldown); after a move the
// device neither witnesses (relocation_settling) nor is witnessed (beaconer_settling) for
// relocation_settle_blocks. The owner's UpdateDevice and a registration without the device's signature
// are refused in test_depin_apply.cpp.
#include <gtest/gtest.h>

#include "depin_proofs_fixture.h"
#include "depin_test_chain.h"
#include "vm/depin.h"

using namespace physis;
using namespace physis::vm;

namespace {
using namespace physis::vm::depin_test;
using namespace physis::vm::proofs_test;

TEST_F(DepinProofs, LocationAssertionMovesTheDevice) {
  const Prover w = prover_of(w_);
  advance_to(2 + kLocationCooldown - 1);  // w_ asserted its location at registration, height 2
  pb::Receipt r = submit({proof(w, 1, locate(latlon(kBerlinLat + 50, kBerlinLon)))});
  ASSERT_EQ(r.proofs_size(), 1);
  EXPECT_EQ(r.proofs(0).reason(), 0u);
  EXPECT_EQ(r.proofs(0).weight(), 0u);  // a location earns nothing by itself
  auto d = chain_.device(w_.id);
  EXPECT_EQ(d->location().latlon().lat_e7(), kBerlinLat + 50);
  EXPECT_EQ(d->location_asserted_at(), chain_.height());
  EXPECT_EQ(d->relocated_at(), chain_.height());
  EXPECT_EQ(d->seq(), 1u);
  // A location nobody could be at is malformed; the H3 form is the device's word too.
  advance_to(chain_.height() + kLocationCooldown);
  EXPECT_PROOF(submit_one(proof(w, 2, locate(latlon(900000001, 0)))), R::kMalformed);
  EXPECT_PROOF(submit_one(proof(w, 2, locate(pb::Location()))), R::kMalformed);
  EXPECT_PROOF(submit_one(proof(w, 2, locate(h3(0x891f1d48177ffffULL)))), R::kAccepted);
  EXPECT_EQ(chain_.device(w_.id)->location().h3_cell(), 0x891f1d48177ffffULL);
  // Signed by another key, it is not the device's word.
  advance_to(chain_.height() + kLocationCooldown);
  pb::Proof forged = proof(w, 3, locate(latlon(kBerlinLat, kBerlinLon)));
  DepinProofs::sign(forged, prover_of(n_).signer);
  EXPECT_PROOF(submit_one(forged), R::kBadSignature);
}

TEST_F(DepinProofs, LocationCooldown) {
  const Prover w = prover_of(w_);
  // Registration at height 2 was the last assertion: heights 3..6 are inside the cooldown.
  for (uint64_t h = chain_.height() + 1; h < 2 + kLocationCooldown; ++h)
    EXPECT_PROOF(submit_one(proof(w, 1, locate(latlon(kBerlinLat + 7, kBerlinLon)))), R::kLocationCooldown);
  EXPECT_EQ(chain_.device(w_.id)->location().latlon().lat_e7(), kBerlinLat);
  EXPECT_EQ(chain_.device(w_.id)->seq(), 0u);
  EXPECT_PROOF(submit_one(proof(w, 1, locate(latlon(kBerlinLat + 7, kBerlinLon)))), R::kAccepted);
  const uint64_t at = chain_.height();
  // Two in one batch: the second is inside the cooldown of the first.
  advance_to(at + kLocationCooldown - 1);
  pb::Receipt r = submit({proof(w, 2, locate(latlon(kBerlinLat + 8, kBerlinLon))),
                          proof(w, 3, locate(latlon(kBerlinLat + 9, kBerlinLon)))});
  EXPECT_EQ(reasons(r), (std::vector<uint32_t>{0, static_cast<uint32_t>(R::kLocationCooldown)}));
  EXPECT_EQ(chain_.device(w_.id)->location().latlon().lat_e7(), kBerlinLat + 8);
  // A device registered without a location may place itself at once; that is not a move.
  EXPECT_PROOF(submit_one(proof(prover_of(x_), 1, locate(latlon(kBerlinLat, kBerlinLon + 3000)))),
               R::kAccepted);
  EXPECT_EQ(chain_.device(x_.id)->relocated_at(), 0u);
}

TEST_F(DepinProofs, RelocationSettling) {
  const Prover w = prover_of(w_);
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(w, 1, witness(n_.id, -90))), R::kAccepted);
  advance_to(2 + kLocationCooldown - 1);
  EXPECT_PROOF(submit_one(proof(w, 2, locate(latlon(kBerlinLat + 20, kBerlinLon)))), R::kAccepted);
  const uint64_t moved = chain_.height();
  // Until moved + settle the device witnesses nothing (b_: another pair than w_ and n_); uptime is not
  // coverage and still counts.
  int refused = 0;
  while (chain_.height() + 1 < moved + kRelocationSettle) {
    EXPECT_PROOF(submit_one(proof(w, 3, witness(b_.id, -90))), R::kRelocationSettling);
    ++refused;
  }
  EXPECT_EQ(refused, static_cast<int>(kRelocationSettle) - 1);
  EXPECT_PROOF(open_beacon(b_), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(w, 3, witness(b_.id, -90))), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(w, 4, uptime())), R::kAccepted);
}

TEST_F(DepinProofs, BeaconerSettling) {
  advance_to(2 + kLocationCooldown - 1);
  // n_ moves 10 m further north: still in range of w_, but it has to settle before it is witnessed.
  EXPECT_PROOF(submit_one(proof(prover_of(n_), 1, locate(latlon(kBerlinLat + 100090, kBerlinLon)))),
               R::kAccepted);
  const uint64_t moved = chain_.height();
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, witness(n_.id, -90))), R::kBeaconerSettling);
  EXPECT_PROOF(submit_one(proof(prover_of(u_), 1, witness(n_.id, -90))), R::kBeaconerSettling);
  // Nor does it beacon while settling.
  EXPECT_PROOF(open_beacon(n_), R::kBeaconerSettling);
  advance_to(moved + kRelocationSettle - 1);
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, witness(n_.id, -90))), R::kAccepted);
  // Re-asserting the same location is not a move.
  advance_to(moved + kLocationCooldown);
  EXPECT_PROOF(submit_one(proof(prover_of(n_), next_seq(n_.id), locate(latlon(kBerlinLat + 100090, kBerlinLon)))),
               R::kAccepted);
  EXPECT_EQ(chain_.device(n_.id)->relocated_at(), moved);
  EXPECT_PROOF(submit_one(proof(prover_of(u_), 1, witness(n_.id, -90))), R::kAccepted);
}

}  // namespace
