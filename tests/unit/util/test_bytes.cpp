// Contracts of util/bytes.h: hex conversion, fixed-size hex, string/byte views, big-endian integers.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "util/bytes.h"

using namespace physis;

TEST(Hex, ToHexIsLowerCaseTwoDigitsPerByteForEveryValue) {
  Bytes all(256);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(i);
  std::string hex = to_hex(all);
  ASSERT_EQ(hex.size(), 512u);
  EXPECT_EQ(hex.substr(0, 8), "00010203");
  EXPECT_EQ(hex.substr(20, 4), "0a0b");
  EXPECT_EQ(hex.substr(508), "feff");
  for (char c : hex) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << c;
  // Every byte value survives the round trip.
  EXPECT_EQ(*from_hex(hex), all);
}

TEST(Hex, EmptyInputs) {
  EXPECT_EQ(to_hex(Bytes{}), "");
  EXPECT_EQ(to_hex0x(Bytes{}), "0x");
  ASSERT_TRUE(from_hex(""));
  EXPECT_TRUE(from_hex("")->empty());
  // A bare prefix is the empty byte string, not an error.
  ASSERT_TRUE(from_hex("0x"));
  EXPECT_TRUE(from_hex("0x")->empty());
}

TEST(Hex, ToHex0xPrefixesTheLowerCaseForm) {
  Bytes b = {0xde, 0xad, 0xBE, 0xef};
  EXPECT_EQ(to_hex(b), "deadbeef");
  EXPECT_EQ(to_hex0x(b), "0xdeadbeef");
}

TEST(Hex, FromHexAcceptsUpperLowerAndMixedCase) {
  const Bytes expect = {0xab, 0xcd, 0xef, 0x09};
  EXPECT_EQ(*from_hex("abcdef09"), expect);
  EXPECT_EQ(*from_hex("ABCDEF09"), expect);
  EXPECT_EQ(*from_hex("aBcDeF09"), expect);
}

TEST(Hex, FromHexPrefixRules) {
  const Bytes expect = {0x01, 0xff};
  EXPECT_EQ(*from_hex("01ff"), expect);
  EXPECT_EQ(*from_hex("0x01ff"), expect);
  EXPECT_EQ(*from_hex("0X01FF"), expect);
  // "00" is data, not a prefix.
  EXPECT_EQ(*from_hex("00"), Bytes{0x00});
  // Only one prefix, only at the start, no whitespace around it.
  EXPECT_FALSE(from_hex("0x0x01"));
  EXPECT_FALSE(from_hex("x01"));
  EXPECT_FALSE(from_hex("01x0"));
  EXPECT_FALSE(from_hex(" 0x01"));
  EXPECT_FALSE(from_hex("0x 01"));
  EXPECT_FALSE(from_hex("0x01 "));
}

TEST(Hex, FromHexRejectsOddLength) {
  EXPECT_FALSE(from_hex("a"));
  EXPECT_FALSE(from_hex("abc"));
  EXPECT_FALSE(from_hex("0xabc"));
  EXPECT_FALSE(from_hex("0x0"));
}

TEST(Hex, FromHexRejectsNonHexInEitherNibble) {
  EXPECT_FALSE(from_hex("g0"));  // high nibble
  EXPECT_FALSE(from_hex("0g"));  // low nibble
  EXPECT_FALSE(from_hex("00zz"));
  EXPECT_FALSE(from_hex("0xG0"));
  EXPECT_FALSE(from_hex("-1"));
  EXPECT_FALSE(from_hex("+1"));
  EXPECT_FALSE(from_hex("0:"));  // ':' follows '9' in ASCII
  EXPECT_FALSE(from_hex("0/"));  // '/' precedes '0'
  EXPECT_FALSE(from_hex("@0"));  // '@' precedes 'A'
  EXPECT_FALSE(from_hex("`0"));  // '`' precedes 'a'
  EXPECT_FALSE(from_hex(std::string_view("0\0", 2)));
  EXPECT_FALSE(from_hex("\xc3\xa9"));  // non-ASCII (UTF-8 e-acute)
  // A bad character late in a long string still rejects the whole input.
  EXPECT_FALSE(from_hex(std::string(64, 'a') + "0q"));
}

TEST(Hex, FromHexFixedRequiresExactLength) {
  auto h = from_hex_fixed<4>("0x01020304");
  ASSERT_TRUE(h);
  EXPECT_EQ((*h), (std::array<uint8_t, 4>{1, 2, 3, 4}));
  EXPECT_TRUE(from_hex_fixed<4>("01020304"));
  EXPECT_FALSE(from_hex_fixed<4>("010203"));      // short
  EXPECT_FALSE(from_hex_fixed<4>("0102030405"));  // long
  EXPECT_FALSE(from_hex_fixed<4>("0102030g"));    // bad char
  EXPECT_FALSE(from_hex_fixed<4>("0102034"));     // odd
  EXPECT_TRUE(from_hex_fixed<0>(""));
  EXPECT_FALSE(from_hex_fixed<0>("00"));
  EXPECT_TRUE(from_hex_fixed<32>(std::string(64, 'F')));
  EXPECT_FALSE(from_hex_fixed<32>(std::string(62, 'f')));
  EXPECT_TRUE(from_hex_fixed<20>("0x" + std::string(40, '0')));
  EXPECT_FALSE(from_hex_fixed<20>("0x" + std::string(42, '0')));
}

TEST(Bytes, StringViewsKeepEveryByteIncludingNul) {
  const std::string s("a\0b\xff", 4);
  ByteSpan span = as_span(s);
  ASSERT_EQ(span.size(), 4u);
  EXPECT_EQ(span[1], 0x00);
  EXPECT_EQ(span[3], 0xff);
  EXPECT_EQ(to_string(span), s);
  Bytes b = to_bytes(s);
  EXPECT_EQ(b, (Bytes{'a', 0x00, 'b', 0xff}));
  EXPECT_EQ(to_string(b), s);
  EXPECT_TRUE(to_bytes("").empty());
  EXPECT_EQ(to_string(Bytes{}), "");
}

TEST(Bytes, AppendAddsAtTheEndWithoutClearing) {
  Bytes out = {0x01};
  append(out, Bytes{0x02, 0x03});
  append(out, std::string_view("\x04", 1));
  append(out, Bytes{});
  append(out, std::string_view());
  EXPECT_EQ(out, (Bytes{0x01, 0x02, 0x03, 0x04}));
}

TEST(Bytes, AppendBigEndianGoldenBytes) {
  Bytes out = {0xaa};
  append_u32_be(out, 0x01020304u);
  EXPECT_EQ(to_hex(out), "aa01020304");
  append_u64_be(out, 0x0102030405060708ull);
  EXPECT_EQ(to_hex(out), "aa010203040102030405060708");

  Bytes edges;
  append_u32_be(edges, 0);
  append_u32_be(edges, UINT32_MAX);
  append_u64_be(edges, 0);
  append_u64_be(edges, UINT64_MAX);
  append_u64_be(edges, 1);
  EXPECT_EQ(to_hex(edges),
            "00000000"
            "ffffffff"
            "0000000000000000"
            "ffffffffffffffff"
            "0000000000000001");
}

TEST(Bytes, ReadU64BigEndian) {
  EXPECT_EQ(read_u64_be(*from_hex("0102030405060708")), 0x0102030405060708ull);
  EXPECT_EQ(read_u64_be(*from_hex("0000000000000000")), 0u);
  EXPECT_EQ(read_u64_be(*from_hex("ffffffffffffffff")), UINT64_MAX);
  EXPECT_EQ(read_u64_be(*from_hex("8000000000000001")), 0x8000000000000001ull);
  // A longer span: only the first 8 bytes are read.
  EXPECT_EQ(read_u64_be(*from_hex("00000000000001ffeeeeeeee")), 0x1ffull);
  // Exactly 8 bytes at the end of a buffer: the last byte is read, nothing past it.
  Bytes buf = {0xee, 0, 0, 0, 0, 0, 0, 0, 0x2a};
  EXPECT_EQ(read_u64_be(ByteSpan(buf).subspan(1)), 42u);
}

TEST(Bytes, U64RoundTrip) {
  for (uint64_t v :
       std::initializer_list<uint64_t>{0, 1, 0xff, 0x100, 0xdeadbeefcafef00d, UINT64_MAX - 1, UINT64_MAX}) {
    Bytes b;
    append_u64_be(b, v);
    ASSERT_EQ(b.size(), 8u);
    EXPECT_EQ(read_u64_be(b), v);
  }
}
