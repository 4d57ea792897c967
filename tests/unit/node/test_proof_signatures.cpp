// check_proof_signatures (node/proof_signatures.h): the proof and usage-receipt signatures of a block
// checked into the signature cache ahead of apply_block, devices registered in the same block included.
#include <gtest/gtest.h>

#include "crypto/p256.h"
#include "crypto/secp256k1.h"
#include "node/proof_signatures.h"
#include "node/sig_cache.h"
#include "primitives/codec.h"
#include "vm/depin.h"
#include "vm/depin_state.h"

using namespace physis;
using namespace physis::node;

namespace {
const std::string kChain = "physis-test-1";

struct Fleet {
  crypto::P256PrivateKey stored = crypto::p256_generate();  // in the state
  crypto::P256PrivateKey fresh = crypto::p256_generate();   // registered in the block being checked
  Address stored_id{0x01};
  Address fresh_id{0x02};
  vm::MemoryState state;
  std::vector<pb::Proof> proofs;

  Fleet() {
    pb::Device device;
    device.set_key_type(pb::KEY_P256);
    device.set_device_key(to_string(*crypto::p256_public_key(stored)));
    vm::WriteSet w;
    w[vm::device_key(stored_id)] = encode_canonical(device);
    state.apply(w);
  }
  // `n` proofs alternating between the two devices; every third carries a usage receipt.
  void make(int n, const crypto::PrivateKey& consumer) {
    for (int i = 0; i < n; ++i) {
      pb::Proof p;
      const bool of_stored = i % 2 == 0;
      p.set_device_id(to_string(of_stored ? stored_id : fresh_id));
      p.set_seq(static_cast<uint64_t>(i) + 1);
      p.set_ref_block_hash(std::string(32, '\x07'));
      if (i % 3 == 0) {
        pb::UsageReceipt* u = p.mutable_payload()->mutable_usage();
        u->set_consumer(to_string(crypto::address_of(*crypto::public_key_of(consumer))));
        u->set_seq(static_cast<uint64_t>(i) + 1);
        u->set_ref_block_hash(std::string(32, '\x07'));
        const crypto::Signature s =
            crypto::sign_digest(consumer, vm::usage_digest(kChain, of_stored ? stored_id : fresh_id, *u));
        u->set_signature(std::string(s.begin(), s.end()));
      }
      const auto sig = *crypto::p256_sign(of_stored ? stored : fresh, vm::proof_digest(kChain, p));
      p.set_signature(std::string(sig.begin(), sig.end()));
      proofs.push_back(std::move(p));
    }
  }
  std::vector<const pb::Proof*> pointers() const {
    std::vector<const pb::Proof*> out;
    for (const auto& p : proofs) out.push_back(&p);
    return out;
  }
};
}  // namespace

TEST(CheckProofSignatures, ChecksKnownDevicesOnTwoThreadsAndSkipsUnknownOnes) {
  Fleet f;
  f.make(30, crypto::generate_private_key());
  SignatureCache cache;
  // Without the block's registrations, only the stored device's 15 proofs (5 with a receipt) are checked.
  EXPECT_EQ(check_proof_signatures(f.pointers(), f.state, kChain, cache, /*split_threshold=*/2), 15u);
  EXPECT_EQ(cache.stats().verifications, 15u + 5u);
  EXPECT_EQ(cache.stats().invalid_entries, 0u) << "every signature is good";
}

TEST(CheckProofSignatures, DevicesRegisteredInTheSameBlockAreCheckedToo) {
  Fleet f;
  f.make(30, crypto::generate_private_key());
  FreshDevices fresh;
  fresh[f.fresh_id] = DeviceKey{pb::KEY_P256, to_string(*crypto::p256_public_key(f.fresh))};
  SignatureCache cache;
  EXPECT_EQ(check_proof_signatures(f.pointers(), f.state, kChain, cache, 2, &fresh), 30u);
  EXPECT_EQ(cache.stats().verifications, 30u + 10u);
  EXPECT_EQ(cache.stats().invalid_entries, 0u);
  // The answers are what apply_block will ask: all from the cache now.
  for (const auto& p : f.proofs) {
    const bool of_stored = p.device_id() == to_string(f.stored_id);
    const auto key = *crypto::p256_public_key(of_stored ? f.stored : f.fresh);
    EXPECT_TRUE(cache.verify(vm::kKeyP256, key, vm::proof_digest(kChain, p), as_span(p.signature())));
  }
  EXPECT_EQ(cache.stats().verifications, 40u);
}

TEST(CheckProofSignatures, ABadSignatureIsRememberedAsBadNotSkipped) {
  Fleet f;
  f.make(4, crypto::generate_private_key());
  f.proofs[0].mutable_signature()->at(5) ^= 0x20;  // the stored device's first proof
  SignatureCache cache;
  EXPECT_EQ(check_proof_signatures(f.pointers(), f.state, kChain, cache, 100), 2u);
  EXPECT_EQ(cache.stats().invalid_entries, 1u);
  const auto key = *crypto::p256_public_key(f.stored);
  EXPECT_FALSE(cache.verify(vm::kKeyP256, key, vm::proof_digest(kChain, f.proofs[0]),
                            as_span(f.proofs[0].signature())));
}

TEST(CheckProofSignatures, AMemoOfDeviceKeysLearnsFromStateAndIsAskedFirst) {
  Fleet f;
  f.make(30, crypto::generate_private_key());
  DeviceKeyMemo memo;
  EXPECT_FALSE(memo.find(f.stored_id)) << "empty at first";
  SignatureCache cache;
  EXPECT_EQ(check_proof_signatures(f.pointers(), f.state, kChain, cache, 2, nullptr, &memo), 15u);
  ASSERT_TRUE(memo.find(f.stored_id)) << "the stored device's key was learnt from the state";
  EXPECT_EQ(memo.find(f.stored_id)->key, to_string(*crypto::p256_public_key(f.stored)));
  EXPECT_FALSE(memo.find(f.fresh_id)) << "an unknown device is not remembered (it may register later)";

  // The memo is asked before the state: a state that lost the device still finds it through the memo.
  vm::MemoryState empty;
  SignatureCache second;
  EXPECT_EQ(check_proof_signatures(f.pointers(), empty, kChain, second, 2, nullptr, &memo), 15u);
  EXPECT_EQ(second.stats().verifications, 15u + 5u);
  EXPECT_EQ(second.stats().invalid_entries, 0u);
}

TEST(CheckProofSignatures, AWrongKeyInTheMemoCostsAVerificationNotAWrongAnswer) {
  Fleet f;
  f.make(2, crypto::generate_private_key());
  DeviceKeyMemo memo;
  memo.remember(f.stored_id, DeviceKey{pb::KEY_P256, to_string(*crypto::p256_public_key(f.fresh))});
  SignatureCache cache;
  EXPECT_EQ(check_proof_signatures(f.pointers(), f.state, kChain, cache, 100, nullptr, &memo), 1u);
  EXPECT_EQ(cache.stats().invalid_entries, 1u) << "the proof does not verify under the wrong key";
  // What apply_block asks, with the key the state holds, is answered by a verification of its own: true.
  const auto key = *crypto::p256_public_key(f.stored);
  EXPECT_TRUE(cache.verify(vm::kKeyP256, key, vm::proof_digest(kChain, f.proofs[0]),
                           as_span(f.proofs[0].signature())));
  EXPECT_EQ(cache.stats().verifications, 3u) << "2 verifications and the receipt's recovery";
}
