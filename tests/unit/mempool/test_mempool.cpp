// Mempool: admission against the committed state plus the sender's pending transactions, selection in
// per-sender nonce order under a transaction and gas cap, and clean-up after a block. One test per
// admission error code.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "crypto/secp256k1.h"
#include "mempool/mempool.h"
#include "primitives/transaction.h"
#include "tests/unit/test_support.h"
#include "vm/accounts.h"
#include "vm/apply.h"

using namespace physis;
using namespace physis::mempool;

namespace {

const std::string kChain = "physis-test-1";
constexpr uint64_t kTransferGas = 21000;

using physis::test::address_of_key;
using physis::test::key_n;

const crypto::PrivateKey kAlice = key_n(1);  // rich
const crypto::PrivateKey kBob = key_n(2);    // 1,000,000 base units
const crypto::PrivateKey kCarol = key_n(3);  // rich
const crypto::PrivateKey kDave = key_n(4);   // rich
const Address kSink = address_of_key(key_n(50));
const Amount kRich = static_cast<Amount>(1'000'000'000'000'000'000ULL);
const Amount kBobBalance = 1'000'000;

VerifiedTx transfer(const crypto::PrivateKey& key, uint64_t nonce, Amount amount = 1,
                    uint64_t gas_limit = kTransferGas, uint64_t gas_price = 1,
                    const std::string& chain = kChain) {
  auto v = decode_and_verify_tx(
      sign_tx(make_transfer_body(chain, nonce, gas_limit, gas_price, kSink, amount), key));
  EXPECT_TRUE(v.ok()) << v.error().message;
  return std::move(v).value();
}

vm::BlockContext block_context() {
  vm::BlockContext ctx;
  ctx.chain_id = kChain;
  ctx.height = 1;
  ctx.proposer = kSink;
  return ctx;
}

ChainParams test_params() {
  ChainParams p;
  p.transfer_gas = kTransferGas;
  p.min_gas_price = 1;
  p.block_gas_limit = 10'000'000;
  p.max_block_txs = 1000;
  return p;
}

// Committed state: balances for Alice, Bob, Carol and Dave, all at nonce 0.
vm::MemoryState initial_state() {
  vm::MemoryState s;
  vm::WriteSet w;
  w[vm::account_key(address_of_key(kAlice))] = vm::encode_account({kRich, 0});
  w[vm::account_key(address_of_key(kBob))] = vm::encode_account({kBobBalance, 0});
  w[vm::account_key(address_of_key(kCarol))] = vm::encode_account({kRich, 0});
  w[vm::account_key(address_of_key(kDave))] = vm::encode_account({kRich, 0});
  s.apply(w);
  return s;
}

class MempoolTest : public ::testing::Test {
 protected:
  MempoolTest() : pool_(MempoolOptions{}, test_params(), kChain), state_(initial_state()) {}

  Hash32 admit(Mempool& pool, const VerifiedTx& tx) {
    auto r = pool.add(tx, state_);
    EXPECT_TRUE(r.ok()) << r.error().code << ": " << r.error().message;
    EXPECT_EQ(r.ok() ? *r : Hash32{}, tx.tx.hash);
    return tx.tx.hash;
  }
  Hash32 admit(const VerifiedTx& tx) { return admit(pool_, tx); }

  // The add fails with `code` and leaves the pool exactly as it was.
  void expect_refused(Mempool& pool, const VerifiedTx& tx, std::string_view code) {
    MempoolStatus before = pool.status();
    auto r = pool.add(tx, state_);
    ASSERT_FALSE(r.ok()) << "admitted, expected " << code;
    EXPECT_EQ(r.error().code, code) << r.error().message;
    EXPECT_FALSE(r.error().message.empty());
    MempoolStatus after = pool.status();
    EXPECT_EQ(after.txs, before.txs);
    EXPECT_EQ(after.bytes, before.bytes);
    EXPECT_EQ(after.senders, before.senders);
    if (code != "already_known") {
      EXPECT_FALSE(pool.contains(tx.tx.hash));
    }
  }
  void expect_refused(const VerifiedTx& tx, std::string_view code) { expect_refused(pool_, tx, code); }

  Mempool pool_;
  vm::MemoryState state_;
};

}  // namespace

// ---- admission ----

TEST_F(MempoolTest, AdmitsAValidTransaction) {
  VerifiedTx tx = transfer(kAlice, 0);
  admit(tx);
  EXPECT_TRUE(pool_.contains(tx.tx.hash));
  MempoolStatus st = pool_.status();
  EXPECT_EQ(st.txs, 1u);
  EXPECT_EQ(st.bytes, tx.tx.raw.size());
  EXPECT_EQ(st.senders, 1u);
}

TEST_F(MempoolTest, AdmitsConsecutiveNoncesFromOneSender) {
  for (uint64_t n = 0; n < 5; ++n) admit(transfer(kAlice, n));
  EXPECT_EQ(pool_.status().txs, 5u);
  EXPECT_EQ(pool_.status().senders, 1u);
}

TEST_F(MempoolTest, RejectsAlreadyKnown) {
  VerifiedTx tx = transfer(kAlice, 0);
  admit(tx);
  expect_refused(tx, "already_known");
}

TEST_F(MempoolTest, RejectsNonceGap) { expect_refused(transfer(kAlice, 1), "nonce_gap"); }

TEST_F(MempoolTest, RejectsNonceGapAfterPending) {
  admit(transfer(kAlice, 0));
  expect_refused(transfer(kAlice, 2), "nonce_gap");
}

TEST_F(MempoolTest, RejectsNonceTooLowAgainstCommittedState) {
  vm::WriteSet w;
  w[vm::account_key(address_of_key(kAlice))] = vm::encode_account({kRich, 2});
  state_.apply(w);
  expect_refused(transfer(kAlice, 1), "nonce_too_low");
}

TEST_F(MempoolTest, RejectsSecondTransactionWithAPendingNonce) {
  // No replace-by-fee: another transaction with a pending nonce is refused.
  admit(transfer(kAlice, 0, 1));
  expect_refused(transfer(kAlice, 0, 2, kTransferGas, 10), "nonce_pending");
  auto r = pool_.add(transfer(kAlice, 0, 3), state_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("nonce 0 from this sender is already pending"), std::string::npos)
      << r.error().message;
}

TEST_F(MempoolTest, NonceBelowTheAccountsIsStillAlreadyUsedWithAPendingTx) {
  vm::WriteSet w;
  w[vm::account_key(address_of_key(kAlice))] = vm::encode_account({kRich, 2});
  state_.apply(w);
  admit(transfer(kAlice, 2));
  expect_refused(transfer(kAlice, 1), "nonce_too_low");
}

TEST_F(MempoolTest, RejectsWrongChain) {
  expect_refused(transfer(kAlice, 0, 1, kTransferGas, 1, "physis-other-1"), "wrong_chain");
}

TEST_F(MempoolTest, RejectsGasLimitTooLow) {
  expect_refused(transfer(kAlice, 0, 1, kTransferGas - 1), "gas_limit_too_low");
}

TEST_F(MempoolTest, RejectsGasLimitTooHigh) {
  expect_refused(transfer(kAlice, 0, 1, test_params().block_gas_limit + 1), "gas_limit_too_high");
}

TEST_F(MempoolTest, RejectsGasPriceTooLow) {
  ChainParams p = test_params();
  p.min_gas_price = 3;
  Mempool pool(MempoolOptions{}, p, kChain);
  expect_refused(pool, transfer(kAlice, 0, 1, kTransferGas, 2), "gas_price_too_low");
}

TEST_F(MempoolTest, RejectsInsufficientFundsForGas) {
  // 21000 × 48 = 1,008,000 > Bob's 1,000,000.
  expect_refused(transfer(kBob, 0, 0, kTransferGas, 48), "insufficient_funds_for_gas");
}

TEST_F(MempoolTest, RejectsInsufficientFundsForAmount) {
  // The fee fits, fee + amount does not.
  expect_refused(transfer(kBob, 0, kBobBalance - kTransferGas + 1), "insufficient_funds");
}

TEST_F(MempoolTest, RejectsInsufficientFundsWithPendingCost) {
  // Each costs 21,000 + 450,000 = 471,000: two fit in 1,000,000, the third does not.
  admit(transfer(kBob, 0, 450'000));
  admit(transfer(kBob, 1, 450'000));
  auto r = pool_.add(transfer(kBob, 2, 450'000), state_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "insufficient_funds");
  EXPECT_NE(r.error().message.find("pending"), std::string::npos) << r.error().message;
  EXPECT_EQ(pool_.status().txs, 2u);
  // A smaller third one that fits in what is left is fine.
  admit(transfer(kBob, 2, 1'000'000 - 2 * 471'000 - kTransferGas));
}

TEST_F(MempoolTest, PendingCostUsesTheMaximumFee) {
  // The pool reserves gas_limit × gas_price, not the 21,000 × price a transfer ends up paying.
  admit(transfer(kBob, 0, 0, 500'000, 1));  // reserves 500,000
  admit(transfer(kBob, 1, 0, 400'000, 1));  // reserves 400,000: 900,000 in all
  expect_refused(transfer(kBob, 2, 0, 100'001, 1), "insufficient_funds");
}

TEST_F(MempoolTest, RejectsTooManyPendingFromOneSender) {
  Mempool pool(MempoolOptions{.max_txs = 100, .max_bytes = 1 << 20, .max_per_sender = 2}, test_params(),
               kChain);
  admit(pool, transfer(kAlice, 0));
  admit(pool, transfer(kAlice, 1));
  expect_refused(pool, transfer(kAlice, 2), "too_many_pending");
  // Other senders are not affected.
  admit(pool, transfer(kCarol, 0));
}

TEST_F(MempoolTest, RejectsWhenFullByCount) {
  Mempool pool(MempoolOptions{.max_txs = 2, .max_bytes = 1 << 20, .max_per_sender = 10}, test_params(),
               kChain);
  admit(pool, transfer(kAlice, 0));
  admit(pool, transfer(kCarol, 0));
  expect_refused(pool, transfer(kDave, 0), "mempool_full");
}

TEST_F(MempoolTest, RejectsWhenFullByBytes) {
  VerifiedTx first = transfer(kAlice, 0);
  Mempool pool(MempoolOptions{.max_txs = 100, .max_bytes = first.tx.raw.size() + 10, .max_per_sender = 10},
               test_params(), kChain);
  admit(pool, first);
  expect_refused(pool, transfer(kCarol, 0), "mempool_full");
}

// ---- selection ----

TEST_F(MempoolTest, SelectKeepsPerSenderNonceOrder) {
  // Interleaved arrivals from three senders.
  std::vector<VerifiedTx> arrivals = {transfer(kAlice, 0), transfer(kBob, 0),   transfer(kAlice, 1),
                                      transfer(kCarol, 0), transfer(kBob, 1),   transfer(kAlice, 2),
                                      transfer(kCarol, 1), transfer(kAlice, 3), transfer(kBob, 2)};
  for (const auto& tx : arrivals) admit(tx);
  std::vector<VerifiedTx> picked = pool_.select(100, UINT64_MAX, SIZE_MAX);
  ASSERT_EQ(picked.size(), arrivals.size());
  std::map<Address, uint64_t> next;
  for (const auto& tx : picked) {
    EXPECT_EQ(tx.tx.body.nonce(), next[tx.sender]) << "out of nonce order for a sender";
    next[tx.sender] = tx.tx.body.nonce() + 1;
  }
  EXPECT_EQ(next[address_of_key(kAlice)], 4u);
  EXPECT_EQ(next[address_of_key(kBob)], 3u);
  EXPECT_EQ(next[address_of_key(kCarol)], 2u);
  // The selection applies as a valid block.
  vm::BlockContext ctx = block_context();
  auto applied = vm::apply_block(state_, Hash32{}, test_params(), ctx, picked);
  EXPECT_TRUE(applied.ok()) << applied.error().message;
}

TEST_F(MempoolTest, SelectIsArrivalOrderAndLeavesThePoolAlone) {
  VerifiedTx a0 = transfer(kAlice, 0), c0 = transfer(kCarol, 0), a1 = transfer(kAlice, 1);
  admit(a0);
  admit(c0);
  admit(a1);
  auto picked = pool_.select(100, UINT64_MAX, SIZE_MAX);
  ASSERT_EQ(picked.size(), 3u);
  EXPECT_EQ(picked[0].tx.hash, a0.tx.hash);
  EXPECT_EQ(picked[1].tx.hash, c0.tx.hash);
  EXPECT_EQ(picked[2].tx.hash, a1.tx.hash);
  EXPECT_EQ(picked[0].sender, address_of_key(kAlice));
  EXPECT_EQ(pool_.status().txs, 3u);  // select does not remove
}

TEST_F(MempoolTest, SelectStopsAtMaxTxs) {
  for (uint64_t n = 0; n < 5; ++n) admit(transfer(kAlice, n));
  auto picked = pool_.select(3, UINT64_MAX, SIZE_MAX);
  ASSERT_EQ(picked.size(), 3u);
  for (uint64_t n = 0; n < 3; ++n) EXPECT_EQ(picked[n].tx.body.nonce(), n);
  EXPECT_TRUE(pool_.select(0, UINT64_MAX, SIZE_MAX).empty());
}

TEST_F(MempoolTest, SelectStopsBeforeTheGasCap) {
  // The cap counts the gas each transaction uses (21,000 for a transfer), not the 30,000 it reserves.
  for (uint64_t n = 0; n < 4; ++n) admit(transfer(kAlice, n, 1, 30'000));
  EXPECT_EQ(pool_.select(100, 84'000, SIZE_MAX).size(), 4u);
  EXPECT_EQ(pool_.select(100, 83'999, SIZE_MAX).size(), 3u);
  EXPECT_EQ(pool_.select(100, 42'000, SIZE_MAX).size(), 2u);
  EXPECT_EQ(pool_.select(100, 20'999, SIZE_MAX).size(), 0u);
}

TEST_F(MempoolTest, SelectGasCapNeverSkipsANonce) {
  // A transaction that does not fit stops the selection: taking a later one would risk a nonce gap.
  admit(transfer(kAlice, 0, 1, 21'000));
  admit(transfer(kAlice, 1, 1, 21'000));
  admit(transfer(kCarol, 0, 1, 21'000));
  auto picked = pool_.select(100, 41'999, SIZE_MAX);
  ASSERT_EQ(picked.size(), 1u);
  EXPECT_EQ(picked[0].tx.body.nonce(), 0u);
}

TEST_F(MempoolTest, AGasLimitReservingTheWholeBlockDoesNotCrowdOutOthers) {
  // Censorship by reservation: a transfer whose gas limit is the whole block gas limit uses (and pays for)
  // 21,000 gas only; the block's gas budget counts that, so every honest transfer behind it is selected.
  const uint64_t block_gas = test_params().block_gas_limit;
  admit(transfer(kCarol, 0, 1, block_gas));
  for (uint64_t n = 0; n < 5; ++n) admit(transfer(kAlice, n));
  auto picked = pool_.select(100, block_gas, SIZE_MAX);
  ASSERT_EQ(picked.size(), 6u);
  vm::BlockContext ctx = block_context();
  auto applied = vm::apply_block(state_, Hash32{}, test_params(), ctx, picked);
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_EQ(applied->gas_used, 6u * kTransferGas);
}

// ---- after a block ----

TEST_F(MempoolTest, RemoveCommittedDropsIncludedAndStale) {
  VerifiedTx a0 = transfer(kAlice, 0), a1 = transfer(kAlice, 1), a2 = transfer(kAlice, 2);
  VerifiedTx b0 = transfer(kBob, 0), b1 = transfer(kBob, 1);
  for (const auto& tx : {a0, a1, a2, b0, b1}) admit(tx);

  // A block (say, from another proposer) includes a0, a1 and a *different* nonce-0 transaction of Bob's.
  VerifiedTx b0_other = transfer(kBob, 0, 777);
  ASSERT_NE(b0_other.tx.hash, b0.tx.hash);
  vm::BlockContext ctx = block_context();
  auto applied = vm::apply_block(state_, Hash32{}, test_params(), ctx, {a0, a1, b0_other});
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  state_.apply(applied->writes);

  pool_.remove_committed({a0.tx.hash, a1.tx.hash, b0_other.tx.hash}, state_);
  EXPECT_FALSE(pool_.contains(a0.tx.hash));  // included
  EXPECT_FALSE(pool_.contains(a1.tx.hash));  // included
  EXPECT_FALSE(pool_.contains(b0.tx.hash));  // stale: Bob's nonce 0 is used
  EXPECT_TRUE(pool_.contains(a2.tx.hash));
  EXPECT_TRUE(pool_.contains(b1.tx.hash));
  MempoolStatus st = pool_.status();
  EXPECT_EQ(st.txs, 2u);
  EXPECT_EQ(st.senders, 2u);
  EXPECT_EQ(st.bytes, a2.tx.raw.size() + b1.tx.raw.size());

  // Admission continues from the new state plus what is still pending.
  admit(transfer(kAlice, 3));
  expect_refused(transfer(kAlice, 2, 5), "nonce_pending");  // a2 holds it
  admit(transfer(kBob, 2));
  // And what is left selects as a valid next block.
  auto picked = pool_.select(100, UINT64_MAX, SIZE_MAX);
  auto next = vm::apply_block(state_, applied->state_root, test_params(), ctx, picked);
  EXPECT_TRUE(next.ok()) << next.error().message;
}

TEST_F(MempoolTest, RemoveCommittedOfEverythingEmptiesThePool) {
  VerifiedTx a0 = transfer(kAlice, 0), c0 = transfer(kCarol, 0);
  admit(a0);
  admit(c0);
  vm::BlockContext ctx = block_context();
  auto applied = vm::apply_block(state_, Hash32{}, test_params(), ctx, {a0, c0});
  ASSERT_TRUE(applied.ok());
  state_.apply(applied->writes);
  pool_.remove_committed({a0.tx.hash, c0.tx.hash}, state_);
  MempoolStatus st = pool_.status();
  EXPECT_EQ(st.txs, 0u);
  EXPECT_EQ(st.bytes, 0u);
  EXPECT_EQ(st.senders, 0u);
  EXPECT_TRUE(pool_.select(100, UINT64_MAX, SIZE_MAX).empty());
}

TEST_F(MempoolTest, RemoveCommittedIgnoresUnknownHashes) {
  VerifiedTx a0 = transfer(kAlice, 0);
  admit(a0);
  Hash32 unknown{};
  unknown[0] = 0x99;
  pool_.remove_committed({unknown}, state_);
  EXPECT_TRUE(pool_.contains(a0.tx.hash));
  EXPECT_EQ(pool_.status().txs, 1u);
}

TEST_F(MempoolTest, DropWithSuccessorsDropsLaterNoncesOfThatSenderOnly) {
  admit(transfer(kAlice, 0));
  const Hash32 a1 = admit(transfer(kAlice, 1));
  admit(transfer(kAlice, 2));
  admit(transfer(kBob, 0));
  EXPECT_EQ(pool_.drop_with_successors(a1), 2u);
  EXPECT_EQ(pool_.status().txs, 2u);  // alice's nonce 0 and bob's remain
  EXPECT_FALSE(pool_.contains(a1));
  EXPECT_EQ(pool_.drop_with_successors(a1), 0u);
  // Alice can continue from nonce 1 again.
  admit(transfer(kAlice, 1));
}
