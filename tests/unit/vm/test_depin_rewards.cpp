// Epoch emission and lazy reward settlement through apply_block (DESIGN §3; doc/depin.md "Rewards"):
// halving and supply cap, the device / validator / treasury split with integer floors (remainders to the
// treasury), validators paid by voting power, device shares paid when the device next acts or is claimed,
// one RewardRecord per device per epoch, the supply invariant, and determinism of the state roots.
//
// Expected amounts are computed here independently, with plain 128-bit integer arithmetic.
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
#include "depin_reward_chain.h"
#include "depin_test_chain.h"
#include "primitives/codec.h"
#include "primitives/genesis.h"
#include "primitives/physis.pb.h"
#include "primitives/transaction.h"
#include "util/amount.h"
#include "vm/accounts.h"
#include "vm/apply.h"
#include "vm/attestation.h"
#include "vm/depin.h"
#include "vm/depin_state.h"
#include "vm/gas.h"
#include "vm/state.h"

using namespace physis;
using namespace physis::vm;

namespace {
using namespace physis::vm::depin_test;

// ---------------------------------------------------------------- pure functions

TEST(DepinRewardMath, ScheduledEmissionHalvesEveryInterval) {
  DepinParams p;
  p.emission_per_epoch = 1000;
  p.halving_interval_epochs = 3;
  const Amount expected[] = {1000, 1000, 1000, 500, 500, 500, 250, 250, 250, 125};
  for (uint64_t e = 0; e < 10; ++e) EXPECT_AMOUNT(scheduled_emission(p, e), expected[e]);
  EXPECT_AMOUNT(scheduled_emission(p, 3 * 9), 1);    // 1000 >> 9
  EXPECT_AMOUNT(scheduled_emission(p, 3 * 10), 0);   // 1000 >> 10
  EXPECT_AMOUNT(scheduled_emission(p, 3 * 200), 0);  // past 128 halvings: no undefined shift
  p.emission_per_epoch = ~static_cast<Amount>(0);
  EXPECT_AMOUNT(scheduled_emission(p, 3 * 127), 1);
  EXPECT_AMOUNT(scheduled_emission(p, 3 * 128), 0);
  p.halving_interval_epochs = 0;  // never halves
  EXPECT_AMOUNT(scheduled_emission(p, 1'000'000), ~static_cast<Amount>(0));
}

TEST(DepinRewardMath, MulDivWeightIsTheExactFloor) {
  // Where a × b fits in 128 bits, the plain formula is the reference.
  const uint64_t as[] = {0, 1, 2, 7, 999, 123456789};
  const Amount bs[] = {0, 1, 10, 700002, static_cast<Amount>(1) << 80};
  for (uint64_t c : {uint64_t{123456789}, uint64_t{1} << 40, ~uint64_t{0}}) {
    for (uint64_t a : as) {
      if (a > c) continue;
      for (Amount b : bs) EXPECT_AMOUNT(mul_div_weight(a, b, c), static_cast<Amount>(a) * b / c);
    }
  }
  // Where it does not fit: a = c gives b back; halves of an even pool.
  const Amount max = ~static_cast<Amount>(0);
  EXPECT_AMOUNT(mul_div_weight(~uint64_t{0}, max, ~uint64_t{0}), max);
  EXPECT_AMOUNT(mul_div_weight(uint64_t{1} << 62, static_cast<Amount>(1) << 127, uint64_t{1} << 63),
                static_cast<Amount>(1) << 126);
  // (2^64 − 2) × (2^128 − 1) / (2^64 − 1) = 2^128 − 1 − (2^128 − 1)/(2^64 − 1) = 2^128 − 1 − (2^64 + 1).
  EXPECT_AMOUNT(mul_div_weight(~uint64_t{0} - 1, max, ~uint64_t{0}),
                max - ((static_cast<Amount>(1) << 64) + 1));
}

// ---------------------------------------------------------------- epoch close

TEST_F(DepinRewards, EpochWithNoWeightSplitsEmissionAndSendsTheDevicePoolToTheTreasury) {
  chain_.advance_to(4);
  EXPECT_FALSE(chain_.epoch(0).closed());
  EXPECT_AMOUNT(chain_.balance(kTreasury), 0);
  chain_.block();  // height 5: the first block of epoch 1 closes epoch 0
  const Split s = expected_split(1'000'003, false, chain_.validators());
  EXPECT_AMOUNT(s.validator_shares[0], 66'666);  // ⌊200000 × 1/3⌋
  EXPECT_AMOUNT(s.validator_shares[1], 133'333);
  EXPECT_AMOUNT(chain_.balance(kV1), s.validator_shares[0]);
  EXPECT_AMOUNT(chain_.balance(kV2), s.validator_shares[1]);
  // Treasury: its 10% share, the whole device pool and the validators' rounding remainder.
  EXPECT_AMOUNT(chain_.balance(kTreasury), s.treasury);
  EXPECT_AMOUNT(s.treasury, 100'001 + 700'002 + 1);
  const pb::EpochRecord e = chain_.epoch(0);
  EXPECT_TRUE(e.closed());
  EXPECT_EQ(e.closed_at(), 5u);
  EXPECT_AMOUNT(amount_of(e.emission()), 1'000'003);
  EXPECT_AMOUNT(amount_of(e.device_pool()), 0);
  EXPECT_AMOUNT(amount_of(e.validator_pool()), 200'000);
  EXPECT_AMOUNT(amount_of(e.device_pool()) + amount_of(e.validator_pool()) + amount_of(e.treasury_pool()),
                amount_of(e.emission()));
  EXPECT_EQ(chain_.supply().last_closed_epoch_plus_one(), 1u);
  EXPECT_AMOUNT(amount_of(chain_.supply().minted()), 1'000'003);
  expect_supply_invariant(chain_);
  // The next epoch closes at height 10, and only then.
  chain_.advance_to(9);
  EXPECT_FALSE(chain_.epoch(1).closed());
  chain_.block();
  EXPECT_TRUE(chain_.epoch(1).closed());
  EXPECT_AMOUNT(chain_.balance(kV2), 2 * s.validator_shares[1]);
  expect_supply_invariant(chain_);
}

TEST_F(DepinRewards, HalvingAndSupplyCap) {
  // 1000 per epoch halving every 2 epochs, capped at genesis + 3100: 1000, 1000, 500, 500, then 100 (the cap
  // bites), then nothing.
  RewardParams rp;
  rp.emission = 1000;
  rp.halving = 2;
  rp.cap_above_genesis = 3100;
  RewardChain c(rewards_genesis(rp, {{kV1, 1}}), {{kV1, 1}});
  c.advance_to(5 * 8);  // epochs 0..6 closed
  const Amount expected[] = {1000, 1000, 500, 500, 100, 0, 0};
  Amount minted = 0;
  for (uint64_t e = 0; e < 7; ++e) {
    SCOPED_TRACE("epoch " + std::to_string(e));
    EXPECT_TRUE(c.epoch(e).closed());
    EXPECT_AMOUNT(amount_of(c.epoch(e).emission()), expected[e]);
    minted += expected[e];
  }
  EXPECT_AMOUNT(amount_of(c.supply().minted()), minted);
  EXPECT_AMOUNT(amount_of(c.supply().genesis()) + amount_of(c.supply().minted()),
                c.genesis().depin.supply_cap);
  expect_supply_invariant(c);
}

// supply_cap 0 ("no cap") means the largest representable supply: with an emission near 2^128 − 1 the
// second epoch mints only what is left below 2^128 − 1 and the third nothing; genesis + minted never wraps
// and no balance saturates.
TEST_F(DepinRewards, NoCapStopsMintingAtTheLargestRepresentableSupply) {
  const Amount max = ~static_cast<Amount>(0);
  RewardParams rp;
  rp.emission = max - kFunds * 4 - 10;  // epoch 0 leaves room for 10 more
  rp.halving = 0;
  RewardChain c(rewards_genesis(rp, {{kV1, 1}}), {{kV1, 1}});
  ASSERT_EQ(c.genesis().depin.supply_cap, 0u);
  c.advance_to(5 * 4);  // epochs 0..3 closed
  EXPECT_AMOUNT(amount_of(c.epoch(0).emission()), rp.emission);
  EXPECT_AMOUNT(amount_of(c.epoch(1).emission()), 10);
  EXPECT_AMOUNT(amount_of(c.epoch(2).emission()), 0);
  EXPECT_AMOUNT(amount_of(c.epoch(3).emission()), 0);
  EXPECT_AMOUNT(amount_of(c.supply().genesis()) + amount_of(c.supply().minted()), max);
  EXPECT_AMOUNT(c.balance(kV1) + c.balance(kTreasury), rp.emission + 10);
  expect_supply_invariant(c);
}

TEST_F(DepinRewards, ValidatorsWithUnequalPowerSplitByFloors) {
  // Three validators with powers 1, 2 and 4 on an emission whose validator pool is not divisible by 7.
  RewardParams rp;
  rp.emission = 1'234'567;
  const Address v3 = fixed_address(0xa3);
  const Validators vals{{kV1, 1}, {kV2, 2}, {v3, 4}};
  RewardChain c(rewards_genesis(rp, vals), vals);
  c.advance_to(5);
  const Split s = expected_split(1'234'567, false, vals);
  EXPECT_AMOUNT(s.validator_pool, 246'913);
  EXPECT_AMOUNT(c.balance(kV1), s.validator_shares[0]);
  EXPECT_AMOUNT(c.balance(kV2), s.validator_shares[1]);
  EXPECT_AMOUNT(c.balance(v3), s.validator_shares[2]);
  EXPECT_AMOUNT(s.validator_shares[0] + s.validator_shares[1] + s.validator_shares[2] + 1, s.validator_pool);
  EXPECT_AMOUNT(s.validator_shares[0], 35'273);  // ⌊246913 / 7⌋
  EXPECT_AMOUNT(c.balance(kTreasury), s.treasury);
  expect_supply_invariant(c);
}

TEST_F(DepinRewards, NoValidatorsSendsTheValidatorPoolToTheTreasury) {
  RewardChain c(rewards_genesis(RewardParams{}, {{kV1, 1}}), {});
  c.advance_to(5);
  EXPECT_AMOUNT(c.balance(kV1), 0);
  EXPECT_AMOUNT(c.balance(kTreasury), 1'000'003);  // no weight, no validators: the whole emission
  expect_supply_invariant(c);
}

// parse_genesis bounds neither the weights nor device_epoch_cap, and EpochRecord.total_weight is a uint64
// running sum (vm/rewards.cpp accrue: epoch_.total_weight() + add). Three devices earning 2^63 each wrap the
// total to 2^63; mul_div_weight(2^63, pool, 2^63) then pays each of them the whole device pool. Whatever the
// parameters, the devices of an epoch must never be paid more than its device pool.
TEST_F(DepinRewards, HugeWeightsNeverPayMoreThanTheDevicePool) {
  Genesis g = rewards_genesis(RewardParams{}, {{kV1, 1}});
  g.depin.weight_uptime = uint64_t{1} << 63;
  g.depin.device_epoch_cap = ~uint64_t{0};
  RewardChain c(g, {{kV1, 1}});
  const Dev d1 = make_device(maker_a(), 0x74), d2 = make_device(maker_a(), 0x75),
            d3 = make_device(maker_a(), 0x76);
  c.block();
  c.block({c.register_tx(kAlice, d1), c.register_tx(kAlice, d2), c.register_tx(kBob, d3)});
  BlockResult r =
      c.block({c.proofs_tx({c.proof(d1, uptime()), c.proof(d2, uptime()), c.proof(d3, uptime())})});
  for (const auto& p : r.receipts.at(0).proofs()) EXPECT_EQ(p.reason(), 0u);
  c.advance_to(5);
  const Amount pool = amount_of(c.epoch(0).device_pool());
  const Amount before = c.balance(address_of_key(kAlice)) + c.balance(address_of_key(kBob));
  c.block({c.claim_tx(kRelayer, {d1.id, d2.id, d3.id})});
  const Amount paid = c.balance(address_of_key(kAlice)) + c.balance(address_of_key(kBob)) - before;
  EXPECT_TRUE(paid <= pool) << "devices were paid " << fmt(paid) << " out of a device pool of " << fmt(pool);
  expect_supply_invariant(c);
}

// ---------------------------------------------------------------- lazy settlement

TEST_F(DepinRewardsSettlement, EpochCloseRecordsPoolAndWeightButPaysNoDevice) {
  EXPECT_EQ(chain_.epoch(0).total_weight(), 40u);
  EXPECT_EQ(chain_.epoch(0).devices(), 3u);
  chain_.advance_to(5);
  const pb::EpochRecord e = chain_.epoch(0);
  EXPECT_TRUE(e.closed());
  EXPECT_AMOUNT(amount_of(e.device_pool()), 700'002);
  EXPECT_EQ(e.settled_weight(), 0u);
  EXPECT_FALSE(e.remainder_paid());
  // Owners are not paid at the close (O(1)); their pending reward is computed on the fly.
  EXPECT_AMOUNT(chain_.balance(address_of_key(kAlice)), alice0_);
  EXPECT_AMOUNT(chain_.balance(address_of_key(kBob)), bob0_);
  EXPECT_FALSE(chain_.reward(a_.id, 0).has_value());
  EXPECT_AMOUNT(pending_reward(chain_, *chain_.device(a_.id), chain_.current_epoch()), share0(25));
  EXPECT_AMOUNT(pending_reward(chain_, *chain_.device(b_.id), chain_.current_epoch()), share0(10));
  EXPECT_AMOUNT(pending_reward(chain_, *chain_.device(c_.id), chain_.current_epoch()), share0(5));
  EXPECT_AMOUNT(share0(25), 437'501);
  // Within the epoch itself nothing is pending yet.
  EXPECT_AMOUNT(pending_reward(chain_, *chain_.device(a_.id), 0), 0);
  // Treasury: 10% + the validators' remainder; the device pool stays for the devices.
  EXPECT_AMOUNT(chain_.balance(kTreasury), expected_split(1'000'003, true, chain_.validators()).treasury);
  expect_supply_invariant(chain_);
}

TEST_F(DepinRewardsSettlement, DeviceProvingInEpoch0AndAgainInEpoch2IsPaidItsEpoch0ShareThen) {
  chain_.advance_to(10);  // epochs 0 and 1 closed; a did nothing in epoch 1
  EXPECT_AMOUNT(chain_.balance(address_of_key(kAlice)), alice0_);
  BlockResult r = chain_.block({chain_.proofs_tx({chain_.proof(a_, uptime())})});  // height 11, epoch 2
  EXPECT_EQ(r.receipts.at(0).proofs(0).reason(), 0u);
  EXPECT_AMOUNT(chain_.balance(address_of_key(kAlice)), alice0_ + share0(25));
  auto rec = chain_.reward(a_.id, 0);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->device_id(), str(a_.id));
  EXPECT_EQ(rec->epoch(), 0u);
  EXPECT_EQ(rec->weight(), 25u);
  EXPECT_AMOUNT(amount_of(rec->amount()), share0(25));
  EXPECT_EQ(rec->owner(), str(address_of_key(kAlice)));
  EXPECT_EQ(rec->settled_at(), 11u);
  EXPECT_FALSE(chain_.reward(a_.id, 1).has_value());  // no weight in epoch 1: no record
  const pb::Device d = *chain_.device(a_.id);
  EXPECT_EQ(d.accrued_epoch(), 2u);
  EXPECT_EQ(d.accrued_weight(), 10u);
  EXPECT_AMOUNT(amount_of(d.rewards_total()), share0(25));
  EXPECT_EQ(chain_.epoch(0).settled_weight(), 25u);
  EXPECT_AMOUNT(amount_of(chain_.epoch(0).settled_amount()), share0(25));
  expect_supply_invariant(chain_);
}

TEST_F(DepinRewardsSettlement, ClaimRewardsSettlesOncePerDevicePerEpoch) {
  chain_.advance_to(5);
  const Address bob = address_of_key(kBob);
  // The relayer claims for b: the reward goes to b's owner, the relayer pays only the fee.
  BlockResult r = chain_.block({chain_.claim_tx(kRelayer, {b_.id})});  // height 6
  EXPECT_EQ(r.receipts.at(0).status(), 0u) << receipt_message(r.receipts.at(0));
  EXPECT_EQ(r.receipts.at(0).gas_used(), gas::kClaimBase + gas::kPerClaim);
  EXPECT_AMOUNT(chain_.balance(bob), bob0_ + share0(10));
  auto rec = chain_.reward(b_.id, 0);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->settled_at(), 6u);
  EXPECT_EQ(rec->owner(), str(bob));
  EXPECT_AMOUNT(amount_of(rec->amount()), share0(10));
  EXPECT_AMOUNT(pending_reward(chain_, *chain_.device(b_.id), chain_.current_epoch()), 0);
  expect_supply_invariant(chain_);
  // A second claim (and a device listed twice) pays nothing and writes no second RewardRecord.
  BlockResult again = chain_.block({chain_.claim_tx(kRelayer, {b_.id, b_.id})});
  EXPECT_EQ(again.receipts.at(0).status(), 0u);
  EXPECT_TRUE(again.explorer.rewards.empty());
  EXPECT_AMOUNT(chain_.balance(bob), bob0_ + share0(10));
  EXPECT_EQ(chain_.reward(b_.id, 0)->settled_at(), 6u);
  // Nor does b's next proof.
  chain_.block({chain_.proofs_tx({chain_.proof(b_, uptime())})});
  EXPECT_AMOUNT(chain_.balance(bob), bob0_ + share0(10));
  expect_supply_invariant(chain_);
}

TEST_F(DepinRewardsSettlement, LastSettlementPaysThePoolRemainderToTheTreasury) {
  chain_.advance_to(5);
  const Amount treasury0 = chain_.balance(kTreasury);
  const Amount paid = share0(25) + share0(10) + share0(5);
  EXPECT_AMOUNT(700'002 - paid, 1);  // 437501 + 175000 + 87500
  chain_.block({chain_.claim_tx(kRelayer, {a_.id, b_.id})});
  EXPECT_AMOUNT(chain_.balance(kTreasury), treasury0);
  EXPECT_FALSE(chain_.epoch(0).remainder_paid());
  chain_.block({chain_.claim_tx(kRelayer, {c_.id})});
  EXPECT_AMOUNT(chain_.balance(kTreasury), treasury0 + (700'002 - paid));
  const pb::EpochRecord e = chain_.epoch(0);
  EXPECT_TRUE(e.remainder_paid());
  EXPECT_EQ(e.settled_weight(), 40u);
  EXPECT_AMOUNT(amount_of(e.settled_amount()), 700'002);
  EXPECT_AMOUNT(chain_.balance(address_of_key(kAlice)), alice0_ + share0(25) + share0(5));
  EXPECT_AMOUNT(chain_.unsettled_device_rewards(), 0);
  expect_supply_invariant(chain_);
}

TEST_F(DepinRewardsSettlement, OwnershipTransferPaysTheOwnerWhoEarned) {
  chain_.advance_to(5);
  const Address alice = address_of_key(kAlice), bob = address_of_key(kBob);
  const Amount bob_before = chain_.balance(bob);
  BlockResult r = chain_.block({chain_.update_tx(kAlice, c_.id, bob, false)});
  EXPECT_EQ(r.receipts.at(0).status(), 0u) << receipt_message(r.receipts.at(0));
  const Amount fee = gas::kUpdateDevice;
  EXPECT_AMOUNT(chain_.balance(alice), alice0_ - fee + share0(5));
  EXPECT_AMOUNT(chain_.balance(bob), bob_before);
  EXPECT_EQ(chain_.reward(c_.id, 0)->owner(), str(alice));
  expect_supply_invariant(chain_);
}

// doc/depin.md "Rewards": deactivation settles the closed epoch to the treasury, not to the owner.
TEST_F(DepinRewardsSettlement, DeactivationForfeitsAClosedEpochToTheTreasury) {
  chain_.advance_to(5);
  const Address bob = address_of_key(kBob);
  const Amount treasury = chain_.balance(kTreasury);
  BlockResult r = chain_.block({chain_.update_tx(kBob, b_.id, std::nullopt, true)});
  EXPECT_EQ(r.receipts.at(0).status(), 0u) << receipt_message(r.receipts.at(0));
  EXPECT_AMOUNT(chain_.balance(bob), bob0_ - gas::kUpdateDevice);
  EXPECT_AMOUNT(chain_.balance(kTreasury), treasury + share0(10));
  const pb::RewardRecord rr = chain_.reward(b_.id, 0).value();
  EXPECT_EQ(rr.forfeit(), pb::FORFEIT_DEACTIVATED);
  EXPECT_AMOUNT(amount_of(rr.forfeited()), share0(10));
  EXPECT_AMOUNT(amount_of(rr.amount()), 0);
  EXPECT_EQ(rr.owner(), str(bob));
  EXPECT_EQ(rr.weight(), 10u);
  EXPECT_TRUE(chain_.device(b_.id)->inactive());
  EXPECT_AMOUNT(amount_of(chain_.device(b_.id)->rewards_total()), 0);
  EXPECT_AMOUNT(amount_of(chain_.epoch(0).forfeited()), share0(10));
  EXPECT_AMOUNT(amount_of(chain_.epoch(0).settled_amount()), share0(10));
  expect_supply_invariant(chain_);
}

TEST_F(DepinRewardsSettlement, IndependentComputationMatchesForEveryDevice) {
  chain_.advance_to(5);
  chain_.block({chain_.claim_tx(kRelayer, {a_.id, b_.id, c_.id})});
  const std::vector<std::pair<Address, uint64_t>> weights{{a_.id, 25}, {b_.id, 10}, {c_.id, 5}};
  uint64_t total = 0;
  for (const auto& w : weights) total += w.second;
  const Amount pool = amount_of(chain_.epoch(0).device_pool());
  EXPECT_AMOUNT(pool, static_cast<Amount>(1'000'003) * 7000 / 10000);
  for (const auto& [id, w] : weights) {
    auto rec = chain_.reward(id, 0);
    ASSERT_TRUE(rec.has_value());
    EXPECT_EQ(rec->weight(), w);
    EXPECT_AMOUNT(amount_of(rec->amount()), static_cast<Amount>(w) * pool / total);
  }
}

TEST_F(DepinRewardsSettlement, SupplyInvariantHoldsAfterEveryBlockOfSeveralEpochs) {
  expect_supply_invariant(chain_);
  for (uint64_t h = chain_.height() + 1; h <= 32; ++h) {
    std::vector<VerifiedTx> txs;
    if (h % 3 == 0)
      txs.push_back(chain_.proofs_tx({chain_.proof(a_, uptime()), chain_.proof(c_, data_mib(h % 4))}));
    if (h % 4 == 1) txs.push_back(chain_.proofs_tx({chain_.proof(b_, data_mib(2))}));
    if (h % 7 == 0) txs.push_back(chain_.claim_tx(kBob, {a_.id, b_.id, c_.id}));
    BlockResult r = chain_.block(txs);
    for (const auto& rc : r.receipts) {
      EXPECT_EQ(rc.status(), 0u) << receipt_message(rc);
      for (const auto& p : rc.proofs()) EXPECT_EQ(p.reason(), 0u) << "height " << h;
    }
    SCOPED_TRACE("height " + std::to_string(h));
    expect_supply_invariant(chain_);
  }
  EXPECT_EQ(chain_.supply().last_closed_epoch_plus_one(), 32u / 5);
  // Every RewardRecord was written once: its amount matches the epoch's formula.
  for (uint64_t e = 0; e + 1 < chain_.current_epoch(); ++e) {
    const pb::EpochRecord rec = chain_.epoch(e);
    for (const Dev* d : {&a_, &b_, &c_}) {
      auto rr = chain_.reward(d->id, e);
      if (!rr) continue;
      EXPECT_AMOUNT(amount_of(rr->amount()),
                    static_cast<Amount>(rr->weight()) * amount_of(rec.device_pool()) / rec.total_weight());
    }
  }
}

TEST_F(DepinRewardsSettlement, SameBlocksOnAFreshStateGiveIdenticalRoots) {
  for (uint64_t h = chain_.height() + 1; h <= 17; ++h) {
    std::vector<VerifiedTx> txs;
    if (h % 2 == 0)
      txs.push_back(chain_.proofs_tx({chain_.proof(a_, uptime()), chain_.proof(b_, data_mib(1))}));
    if (h == 13) txs.push_back(chain_.claim_tx(kAlice, {c_.id}));
    chain_.block(txs);
  }
  RewardChain replay(rewards_genesis(RewardParams{}, chain_.validators()), chain_.validators());
  for (const auto& txs : chain_.history()) replay.block(txs);
  ASSERT_EQ(replay.roots().size(), chain_.roots().size());
  for (size_t i = 0; i < replay.roots().size(); ++i)
    EXPECT_EQ(replay.roots()[i], chain_.roots()[i]) << "height " << i + 1;
  EXPECT_TRUE(replay.all() == chain_.all());
  // The roots do move: different blocks give different roots.
  std::set<Hash32> distinct(chain_.roots().begin(), chain_.roots().end());
  EXPECT_EQ(distinct.size(), chain_.roots().size());
}

// Supply with burns: balances + unsettled rewards = genesis + minted − burned after every block, with
// paid data in every block over several epochs.
TEST_F(DepinRewardsSettlement, SupplyInvariantHoldsWithBurns) {
  for (int i = 0; i < 12; ++i) {
    chain_.block({chain_.proofs_tx({chain_.proof(a_, data_mib(2)), chain_.proof(b_, data_mib(1))})});
    expect_supply_invariant(chain_);
  }
  const Amount burned = amount_of(chain_.supply().burned());
  EXPECT_TRUE(burned == Amount{4 + 12 * 3});  // price 1 per MiB (the default); the fixture's 4 MiB first
}

}  // namespace
