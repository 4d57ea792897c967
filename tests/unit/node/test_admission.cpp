// Admission order (node/admission.h, issue 6 findings 3 and 7): every cheap check before any device
// signature is verified, and that only for a transaction its sender can pay for; rejections remembered
// by tx hash (bounded); a damaged sender account reported as corruption, not as a zero balance.
#include <filesystem>

#include "crypto/p256.h"
#include "crypto/pem.h"
#include "crypto/secp256k1.h"
#include "crypto/sha256.h"
#include "crypto/x509_builder.h"
#include "crypto/x509_chain.h"
#include "tests/unit/node/node_test_fixture.h"
#include "vm/accounts.h"
#include "vm/attestation.h"
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
    w.state_writes[vm::block_hash_key(1)] = Bytes(hash.begin(), hash.end());  // proofs may refer to it
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

  // A SubmitProofs transaction of `n` proofs by the device that pass every check up to their signatures,
  // referring to block 1: the first UPTIME, the others DATA_CONTRIBUTION with a usage receipt by dev1.
  Bytes referring_proofs_tx(const crypto::PrivateKey& payer, int n) const {
    pb::TxBody body;
    body.set_chain_id(genesis_.chain_id);
    body.set_nonce(0);
    body.set_gas_limit(genesis_.params.block_gas_limit);
    body.set_gas_price(genesis_.params.min_gas_price);
    const std::string ref = to_string(Hash32{0x11});  // block 1's hash (SetUp)
    for (int i = 0; i < n; ++i) {
      pb::Proof* p = body.mutable_submit_proofs()->add_proofs();
      p->set_device_id(to_string(device_id_));
      p->set_seq(static_cast<uint64_t>(i) + 1);
      p->set_epoch(0);
      p->set_ref_height(1);
      p->set_ref_block_hash(ref);
      if (i == 0) {
        p->mutable_payload()->set_kind(pb::UPTIME);
      } else {
        pb::ProofPayload* pl = p->mutable_payload();
        pl->set_kind(pb::DATA_CONTRIBUTION);
        pl->set_data_bytes(1u << 20);
        pb::UsageReceipt* u = pl->mutable_usage();
        u->set_consumer(to_string(address_of_key(dev1_)));
        u->set_data_bytes(1u << 20);
        u->set_seq(static_cast<uint64_t>(i));
        u->set_ref_height(1);
        u->set_ref_block_hash(ref);
        const crypto::Signature us = crypto::sign_digest(dev1_, vm::usage_digest(genesis_.chain_id, device_id_, *u));
        u->set_signature(std::string(us.begin(), us.end()));
      }
      const crypto::P256Signature sig = *crypto::p256_sign(device_priv_, vm::proof_digest(genesis_.chain_id, *p));
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

TEST_F(AdmissionTest, ABlockOfProofsThisNodeNeverSawIsCheckedIntoTheCacheBeforeApply) {
  // Node B has node A's state but none of its transactions. Validating A's block, it checks the proofs'
  // device signatures and usage receipts (on two threads: 40 proofs) before apply_block, which finds
  // every answer in the cache (doc/depin.md "Block gas limit").
  const std::string b_dir = dir_.str() + "/b";
  std::filesystem::copy(options(std::nullopt).datadir, b_dir, std::filesystem::copy_options::recursive);
  constexpr int kProofs = 40;
  pb::Block block;
  {
    auto a = open_node(validator_);
    ASSERT_TRUE(a);
    auto r = a->submit_tx(referring_proofs_tx(dev0_, kProofs));
    ASSERT_TRUE(r.ok()) << r.error().code << ": " << r.error().message;
    // Admission checks the receipts' signatures too; the producer then checks nothing itself.
    EXPECT_EQ(a->signature_cache().stats().verifications, 2u * kProofs - 1);
    ASSERT_TRUE(a->produce_block(block_time(2)).ok());
    EXPECT_EQ(a->signature_cache().stats().verifications, 2u * kProofs - 1);
    auto stored = a->block_at(2);
    ASSERT_TRUE(stored.ok()) << stored.error().message;
    block = stored->block;
  }
  ASSERT_EQ(block.txs_size(), 1);
  auto b = open_node_in("b", std::nullopt);
  ASSERT_TRUE(b);
  auto vals = b->height_validators(2);
  ASSERT_TRUE(vals.ok());
  auto executed =
      b->executor().validate(block, b->tip(), *vals, vals->set, std::nullopt, block_time(2), nullptr);
  ASSERT_TRUE(executed.ok()) << executed.error().code << ": " << executed.error().message;
  // Every signature was reached: the device signatures of all proofs, the receipts of the data proofs.
  const auto& proofs = executed->result.receipts.at(0).proofs();
  ASSERT_EQ(proofs.size(), kProofs);
  for (int i = 0; i < kProofs; ++i) EXPECT_EQ(proofs[i].reason(), 0u) << "proof " << i;
  const SignatureCache::Stats st = b->signature_cache().stats();
  EXPECT_EQ(st.verifications, 2u * kProofs - 1) << "each signature checked once, before apply";
  EXPECT_EQ(st.hits, 2u * kProofs - 1) << "apply_block found each answer in the cache";
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

TEST_F(NodeTest, ARegistrationsSignaturesAreAllVerifiedAtAdmission) {
  // A SE_P256 registration with a device-signed location: the certificate, the proof of possession and
  // the location signature are verified at admission, so the block producer finds every answer cached.
  auto node = open_node(validator_);
  ASSERT_TRUE(node);
  auto maker =
      crypto::p256_private_key_from_pem_file(kSourceDir + "/genesis/devnet-keys/manufacturer-root.key.pem");
  ASSERT_TRUE(maker.ok()) << maker.error().message;
  const crypto::P256PrivateKey device = crypto::p256_generate();
  const crypto::P256PublicKey pub = *crypto::p256_public_key(device);
  crypto::CertSpec spec;
  spec.serial = 7;
  spec.issuer_cn = "Physis Devnet Test Manufacturer";
  spec.subject_cn = "admission-test";
  spec.subject_key = pub;
  auto cert = crypto::build_certificate(spec, *maker);
  ASSERT_TRUE(cert.ok()) << cert.error().message;
  const storage::ChainTip tip = node->tip();
  pb::TxBody body;
  auto* reg = body.mutable_register_device();
  auto* ev = reg->mutable_evidence();
  ev->set_kind(pb::SE_P256);
  ev->set_device_class(1);
  ev->set_key_type(pb::KEY_P256);
  ev->set_device_key(to_string(pub));
  ev->set_anchor_id(to_string(crypto::spki_id(crypto::p256_spki_der(*crypto::p256_public_key(*maker)))));
  ev->add_cert_chain(to_string(*cert));
  ev->set_ref_height(tip.height);
  ev->set_ref_block_hash(to_string(tip.hash));
  ev->set_pop_signature(to_string(*crypto::p256_sign(
      device, crypto::sha256(vm::registration_message(genesis_.chain_id, *ev, address_of_key(dev0_))))));
  reg->mutable_location()->mutable_latlon()->set_lat_e7(387000000);
  reg->mutable_location()->mutable_latlon()->set_lon_e7(-91000000);
  const Address id = vm::device_id_of(pb::SE_P256, pub);
  reg->set_location_signature(
      to_string(*crypto::p256_sign(device, vm::location_digest(genesis_.chain_id, id, reg->location(),
                                                               tip.height, as_span(ev->ref_block_hash())))));
  body.set_chain_id(genesis_.chain_id);
  body.set_nonce(0);
  body.set_gas_price(genesis_.params.min_gas_price);
  body.set_gas_limit(vm::intrinsic_gas(genesis_.params, body));
  auto r = node->submit_tx(sign_tx(body, dev0_));
  ASSERT_TRUE(r.ok()) << r.error().code << ": " << r.error().message;
  const uint64_t at_admission = node->signature_cache().stats().verifications;
  EXPECT_GE(at_admission, 3u);  // certificate, proof of possession, location
  auto produced = node->produce_block(block_time(tip.height + 1));
  ASSERT_TRUE(produced.ok()) << produced.error().message;
  auto included = node->find_receipt(*r);
  ASSERT_TRUE(included.ok()) << included.error().message;
  EXPECT_EQ(included->receipt.status(), 0u) << included->receipt.reason();
  EXPECT_EQ(node->signature_cache().stats().verifications, at_admission)
      << "the producer verified a signature admission had not";
}
