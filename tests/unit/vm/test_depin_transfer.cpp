// Ownership transfers during an open epoch (doc/depin.md "Rewards"): each owner is paid for the weight
// the device earned while it owned it. The device's reward R = ⌊W × pool / total⌋ is unchanged; an
// earlier owner with weight w gets ⌊w × R / W⌋ and the owner at settlement the rest, so exactly R is
// paid and the supply invariant holds. Everything goes through apply_block.
//
// Expected amounts are computed here independently, with plain 128-bit integer arithmetic.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "depin_reward_chain.h"
#include "depin_test_chain.h"
#include "primitives/codec.h"
#include "primitives/physis.pb.h"
#include "vm/depin.h"
#include "vm/depin_state.h"
#include "vm/gas.h"
#include "vm/tx_fail_reason.h"

using namespace physis;
using namespace physis::vm;

namespace {
using namespace physis::vm::depin_test;

const Address kCarol = fixed_address(0xc3);  // never signs: only receives a device

// ⌊W × pool / total⌋ and ⌊w × R / W⌋, independently of vm/rewards.cpp.
Amount device_reward(uint64_t w, Amount pool, uint64_t total) {
  return static_cast<Amount>(w) * pool / total;
}
Amount part_of(uint64_t w, Amount reward, uint64_t device_weight) {
  return static_cast<Amount>(w) * reward / device_weight;
}

// Epochs of 20 blocks, so that several transfers and proofs fit into epoch 0. Device a (Alice) earns
// 25 and device b (Bob) 5 at height 2.
class DepinTransfer : public ::testing::Test {
 protected:
  DepinTransfer() : chain_(rewards_genesis(params(), kValidators), kValidators) {
    a_ = make_device(maker_a(), 0x81);
    b_ = make_device(maker_a(), 0x82);
    expect_ok(chain_.block({chain_.register_tx(kAlice, a_), chain_.register_tx(kBob, b_)}));  // 1
    expect_ok(chain_.block({chain_.proofs_tx({chain_.proof(a_, uptime()), chain_.proof(a_, data_mib(3), 1),
                                              chain_.proof(b_, data_mib(1))})}));  // 2
  }
  static RewardParams params() {
    RewardParams p;
    p.epoch_blocks = 20;
    return p;
  }
  static void expect_ok(const BlockResult& r) {
    for (const auto& rc : r.receipts) {
      EXPECT_EQ(rc.status(), 0u) << receipt_message(rc);
      for (const auto& p : rc.proofs()) EXPECT_EQ(p.reason(), 0u);
    }
  }
  // a proves once with weight 5 × mib (data contribution).
  void a_earns(uint64_t mib) {
    expect_ok(chain_.block({chain_.proofs_tx({chain_.proof(a_, data_mib(mib))})}));
  }
  void transfer(const crypto::PrivateKey& from, const Address& to) {
    expect_ok(chain_.block({chain_.update_tx(from, a_.id, to, false)}));
  }
  Amount pool0() const { return amount_of(chain_.epoch(0).device_pool()); }

  const Validators kValidators{{kV1, 1}, {kV2, 2}};
  const Address alice_ = address_of_key(kAlice), bob_ = address_of_key(kBob);
  RewardChain chain_;
  Dev a_, b_;
};

TEST_F(DepinTransfer, TransferMidEpochSplitsTheRewardByWeightEarnedBeforeAndAfter) {
  transfer(kAlice, bob_);  // 3
  pb::Device d = *chain_.device(a_.id);
  ASSERT_EQ(d.earlier_owners_size(), 1);
  EXPECT_EQ(d.earlier_owners(0).owner(), str(alice_));
  EXPECT_EQ(d.earlier_owners(0).weight(), 25u);
  EXPECT_TRUE(d.earlier_owners(0).amount().empty());
  a_earns(3);  // 4: +15 under Bob
  chain_.advance_to(20);
  expect_supply_invariant(chain_);

  const Amount reward = device_reward(40, pool0(), 45);
  d = *chain_.device(a_.id);
  EXPECT_AMOUNT(pending_reward(chain_, d, chain_.current_epoch()), reward);
  auto parts = split_reward(d, reward);
  ASSERT_TRUE(parts.has_value());
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_AMOUNT((*parts)[0], part_of(25, reward, 40));

  const Amount alice1 = chain_.balance(alice_), bob1 = chain_.balance(bob_);
  expect_ok(chain_.block({chain_.claim_tx(kRelayer, {a_.id})}));  // 21
  EXPECT_AMOUNT(chain_.balance(alice_), alice1 + part_of(25, reward, 40));
  EXPECT_AMOUNT(chain_.balance(bob_), bob1 + reward - part_of(25, reward, 40));
  auto rr = chain_.reward(a_.id, 0);
  ASSERT_TRUE(rr.has_value());
  EXPECT_EQ(rr->owner(), str(bob_));
  EXPECT_EQ(rr->weight(), 40u);
  EXPECT_AMOUNT(amount_of(rr->amount()), reward);
  ASSERT_EQ(rr->earlier_owners_size(), 1);
  EXPECT_EQ(rr->earlier_owners(0).owner(), str(alice_));
  EXPECT_EQ(rr->earlier_owners(0).weight(), 25u);
  EXPECT_AMOUNT(amount_of(rr->earlier_owners(0).amount()), part_of(25, reward, 40));
  d = *chain_.device(a_.id);
  EXPECT_EQ(d.earlier_owners_size(), 0);
  EXPECT_EQ(d.accrued_weight(), 0u);
  EXPECT_AMOUNT(amount_of(d.rewards_total()), reward);
  expect_supply_invariant(chain_);
}

TEST_F(DepinTransfer, TwoTransfersInOneEpochPayEachOwnerItsPart) {
  transfer(kAlice, bob_);  // 3
  a_earns(2);              // 4: +10 under Bob
  transfer(kBob, kCarol);  // 5
  a_earns(4);              // 6: +20 under Carol
  const pb::Device d = *chain_.device(a_.id);
  ASSERT_EQ(d.earlier_owners_size(), 2);
  EXPECT_EQ(d.earlier_owners(0).owner(), str(alice_));
  EXPECT_EQ(d.earlier_owners(0).weight(), 25u);
  EXPECT_EQ(d.earlier_owners(1).owner(), str(bob_));
  EXPECT_EQ(d.earlier_owners(1).weight(), 10u);
  chain_.advance_to(20);
  const Amount reward = device_reward(55, pool0(), 60);
  const Amount alice_part = part_of(25, reward, 55), bob_part = part_of(10, reward, 55);
  const Amount alice1 = chain_.balance(alice_), bob1 = chain_.balance(bob_), carol1 = chain_.balance(kCarol);
  a_earns(1);  // 21: the next proof settles epoch 0
  EXPECT_AMOUNT(chain_.balance(alice_), alice1 + alice_part);
  EXPECT_AMOUNT(chain_.balance(bob_), bob1 + bob_part);
  EXPECT_AMOUNT(chain_.balance(kCarol), carol1 + reward - alice_part - bob_part);
  auto rr = chain_.reward(a_.id, 0);
  ASSERT_TRUE(rr.has_value());
  EXPECT_EQ(rr->owner(), str(kCarol));
  ASSERT_EQ(rr->earlier_owners_size(), 2);
  EXPECT_AMOUNT(amount_of(rr->earlier_owners(0).amount()) + amount_of(rr->earlier_owners(1).amount()),
                alice_part + bob_part);
  EXPECT_EQ(chain_.device(a_.id)->earlier_owners_size(), 0);  // epoch 1 starts with no earlier owner
  expect_supply_invariant(chain_);
}

TEST_F(DepinTransfer, TransferBackToAnEarlierOwnerMergesItsWeightIntoTheCurrentOwners) {
  transfer(kAlice, bob_);  // 3
  a_earns(2);              // 4: +10 under Bob
  transfer(kBob, alice_);  // 5: Alice's 25 is hers again as the current owner
  a_earns(3);              // 6: +15 under Alice
  const pb::Device d = *chain_.device(a_.id);
  ASSERT_EQ(d.earlier_owners_size(), 1);
  EXPECT_EQ(d.earlier_owners(0).owner(), str(bob_));
  EXPECT_EQ(d.earlier_owners(0).weight(), 10u);
  chain_.advance_to(20);
  const Amount reward = device_reward(50, pool0(), 55);
  const Amount alice1 = chain_.balance(alice_), bob1 = chain_.balance(bob_);
  expect_ok(chain_.block({chain_.claim_tx(kRelayer, {a_.id})}));
  EXPECT_AMOUNT(chain_.balance(bob_), bob1 + part_of(10, reward, 50));
  EXPECT_AMOUNT(chain_.balance(alice_), alice1 + reward - part_of(10, reward, 50));
  expect_supply_invariant(chain_);
}

TEST_F(DepinTransfer, CapReachedBeforeTheTransferLeavesTheNewOwnerNothingForThatEpoch) {
  a_earns(200);  // 3: 1000 weight asked, 975 credited: a is at the cap of 1000
  ASSERT_EQ(chain_.device(a_.id)->accrued_weight(), 1000u);
  transfer(kAlice, bob_);                                                          // 4
  BlockResult r = chain_.block({chain_.proofs_tx({chain_.proof(a_, uptime())})});  // 5
  ASSERT_EQ(r.receipts.at(0).proofs_size(), 1);
  EXPECT_EQ(r.receipts.at(0).proofs(0).weight(), 0u);  // over the cap: accepted, nothing credited
  const pb::Device d = *chain_.device(a_.id);
  EXPECT_EQ(d.accrued_weight(), 1000u);
  ASSERT_EQ(d.earlier_owners_size(), 1);
  EXPECT_EQ(d.earlier_owners(0).weight(), 1000u);
  chain_.advance_to(20);
  const Amount reward = device_reward(1000, pool0(), 1005);  // the capped weight is what is shared
  const Amount alice1 = chain_.balance(alice_), bob1 = chain_.balance(bob_);
  expect_ok(chain_.block({chain_.claim_tx(kRelayer, {a_.id})}));
  EXPECT_AMOUNT(chain_.balance(alice_), alice1 + reward);
  EXPECT_AMOUNT(chain_.balance(bob_), bob1);
  EXPECT_AMOUNT(amount_of(chain_.reward(a_.id, 0)->amount()), reward);
  expect_supply_invariant(chain_);
}

TEST_F(DepinTransfer, TransferWithNoOpenEpochWeightRecordsNoEarlierOwner) {
  // A device that never earned: the transfer writes the device with only its owner changed.
  const Dev c = make_device(maker_a(), 0x83);
  expect_ok(chain_.block({chain_.register_tx(kAlice, c)}));  // 3
  pb::Device expected = *chain_.device(c.id);
  expected.set_owner(str(bob_));
  BlockResult r = chain_.block({chain_.update_tx(kAlice, c.id, bob_, false)});  // 4
  expect_ok(r);
  ASSERT_TRUE(r.writes.count(device_key(c.id)));
  EXPECT_EQ(r.writes.at(device_key(c.id)), encode_canonical(expected));

  // Weight only in a closed epoch: settled to the old owner, nothing recorded for the open epoch.
  chain_.advance_to(20);
  const Amount reward0 = device_reward(25, pool0(), 30);
  const Amount alice1 = chain_.balance(alice_);
  transfer(kAlice, bob_);  // 21
  EXPECT_AMOUNT(chain_.balance(alice_), alice1 - gas::kUpdateDevice + reward0);
  EXPECT_EQ(chain_.reward(a_.id, 0)->earlier_owners_size(), 0);
  EXPECT_EQ(chain_.reward(a_.id, 0)->owner(), str(alice_));
  EXPECT_EQ(chain_.device(a_.id)->earlier_owners_size(), 0);
  // Bob then earns all of a's epoch-1 weight and is paid all of it.
  a_earns(2);  // 22
  chain_.advance_to(40);
  const Amount reward1 = device_reward(10, amount_of(chain_.epoch(1).device_pool()), 10);
  const Amount bob1 = chain_.balance(bob_);
  expect_ok(chain_.block({chain_.claim_tx(kRelayer, {a_.id})}));
  EXPECT_AMOUNT(chain_.balance(bob_), bob1 + reward1);
  EXPECT_EQ(chain_.reward(a_.id, 1)->earlier_owners_size(), 0);
  expect_supply_invariant(chain_);
}

// doc/depin.md "Rewards": deactivation forfeits the device's whole unsettled reward, the parts of owners
// before the current one included; the record still lists them with their weights.
TEST_F(DepinTransfer, DeactivationForfeitsTheEarlierOwnersPartToo) {
  transfer(kAlice, bob_);                                                        // 3
  a_earns(2);                                                                    // 4: +10 under Bob
  expect_ok(chain_.block({chain_.update_tx(kBob, a_.id, std::nullopt, true)}));  // 5
  EXPECT_TRUE(chain_.device(a_.id)->inactive());
  EXPECT_EQ(chain_.device(a_.id)->earlier_owners_size(), 1);
  chain_.advance_to(20);
  const Amount reward = device_reward(35, pool0(), 40);
  const Amount alice1 = chain_.balance(alice_), bob1 = chain_.balance(bob_);
  const Amount treasury1 = chain_.balance(kTreasury);
  expect_ok(chain_.block({chain_.claim_tx(kRelayer, {a_.id})}));  // 21
  EXPECT_AMOUNT(chain_.balance(alice_), alice1);
  EXPECT_AMOUNT(chain_.balance(bob_), bob1);
  EXPECT_AMOUNT(chain_.balance(kTreasury), treasury1 + reward);
  const pb::RewardRecord rr = chain_.reward(a_.id, 0).value();
  EXPECT_EQ(rr.forfeit(), pb::FORFEIT_DEACTIVATED);
  EXPECT_AMOUNT(amount_of(rr.forfeited()), reward);
  EXPECT_AMOUNT(amount_of(rr.amount()), 0);
  ASSERT_EQ(rr.earlier_owners_size(), 1);
  EXPECT_EQ(rr.earlier_owners(0).owner(), str(alice_));
  EXPECT_EQ(rr.earlier_owners(0).weight(), 25u);
  EXPECT_AMOUNT(amount_of(rr.earlier_owners(0).amount()), 0);
  expect_supply_invariant(chain_);
}

TEST_F(DepinTransfer, MoreThanTheLimitOfEarlierOwnersInOneEpochIsRejected) {
  static_assert(kMaxEarlierOwners == 8);
  std::vector<crypto::PrivateKey> owners{kAlice};
  std::vector<VerifiedTx> funding;
  for (uint8_t i = 1; i <= 9; ++i) {
    owners.push_back(acct_key(0x90 + i));
    pb::TxBody body;
    body.mutable_transfer()->set_to(str(address_of_key(owners.back())));
    body.mutable_transfer()->set_amount(to_string(encode_amount(1'000'000)));
    funding.push_back(chain_.tx(kAlice, body));
  }
  expect_ok(chain_.block(funding));  // 3
  for (size_t i = 1; i <= 8; ++i)    // 4..11: owner i-1 earns 5, then hands a to owner i
    expect_ok(chain_.block({chain_.proofs_tx({chain_.proof(a_, data_mib(1))}),
                            chain_.update_tx(owners[i - 1], a_.id, address_of_key(owners[i]), false)}));
  EXPECT_EQ(chain_.device(a_.id)->earlier_owners_size(), 8);
  a_earns(1);  // 12: owner 8 earns 5
  const auto before = chain_.get(device_key(a_.id));
  const Address next = address_of_key(owners[9]);
  BlockResult r = chain_.block({chain_.update_tx(owners[8], a_.id, next, false)});  // 13
  ASSERT_EQ(r.receipts.size(), 1u);
  EXPECT_EQ(r.receipts[0].status(), 1u);
  EXPECT_EQ(r.receipts[0].reason(), static_cast<uint32_t>(TxFailReason::kTooManyOwners));
  EXPECT_NE(receipt_message(r.receipts[0]).find("next epoch"), std::string::npos)
      << receipt_message(r.receipts[0]);
  EXPECT_EQ(chain_.get(device_key(a_.id)), before);
  EXPECT_EQ(chain_.device(a_.id)->owner(), str(address_of_key(owners[8])));
  EXPECT_FALSE(r.writes.count(prefixed_key(kOwnerIndexPrefix, next, a_.id)));

  // Handing it back to an earlier owner stays within the limit: Alice's entry becomes the current
  // owner's weight again and owner 8's is recorded.
  transfer(owners[8], alice_);  // 14
  const pb::Device d = *chain_.device(a_.id);
  ASSERT_EQ(d.earlier_owners_size(), 8);
  uint64_t earlier = 0;
  for (const auto& s : d.earlier_owners()) {
    EXPECT_NE(s.owner(), str(alice_));
    EXPECT_EQ(s.weight(), 5u);
    earlier += s.weight();
  }
  EXPECT_EQ(d.accrued_weight(), 70u);  // Alice 25 + 5, owners 1..8 5 each
  chain_.advance_to(20);
  const Amount reward = device_reward(70, pool0(), 75);
  std::vector<Amount> before_balances;
  for (const auto& k : owners) before_balances.push_back(chain_.balance(address_of_key(k)));
  expect_ok(chain_.block({chain_.claim_tx(kRelayer, {a_.id})}));  // 21
  Amount paid_earlier = 0;
  for (size_t i = 1; i <= 8; ++i) {
    const Amount part = part_of(5, reward, 70);
    EXPECT_AMOUNT(chain_.balance(address_of_key(owners[i])), before_balances[i] + part);
    paid_earlier += part;
  }
  EXPECT_AMOUNT(chain_.balance(alice_), before_balances[0] + reward - paid_earlier);
  EXPECT_EQ(earlier, 40u);
  EXPECT_EQ(chain_.reward(a_.id, 0)->earlier_owners_size(), 8);
  expect_supply_invariant(chain_);
}

}  // namespace
