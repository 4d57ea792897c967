// Block assembly: a transaction that no longer applies is left out with its sender's later nonces, the
// other senders' transactions still go in; a failed state read builds no block at all.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "node/block_assembly.h"
#include "tests/unit/test_support.h"
#include "vm/accounts.h"

using namespace physis;
using namespace physis::node;
using physis::test::address_of_key;
using physis::test::key_n;

namespace {
const std::string kChain = "physis-test";
constexpr Amount kRich = Amount{1'000'000'000'000};
constexpr Amount kMaxAmount = ~Amount{0};  // 2^128 - 1

// Memory state behind the fallible interface; reading `poisoned` fails like an I/O error.
class TestState final : public FallibleStateReader {
 public:
  std::optional<Bytes> get(const Bytes& key) const override {
    if (poisoned && key == *poisoned) {
      failed = true;
      return std::nullopt;
    }
    return mem.get(key);
  }
  Status status() const override {
    if (failed) return make_error("storage", "datadir unreadable: state record: injected I/O error");
    return ok_status();
  }
  vm::MemoryState mem;
  std::optional<Bytes> poisoned;
  mutable bool failed = false;
};

class BlockAssemblyTest : public ::testing::Test {
 protected:
  void fund(const crypto::PrivateKey& k, Amount balance) {
    vm::WriteSet w;
    w[vm::account_key(address_of_key(k))] = vm::encode_account({balance, 0});
    state_.mem.apply(w);
  }
  VerifiedTx transfer(const crypto::PrivateKey& from, uint64_t nonce, Amount amount = 1) const {
    auto v = decode_and_verify_tx(sign_tx(
        make_transfer_body(kChain, nonce, params_.transfer_gas, 1, address_of_key(key_n(99)), amount), from));
    EXPECT_TRUE(v.ok());
    return *v;
  }
  Result<AssembledBlock> assemble(std::vector<VerifiedTx> selection) const {
    vm::BlockContext ctx{kChain, 1, address_of_key(key_n(98)), Hash32{}, {{address_of_key(key_n(98)), 1}}};
    return assemble_block(state_, Hash32{}, params_, depin_, ctx, std::move(selection), verifier_);
  }
  static std::vector<Hash32> hashes(const std::vector<VerifiedTx>& txs) {
    std::vector<Hash32> out;
    for (const auto& t : txs) out.push_back(t.tx.hash);
    return out;
  }

  TestState state_;
  ChainParams params_;
  DepinParams depin_;
  vm::DirectSignatureVerifier verifier_;
  const crypto::PrivateKey alice_ = key_n(1);  // cannot pay the fee
  const crypto::PrivateKey bob_ = key_n(2);
};
}  // namespace

TEST_F(BlockAssemblyTest, AValidSelectionIsIncludedWhole) {
  fund(bob_, kRich);
  auto b = assemble({transfer(bob_, 0), transfer(bob_, 1)});
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->txs.size(), 2u);
  EXPECT_TRUE(b->rejected.empty());
}

TEST_F(BlockAssemblyTest, OnlyTheFailingTxAndItsSendersLaterNoncesAreLeftOut) {
  fund(alice_, 10);
  fund(bob_, kRich);
  const VerifiedTx a0 = transfer(alice_, 0), a1 = transfer(alice_, 1);
  const VerifiedTx b0 = transfer(bob_, 0), b1 = transfer(bob_, 1);
  auto b = assemble({a0, b0, a1, b1});
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(hashes(b->txs), (std::vector<Hash32>{b0.tx.hash, b1.tx.hash}));
  EXPECT_EQ(b->rejected, std::vector<Hash32>{a0.tx.hash});
  ASSERT_EQ(b->reasons.size(), 1u);
  EXPECT_NE(b->reasons[0].find("cannot pay"), std::string::npos) << b->reasons[0];
  EXPECT_EQ(b->result.receipts.size(), 2u);
}

// Issue 6, finding 1: many senders that cannot pay, interleaved with honest ones, used to exhaust a
// bounded number of retries and empty the block. Every honest transaction must go in, in one pass.
TEST_F(BlockAssemblyTest, ManyUnpayableTxsInterleavedWithGoodOnesLeaveEveryGoodOneIn) {
  std::vector<VerifiedTx> selection;
  std::vector<Hash32> good, bad;
  for (int i = 0; i < 40; ++i) {
    const crypto::PrivateKey honest = key_n(100 + i), attacker = key_n(200 + i);
    fund(honest, kRich);
    fund(attacker, params_.transfer_gas);  // one fee, as the attack funds it
    // The attacker's first transaction pays its fee (its transfer then fails in the receipt); the
    // next two cannot pay the fee and must be left out, without costing anyone else their place.
    const VerifiedTx a0 = transfer(attacker, 0, kMaxAmount - params_.transfer_gas);
    const VerifiedTx a1 = transfer(attacker, 1, kMaxAmount - params_.transfer_gas);
    const VerifiedTx a2 = transfer(attacker, 2, kMaxAmount);
    const VerifiedTx h0 = transfer(honest, 0), h1 = transfer(honest, 1);
    for (const auto* t : {&a0, &h0, &a1, &a2, &h1}) selection.push_back(*t);
    good.insert(good.end(), {a0.tx.hash, h0.tx.hash, h1.tx.hash});
    bad.push_back(a1.tx.hash);
  }
  auto b = assemble(selection);
  ASSERT_TRUE(b.ok()) << b.error().message;
  std::set<Hash32> included;
  for (const auto& t : b->txs) included.insert(t.tx.hash);
  for (const auto& h : good) EXPECT_TRUE(included.count(h));
  EXPECT_EQ(b->txs.size(), good.size());
  // Only the first unpayable tx of each attacker is rejected; its later nonce goes with it.
  EXPECT_EQ(std::set<Hash32>(b->rejected.begin(), b->rejected.end()),
            std::set<Hash32>(bad.begin(), bad.end()));
  for (const auto& r : b->reasons) EXPECT_NE(r.find("insufficient_funds_for_gas"), std::string::npos) << r;
  EXPECT_EQ(b->result.receipts.size(), good.size());
  // What assembly built is exactly what validation of the same transactions computes.
  vm::BlockContext ctx{kChain, 1, address_of_key(key_n(98)), Hash32{}, {{address_of_key(key_n(98)), 1}}};
  auto again = vm::apply_block(state_, Hash32{}, params_, depin_, ctx, b->txs, verifier_);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->state_root, b->result.state_root);
}

TEST_F(BlockAssemblyTest, AWrongNonceIsLeftOutWithItsSendersLaterTxs) {
  fund(alice_, kRich);
  fund(bob_, kRich);
  const VerifiedTx a1 = transfer(alice_, 1), a2 = transfer(alice_, 2), b0 = transfer(bob_, 0);
  auto b = assemble({a1, b0, a2});
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(hashes(b->txs), std::vector<Hash32>{b0.tx.hash});
  EXPECT_EQ(b->rejected, std::vector<Hash32>{a1.tx.hash});
  ASSERT_EQ(b->reasons.size(), 1u);
  EXPECT_NE(b->reasons[0].find("nonce_gap"), std::string::npos) << b->reasons[0];
}

TEST_F(BlockAssemblyTest, TxsPastTheBlockLimitsAreDeferredNotRejected) {
  fund(bob_, kRich);
  params_.max_block_txs = 2;
  auto b = assemble({transfer(bob_, 0), transfer(bob_, 1), transfer(bob_, 2), transfer(bob_, 3)});
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->txs.size(), 2u);
  EXPECT_EQ(b->deferred, 2u);
  EXPECT_TRUE(b->rejected.empty());
  params_.max_block_txs = 100;
  params_.block_gas_limit = 3 * params_.transfer_gas - 1;
  b = assemble({transfer(bob_, 0), transfer(bob_, 1), transfer(bob_, 2)});
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->txs.size(), 2u);
  EXPECT_EQ(b->deferred, 1u);
  EXPECT_TRUE(b->rejected.empty());
}

TEST_F(BlockAssemblyTest, AFailedStateReadBuildsNoBlock) {
  fund(bob_, kRich);
  state_.poisoned = vm::account_key(address_of_key(bob_));
  auto b = assemble({transfer(bob_, 0)});
  ASSERT_FALSE(b.ok()) << "an unreadable account must not read as a zero balance";
  EXPECT_EQ(b.error().code, "storage");
}

TEST_F(BlockAssemblyTest, ACorruptRecordBuildsNoBlockAndRejectsNoTransaction) {
  fund(bob_, kRich);
  // The recipient's account record is not canonical protobuf: a state fault, not the sender's.
  state_.mem.apply({{vm::account_key(address_of_key(key_n(99))), Bytes{0xff, 0xff}}});
  auto b = assemble({transfer(bob_, 0)});
  ASSERT_FALSE(b.ok()) << "a block must not be built around a corrupt record";
  EXPECT_EQ(b.error().code, "corrupt_state");
}
