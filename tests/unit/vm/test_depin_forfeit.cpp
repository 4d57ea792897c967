// Revocation and deactivation forfeit unsettled rewards (doc/depin.md "Rewards"): what a device has not
// been paid when it is deactivated, or when a revocation of its anchor or of one of its keys takes
// effect, goes to the treasury at settlement, with the reason in the RewardRecord; the supply invariant
// holds throughout. Then a table with one scenario per pb::Forfeit value.
//
// The fixture (depin_reward_chain.h): epochs of 5 blocks; at height 3 device a (Alice) earned 25,
// b (Bob) 10 and c (Alice) 5; epoch 0 closes at height 5 with a device pool of 700002.
#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "depin_reward_chain.h"
#include "depin_test_chain.h"
#include "vm/depin.h"
#include "vm/depin_state.h"

using namespace physis;
using namespace physis::vm;

namespace {
using namespace physis::vm::depin_test;

VerifiedTx revoke_anchor(RewardChain& c, uint64_t effective = 0) {
  pb::TxBody body;
  body.mutable_revoke_anchor()->set_anchor_id(str(maker_a().id));
  body.mutable_revoke_anchor()->set_effective_height(effective);
  return c.tx(kGovernance, body);
}
VerifiedTx revoke_key(RewardChain& c, const Dev& d) {
  pb::TxBody body;
  body.mutable_revoke_key()->set_key_id(str(raw_key_id(d.pub)));
  return c.tx(kGovernance, body);
}

class DepinForfeit : public DepinRewardsSettlement {
 public:
  using DepinRewards::chain_;
  using DepinRewardsSettlement::a_;
  using DepinRewardsSettlement::share0;
  void TestBody() override {}
  void ok(const BlockResult& r) {
    for (const auto& rc : r.receipts) EXPECT_EQ(rc.status(), 0u) << receipt_message(rc);
    expect_supply_invariant(chain_);
  }
  // Claims `d`'s reward (paid for by the relayer) and returns its epoch-0 record.
  pb::RewardRecord claim(const Dev& d) {
    ok(chain_.block({chain_.claim_tx(kRelayer, {d.id})}));
    return chain_.reward(d.id, 0).value_or(pb::RewardRecord());
  }
  Amount treasury() const { return chain_.balance(kTreasury); }
  const Address alice_ = address_of_key(kAlice), bob_ = address_of_key(kBob);
};

TEST_F(DepinForfeit, DeactivationInTheOpenEpochForfeitsThatEpochsWeight) {
  ok(chain_.block({chain_.update_tx(kAlice, a_.id, std::nullopt, true)}));  // 4: epoch 0 still open
  EXPECT_FALSE(chain_.reward(a_.id, 0).has_value());                        // nothing to settle yet
  EXPECT_EQ(chain_.device(a_.id)->accrued_weight(), 25u);  // its weight stays in the epoch's total
  chain_.advance_to(5);
  EXPECT_EQ(chain_.epoch(0).total_weight(), 40u);
  const Amount alice = chain_.balance(alice_), t = treasury();
  const pb::RewardRecord rr = claim(a_);
  EXPECT_EQ(rr.forfeit(), pb::FORFEIT_DEACTIVATED);
  EXPECT_AMOUNT(amount_of(rr.forfeited()), share0(25));
  EXPECT_AMOUNT(amount_of(rr.amount()), 0);
  EXPECT_AMOUNT(chain_.balance(alice_), alice);
  EXPECT_AMOUNT(treasury(), t + share0(25));
  // The other devices are paid as before.
  const Amount bob = chain_.balance(bob_);
  EXPECT_EQ(claim(b_).forfeit(), pb::FORFEIT_NONE);
  EXPECT_AMOUNT(chain_.balance(bob_), bob + share0(10));
}

TEST_F(DepinForfeit, AnchorRevocationForfeitsEveryUnsettledDeviceOfTheAnchor) {
  chain_.advance_to(5);
  ok(chain_.block({revoke_anchor(chain_)}));  // 6
  const Amount alice = chain_.balance(alice_), bob = chain_.balance(bob_), t = treasury();
  ok(chain_.block({chain_.claim_tx(kRelayer, {a_.id, b_.id, c_.id})}));
  for (const Dev* d : {&a_, &b_, &c_}) {
    const pb::RewardRecord rr = chain_.reward(d->id, 0).value();
    EXPECT_EQ(rr.forfeit(), pb::FORFEIT_ANCHOR_REVOKED);
    EXPECT_AMOUNT(amount_of(rr.amount()), 0);
  }
  EXPECT_AMOUNT(chain_.balance(alice_), alice);
  EXPECT_AMOUNT(chain_.balance(bob_), bob);
  // Everything settled: the shares and the pool's rounding remainder, i.e. the whole pool.
  EXPECT_AMOUNT(treasury(), t + 700'002);
  EXPECT_AMOUNT(amount_of(chain_.epoch(0).forfeited()), share0(25) + share0(10) + share0(5));
  EXPECT_AMOUNT(chain_.unsettled_device_rewards(), 0);
}

TEST_F(DepinForfeit, KeyRevocationForfeitsOnlyThatDevice) {
  chain_.advance_to(5);
  ok(chain_.block({revoke_key(chain_, a_)}));  // 6
  const Amount t = treasury(), bob = chain_.balance(bob_);
  EXPECT_EQ(claim(a_).forfeit(), pb::FORFEIT_KEY_REVOKED);
  EXPECT_AMOUNT(treasury(), t + share0(25));
  const pb::RewardRecord rb = claim(b_);
  EXPECT_EQ(rb.forfeit(), pb::FORFEIT_NONE);
  EXPECT_AMOUNT(amount_of(rb.amount()), share0(10));
  EXPECT_AMOUNT(chain_.balance(bob_), bob + share0(10));
}

// A revocation takes effect from its height: what is settled before then was earned and is paid.
TEST_F(DepinForfeit, RevocationFromALaterHeightLetsOwnersSettleFirst) {
  chain_.advance_to(5);
  ok(chain_.block({revoke_anchor(chain_, 9)}));  // 6, effective from 9
  const Amount bob = chain_.balance(bob_);
  EXPECT_EQ(claim(b_).forfeit(), pb::FORFEIT_NONE);  // 7
  EXPECT_AMOUNT(chain_.balance(bob_), bob + share0(10));
  chain_.advance_to(8);
  EXPECT_EQ(claim(a_).forfeit(), pb::FORFEIT_ANCHOR_REVOKED);  // 9
}

// A device transferred while revoked: the closed epoch goes to the treasury, not to the seller.
TEST_F(DepinForfeit, TransferOfARevokedDeviceForfeitsItsClosedEpoch) {
  chain_.advance_to(5);
  ok(chain_.block({revoke_key(chain_, a_)}));
  const Amount t = treasury();
  ok(chain_.block({chain_.update_tx(kAlice, a_.id, bob_, false)}));
  EXPECT_EQ(chain_.reward(a_.id, 0)->forfeit(), pb::FORFEIT_KEY_REVOKED);
  EXPECT_AMOUNT(treasury(), t + share0(25));
}

// ---------------------------------------------------------------- every forfeit value, table-driven

struct Scenario {
  pb::Forfeit expected;
  const char* name;
  std::function<void(DepinForfeit&)> before_claim;  // after epoch 0 closed
};

std::vector<Scenario> scenarios() {
  using T = DepinForfeit;
  return {
      {pb::FORFEIT_NONE, "none", [](T&) {}},
      {pb::FORFEIT_DEACTIVATED, "deactivated",
       [](T& t) { t.ok(t.chain_.block({t.chain_.update_tx(kAlice, t.a_.id, std::nullopt, true)})); }},
      {pb::FORFEIT_ANCHOR_REVOKED, "anchor_revoked", [](T& t) { t.ok(t.chain_.block({revoke_anchor(t.chain_)})); }},
      {pb::FORFEIT_KEY_REVOKED, "key_revoked", [](T& t) { t.ok(t.chain_.block({revoke_key(t.chain_, t.a_)})); }},
  };
}

TEST(DepinForfeitReasons, TableHasEveryValueExactlyOnce) {
  std::set<int> seen;
  for (const Scenario& s : scenarios()) {
    EXPECT_TRUE(pb::Forfeit_IsValid(s.expected));
    EXPECT_TRUE(seen.insert(s.expected).second) << "listed twice: " << s.name;
    EXPECT_EQ(forfeit_name(s.expected), s.name);
  }
  EXPECT_EQ(seen.size(), kForfeitCount);
  for (uint32_t v = 0; v < kForfeitCount; ++v) EXPECT_TRUE(pb::Forfeit_IsValid(static_cast<int>(v))) << v;
  EXPECT_FALSE(pb::Forfeit_IsValid(static_cast<int>(kForfeitCount)));
}

TEST(DepinForfeitReasons, EveryScenarioProducesItsReason) {
  for (const Scenario& s : scenarios()) {
    SCOPED_TRACE(s.name);
    DepinForfeit t;
    t.chain_.advance_to(5);
    const Amount t0 = t.treasury();
    s.before_claim(t);
    const pb::RewardRecord rr = t.claim(t.a_);
    EXPECT_EQ(rr.forfeit(), s.expected);
    const Amount share = DepinForfeit::share0(25);
    if (s.expected == pb::FORFEIT_NONE) {
      EXPECT_AMOUNT(amount_of(rr.amount()), share);
      EXPECT_AMOUNT(t.treasury(), t0);
    } else {
      EXPECT_AMOUNT(amount_of(rr.forfeited()), share);
      EXPECT_AMOUNT(t.treasury(), t0 + share);
    }
  }
}

}  // namespace
