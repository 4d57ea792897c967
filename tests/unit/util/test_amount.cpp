#include <gtest/gtest.h>

#include "util/amount.h"
#include "util/bytes.h"

using namespace physis;

TEST(Amount, DecimalRoundTripAndLimits) {
  EXPECT_EQ(format_amount(0), "0");
  EXPECT_EQ(*parse_amount("1000000000000000000000"), static_cast<Amount>(1000000000000000000ULL) * 1000);
  const char* max = "340282366920938463463374607431768211455";
  ASSERT_TRUE(parse_amount(max));
  EXPECT_EQ(format_amount(*parse_amount(max)), max);
  EXPECT_FALSE(parse_amount("340282366920938463463374607431768211456"));
  EXPECT_FALSE(parse_amount(""));
  EXPECT_FALSE(parse_amount("01"));
  EXPECT_FALSE(parse_amount("-1"));
  EXPECT_FALSE(parse_amount("1.5"));
}

TEST(Amount, CanonicalBytes) {
  EXPECT_TRUE(encode_amount(0).empty());
  EXPECT_EQ(to_hex(encode_amount(0x0100)), "0100");
  EXPECT_EQ(*decode_amount(encode_amount(123456789)), 123456789u);
  Bytes leading_zero = {0x00, 0x01};
  EXPECT_FALSE(decode_amount(leading_zero));
  EXPECT_FALSE(decode_amount(Bytes(17, 1)));
}

TEST(Amount, CheckedArithmetic) {
  Amount max = ~static_cast<Amount>(0);
  EXPECT_FALSE(checked_add(max, 1));
  EXPECT_FALSE(checked_sub(1, 2));
  EXPECT_FALSE(checked_mul(max, 2));
  EXPECT_EQ(*checked_sub(5, 2), 3u);
}

TEST(Hex, ParseAndFormat) {
  EXPECT_EQ(to_hex0x(*from_hex("0xABcd")), "0xabcd");
  EXPECT_FALSE(from_hex("abc"));
  EXPECT_FALSE(from_hex("zz"));
  EXPECT_TRUE(from_hex("")->empty());
}
