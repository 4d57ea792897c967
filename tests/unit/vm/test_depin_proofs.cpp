// SubmitProofs through apply_block (DESIGN §3, §5; doc/depin.md "Proofs"): every proof in a batch is
// accepted or rejected on its own and the receipt lists a ProofReject reason for each (receipt.proofs()[i]).
// Every ProofReject value has a test named after it (the coverage witness ones, and a table that produces
// every value, are in test_depin_witness.cpp); accepted proofs earn the per-kind weight, capped per device
// per epoch.
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
#include "depin_proofs_fixture.h"
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
using namespace physis::vm::proofs_test;

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
  // Uptime is time served: the next uptime proof earns from a reference uptime_interval_blocks later.
  const uint64_t first_ref = chain_.height() - 1;
  EXPECT_EQ(d->uptime_next_ref_height(), first_ref + kUptimeInterval);
  advance_to(first_ref + kUptimeInterval);
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
  EXPECT_PROOF(open_beacon(n_), R::kAccepted);
  pb::Receipt r = submit({proof(prover_of(w_), 1, witness(n_.id, strongest))});
  ASSERT_EQ(r.proofs_size(), 1);
  EXPECT_EQ(r.proofs(0).reason(), 0u);
  EXPECT_EQ(r.proofs(0).weight(), 0u);  // pending until the reveal (doc/depin.md "Beacons")
  EXPECT_EQ(r.proofs(0).kind(), pb::COVERAGE_WITNESS);
  r = reveal(n_);
  ASSERT_EQ(r.proofs(0).witnesses_size(), 1);
  EXPECT_EQ(r.proofs(0).witnesses(0).weight(), 20u);
  EXPECT_EQ(chain_.device(w_.id)->accrued_weight(), 20u);
  EXPECT_EQ(chain_.device(n_.id)->accrued_weight(), 10u);  // one of two witness slots filled
  // Witnessing is symmetric: n hears w at the same distance.
  EXPECT_PROOF(open_beacon(w_), R::kAccepted);
  EXPECT_PROOF(submit_one(proof(prover_of(n_), next_seq(n_.id), witness(w_.id, -90))), R::kAccepted);
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
  // A chain whose cap is 25: data proofs of 10 earn 10, 10, then 5, then nothing.
  DepinChain capped(proofs_genesis(25));
  std::swap(chain_, capped);
  chain_.block();
  Dev d = make_device(maker_a(), 0x60);
  Dev e = make_device(maker_a(), 0x61);
  chain_.block({chain_.register_tx(kAlice, d, maker_a()), chain_.register_tx(kAlice, e, maker_a())});
  const Prover p = prover_of(d);
  const pb::ProofPayload ten = data(2 << 20);
  pb::Receipt r = submit({proof(p, 1, ten), proof(p, 2, ten), proof(p, 3, ten), proof(p, 4, ten)});
  EXPECT_EQ(reasons(r), (std::vector<uint32_t>{0, 0, 0, 0}));
  EXPECT_EQ(chain_.device(d.id)->accrued_weight(), 25u);
  EXPECT_EQ(chain_.device(d.id)->seq(), 4u);  // capped proofs are still accepted: the seq advances
  // A huge data contribution is clipped too, and the cap is per device: e still earns up to 25.
  pb::Receipt r2 = submit({proof(prover_of(e), 1, data(uint64_t{1} << 36))});
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
  const pb::ProofPayload ten = data(2 << 20);
  pb::Receipt r = submit({proof(p, 1, ten), proof(p, 2, ten), proof(p, 3, ten), proof(p, 4, ten)});
  EXPECT_EQ(reasons(r), (std::vector<uint32_t>{0, 0, 0, 0}));
  uint64_t sum = 0;
  for (const auto& pr : r.proofs()) sum += pr.weight();
  EXPECT_EQ(sum, epoch_record(chain_.height() / kEpochBlocks).total_weight());
  EXPECT_EQ(r.proofs(2).weight(), 5u);
  EXPECT_EQ(r.proofs(3).weight(), 0u);
}

TEST_F(DepinProofs, BatchMixingAcceptedAndRejectedRecordsEachOnItsOwn) {
  const Prover w = prover_of(w_), n = prover_of(n_);
  EXPECT_PROOF(open_beacon(b_), R::kAccepted);
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
      proof(w, 2, witness(b_.id, -80)),  // 6 accepted (pending)
  };
  pb::Receipt r = submit(batch);
  EXPECT_EQ(reasons(r),
            (std::vector<uint32_t>{
                0, static_cast<uint32_t>(R::kBadSignature), 0, static_cast<uint32_t>(R::kReplayedSeq),
                static_cast<uint32_t>(R::kUnknownDevice), static_cast<uint32_t>(R::kSeqGap), 0}));
  EXPECT_EQ(r.proofs(0).weight(), 10u);
  EXPECT_EQ(r.proofs(1).weight(), 0u);
  EXPECT_EQ(r.proofs(2).weight(), 10u);
  EXPECT_EQ(r.proofs(6).weight(), 0u);
  EXPECT_EQ(r.proofs(6).kind(), pb::COVERAGE_WITNESS);
  EXPECT_EQ(chain_.device(w_.id)->seq(), 2u);
  EXPECT_EQ(chain_.device(w_.id)->accrued_weight(), 10u);
  EXPECT_EQ(chain_.device(n_.id)->seq(), 1u);
  EXPECT_EQ(chain_.device(n_.id)->accrued_weight(), 10u);
  pb::EpochRecord e = epoch_record(chain_.height() / kEpochBlocks);
  EXPECT_EQ(e.proofs_accepted(), 4u);  // b_'s beacon in the block before, and 3 of the batch
  EXPECT_EQ(e.proofs_rejected(), 4u);
  EXPECT_EQ(e.total_weight(), 20u);
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
  // A beacon, witness or reveal without the 32-byte field its kind needs (doc/depin.md "Beacons").
  {
    pb::ProofPayload no_commitment = beacon_payload(chain_.height(), test_secret(w_.id, 0));
    no_commitment.clear_commitment();
    batch.push_back(proof(w, 1, no_commitment));
    pb::ProofPayload short_secret = reveal_payload(chain_.height(), test_secret(w_.id, 0));
    short_secret.set_secret(short_secret.secret().substr(0, 31));
    batch.push_back(proof(w, 1, short_secret));
    pb::ProofPayload no_receipt = witness(n_.id, -80);
    no_receipt.set_beacon_receipt(std::string(31, '\x01'));
    batch.push_back(proof(w, 1, no_receipt));
  }
  // The size cases never reach the VM through decode_tx (primitives/tx_fields.h; the whole transaction is
  // malformed), but the VM judges them the same if a caller skips decoding.
  pb::Receipt r = submit(batch, /*through_decode=*/false);
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
  EXPECT_PROOF(submit_one(proof(b, 2, data(1 << 20))), R::kAccepted);
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
  EXPECT_PROOF(submit_one(proof(w, 2, data(1 << 20))), R::kAccepted);
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

}  // namespace
