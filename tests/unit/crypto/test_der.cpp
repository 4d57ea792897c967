// Strict DER reader: every DerError value has a test that triggers it, beside the encodings it must accept.
#include <gtest/gtest.h>

#include <set>

#include "crypto/der.h"

using namespace physis;
using namespace physis::crypto;

namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }

template <typename T>
DerError error_of(const DerResult<T>& r) {
  EXPECT_FALSE(r.ok());
  return r.ok() ? DerError::kTruncated : r.error();
}

}  // namespace

TEST(Der, ReadsNestedSequence) {
  const Bytes in = hex("300802010502030100ff");  // SEQUENCE { INTEGER 5, INTEGER 0x0100ff }
  DerReader top(in);
  auto seq = top.read_sequence();
  ASSERT_TRUE(seq);
  ASSERT_TRUE(top.finish());
  auto a = seq->read_uint64();
  auto b = seq->read_uint64();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, 5u);
  EXPECT_EQ(*b, 0x0100ffu);
  EXPECT_TRUE(seq->finish());
}

TEST(Der, ElementExposesClassConstructedAndNumber) {
  const Bytes in = hex("a303020102");
  DerReader r(in);
  auto e = r.read_element(der_tag::context(3, true));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->tag_class(), DerClass::kContextSpecific);
  EXPECT_TRUE(e->constructed());
  EXPECT_EQ(e->tag_number(), 3);
  EXPECT_EQ(e->tlv.size(), 5u);
  EXPECT_EQ(e->value.size(), 3u);
  EXPECT_EQ((DerElement{0x02, {}, {}}.tag_class()), DerClass::kUniversal);
  EXPECT_EQ((DerElement{0x41, {}, {}}.tag_class()), DerClass::kApplication);
  EXPECT_EQ((DerElement{0xc1, {}, {}}.tag_class()), DerClass::kPrivate);
}

TEST(Der, AcceptsLongFormLengthFrom128) {
  Bytes in = hex("048180");
  in.resize(3 + 128, 0xaa);
  auto e = der_parse_single(in, der_tag::kOctetString);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->value.size(), 128u);
}

TEST(Der, Truncated) {
  DerReader empty(ByteSpan{});
  EXPECT_EQ(error_of(empty.read_element()), DerError::kTruncated);
  for (const char* h : {"02", "020201", "0482", "04820100"}) {
    const Bytes in = hex(h);
    DerReader r(in);
    EXPECT_EQ(error_of(r.read_element()), DerError::kTruncated) << h;
  }
}

TEST(Der, HighTagNumber) {
  const Bytes in = hex("1f0100");
  DerReader r(in);
  EXPECT_EQ(error_of(r.read_element()), DerError::kHighTagNumber);
}

TEST(Der, IndefiniteLength) {
  const Bytes in = hex("30800201050000");
  DerReader r(in);
  EXPECT_EQ(error_of(r.read_sequence()), DerError::kIndefiniteLength);
}

TEST(Der, NonMinimalLength) {
  const Bytes long_form_for_short = hex("04810100");  // length 1 in long form
  const Bytes leading_zero = hex("0482008000");       // 0x0080 with a zero length octet
  DerReader a(long_form_for_short);
  DerReader b(leading_zero);
  EXPECT_EQ(error_of(a.read_element()), DerError::kNonMinimalLength);
  EXPECT_EQ(error_of(b.read_element()), DerError::kNonMinimalLength);
}

TEST(Der, LengthTooLarge) {
  const Bytes in = hex("04850100000000");
  DerReader r(in);
  EXPECT_EQ(error_of(r.read_element()), DerError::kLengthTooLarge);
  const Bytes reserved = hex("04ff");
  DerReader r2(reserved);
  EXPECT_EQ(error_of(r2.read_element()), DerError::kLengthTooLarge);
}

TEST(Der, TrailingDataAtEveryLevel) {
  EXPECT_EQ(error_of(der_parse_single(hex("050000"), der_tag::kNull)), DerError::kTrailingData);
  const Bytes in = hex("300402010500");  // SEQUENCE { INTEGER 5 } followed, inside it, by a stray 0x00
  DerReader top(in);
  auto seq = top.read_sequence();
  ASSERT_TRUE(seq);
  ASSERT_TRUE(seq->read_uint64());
  EXPECT_EQ(error_of(seq->finish()), DerError::kTrailingData);
}

TEST(Der, UnexpectedTagAndNothingConsumed) {
  const Bytes in = hex("0400");
  DerReader r(in);
  EXPECT_EQ(error_of(r.read_integer()), DerError::kUnexpectedTag);
  EXPECT_EQ(r.remaining(), 2u);  // a failed read consumes nothing
  EXPECT_TRUE(r.read_octet_string());
  EXPECT_TRUE(r.empty());
  // A constructed BIT STRING (BER) is not the primitive one DER requires.
  const Bytes constructed = hex("2304030200ff");
  DerReader c(constructed);
  EXPECT_EQ(error_of(c.read_bit_string()), DerError::kUnexpectedTag);
}

TEST(Der, IntegerMustBeMinimal) {
  for (const char* h : {"0200", "0202007f", "0202ff80", "0203007fff"}) {
    const Bytes in = hex(h);
    DerReader r(in);
    EXPECT_EQ(error_of(r.read_integer()), DerError::kBadInteger) << h;
  }
  for (const char* h : {"020100", "02020080", "0202ff7f", "0201ff"}) {
    const Bytes in = hex(h);
    DerReader r(in);
    EXPECT_TRUE(r.read_integer()) << h;
  }
}

TEST(Der, UnsignedIntegerStripsSignOctet) {
  const Bytes in = hex("020300ff01020100");
  DerReader r(in);
  auto a = r.read_unsigned_integer();
  auto zero = r.read_unsigned_integer();
  ASSERT_TRUE(a && zero);
  EXPECT_EQ(to_hex(*a), "ff01");
  EXPECT_TRUE(zero->empty());
}

TEST(Der, NegativeInteger) {
  const Bytes in = hex("020180");
  DerReader r(in);
  EXPECT_EQ(error_of(r.read_unsigned_integer()), DerError::kNegativeInteger);
  DerReader r2(in);
  EXPECT_EQ(error_of(r2.read_uint64()), DerError::kNegativeInteger);
}

TEST(Der, IntegerTooLarge) {
  const Bytes max = hex("020900ffffffffffffffff");
  DerReader ok(max);
  auto v = ok.read_uint64();
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, UINT64_MAX);
  const Bytes too_big = hex("0209010000000000000000");
  DerReader r(too_big);
  EXPECT_EQ(error_of(r.read_uint64()), DerError::kIntegerTooLarge);
}

TEST(Der, BooleanOnlyZeroOrFf) {
  const Bytes good = hex("0101ff010100");
  DerReader r(good);
  auto t = r.read_boolean();
  auto f = r.read_boolean();
  ASSERT_TRUE(t && f);
  EXPECT_TRUE(*t);
  EXPECT_FALSE(*f);
  for (const char* h : {"010101", "0100", "01020000"}) {
    const Bytes in = hex(h);
    DerReader bad(in);
    EXPECT_EQ(error_of(bad.read_boolean()), DerError::kBadBoolean) << h;
  }
}

TEST(Der, BitString) {
  const Bytes good = hex("03020780");
  DerReader r(good);
  auto bits = r.read_bit_string();
  ASSERT_TRUE(bits);
  EXPECT_EQ(bits->unused_bits, 7);
  EXPECT_EQ(to_hex(bits->bytes), "80");
  const Bytes empty = hex("030100");
  DerReader e(empty);
  EXPECT_TRUE(e.read_bit_string());
  for (const char* h : {"0300", "030101", "03020800", "03020181"}) {
    const Bytes in = hex(h);
    DerReader bad(in);
    EXPECT_EQ(error_of(bad.read_bit_string()), DerError::kBadBitString) << h;
  }
}

TEST(Der, Oid) {
  const Bytes in = hex("06082a8648ce3d030107");
  DerReader r(in);
  auto oid = r.read_oid();
  ASSERT_TRUE(oid);
  EXPECT_EQ(oid_to_string(*oid), "1.2.840.10045.3.1.7");
  EXPECT_EQ(oid_to_string(hex("6781050803")), "2.23.133.8.3");
  EXPECT_EQ(oid_to_string(hex("551d13")), "2.5.29.19");
  EXPECT_EQ(oid_to_string(hex("0280")), "oid:0280");
  for (const char* h : {"0600", "06028001", "060181", "06032a8048"}) {
    const Bytes bad_in = hex(h);
    DerReader bad(bad_in);
    EXPECT_EQ(error_of(bad.read_oid()), DerError::kBadOid) << h;
  }
}

TEST(Der, Null) {
  const Bytes good = hex("0500");
  DerReader r(good);
  EXPECT_TRUE(r.read_null());
  const Bytes bad_in = hex("050100");
  DerReader bad(bad_in);
  EXPECT_EQ(error_of(bad.read_null()), DerError::kBadNull);
}

TEST(Der, ErrorNamesAreDistinct) {
  std::set<std::string_view> names;
  for (int e = 0; e <= static_cast<int>(DerError::kBadNull); ++e)
    names.insert(der_error_name(static_cast<DerError>(e)));
  EXPECT_EQ(names.size(), static_cast<size_t>(DerError::kBadNull) + 1);
  EXPECT_EQ(names.count("unknown"), 0u);
}
