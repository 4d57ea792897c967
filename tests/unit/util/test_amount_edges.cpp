// Edge cases of util/amount.h beyond test_amount.cpp: decimal text, canonical bytes, checked arithmetic.
#include <gtest/gtest.h>

#include <string>

#include "util/amount.h"

using namespace physis;

namespace {
constexpr Amount kMax = ~static_cast<Amount>(0);
constexpr Amount kTwo64 = static_cast<Amount>(1) << 64;
const std::string kMaxText = "340282366920938463463374607431768211455";  // 2^128 - 1
}  // namespace

TEST(AmountText, MaxIsExactlyTwoTo128MinusOne) {
  auto max = parse_amount(kMaxText);
  ASSERT_TRUE(max);
  EXPECT_TRUE(*max == kMax);
  EXPECT_EQ(format_amount(kMax), kMaxText);
  EXPECT_EQ(format_amount(kMax - 1), "340282366920938463463374607431768211454");
  EXPECT_EQ(format_amount(kTwo64), "18446744073709551616");
  EXPECT_TRUE(*parse_amount("18446744073709551616") == kTwo64);
}

TEST(AmountText, OverflowIsRejected) {
  EXPECT_FALSE(parse_amount("340282366920938463463374607431768211456"));  // 2^128
  EXPECT_FALSE(parse_amount("340282366920938463463374607431768211460"));  // overflow on the last add
  EXPECT_FALSE(parse_amount("400000000000000000000000000000000000000"));  // 39 digits, > max
  EXPECT_FALSE(parse_amount(std::string(39, '9')));                       // 39 digits, overflow on mul
  EXPECT_FALSE(parse_amount("1" + std::string(39, '0')));                 // 40 digits
  EXPECT_FALSE(parse_amount(std::string(1000, '1')));
}

TEST(AmountText, ZeroAndLeadingZeros) {
  ASSERT_TRUE(parse_amount("0"));
  EXPECT_TRUE(*parse_amount("0") == 0);
  EXPECT_FALSE(parse_amount("00"));
  EXPECT_FALSE(parse_amount("000"));
  EXPECT_FALSE(parse_amount("007"));
  EXPECT_FALSE(parse_amount("0" + kMaxText));
  EXPECT_TRUE(*parse_amount("10") == 10);
  EXPECT_TRUE(*parse_amount("100") == 100);
}

TEST(AmountText, SignsSeparatorsAndWhitespaceAreRejected) {
  for (const char* bad : {"", "+", "-", "+1", "-0", "+0", " 1", "1 ", "1 000", "1,000", "1_000", "1e3",
                          "0x10", "1.", ".1", "1.0", "٣", "\t1", "1\n"}) {
    EXPECT_FALSE(parse_amount(bad)) << "'" << bad << "'";
  }
  EXPECT_FALSE(parse_amount(std::string_view("1\0", 2)));
  EXPECT_FALSE(parse_amount(std::string_view("\0", 1)));
}

TEST(AmountText, OnlyTheViewIsRead) {
  // parse_amount takes a string_view: characters past its end are not part of the number.
  const char digits[] = "12345";
  EXPECT_TRUE(*parse_amount(std::string_view(digits, 3)) == 123);
}

TEST(AmountText, FormatRoundTripsPowersOfTenAndNeighbours) {
  Amount p = 1;
  std::string text = "1";
  for (int i = 0; i < 38; ++i) {
    EXPECT_EQ(format_amount(p), text);
    EXPECT_TRUE(*parse_amount(text) == p);
    EXPECT_EQ(format_amount(p - 1), i == 0 ? "0" : std::string(static_cast<size_t>(i), '9'));
    EXPECT_TRUE(*parse_amount(format_amount(p + 1)) == p + 1);
    p *= 10;
    text += '0';
  }
}

TEST(AmountBytes, EncodingIsMinimalBigEndian) {
  EXPECT_EQ(to_hex(encode_amount(1)), "01");
  EXPECT_EQ(to_hex(encode_amount(0xff)), "ff");
  EXPECT_EQ(to_hex(encode_amount(0x100)), "0100");
  EXPECT_EQ(to_hex(encode_amount(kTwo64)), "010000000000000000");
  EXPECT_EQ(to_hex(encode_amount(kMax)), std::string(32, 'f'));
  EXPECT_EQ(encode_amount(kMax).size(), 16u);
}

TEST(AmountBytes, DecodeAcceptsCanonicalAndRejectsTheRest) {
  ASSERT_TRUE(decode_amount(Bytes{}));
  EXPECT_TRUE(*decode_amount(Bytes{}) == 0);  // zero is the empty encoding
  EXPECT_FALSE(decode_amount(Bytes{0x00}));   // zero written as a byte is not minimal
  EXPECT_FALSE(decode_amount(Bytes{0x00, 0xff}));
  EXPECT_TRUE(*decode_amount(Bytes(16, 0xff)) == kMax);
  Bytes padded(16, 0xff);
  padded[0] = 0x00;
  EXPECT_FALSE(decode_amount(padded));
  EXPECT_FALSE(decode_amount(Bytes(17, 0xff)));
  Bytes seventeen(17, 0x00);
  seventeen[0] = 0x01;
  EXPECT_FALSE(decode_amount(seventeen));
  // Interior and trailing zero bytes are data.
  EXPECT_TRUE(*decode_amount(Bytes{0x01, 0x00, 0x00}) == 0x10000);
}

TEST(AmountBytes, RoundTrip) {
  for (Amount v : {static_cast<Amount>(0), static_cast<Amount>(1), static_cast<Amount>(0x80), kTwo64 - 1,
                   kTwo64, kTwo64 + 1, kMax / 2, kMax - 1, kMax}) {
    auto d = decode_amount(encode_amount(v));
    ASSERT_TRUE(d) << format_amount(v);
    EXPECT_TRUE(*d == v) << format_amount(v);
  }
}

TEST(AmountArithmetic, BoundariesSucceedAndOverflowFails) {
  EXPECT_TRUE(*checked_add(kMax, 0) == kMax);
  EXPECT_TRUE(*checked_add(kMax - 1, 1) == kMax);
  EXPECT_FALSE(checked_add(kMax, kMax));
  EXPECT_FALSE(checked_add(1, kMax));
  EXPECT_TRUE(*checked_sub(0, 0) == 0);
  EXPECT_TRUE(*checked_sub(kMax, kMax) == 0);
  EXPECT_TRUE(*checked_sub(kMax, 0) == kMax);
  EXPECT_FALSE(checked_sub(0, 1));
  EXPECT_FALSE(checked_sub(kMax - 1, kMax));
  EXPECT_TRUE(*checked_mul(0, kMax) == 0);
  EXPECT_TRUE(*checked_mul(kMax, 1) == kMax);
  EXPECT_TRUE(*checked_mul(kTwo64, kTwo64 - 1) == kMax - (kTwo64 - 1));
  EXPECT_FALSE(checked_mul(kTwo64, kTwo64));
  EXPECT_FALSE(checked_mul(kMax / 2 + 1, 2));
  EXPECT_TRUE(*checked_mul(kMax / 2, 2) == kMax - 1);
}
