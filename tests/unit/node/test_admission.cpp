// Admission order (node/admission.h, issue 6 findings 3 and 7): every cheap check before any device
// signature is verified, and that only for a transaction its sender can pay for; rejections remembered
// by tx hash (bounded); a damaged sender account reported as corruption, not as a zero balance.
#include "crypto/p256.h"
#include "tests/unit/node/node_test_fixture.h"
#include "vm/accounts.h"
#include "vm/depin.h"
#include "vm/depin_state.h"

using namespace physis;
using namespace physis::node;
using namespace physis::node_test;

// ---- the pieces ----

TEST(RejectedTxCache, RemembersByLifetimeAndEvictsTheOldestFirst) {
  RejectedTxCache cache(2);
  const Hash32 a{0xa}, b{0xb}, c{0xc}, d{0xd};
  cache.insert(a, make_error("bad_signature", "v"), 5);
  cache.insert(b, make_error("insufficient_funds_for_gas", "balance 0"), 5);
  cache.insert(d, make_error("nonce_gap", "gap"), 5);  // may change at any moment: not remembered
  EXPECT_EQ(cache.find(a, 9)->code, "bad_signature");  // permanent
  EXPECT_EQ(cache.find(b, 5)->code, "insufficient_funds_for_gas");
  EXPECT_FALSE(cache.find(b, 6)) << "a balance can change with the next block";
  EXPECT_FALSE(cache.find(d, 5));
  cache.insert(c, make_error("wrong_chain", "other"), 5);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.find(a, 5)) << "the oldest entry is evicted first";
  EXPECT_TRUE(cache.find(c, 5));
}

TEST(RejectedTxCache, EveryLifetimeHasACode) {
  EXPECT_EQ(rejection_lifetime("bad_batch_size"), RejectionLifetime::kPermanent);
  EXPECT_EQ(rejection_lifetime("nonce_too_low"), RejectionLifetime::kPermanent);
  EXPECT_EQ(rejection_lifetime("insufficient_funds"), RejectionLifetime::kUntilNextBlock);
  EXPECT_EQ(rejection_lifetime("mempool_full"), RejectionLifetime::kNotCached);
  EXPECT_EQ(rejection_lifetime("corrupt_datadir"), RejectionLifetime::kNotCached);
}

TEST(CheckBatchLimits, SubmitProofsAndClaimsHoldOneToTheLimit) {
  DepinParams depin;
  depin.max_proofs_per_tx = 3;
  pb::TxBody body;
  body.mutable_transfer();
  EXPECT_TRUE(check_batch_limits(body, depin).ok());
  for (int i = 0; i < 3; ++i) body.mutable_submit_proofs()->add_proofs();
  EXPECT_TRUE(check_batch_limits(body, depin).ok());
  body.mutable_submit_proofs()->add_proofs();
  auto st = check_batch_limits(body, depin);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "bad_batch_size");
  EXPECT_NE(st.error().message.find("1..3"), std::string::npos) << st.error().message;
  body.mutable_claim_rewards();
  EXPECT_EQ(check_batch_limits(body, depin).error().code, "bad_batch_size");
}

// ---- the node ----

namespace {
// A node whose state holds one registered P-256 device, written behind the node's back as block 1
// (with a real commit, so the node can build block 2 on it).
class AdmissionTest : public NodeTest {
 protected:
  void SetUp() override {
    device_priv_ = crypto::p256_generate();
    const crypto::P256PublicKey pub = *crypto::p256_public_key(device_priv_);
    {
      auto node = open_node(validator_);
      ASSERT_TRUE(node);
      parent_ = node->tip();
    }
    auto store = storage::BlockStore::open(options(std::nullopt).datadir + "/chain");
    ASSERT_TRUE(store.ok()) << store.error().message;
    pb::Device device;
    device.set_owner(to_string(address_of_key(dev0_)));
    device.set_key_type(pb::KEY_P256);
    device.set_device_key(std::string(pub.begin(), pub.end()));
    const Hash32 hash{0x11};
    storage::BlockWrite w;
    w.tip = {1, hash, parent_.state_root, parent_.time_ms + 1};
    w.block = encode_canonical(pb::Block());
    w.receipts = encode_canonical(pb::BlockReceipts());
    w.commit = encode_canonical(consensus::make_commit(genesis_.chain_id, 1, 0, hash, {validator_}));
    w.state_writes[vm::device_key(device_id_)] = encode_canonical(device);
    ASSERT_TRUE((*store)->commit_block(w).ok());
  }
  // A SubmitProofs transaction of `n` proofs by the device, signed by `payer`; `bad` of them with a
  // signature that does not verify.
  Bytes proofs_tx(const crypto::PrivateKey& payer, int n, int bad, uint64_t nonce = 0) const {
    pb::TxBody body;
    body.set_chain_id(genesis_.chain_id);
    body.set_nonce(nonce);
    // Generous: whatever the intrinsic gas of the batch, the limit covers it (the fee is gas used × price).
    body.set_gas_limit(genesis_.params.block_gas_limit);
    body.set_gas_price(genesis_.params.min_gas_price);
    for (int i = 0; i < n; ++i) {
      pb::Proof* p = body.mutable_submit_proofs()->add_proofs();
      p->set_device_id(to_string(device_id_));
      p->set_seq(static_cast<uint64_t>(i) + 1);
      p->set_epoch(0);
      p->set_ref_block_hash(std::string(32, '\x01'));  // fixed-size at decode (primitives/tx_fields.h)
      crypto::P256Signature sig = *crypto::p256_sign(device_priv_, vm::proof_digest(genesis_.chain_id, *p));
      if (i < bad) sig[20] ^= 0x40;
      p->set_signature(std::string(sig.begin(), sig.end()));
    }
    return sign_tx(body, payer);
  }

  storage::ChainTip parent_;
  crypto::P256PrivateKey device_priv_{};
  const Address device_id_ = Address{0xde, 0x71, 0xce};
  const crypto::PrivateKey unfunded_ = physis::test::key_n(77);
};
}  // namespace

TEST_F(AdmissionTest, AnUnfundedSendersProofBatchCostsNoSignatureVerification) {
  auto node = open_node(validator_);
  ASSERT_TRUE(node);
  const Bytes raw = proofs_tx(unfunded_, 50, 50);
  auto r = node->submit_tx(raw);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "insufficient_funds_for_gas") << r.error().message;
  EXPECT_EQ(node->signature_cache().stats().verifications, 0u);
  // Sent again: answered from the rejected cache, still without any verification.
  auto again = node->submit_tx(raw);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "insufficient_funds_for_gas");
  EXPECT_NE(again.error().message.find("rejected-transaction cache"), std::string::npos)
      << again.error().message;
  EXPECT_EQ(node->signature_cache().stats().verifications, 0u);
  EXPECT_EQ(node->rejected_cache().size(), 1u);
}

TEST_F(AdmissionTest, ABatchAboveTheLimitIsRefusedBeforeVerification) {
  auto node = open_node(validator_);
  ASSERT_TRUE(node);
  const int n = static_cast<int>(genesis_.depin.max_proofs_per_tx) + 1;
  auto r = node->submit_tx(proofs_tx(dev0_, n, n));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad_batch_size") << r.error().message;
  EXPECT_EQ(node->signature_cache().stats().verifications, 0u);
  EXPECT_EQ(node->mempool_status().txs, 0u);
}

TEST_F(AdmissionTest, APayableBatchIsVerifiedOnceFailuresIncluded) {
  auto node = open_node(validator_);
  ASSERT_TRUE(node);
  auto r = node->submit_tx(proofs_tx(dev0_, 6, 2));
  ASSERT_TRUE(r.ok()) << r.error().code << ": " << r.error().message;
  EXPECT_EQ(node->signature_cache().stats().verifications, 6u);
  // The producer finds every answer, the two failures too, in the cache.
  auto produced = node->produce_block(block_time(2));
  ASSERT_TRUE(produced.ok()) << produced.error().message;
  EXPECT_EQ(node->signature_cache().stats().verifications, 6u);
  auto included = node->find_tx(*r);
  ASSERT_TRUE(included.ok()) << included.error().message;
  EXPECT_EQ(included->receipt.proofs_size(), 6);
}

TEST_F(AdmissionTest, ACorruptSenderAccountIsReportedAsCorruption) {
  {
    auto store = storage::BlockStore::open(options(std::nullopt).datadir + "/chain");
    ASSERT_TRUE(store.ok()) << store.error().message;
    auto tip = (*store)->tip();
    ASSERT_TRUE(tip.ok() && *tip);
    storage::BlockWrite w;
    w.tip = {2, Hash32{0x22}, (*tip)->state_root, (*tip)->time_ms + 1};
    w.block = encode_canonical(pb::Block());
    w.receipts = encode_canonical(pb::BlockReceipts());
    w.state_writes[vm::account_key(address_of_key(dev1_))] = Bytes{0x0a, 0x05, 0x01};
    ASSERT_TRUE((*store)->commit_block(w).ok());
  }
  auto node = open_node(std::nullopt);
  ASSERT_TRUE(node);
  auto r = node->submit_tx(transfer(dev1_, 0, address_of_key(dev0_), 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "corrupt_datadir") << r.error().message;
  EXPECT_NE(r.error().message.find(crypto::address_to_string(address_of_key(dev1_))), std::string::npos)
      << r.error().message;
  EXPECT_EQ(r.error().message.find("balance 0"), std::string::npos) << r.error().message;
}
