#include <gtest/gtest.h>

#include "crypto/keccak.h"
#include "crypto/secp256k1.h"

using namespace physis;
using namespace physis::crypto;

namespace {
PrivateKey key_from_int(uint8_t v) {
  PrivateKey k{};
  k[31] = v;
  return k;
}
}  // namespace

TEST(Secp256k1, KnownAddressOfPrivateKeyOne) {
  auto pub = public_key_of(key_from_int(1));
  ASSERT_TRUE(pub);
  EXPECT_EQ(address_to_string(address_of(*pub)), "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
}

TEST(Secp256k1, ZeroKeyIsInvalid) { EXPECT_FALSE(public_key_of(PrivateKey{})); }

TEST(Secp256k1, SignRecoverRoundTrip) {
  PrivateKey k = generate_private_key();
  Hash32 digest = keccak256(as_span("message"));
  Signature sig = sign_digest(k, digest);
  auto addr = recover_address(digest, sig);
  ASSERT_TRUE(addr);
  EXPECT_EQ(*addr, address_of(*public_key_of(k)));
  // Another digest recovers another address.
  auto other = recover_address(keccak256(as_span("other")), sig);
  ASSERT_TRUE(other);
  EXPECT_NE(*other, *addr);
}

TEST(Secp256k1, RejectsHighSAndBadRecoveryIdAndWrongLength) {
  PrivateKey k = key_from_int(7);
  Hash32 digest = keccak256(as_span("x"));
  Signature sig = sign_digest(k, digest);
  // s' = n - s is the malleated twin: must be rejected as high-S.
  static const uint8_t n[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
                                0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
  Signature high = sig;
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int v = n[i] - sig[32 + i] - borrow;
    borrow = v < 0;
    high[32 + i] = static_cast<uint8_t>(v + (borrow ? 256 : 0));
  }
  high[64] ^= 1;
  auto r1 = recover_address(digest, high);
  ASSERT_FALSE(r1);
  EXPECT_EQ(r1.error().code, "bad_signature");
  EXPECT_NE(r1.error().message.find("low-S"), std::string::npos);

  Signature badv = sig;
  badv[64] = 4;
  EXPECT_FALSE(recover_address(digest, badv));
  EXPECT_FALSE(recover_address(digest, ByteSpan(sig.data(), 64)));
  Signature zero{};
  EXPECT_FALSE(recover_address(digest, zero));
}

TEST(Eip55, PublishedVectors) {
  for (const char* s :
       {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
    auto a = parse_address(s);
    ASSERT_TRUE(a) << s;
    EXPECT_EQ(address_to_string(*a), s);
  }
}

TEST(Eip55, RejectsBadChecksumAndMalformed) {
  EXPECT_TRUE(parse_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"));   // all lower: no checksum
  EXPECT_TRUE(parse_address("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED"));   // all upper: no checksum
  EXPECT_FALSE(parse_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"));  // one case flipped
  EXPECT_FALSE(parse_address("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
  EXPECT_FALSE(parse_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA"));
  EXPECT_FALSE(parse_address("0xZaAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
}
