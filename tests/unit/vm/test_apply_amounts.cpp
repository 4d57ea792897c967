// Amounts at the edge of 2^128 in execution (issue 6, finding 1): every sum and difference of amounts is
// checked, so a transfer of 2^128-1 never wraps a balance; and block assembly (assemble_txs) leaves out
// a transaction its sender cannot pay without the others paying for it.
#include <gtest/gtest.h>

#include "primitives/transaction.h"
#include "tests/unit/test_support.h"
#include "vm/accounts.h"
#include "vm/apply.h"
#include "vm/reason_text.h"
#include "vm/tx_fail_reason.h"

using namespace physis;
using namespace physis::vm;
using physis::test::address_of_key;
using physis::test::key_n;

namespace {

const std::string kChain = "physis-amounts";
constexpr Amount kMax = ~Amount{0};  // 2^128 - 1

class ApplyAmountsTest : public ::testing::Test {
 protected:
  ApplyAmountsTest() {
    params_.transfer_gas = 21000;
    params_.min_gas_price = 1;
    fee_ = params_.transfer_gas;  // gas price 1
  }
  void set_balance(const crypto::PrivateKey& k, Amount balance) {
    state_.apply({{account_key(address_of_key(k)), encode_account({balance, 0})}});
  }
  VerifiedTx transfer(const crypto::PrivateKey& from, uint64_t nonce, const crypto::PrivateKey& to,
                      Amount amount) const {
    auto v = decode_and_verify_tx(sign_tx(
        make_transfer_body(kChain, nonce, params_.transfer_gas, 1, address_of_key(to), amount), from));
    EXPECT_TRUE(v.ok()) << v.error().message;
    return std::move(v).value();
  }
  BlockContext ctx() const { return BlockContext{kChain, 1, address_of_key(proposer_), Hash32{}, {}}; }
  Result<BlockResult> apply(const std::vector<VerifiedTx>& txs) const {
    return apply_block(state_, Hash32{}, params_, ctx(), txs);
  }
  // The balance in the state after the block: the state before it plus the block's writes.
  Amount balance_after(const BlockResult& r, const crypto::PrivateKey& k) const {
    MemoryState s = state_;
    s.apply(r.writes);
    return load_account(s, address_of_key(k)).balance;
  }

  ChainParams params_;
  Amount fee_ = 0;
  MemoryState state_;
  const crypto::PrivateKey alice_ = key_n(1), bob_ = key_n(2), proposer_ = key_n(9);
};

}  // namespace

TEST_F(ApplyAmountsTest, TheWholeSupplyMinusTheFeeMoves) {
  set_balance(alice_, kMax);
  auto r = apply({transfer(alice_, 0, bob_, kMax - fee_)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->receipts[0].status(), 0u) << receipt_message(r->receipts[0]);
  EXPECT_EQ(balance_after(*r, alice_), Amount{0});
  EXPECT_EQ(balance_after(*r, bob_), kMax - fee_);
  EXPECT_EQ(balance_after(*r, proposer_), fee_);
}

TEST_F(ApplyAmountsTest, OneMoreThanTheBalanceAfterTheFeeFailsWithoutWrapping) {
  for (const Amount amount : {kMax - fee_ + 1, kMax}) {
    set_balance(alice_, kMax);
    auto r = apply({transfer(alice_, 0, bob_, amount)});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->receipts[0].status(), 1u);
    EXPECT_EQ(r->receipts[0].reason(), static_cast<uint32_t>(TxFailReason::kInsufficientFunds));
    EXPECT_EQ(balance_after(*r, alice_), kMax - fee_);  // the fee only
    EXPECT_EQ(balance_after(*r, bob_), Amount{0});
  }
}

TEST_F(ApplyAmountsTest, ARecipientAtTheMaximumCannotBeCredited) {
  set_balance(alice_, fee_ + 1);
  set_balance(bob_, kMax);
  auto r = apply({transfer(alice_, 0, bob_, 1)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->receipts[0].reason(), static_cast<uint32_t>(TxFailReason::kBalanceOverflow));
  EXPECT_EQ(balance_after(*r, alice_), Amount{1});
  EXPECT_EQ(balance_after(*r, bob_), kMax);
}

TEST_F(ApplyAmountsTest, AnAccountFundedForOneFeeMakesValidationRejectItsSecondTx) {
  set_balance(alice_, fee_);
  auto r = apply({transfer(alice_, 0, bob_, kMax - fee_), transfer(alice_, 1, bob_, kMax - fee_)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "invalid_tx");
}

TEST_F(ApplyAmountsTest, AssemblyLeavesOutTheUnpayableTxAndItsSendersLaterNoncesOnly) {
  set_balance(alice_, fee_);
  set_balance(bob_, 1'000'000);
  const std::vector<VerifiedTx> candidates = {
      transfer(alice_, 0, bob_, kMax - fee_),  // pays the fee; its transfer fails in the receipt
      transfer(bob_, 0, alice_, 5),
      transfer(alice_, 1, bob_, kMax - fee_),  // cannot pay the fee: invalid
      transfer(alice_, 2, bob_, 1),            // follows an invalid nonce: left out silently
      transfer(bob_, 1, alice_, 5),
  };
  DirectSignatureVerifier direct;
  static const DepinParams kDepin{};
  auto a = assemble_txs(state_, Hash32{}, params_, kDepin, ctx(), candidates, direct);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->included, (std::vector<size_t>{0, 1, 4}));
  ASSERT_EQ(a->invalid.size(), 1u);
  EXPECT_EQ(a->invalid[0].index, 2u);
  EXPECT_EQ(a->invalid[0].reason.code, "insufficient_funds_for_gas");
  EXPECT_EQ(a->deferred, 0u);
  auto validated = apply({candidates[0], candidates[1], candidates[4]});
  ASSERT_TRUE(validated.ok()) << validated.error().message;
  EXPECT_EQ(validated->state_root, a->block.state_root);
}
