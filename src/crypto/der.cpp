#include "crypto/der.h"

#include <limits>

namespace physis::crypto {

namespace {

struct Header {
  uint8_t tag = 0;
  size_t header_len = 0;
  size_t length = 0;
};

// Identifier and length octets of the element at the start of `in` (X.690 §8.1.2, §8.1.3, §10.1).
DerResult<Header> parse_header(ByteSpan in) {
  if (in.empty()) return DerError::kTruncated;
  const uint8_t tag = in[0];
  if ((tag & 0x1f) == 0x1f) return DerError::kHighTagNumber;
  if (in.size() < 2) return DerError::kTruncated;
  const uint8_t first = in[1];
  size_t pos = 2;
  size_t length = 0;
  if (first < 0x80) {
    length = first;
  } else if (first == 0x80) {
    return DerError::kIndefiniteLength;
  } else {
    const size_t count = first & 0x7f;  // 0xff (count 127) is reserved; it also lands here
    if (count > 4) return DerError::kLengthTooLarge;
    if (in.size() - pos < count) return DerError::kTruncated;
    if (in[pos] == 0x00) return DerError::kNonMinimalLength;
    for (size_t i = 0; i < count; ++i) length = (length << 8) | in[pos + i];
    if (length < 0x80) return DerError::kNonMinimalLength;
    pos += count;
  }
  if (in.size() - pos < length) return DerError::kTruncated;
  return Header{tag, pos, length};
}

}  // namespace

std::string_view der_error_name(DerError error) {
  switch (error) {
    case DerError::kTruncated: return "truncated";
    case DerError::kHighTagNumber: return "high_tag_number";
    case DerError::kIndefiniteLength: return "indefinite_length";
    case DerError::kNonMinimalLength: return "non_minimal_length";
    case DerError::kLengthTooLarge: return "length_too_large";
    case DerError::kTrailingData: return "trailing_data";
    case DerError::kUnexpectedTag: return "unexpected_tag";
    case DerError::kBadInteger: return "bad_integer";
    case DerError::kNegativeInteger: return "negative_integer";
    case DerError::kIntegerTooLarge: return "integer_too_large";
    case DerError::kBadBoolean: return "bad_boolean";
    case DerError::kBadBitString: return "bad_bit_string";
    case DerError::kBadOid: return "bad_oid";
    case DerError::kBadNull: return "bad_null";
  }
  return "unknown";
}

std::optional<uint8_t> DerReader::peek_tag() const {
  if (in_.empty()) return std::nullopt;
  return in_[0];
}

DerResult<DerElement> DerReader::read_element() {
  auto header = parse_header(in_);
  if (!header) return header.error();
  const size_t total = header->header_len + header->length;
  DerElement element{header->tag, in_.first(total), in_.subspan(header->header_len, header->length)};
  in_ = in_.subspan(total);
  return element;
}

DerResult<DerElement> DerReader::read_element(uint8_t tag) {
  // The encoding is validated before the tag, so a BER length is reported as such whatever the tag.
  DerReader copy = *this;
  auto element = copy.read_element();
  if (!element) return element.error();
  if (element->tag != tag) return DerError::kUnexpectedTag;
  *this = copy;
  return element;
}

DerResult<DerReader> DerReader::read_constructed(uint8_t tag) {
  auto element = read_element(tag);
  if (!element) return element.error();
  return DerReader(element->value);
}

DerResult<ByteSpan> DerReader::read_integer() {
  DerReader copy = *this;
  auto element = copy.read_element(der_tag::kInteger);
  if (!element) return element.error();
  const ByteSpan v = element->value;
  if (v.empty()) return DerError::kBadInteger;
  // X.690 §8.3.2: the first nine bits must not be all zero or all one.
  if (v.size() >= 2 && ((v[0] == 0x00 && (v[1] & 0x80) == 0) || (v[0] == 0xff && (v[1] & 0x80) != 0)))
    return DerError::kBadInteger;
  *this = copy;
  return v;
}

DerResult<ByteSpan> DerReader::read_unsigned_integer() {
  DerReader copy = *this;
  auto v = copy.read_integer();
  if (!v) return v.error();
  ByteSpan magnitude = *v;
  if ((magnitude[0] & 0x80) != 0) return DerError::kNegativeInteger;
  if (magnitude[0] == 0x00) magnitude = magnitude.subspan(1);  // sign octet, or the value zero
  *this = copy;
  return magnitude;
}

DerResult<uint64_t> DerReader::read_uint64() {
  DerReader copy = *this;
  auto magnitude = copy.read_unsigned_integer();
  if (!magnitude) return magnitude.error();
  if (magnitude->size() > 8) return DerError::kIntegerTooLarge;
  uint64_t value = 0;
  for (uint8_t b : *magnitude) value = (value << 8) | b;
  *this = copy;
  return value;
}

DerResult<bool> DerReader::read_boolean() {
  DerReader copy = *this;
  auto element = copy.read_element(der_tag::kBoolean);
  if (!element) return element.error();
  // X.690 §11.1: TRUE is encoded as 0xFF in DER.
  if (element->value.size() != 1) return DerError::kBadBoolean;
  const uint8_t b = element->value[0];
  if (b != 0x00 && b != 0xff) return DerError::kBadBoolean;
  *this = copy;
  return b == 0xff;
}

DerResult<ByteSpan> DerReader::read_oid() {
  DerReader copy = *this;
  auto element = copy.read_element(der_tag::kOid);
  if (!element) return element.error();
  const ByteSpan v = element->value;
  if (v.empty()) return DerError::kBadOid;
  bool at_start = true;
  for (uint8_t b : v) {
    // X.690 §8.19.2: a sub-identifier's first octet is never 0x80 (that would be a leading zero).
    if (at_start && b == 0x80) return DerError::kBadOid;
    at_start = (b & 0x80) == 0;
  }
  if (!at_start) return DerError::kBadOid;  // last sub-identifier is cut off
  *this = copy;
  return v;
}

DerResult<DerBitString> DerReader::read_bit_string() {
  DerReader copy = *this;
  auto element = copy.read_element(der_tag::kBitString);
  if (!element) return element.error();
  const ByteSpan v = element->value;
  if (v.empty()) return DerError::kBadBitString;
  const uint8_t unused = v[0];
  if (unused > 7) return DerError::kBadBitString;
  if (v.size() == 1 && unused != 0) return DerError::kBadBitString;
  // X.690 §11.2.1: padding bits are zero in DER.
  if (unused != 0 && (v.back() & ((1u << unused) - 1)) != 0) return DerError::kBadBitString;
  *this = copy;
  return DerBitString{unused, v.subspan(1)};
}

DerResult<ByteSpan> DerReader::read_octet_string() {
  auto element = read_element(der_tag::kOctetString);
  if (!element) return element.error();
  return element->value;
}

DerStatus DerReader::read_null() {
  DerReader copy = *this;
  auto element = copy.read_element(der_tag::kNull);
  if (!element) return element.error();
  if (!element->value.empty()) return DerError::kBadNull;
  *this = copy;
  return DerOk{};
}

DerStatus DerReader::finish() const {
  if (!in_.empty()) return DerError::kTrailingData;
  return DerOk{};
}

DerResult<DerElement> der_parse_single(ByteSpan input, uint8_t tag) {
  DerReader reader(input);
  auto element = reader.read_element(tag);
  if (!element) return element.error();
  if (auto done = reader.finish(); !done) return done.error();
  return element;
}

std::string oid_to_string(ByteSpan oid_content) {
  const auto fallback = [&] { return "oid:" + to_hex(oid_content); };
  std::string out;
  uint64_t value = 0;
  bool first = true;
  bool at_start = true;
  if (oid_content.empty()) return fallback();
  for (uint8_t b : oid_content) {
    if (at_start && b == 0x80) return fallback();
    if (value > (std::numeric_limits<uint64_t>::max() >> 7)) return fallback();
    value = (value << 7) | (b & 0x7f);
    at_start = (b & 0x80) == 0;
    if (!at_start) continue;
    if (first) {
      // X.690 §8.19.4: the first sub-identifier packs the first two arcs.
      const uint64_t top = value < 40 ? 0 : (value < 80 ? 1 : 2);
      out = std::to_string(top) + "." + std::to_string(value - top * 40);
      first = false;
    } else {
      out += "." + std::to_string(value);
    }
    value = 0;
  }
  if (!at_start) return fallback();
  return out;
}

}  // namespace physis::crypto
