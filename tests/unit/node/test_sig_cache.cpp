// The signature cache: answers are exactly verify_device_signature's; failures are remembered as well as
// successes (a bad signature sent again is not verified again); the cache is bounded and, when full,
// forgets its older generation instead of emptying itself.
#include <gtest/gtest.h>

#include "crypto/p256.h"
#include "crypto/secp256k1.h"
#include "node/sig_cache.h"

using namespace physis;
using namespace physis::node;

namespace {
struct Signed {
  crypto::P256PublicKey key{};
  Hash32 digest{};
  crypto::P256Signature sig{};
};

Signed make_signed(uint8_t n) {
  Signed s;
  const crypto::P256PrivateKey priv = crypto::p256_generate();
  s.key = *crypto::p256_public_key(priv);
  s.digest[0] = n;
  s.digest[1] = 0x5a;
  s.sig = *crypto::p256_sign(priv, s.digest);
  return s;
}

// A consumer's secp256k1 signature over a digest whose first byte is `tag` (a usage receipt's, for
// SignatureCache::recover), and a copy whose recovery id recovers nothing.
struct ReceiptSignature {
  crypto::PrivateKey consumer = crypto::generate_private_key();
  Hash32 digest{};
  crypto::Signature good{};
  crypto::Signature unrecoverable{};
  explicit ReceiptSignature(uint8_t tag) {
    digest[0] = tag;
    good = crypto::sign_digest(consumer, digest);
    unrecoverable = good;
    unrecoverable[64] = 7;  // no such recovery id: recovers nothing, whatever r and s
  }
};
}  // namespace

TEST(TwoGenerationMap, KeepsAtMostTwoGenerationsAndPromotesWhatIsUsed) {
  TwoGenerationMap<int> m(2);
  m.insert("a", 1);
  m.insert("b", 2);
  m.insert("c", 3);  // current full: {a, b} becomes the old generation
  EXPECT_EQ(m.size(), 3u);
  ASSERT_NE(m.find("a"), nullptr);  // moved to the current generation {c, a}
  m.insert("d", 4);                 // {c, a} becomes old, {b} is forgotten
  EXPECT_EQ(m.find("b"), nullptr);
  ASSERT_NE(m.find("a"), nullptr);
  EXPECT_EQ(*m.find("a"), 1);
  EXPECT_NE(m.find("d"), nullptr);
  EXPECT_LE(m.size(), 4u);
}

TEST(SignatureCache, RemembersSuccessesAndFailures) {
  SignatureCache cache(1000);
  const Signed good = make_signed(1);
  Signed bad = make_signed(2);
  bad.sig[10] ^= 0x01;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(cache.verify(vm::kKeyP256, good.key, good.digest, good.sig));
    EXPECT_FALSE(cache.verify(vm::kKeyP256, bad.key, bad.digest, bad.sig));
  }
  const SignatureCache::Stats st = cache.stats();
  EXPECT_EQ(st.verifications, 2u) << "each signature is verified once";
  EXPECT_EQ(st.hits, 4u);
  EXPECT_EQ(st.valid_entries, 1u);
  EXPECT_EQ(st.invalid_entries, 1u);
  // The same bytes with the other key type are another question (high S allowed for certificates).
  EXPECT_TRUE(cache.verify(vm::kCertP256AnyS, good.key, good.digest, good.sig));
  EXPECT_EQ(cache.stats().verifications, 3u);
}

TEST(SignatureCache, IsBoundedAndNeverEmptiesItself) {
  SignatureCache cache(16);  // generations of 8 successes
  std::vector<Signed> all;
  for (uint8_t i = 0; i < 40; ++i) {
    all.push_back(make_signed(i));
    EXPECT_TRUE(cache.verify(vm::kKeyP256, all.back().key, all.back().digest, all.back().sig));
    EXPECT_LE(cache.size(), 16u);
    if (i > 8) {
      EXPECT_GT(cache.size(), 8u) << "the cache must not be cleared when full";
    }
  }
  // The most recent signatures are still answered from the cache.
  const uint64_t before = cache.stats().verifications;
  for (size_t i = all.size() - 8; i < all.size(); ++i)
    EXPECT_TRUE(cache.verify(vm::kKeyP256, all[i].key, all[i].digest, all[i].sig));
  EXPECT_EQ(cache.stats().verifications, before);
}

TEST(SignatureCache, AFloodOfBadSignaturesDoesNotEvictTheGoodOnes) {
  SignatureCache cache(64);
  const Signed good = make_signed(1);
  ASSERT_TRUE(cache.verify(vm::kKeyP256, good.key, good.digest, good.sig));
  Signed bad = make_signed(2);
  const uint8_t original = bad.sig[5];
  for (uint8_t i = 1; i <= 100; ++i) {
    bad.sig[5] =
        original ^ i;  // never the valid byte (a plain `= i` hit it when the random nonce put it below 100)
    EXPECT_FALSE(cache.verify(vm::kKeyP256, bad.key, bad.digest, bad.sig));
  }
  EXPECT_LE(cache.stats().invalid_entries, 64u / 8);
  const uint64_t before = cache.stats().verifications;
  EXPECT_TRUE(cache.verify(vm::kKeyP256, good.key, good.digest, good.sig));
  EXPECT_EQ(cache.stats().verifications, before) << "the good signature must still be cached";
}

TEST(SignatureCache, RemembersRecoveredSignersAndFailedRecoveries) {
  // Usage receipts' consumer signatures: the answer is vm::recover_signer's, computed once.
  SignatureCache cache(1000);
  const ReceiptSignature r(0x42);
  const Hash32& digest = r.digest;
  const crypto::Signature& good = r.good;
  const crypto::Signature& bad = r.unrecoverable;
  const Address want = crypto::address_of(*crypto::public_key_of(r.consumer));
  for (int i = 0; i < 3; ++i) {
    const std::optional<Address> got = cache.recover(digest, good);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, want);
    EXPECT_FALSE(cache.recover(digest, bad).has_value());
  }
  SignatureCache::Stats st = cache.stats();
  EXPECT_EQ(st.verifications, 2u) << "each signature is recovered once";
  EXPECT_EQ(st.hits, 4u);
  EXPECT_EQ(st.valid_entries, 1u);
  EXPECT_EQ(st.invalid_entries, 1u);
  // Another digest is another question: it recovers another address, or none.
  Hash32 other = digest;
  other[1] = 1;
  const std::optional<Address> elsewhere = cache.recover(other, good);
  EXPECT_TRUE(!elsewhere || *elsewhere != want);
  EXPECT_EQ(elsewhere, vm::recover_signer(other, good));
  EXPECT_EQ(cache.stats().verifications, 3u);
}

TEST(SignatureCache, AFloodOfUnrecoverableReceiptsDoesNotEvictTheGoodRecoveries) {
  // A forged usage receipt whose signature recovers no key is remembered in the small failure memo; the
  // good recoveries the block producer needs stay cached.
  SignatureCache cache(64);
  const ReceiptSignature r(0x17);
  const Hash32& digest = r.digest;
  const crypto::Signature& good = r.good;
  ASSERT_TRUE(cache.recover(digest, good).has_value());
  crypto::Signature bad = r.unrecoverable;
  for (uint8_t i = 1; i <= 100; ++i) {
    bad[3] = static_cast<uint8_t>(good[3] ^ i);
    EXPECT_FALSE(cache.recover(digest, bad).has_value());
  }
  EXPECT_LE(cache.stats().invalid_entries, 64u / 16);
  const uint64_t before = cache.stats().verifications;
  EXPECT_TRUE(cache.recover(digest, good).has_value());
  EXPECT_EQ(cache.stats().verifications, before) << "the good recovery must still be cached";
}
