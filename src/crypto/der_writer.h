// A small DER encoder (X.690 distinguished encoding), the writing counterpart of der.h.
//
// Every function returns one complete element (identifier, length, content) in DER: single-octet
// identifiers, definite lengths in their shortest form, minimal INTEGERs, BOOLEAN TRUE as 0xFF, SET elements
// sorted. What DerReader accepts is exactly what these functions produce, so an encoding written here reads
// back with the same content. Functions whose input can be invalid (text forms) return Result and never
// produce an element the reader would refuse; functions taking bytes cannot fail.
//
// For tools, tests and the certificate builder (x509_builder.h): never used to verify anything.
// Thread-safety: all functions are pure (no shared state) and may run concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "util/bytes.h"
#include "util/result.h"

namespace physis::crypto {

// The length octets of an element with `length` content octets: one octet below 128, otherwise 0x80|k
// followed by k big-endian octets with no leading zero (X.690 §10.1). DerReader reads lengths up to 2^32-1.
Bytes der_length(size_t length);

// One element: identifier octet `tag` (tag number 0..30, as der_tag:: in der.h), minimal length, `content`.
Bytes der_tlv(uint8_t tag, ByteSpan content);

// The concatenation of `parts` (several elements making up one content).
Bytes der_concat(std::initializer_list<ByteSpan> parts);

// INTEGER holding the non-negative value whose big-endian magnitude is `magnitude`: leading zero octets are
// dropped, and a 0x00 is prepended when the first remaining octet has its high bit set. An empty or all-zero
// magnitude encodes 0 (02 01 00).
Bytes der_integer(ByteSpan magnitude);
Bytes der_integer(uint64_t value);

// OBJECT IDENTIFIER content octets from dotted-decimal text ("1.2.840.10045.4.3.2"): at least two arcs, the
// first 0, 1 or 2, the second below 40 unless the first is 2, each arc a decimal without sign or leading
// zero that fits in 64 bits (as does 40 * first + second). Error "bad_oid" otherwise.
Result<Bytes> der_oid_content(std::string_view dotted);
// OBJECT IDENTIFIER element from dotted-decimal text (rules and errors of der_oid_content).
Result<Bytes> der_oid(std::string_view dotted);
// OBJECT IDENTIFIER element from its content octets, e.g. a constant of x509.h's oid:: namespace.
// Precondition (not checked): `content` is valid OID content, as DerReader::read_oid returns.
Bytes der_oid(ByteSpan content);

// BIT STRING holding whole octets (no unused bits): 03 len 00 ‖ bytes.
Bytes der_bit_string(ByteSpan bytes);
// BIT STRING for a named bit list such as KeyUsage: ASN.1 bit n is (1u << n) of `bits`. Trailing zero bits
// are dropped as X.690 §11.2.2 requires, so 0 encodes as an empty BIT STRING (03 01 00).
Bytes der_named_bit_string(uint32_t bits);

Bytes der_octet_string(ByteSpan bytes);
Bytes der_boolean(bool value);  // 01 01 FF or 01 01 00
Bytes der_null();               // 05 00

// UTF8String. Error "bad_string" unless `text` is well-formed UTF-8 (shortest forms, no surrogates, at most
// U+10FFFF).
Result<Bytes> der_utf8_string(std::string_view text);
// PrintableString. Error "bad_string" for a character outside A-Z a-z 0-9 space ' ( ) + , - . / : = ?.
Result<Bytes> der_printable_string(std::string_view text);

// UTCTime from "YYMMDDHHMMSSZ" and GeneralizedTime from "YYYYMMDDHHMMSSZ": the DER forms (seconds present,
// no fraction, Zulu). Error "bad_time" for another shape or a field out of range (month 01-12, day 01-31,
// hour 00-23, minute and second 00-59); calendars are not checked (Feb 31 passes).
Result<Bytes> der_utc_time(std::string_view text);
Result<Bytes> der_generalized_time(std::string_view text);

// SEQUENCE of `elements`, in order.
Bytes der_sequence(std::initializer_list<ByteSpan> elements);
// SEQUENCE (OF) of a run-time list of elements, in order.
Bytes der_sequence_of(const std::vector<Bytes>& elements);
// SET (OF) of `elements`, sorted in ascending order of their encodings as DER requires (X.690 §11.6; for a
// SET of distinct tags this is also tag order).
Bytes der_set(std::initializer_list<ByteSpan> elements);
// Context-specific constructed [number] (an EXPLICIT tag, or a constructed IMPLICIT one) around the
// concatenation of `elements`. Precondition: number <= 30.
Bytes der_context(uint8_t number, std::initializer_list<ByteSpan> elements);

// Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } from a raw signature r ‖ s (32 octets each,
// big-endian; P256Signature in p256.h). Both integers are minimal and non-negative.
Bytes der_ecdsa_sig_value(const std::array<uint8_t, 64>& r_s);

}  // namespace physis::crypto
