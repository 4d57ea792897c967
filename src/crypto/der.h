// A strict DER reader for consensus-critical parsing (DESIGN §5: strict DER profile parsed by our own code).
//
// It accepts only the distinguished encoding: definite lengths in their shortest form, single-octet
// identifiers (tag numbers 0..30), minimal INTEGERs, BOOLEAN as 0x00/0xFF, and it reports any byte left over
// at a level once the caller says the level is complete. It never allocates, never throws and never asserts
// on input: every problem is a DerError value.
//
// Ownership: a DerReader and every ByteSpan it hands out point into the caller's buffer, which must outlive
// them. Thread-safety: a DerReader is a small value; distinct readers may be used from distinct threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "util/bytes.h"

namespace physis::crypto {

// Why a DER input was refused. Stable names (der_error_name) go into reject messages.
enum class DerError : uint8_t {
  kTruncated,         // input ends inside an identifier, a length or a value
  kHighTagNumber,     // multi-octet identifier (tag number >= 31): not used by any profile we accept
  kIndefiniteLength,  // length octet 0x80 (BER only)
  kNonMinimalLength,  // long form for a length < 128, or a long form with a leading 0x00 length octet
  kLengthTooLarge,    // more than 4 length octets (lengths are capped at 2^32 - 1)
  kTrailingData,      // bytes remain after the last element expected at this level
  kUnexpectedTag,     // an element's identifier octet is not the one the schema expects
  kBadInteger,        // INTEGER with no content octets, or an unnecessary leading 0x00 / 0xFF
  kNegativeInteger,   // negative INTEGER where the schema needs a non-negative one
  kIntegerTooLarge,   // INTEGER does not fit the width the caller asked for
  kBadBoolean,        // BOOLEAN content is not exactly one octet 0x00 or 0xFF
  kBadBitString,      // BIT STRING: no unused-bits octet, unused > 7, padding bits set, or padding, no data
  kBadOid,            // OBJECT IDENTIFIER: empty, or a sub-identifier not in its shortest base-128 form
  kBadNull,           // NULL with content octets
};

// A stable snake_case name, e.g. "non_minimal_length".
std::string_view der_error_name(DerError error);

// DerResult<T>: a T, or the DerError that prevented reading it.
template <typename T>
class [[nodiscard]] DerResult {
 public:
  DerResult(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose, for `return value;`
  DerResult(DerError error) : v_(error) {}      // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  DerError error() const { return std::get<1>(v_); }

 private:
  std::variant<T, DerError> v_;
};

struct DerOk {};
using DerStatus = DerResult<DerOk>;

// Identifier octets (X.690 §8.1.2): class in bits 8-7, constructed flag in bit 6, tag number in bits 5-1.
enum class DerClass : uint8_t { kUniversal = 0, kApplication = 1, kContextSpecific = 2, kPrivate = 3 };

namespace der_tag {
inline constexpr uint8_t kBoolean = 0x01;
inline constexpr uint8_t kInteger = 0x02;
inline constexpr uint8_t kBitString = 0x03;
inline constexpr uint8_t kOctetString = 0x04;
inline constexpr uint8_t kNull = 0x05;
inline constexpr uint8_t kOid = 0x06;
inline constexpr uint8_t kUtf8String = 0x0c;
inline constexpr uint8_t kPrintableString = 0x13;
inline constexpr uint8_t kUtcTime = 0x17;
inline constexpr uint8_t kGeneralizedTime = 0x18;
inline constexpr uint8_t kSequence = 0x30;  // constructed
inline constexpr uint8_t kSet = 0x31;       // constructed
inline constexpr uint8_t kConstructedBit = 0x20;
// [n] in the context-specific class; `constructed` is true for EXPLICIT tags and constructed IMPLICIT ones.
constexpr uint8_t context(uint8_t number, bool constructed) {
  return static_cast<uint8_t>(0x80 | (constructed ? kConstructedBit : 0) | (number & 0x1f));
}
}  // namespace der_tag

// One element: its identifier octet, its whole encoding (TLV) and its content octets (V).
struct DerElement {
  uint8_t tag = 0;
  ByteSpan tlv;
  ByteSpan value;

  DerClass tag_class() const { return static_cast<DerClass>(tag >> 6); }
  bool constructed() const { return (tag & der_tag::kConstructedBit) != 0; }
  uint8_t tag_number() const { return tag & 0x1f; }
};

// A BIT STRING's content: `bytes` holds the bits, the low `unused_bits` bits of the last byte are padding
// (always zero in DER).
struct DerBitString {
  uint8_t unused_bits = 0;
  ByteSpan bytes;
};

// Reads consecutive elements from one level of a DER encoding. Every read either consumes exactly one whole
// element and returns it, or returns an error and consumes nothing. Call finish() once the level's last
// expected element has been read: that is how "no trailing bytes at any level" is enforced.
class DerReader {
 public:
  explicit DerReader(ByteSpan input) : in_(input) {}

  bool empty() const { return in_.empty(); }
  size_t remaining() const { return in_.size(); }
  // The identifier octet of the next element, without reading it; nullopt at the end of this level.
  std::optional<uint8_t> peek_tag() const;
  // True iff the next element's identifier octet is `tag`.
  bool next_is(uint8_t tag) const { return peek_tag() == tag; }

  // Any single element (identifier, minimal definite length, content present in full).
  DerResult<DerElement> read_element();
  // An element whose identifier octet must equal `tag` (kUnexpectedTag otherwise).
  DerResult<DerElement> read_element(uint8_t tag);
  // Enters a constructed element with identifier `tag` and returns a reader over its content.
  DerResult<DerReader> read_constructed(uint8_t tag);
  DerResult<DerReader> read_sequence() { return read_constructed(der_tag::kSequence); }

  // INTEGER: the content octets (two's complement, big-endian), checked to be minimal.
  DerResult<ByteSpan> read_integer();
  // Non-negative INTEGER: its magnitude without leading zero octets (empty for zero), else kNegativeInteger.
  DerResult<ByteSpan> read_unsigned_integer();
  // Non-negative INTEGER that fits in 64 bits (kIntegerTooLarge otherwise).
  DerResult<uint64_t> read_uint64();
  DerResult<bool> read_boolean();
  // OBJECT IDENTIFIER: the validated content octets (compare them by bytes; see oid_to_string for display).
  DerResult<ByteSpan> read_oid();
  DerResult<DerBitString> read_bit_string();
  DerResult<ByteSpan> read_octet_string();
  DerStatus read_null();

  // kTrailingData unless every byte of this level has been read.
  DerStatus finish() const;

 private:
  ByteSpan in_;
};

// Parses `input` as exactly one element with identifier `tag` and nothing after it.
DerResult<DerElement> der_parse_single(ByteSpan input, uint8_t tag);

// Dotted-decimal form of OID content octets ("1.2.840.10045.2.1"), for messages and tests. Content that is
// not a valid OID, or an arc above 2^64-1, is rendered as "oid:" followed by hex.
std::string oid_to_string(ByteSpan oid_content);

}  // namespace physis::crypto
