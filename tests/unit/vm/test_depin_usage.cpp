// Usage is paid by its user (doc/depin.md "Usage"): a data contribution counts only with a usage receipt
// signed by a consumer account that is not the device's owner; the consumer pays ⌈bytes × price / 2^20⌉,
// which is burned (SupplyRecord.burned, EpochRecord.burned). One test per reason (usage_missing,
// usage_bad_reference, usage_bad_signature, usage_self_dealing, usage_replayed, usage_unpaid), the
// supply invariant with burns, and the property that a device's weight per epoch is bounded whatever
// proofs it signs.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <vector>

#include "depin_proofs_fixture.h"
#include "depin_test_chain.h"
#include "vm/depin.h"

using namespace physis;
using namespace physis::vm;

namespace {
using namespace physis::vm::depin_test;
using namespace physis::vm::proofs_test;

constexpr uint64_t kMiB = uint64_t{1} << 20;

Amount supply_burned(const DepinProofs::StateView& v) {
  auto s = load_record<pb::SupplyRecord>(v, Bytes{kSupplyKey});
  return s ? decode_amount(as_span(s->burned())).value_or(0) : 0;
}

TEST(DepinUsage, CostIsPerByteRoundedUp) {
  EXPECT_TRUE(usage_cost(0, 1000) == Amount{0});
  EXPECT_TRUE(usage_cost(1, 1000) == Amount{1});  // 1000 / 2^20 rounded up
  EXPECT_TRUE(usage_cost(kMiB, 1000) == Amount{1000});
  EXPECT_TRUE(usage_cost(kMiB + 1, 1000) == Amount{1001});  // 1000 + ⌈1000 / 2^20⌉
  EXPECT_TRUE(usage_cost(3 * kMiB / 2, 1000) == Amount{1500});
  EXPECT_TRUE(usage_cost(UINT64_MAX, UINT64_MAX).has_value());  // < 2^128: genesis caps the price at 2^64 − 1
  EXPECT_FALSE(usage_cost(UINT64_MAX, ~Amount{0}).has_value());  // checked, never wraps
}

TEST_F(DepinProofs, PaidUsageDebitsTheConsumerAndIsBurned) {
  const Address consumer = address_of_key(kConsumer);
  const Address relayer = address_of_key(kRelayer);
  const Amount before = chain_.balance(consumer), relayer_before = chain_.balance(relayer);
  pb::Receipt r = submit({proof(prover_of(w_), 1, data(3 * kMiB + 12345))});
  ASSERT_EQ(r.proofs(0).reason(), 0u);
  EXPECT_EQ(r.proofs(0).weight(), 15u);  // 5 per whole paid MiB, as before
  const Amount cost = *usage_cost(3 * kMiB + 12345, kUsagePrice);
  EXPECT_TRUE(cost == Amount{3 * kUsagePrice + 11774});  // ⌈12345 × 10^6 / 2^20⌉ = 11774
  EXPECT_TRUE(chain_.balance(consumer) == before - cost);
  EXPECT_TRUE(chain_.balance(relayer) == relayer_before - r.gas_used());  // the relayer pays gas only
  EXPECT_TRUE(supply_burned(StateView(chain_)) == cost);
  EXPECT_TRUE(decode_amount(as_span(epoch_record(0).burned())).value_or(0) == cost);
  // The consumer's seq is recorded; the next receipt may skip numbers.
  auto seq = chain_.get(prefixed_key(kUsageSeqPrefix, consumer));
  ASSERT_TRUE(seq && seq->size() == 8);
  EXPECT_EQ(read_u64_be(*seq), usage_seq_);
  usage_seq_ += 5;
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 2, data(kMiB))), R::kAccepted);
  EXPECT_TRUE(supply_burned(StateView(chain_)) == cost + kUsagePrice);
}

TEST_F(DepinProofs, UsageMissing) {
  auto_usage_ = false;
  const Amount before = chain_.balance(address_of_key(kConsumer));
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, data(2 * kMiB))), R::kUsageMissing);
  EXPECT_EQ(chain_.device(w_.id)->seq(), 0u);
  EXPECT_TRUE(chain_.balance(address_of_key(kConsumer)) == before);
  // A receipt for other bytes than the proof claims is malformed.
  pb::ProofPayload pl = data(2 * kMiB);
  attach_usage(pl, w_.id, kConsumer, 1, chain_.height());
  pl.set_data_bytes(3 * kMiB);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, pl)), R::kMalformed);
}

TEST_F(DepinProofs, UsageBadReference) {
  advance_to(kRefWindow + 3);
  const uint64_t h = chain_.height();
  for (uint64_t ref : {h + 1, h - kRefWindow}) {  // not yet a block; older than the window
    pb::ProofPayload pl = data(kMiB);
    attach_usage(pl, w_.id, kConsumer, 1, ref);
    EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, pl)), R::kUsageBadReference);
  }
  pb::ProofPayload pl = data(kMiB);
  attach_usage(pl, w_.id, kConsumer, 1, chain_.height());
  pl.mutable_usage()->set_ref_block_hash(
      str(test_block_hash(chain_.height() - 1)));  // not the canonical hash
  pl.mutable_usage()->set_signature(
      str(crypto::sign_digest(kConsumer, usage_digest(kChain, w_.id, pl.usage()))));
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, pl)), R::kUsageBadReference);
  // The oldest block of the window is fine.
  pb::ProofPayload ok = data(kMiB);
  attach_usage(ok, w_.id, kConsumer, 1, chain_.height() + 1 - kRefWindow);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, ok)), R::kAccepted);
}

TEST_F(DepinProofs, UsageBadSignature) {
  pb::ProofPayload pl = data(kMiB);
  attach_usage(pl, w_.id, kConsumer, 1, chain_.height());
  pb::ProofPayload more = pl;  // the device inflates the bytes after the consumer signed
  more.set_data_bytes(8 * kMiB);
  more.mutable_usage()->set_data_bytes(8 * kMiB);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, more)), R::kUsageBadSignature);
  pb::ProofPayload other = pl;  // named consumer, signed by another account
  other.mutable_usage()->set_signature(
      str(crypto::sign_digest(kRelayer, usage_digest(kChain, w_.id, pl.usage()))));
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, other)), R::kUsageBadSignature);
  pb::ProofPayload high = pl;  // s' = n − s recovers the same key but is not canonical
  std::string sig = high.usage().signature();
  sig = negate_s(sig.substr(0, 64), kSecp256k1Order) + std::string(1, static_cast<char>(sig[64] ^ 1));
  high.mutable_usage()->set_signature(sig);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, high)), R::kUsageBadSignature);
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, pl)), R::kAccepted);
}

TEST_F(DepinProofs, UsageSelfDealing) {
  pb::ProofPayload pl = data(kMiB);
  attach_usage(pl, w_.id, kAlice, 1, chain_.height());  // w_ is Alice's
  const Amount before = chain_.balance(address_of_key(kAlice));
  pb::Receipt r = submit({proof(prover_of(w_), 1, pl)});
  EXPECT_EQ(r.proofs(0).reason(), static_cast<uint32_t>(R::kUsageSelfDealing));
  EXPECT_TRUE(chain_.balance(address_of_key(kAlice)) == before);
  // The same account may pay for Bob's device.
  pb::ProofPayload for_bob = data(kMiB);
  attach_usage(for_bob, n_.id, kAlice, 1, chain_.height());
  EXPECT_PROOF(submit_one(proof(prover_of(n_), 1, for_bob)), R::kAccepted);
}

TEST_F(DepinProofs, UsageReplayed) {
  pb::ProofPayload pl = data(kMiB);
  attach_usage(pl, w_.id, kConsumer, 7, chain_.height());
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, pl)), R::kAccepted);
  const Amount burned = supply_burned(StateView(chain_));
  // The same receipt again, under a new proof seq: refused, nothing paid twice.
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 2, pl)), R::kUsageReplayed);
  // A lower seq, even for another device, is refused too: the seq is the consumer's.
  pb::ProofPayload lower = data(kMiB);
  attach_usage(lower, n_.id, kConsumer, 6, chain_.height());
  EXPECT_PROOF(submit_one(proof(prover_of(n_), 1, lower)), R::kUsageReplayed);
  EXPECT_TRUE(supply_burned(StateView(chain_)) == burned);
}

TEST_F(DepinProofs, UsageUnpaid) {
  // A fresh account with no balance cannot pay; kConsumer cannot pay for 2^40 bytes either.
  pb::ProofPayload pl = data(kMiB);
  attach_usage(pl, w_.id, acct_key(0x66), 1, chain_.height());
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, pl)), R::kUsageUnpaid);
  const Amount before = chain_.balance(address_of_key(kConsumer));
  EXPECT_PROOF(submit_one(proof(prover_of(w_), 1, data(uint64_t{1} << 40))), R::kUsageUnpaid);
  EXPECT_TRUE(chain_.balance(address_of_key(kConsumer)) == before);
  EXPECT_EQ(chain_.device(w_.id)->accrued_weight(), 0u);
  EXPECT_TRUE(supply_burned(StateView(chain_)) == Amount{0});
}

// Property: whatever proofs a device signs (every kind, random references, random bytes, receipts by
// its own owner or others, location jumps), its weight in one epoch is bounded by the schedule:
// uptime ≤ (B/I + 1) × weight_uptime, a witness earns nothing when recorded (coverage weight comes
// with the beaconer's reveal; test_depin_beacons.cpp bounds it), data ≤
// weight_data_per_mib × the MiB its consumers paid for (and each paid byte was debited), all ≤ the cap.
TEST_F(DepinProofs, DeviceWeightPerEpochIsBoundedWhateverItSigns) {
  uint64_t rng = 0x2545f4914f6cdd1dULL;
  auto next = [&rng](uint64_t n) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (rng >> 33) % n;
  };
  const Prover w = prover_of(w_);
  const std::vector<Address> beaconers{n_.id, b_.id, u_.id, v_.id, c_.id, w_.id};
  const std::vector<crypto::PrivateKey> payers{kConsumer, kAlice, kBob};  // Alice owns w_
  struct Earned {
    uint64_t uptime = 0, coverage = 0, data = 0, paid_mib = 0;
    std::set<Address> beaconers;
  };
  std::map<uint64_t, Earned> by_epoch;
  Amount burned_seen = 0;
  uint64_t seqs[3] = {0, 0, 0};
  while (chain_.height() < 5 * kEpochBlocks) {
    const uint64_t h = chain_.height();
    const uint64_t oldest = h + 1 > kRefWindow ? h + 1 - kRefWindow : 0;
    const uint64_t seq = chain_.device(w_.id)->seq();
    pb::TxBody body;
    std::vector<pb::ProofPayload> sent;
    const uint64_t n = 1 + next(6);
    for (uint64_t k = 0; k < n; ++k) {
      pb::ProofPayload pl;
      switch (next(4)) {
        case 0: pl = uptime(); break;
        case 1: pl = witness(beaconers[next(beaconers.size())], -90); break;
        case 2: pl = locate(latlon(kBerlinLat + static_cast<int32_t>(next(3)) * 20, kBerlinLon)); break;
        default: {
          pl = data(next(5 * kMiB));
          const size_t who = next(payers.size());
          attach_usage(pl, w_.id, payers[who], ++seqs[who], oldest + next(h + 1 - oldest));
        }
      }
      sent.push_back(pl);
      // Seqs in order, so that most proofs reach the kind rules.
      *body.mutable_submit_proofs()->add_proofs() = proof(w, seq + 1 + k, pl, oldest + next(h + 1 - oldest));
    }
    pb::Receipt r = chain_.run(chain_.tx(kRelayer, body));
    const uint64_t epoch = chain_.height() / kEpochBlocks;
    Earned& e = by_epoch[epoch];
    for (int i = 0; i < r.proofs_size(); ++i) {
      if (r.proofs(i).reason() != 0) continue;
      const pb::ProofPayload& pl = sent[static_cast<size_t>(i)];
      switch (pl.kind()) {
        case pb::UPTIME: e.uptime += r.proofs(i).weight(); break;
        case pb::COVERAGE_WITNESS:
          e.coverage += r.proofs(i).weight();
          e.beaconers.insert(bytes_to_address(pl.beaconer()));
          break;
        case pb::DATA_CONTRIBUTION:
          e.data += r.proofs(i).weight();
          e.paid_mib += pl.data_bytes() / kMiB;
          EXPECT_NE(pl.usage().consumer(), str(address_of_key(kAlice)));  // never self-paid
          burned_seen += *usage_cost(pl.data_bytes(), kUsagePrice);
          break;
        default: EXPECT_EQ(r.proofs(i).weight(), 0u);  // a location earns nothing
      }
    }
  }
  EXPECT_TRUE(supply_burned(StateView(chain_)) == burned_seen);  // every accepted receipt paid, once
  uint64_t data_epochs = 0;
  for (const auto& [epoch, e] : by_epoch) {
    SCOPED_TRACE("epoch " + std::to_string(epoch));
    EXPECT_LE(e.uptime, (kEpochBlocks / kUptimeInterval + 1) * 10);
    EXPECT_EQ(e.coverage, 0u);  // no beacon was committed: every witness is refused or pending
    EXPECT_LE(e.data, 5 * e.paid_mib);
    EXPECT_LE(e.uptime + e.coverage + e.data, 1000u);
    data_epochs += e.data > 0;
  }
  // The run reached the rules it bounds.
  EXPECT_GE(data_epochs, 3u);
}

}  // namespace

namespace {
// Golden: the usage and location messages are consensus encodings (and physis_tx.py builds the usage
// message too): pinned so that an accidental change fails loudly.
TEST(DepinUsage, MessagesArePinned) {
  pb::UsageReceipt u;
  u.set_consumer(std::string(20, '\x22'));
  u.set_data_bytes(1 << 20);
  u.set_seq(7);
  u.set_ref_height(9);
  u.set_ref_block_hash(std::string(32, '\x33'));
  Address device{};
  device.fill(0x11);
  const Bytes m = usage_message("c", device, u);
  EXPECT_EQ(to_hex(m), to_hex(as_span(std::string_view("PHYSIS/USAGE/v1"))) + "00000001" + "63" +
                           std::string(40, '1') + std::string(40, '2') + "0000000000100000" +
                           "0000000000000007" + "0000000000000009" + std::string(64, '3'));
  EXPECT_EQ(to_hex0x(usage_digest("c", device, u)), to_hex0x(crypto::keccak256(m)));
  const Bytes l = location_message("c", device, latlon(-1, 2), 9, Bytes(32, 0x33));
  // Location { latlon (2) { lat_e7 (sint32 −1 → 1), lon_e7 (2 → 4) } } = 12 04 08 01 10 04
  EXPECT_EQ(to_hex(l), to_hex(as_span(std::string_view("PHYSIS/LOCATION/v1"))) + "00000001" + "63" +
                           std::string(40, '1') + "00000006" + "120408011004" + "0000000000000009" +
                           std::string(64, '3'));
}
}  // namespace
