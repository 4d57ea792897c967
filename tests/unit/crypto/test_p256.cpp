// P-256 ECDSA: round trips, low-S, and every malformed input that verification must refuse.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iterator>
#include <thread>

#include "crypto/der.h"
#include "crypto/p256.h"
#include "crypto/sha256.h"

using namespace physis;
using namespace physis::crypto;

namespace {

Bytes fixture(const std::string& name) {
  std::ifstream in(std::string(PHYSIS_SOURCE_DIR) + "/tests/fixtures/attestation/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// n - s, for tests that need the high-S twin of a signature.
P256Signature flip_s(const P256Signature& sig) {
  P256Signature out = sig;
  int borrow = 0;
  for (size_t i = 32; i-- > 0;) {
    int d = static_cast<int>(kP256Order[i]) - static_cast<int>(sig[32 + i]) - borrow;
    borrow = d < 0 ? 1 : 0;
    out[32 + i] = static_cast<uint8_t>(d + (borrow << 8));
  }
  return out;
}

struct Signed {
  P256PublicKey pub;
  Hash32 digest;
  P256Signature sig;
};

Signed make_signed(std::string_view message) {
  const P256PrivateKey key = p256_generate();
  Signed s{p256_public_key(key).value(), sha256(as_span(message)), {}};
  auto sig = p256_sign(key, s.digest);
  EXPECT_TRUE(sig.ok());
  s.sig = sig.value();
  return s;
}

}  // namespace

TEST(P256, PublicKeyOfOneIsTheGenerator) {
  P256PrivateKey one{};
  one[31] = 1;
  auto pub = p256_public_key(one);
  ASSERT_TRUE(pub);
  EXPECT_EQ(to_hex(*pub),
            "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
            "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
}

TEST(P256, PrivateKeyRange) {
  P256PrivateKey zero{};
  P256PrivateKey order{};
  std::copy(kP256Order.begin(), kP256Order.end(), order.begin());
  EXPECT_FALSE(p256_public_key(zero));
  EXPECT_FALSE(p256_public_key(order));
  auto sig = p256_sign(order, Hash32{});
  ASSERT_FALSE(sig.ok());
  EXPECT_EQ(sig.error().code, "bad_private_key");
  P256PrivateKey below = order;
  below[31] -= 1;  // n - 1 is the largest valid scalar
  EXPECT_TRUE(p256_public_key(below));
}

TEST(P256, SignVerifyRoundTrip) {
  const Signed s = make_signed("physis");
  EXPECT_TRUE(p256_is_valid_public_key(s.pub));
  EXPECT_TRUE(p256_verify(s.pub, s.digest, s.sig, /*require_low_s=*/true));
  EXPECT_TRUE(p256_verify(s.pub, s.digest, s.sig, /*require_low_s=*/false));
}

TEST(P256, SignaturesAreAlwaysLowS) {
  const P256PrivateKey key = p256_generate();
  const Hash32 digest = sha256(as_span("low s"));
  for (int i = 0; i < 64; ++i) {
    auto sig = p256_sign(key, digest);
    ASSERT_TRUE(sig.ok());
    EXPECT_TRUE(p256_is_low_s(*sig));
  }
}

// A signing key imported once signs many digests, each signature low-S and valid under the key's public
// key, like p256_sign; it refuses the scalars p256_sign refuses.
TEST(P256, SigningKeySignsManyDigests) {
  const P256PrivateKey key = p256_generate();
  const P256PublicKey pub = *p256_public_key(key);
  auto signer = P256SigningKey::create(key);
  ASSERT_TRUE(signer);
  for (int i = 0; i < 32; ++i) {
    const Hash32 digest = sha256(as_span("digest " + std::to_string(i)));
    auto sig = signer->sign(digest);
    ASSERT_TRUE(sig.ok());
    EXPECT_TRUE(p256_is_low_s(*sig));
    EXPECT_TRUE(p256_verify(pub, digest, *sig, /*require_low_s=*/true));
    EXPECT_FALSE(p256_verify(pub, sha256(as_span("other")), *sig, true));
  }
  P256PrivateKey order{};
  std::copy(kP256Order.begin(), kP256Order.end(), order.begin());
  EXPECT_FALSE(P256SigningKey::create(order));
  EXPECT_FALSE(P256SigningKey::create(P256PrivateKey{}));
}

TEST(P256, HighSRejectedOnlyWhenLowSRequired) {
  const Signed s = make_signed("malleable");
  const P256Signature high = flip_s(s.sig);
  EXPECT_FALSE(p256_is_low_s(high));
  EXPECT_FALSE(p256_verify(s.pub, s.digest, high, /*require_low_s=*/true));
  EXPECT_TRUE(p256_verify(s.pub, s.digest, high, /*require_low_s=*/false));
}

TEST(P256, TamperedDigestOrSignatureRejected) {
  const Signed s = make_signed("tamper");
  Hash32 digest = s.digest;
  digest[0] ^= 1;
  EXPECT_FALSE(p256_verify(s.pub, digest, s.sig, false));
  P256Signature sig = s.sig;
  sig[5] ^= 0x10;
  EXPECT_FALSE(p256_verify(s.pub, s.digest, sig, false));
  const Signed other = make_signed("tamper");
  EXPECT_FALSE(p256_verify(other.pub, s.digest, s.sig, false));
}

TEST(P256, InvalidPointRejected) {
  const Signed s = make_signed("point");
  P256PublicKey off_curve = s.pub;
  off_curve[64] ^= 1;
  EXPECT_FALSE(p256_is_valid_public_key(off_curve));
  EXPECT_FALSE(p256_verify(off_curve, s.digest, s.sig, false));

  P256PublicKey bad_prefix = s.pub;
  bad_prefix[0] = 0x06;  // hybrid form
  EXPECT_FALSE(p256_verify(bad_prefix, s.digest, s.sig, false));

  Bytes compressed(s.pub.begin(), s.pub.begin() + 33);
  compressed[0] = static_cast<uint8_t>(0x02 | (s.pub[64] & 1));
  EXPECT_FALSE(p256_is_valid_public_key(compressed));
  EXPECT_FALSE(p256_verify(compressed, s.digest, s.sig, false));

  P256PublicKey all_ones{};
  all_ones.fill(0xff);
  all_ones[0] = 0x04;  // coordinates above p
  EXPECT_FALSE(p256_is_valid_public_key(all_ones));
  EXPECT_FALSE(p256_is_valid_public_key(P256PublicKey{}));
}

TEST(P256, ScalarsOutOfRangeRejected) {
  const Signed s = make_signed("range");
  P256Signature r_zero = s.sig;
  std::fill(r_zero.begin(), r_zero.begin() + 32, 0);
  EXPECT_FALSE(p256_verify(s.pub, s.digest, r_zero, false));
  P256Signature s_zero = s.sig;
  std::fill(s_zero.begin() + 32, s_zero.end(), 0);
  EXPECT_FALSE(p256_verify(s.pub, s.digest, s_zero, false));
  P256Signature r_order = s.sig;
  std::copy(kP256Order.begin(), kP256Order.end(), r_order.begin());
  EXPECT_FALSE(p256_verify(s.pub, s.digest, r_order, false));
  P256Signature s_order = s.sig;
  std::copy(kP256Order.begin(), kP256Order.end(), s_order.begin() + 32);
  EXPECT_FALSE(p256_verify(s.pub, s.digest, s_order, false));
  const Bytes short_sig(s.sig.begin(), s.sig.begin() + 63);
  EXPECT_FALSE(p256_verify(s.pub, s.digest, short_sig, false));
  EXPECT_FALSE(p256_is_low_s(short_sig));
}

// Interop: a signature made by `openssl dgst -sha256 -sign` with the device TEST key.
TEST(P256, VerifiesOpensslSignatureFixture) {
  const auto pub = from_hex_fixed<65>(std::string(to_string(fixture("device.pub.hex"))).substr(0, 130));
  ASSERT_TRUE(pub);
  const Bytes der = fixture("device.msg.sig.der");
  auto seq = der_parse_single(der, der_tag::kSequence);
  ASSERT_TRUE(seq);
  DerReader fields(seq->value);
  P256Signature sig{};
  for (size_t half = 0; half < 2; ++half) {
    auto v = fields.read_unsigned_integer();
    ASSERT_TRUE(v);
    ASSERT_LE(v->size(), 32u);
    std::copy(v->begin(), v->end(), sig.begin() + 32 * half + (32 - v->size()));
  }
  ASSERT_TRUE(fields.finish());
  const Hash32 digest = sha256(fixture("device.msg.bin"));
  const P256Signature low = p256_is_low_s(sig) ? sig : flip_s(sig);
  const P256Signature high = flip_s(low);
  EXPECT_TRUE(p256_verify(*pub, digest, low, true));
  EXPECT_TRUE(p256_verify(*pub, digest, high, false));
  EXPECT_FALSE(p256_verify(*pub, digest, high, true));
  EXPECT_FALSE(p256_verify(*pub, sha256(as_span("other")), low, false));
}

TEST(P256, VerifyKeyMatchesFreeFunction) {
  const Signed s = make_signed("prepared");
  auto key = P256VerifyKey::parse(s.pub);
  ASSERT_TRUE(key);
  EXPECT_TRUE(key->verify(s.digest, s.sig, true));
  EXPECT_FALSE(key->verify(s.digest, flip_s(s.sig), true));
  EXPECT_TRUE(key->verify(s.digest, flip_s(s.sig), false));
  Hash32 other = s.digest;
  other[31] ^= 0x80;
  EXPECT_FALSE(key->verify(other, s.sig, false));
  P256Signature r_zero = s.sig;
  std::fill(r_zero.begin(), r_zero.begin() + 32, 0);
  EXPECT_FALSE(key->verify(s.digest, r_zero, false));
  const P256VerifyKey copy = *key;  // copies share the decoded key
  EXPECT_TRUE(copy.verify(s.digest, s.sig, true));
  P256PublicKey off_curve = s.pub;
  off_curve[64] ^= 1;
  EXPECT_FALSE(P256VerifyKey::parse(off_curve));
  EXPECT_FALSE(P256VerifyKey::parse(ByteSpan(s.pub).first(64)));
}

TEST(P256, ConcurrentVerification) {
  const Signed s = make_signed("threads");
  const P256VerifyKey shared = P256VerifyKey::parse(s.pub).value();
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        good += p256_verify(s.pub, s.digest, s.sig, true) ? 1 : 0;
        good += shared.verify(s.digest, s.sig, true) ? 1 : 0;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 400);
}
