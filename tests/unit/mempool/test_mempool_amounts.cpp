// Mempool admission under hostile amounts (issue 6, findings 1 and 7): the maximum cost of a transaction
// (fee + amount) and the sum of a sender's pending costs are checked sums, so an amount near 2^128 cannot
// wrap into an affordable cost; a damaged account record is reported as such, not as a zero balance;
// check() judges exactly like add() without admitting; select() stops at a byte budget.
#include <gtest/gtest.h>

#include "mempool/mempool.h"
#include "primitives/transaction.h"
#include "tests/unit/test_support.h"
#include "vm/accounts.h"

using namespace physis;
using namespace physis::mempool;
using physis::test::address_of_key;
using physis::test::key_n;

namespace {

const std::string kChain = "physis-test-1";
constexpr uint64_t kGas = 21000;
constexpr Amount kFee = kGas;        // gas price 1
constexpr Amount kMax = ~Amount{0};  // 2^128 - 1

ChainParams params() {
  ChainParams p;
  p.transfer_gas = kGas;
  p.min_gas_price = 1;
  return p;
}

class MempoolAmountsTest : public ::testing::Test {
 protected:
  void set_account(const crypto::PrivateKey& k, Amount balance) {
    state_.apply({{vm::account_key(address_of_key(k)), vm::encode_account({balance, 0})}});
  }
  static VerifiedTx transfer(const crypto::PrivateKey& from, uint64_t nonce, Amount amount) {
    auto v = decode_and_verify_tx(
        sign_tx(make_transfer_body(kChain, nonce, kGas, 1, address_of_key(key_n(50)), amount), from));
    EXPECT_TRUE(v.ok()) << v.error().message;
    return std::move(v).value();
  }
  // add() refuses with `code`, check() says the same, and nothing is admitted.
  void expect_refused(const VerifiedTx& tx, const std::string& code, const std::string& words = "") {
    auto checked = pool_.check(tx, state_);
    ASSERT_FALSE(checked.ok());
    EXPECT_EQ(checked.error().code, code) << checked.error().message;
    auto added = pool_.add(tx, state_);
    ASSERT_FALSE(added.ok()) << "admitted, expected " << code;
    EXPECT_EQ(added.error().code, code) << added.error().message;
    EXPECT_EQ(added.error().message, checked.error().message);
    EXPECT_NE(added.error().message.find(words), std::string::npos) << added.error().message;
    EXPECT_FALSE(pool_.contains(tx.tx.hash));
  }
  void expect_admitted(const VerifiedTx& tx) {
    EXPECT_TRUE(pool_.check(tx, state_).ok());
    EXPECT_FALSE(pool_.contains(tx.tx.hash)) << "check() must not admit";
    auto added = pool_.add(tx, state_);
    ASSERT_TRUE(added.ok()) << added.error().code << ": " << added.error().message;
  }

  Mempool pool_{MempoolOptions{}, params(), kChain};
  vm::MemoryState state_;
  const crypto::PrivateKey alice_ = key_n(1), attacker_ = key_n(2);
};

}  // namespace

TEST_F(MempoolAmountsTest, AnAmountThatWrapsTheCostIsRefused) {
  // Funded for one fee, as in the attack: fee + (2^128 - fee) wrapped to a cost of 0.
  set_account(attacker_, kFee);
  expect_refused(transfer(attacker_, 0, kMax - kFee + 1), "insufficient_funds", "2^128-1");
  expect_refused(transfer(attacker_, 0, kMax), "insufficient_funds", "2^128-1");
  // fee + amount = 2^128 - 1 exactly does not wrap, and the balance does not cover it.
  expect_refused(transfer(attacker_, 0, kMax - kFee), "insufficient_funds", "does not cover");
  EXPECT_EQ(pool_.status().txs, 0u);
}

TEST_F(MempoolAmountsTest, TheLargestPayableAmountIsAdmitted) {
  set_account(alice_, kMax);
  expect_admitted(transfer(alice_, 0, kMax - kFee));
  // Nothing is left for a second one, whatever it costs; the pending sum must not wrap either.
  expect_refused(transfer(alice_, 1, 0), "insufficient_funds", "pending");
  expect_refused(transfer(alice_, 1, kMax - kFee), "insufficient_funds", "pending");
}

TEST_F(MempoolAmountsTest, PendingCostsThatWouldOverflowAreRefused) {
  set_account(alice_, kMax);
  expect_admitted(transfer(alice_, 0, kMax / 2));
  expect_refused(transfer(alice_, 1, kMax / 2 + 1), "insufficient_funds", "pending");
  EXPECT_EQ(pool_.status().txs, 1u);
}

TEST_F(MempoolAmountsTest, ACorruptAccountRecordIsReportedNotReadAsZero) {
  const Address who = address_of_key(alice_);
  state_.apply({{vm::account_key(who), Bytes{0x0a, 0x05, 0x01}}});
  auto added = pool_.add(transfer(alice_, 0, 1), state_);
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().code, "corrupt_datadir") << added.error().message;
  EXPECT_NE(added.error().message.find(crypto::address_to_string(who)), std::string::npos)
      << added.error().message;
  EXPECT_EQ(added.error().message.find("balance 0"), std::string::npos) << added.error().message;
  auto checked = pool_.check(transfer(alice_, 0, 1), state_);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().code, "corrupt_datadir");
}

TEST_F(MempoolAmountsTest, SelectStopsBeforeTheByteBudget) {
  set_account(alice_, kMax);
  std::vector<VerifiedTx> txs;
  for (uint64_t n = 0; n < 4; ++n) {
    txs.push_back(transfer(alice_, n, 1));
    expect_admitted(txs.back());
  }
  const size_t one = txs[0].tx.raw.size();
  size_t two = txs[0].tx.raw.size() + txs[1].tx.raw.size();
  EXPECT_EQ(pool_.select(100, UINT64_MAX, two).size(), 2u);
  EXPECT_EQ(pool_.select(100, UINT64_MAX, two - 1).size(), 1u);
  EXPECT_EQ(pool_.select(100, UINT64_MAX, one - 1).size(), 0u);
  EXPECT_EQ(pool_.select(100, UINT64_MAX, SIZE_MAX).size(), 4u);
}
