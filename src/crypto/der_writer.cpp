#include "crypto/der_writer.h"

#include <algorithm>
#include <limits>
#include <string>

#include "crypto/der.h"

namespace physis::crypto {

namespace {

// Base-128, most significant group first, continuation bit on every octet but the last (X.690 §8.19.2).
void append_base128(Bytes& out, uint64_t value) {
  uint8_t groups[10];
  size_t n = 0;
  do {
    groups[n++] = static_cast<uint8_t>(value & 0x7f);
    value >>= 7;
  } while (value != 0);
  while (n > 1) out.push_back(static_cast<uint8_t>(groups[--n] | 0x80));
  out.push_back(groups[0]);
}

// A decimal arc with no sign and no leading zero, fitting in 64 bits.
bool parse_arc(std::string_view text, uint64_t& value) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
  value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const auto digit = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    value = value * 10 + digit;
  }
  return true;
}

// Well-formed UTF-8 (Unicode §3.9, table 3-7).
bool valid_utf8(std::string_view text) {
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    const auto c = static_cast<uint8_t>(text[i]);
    size_t len = 0;
    uint8_t lo = 0x80, hi = 0xbf;  // allowed range of the second octet
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;  // no overlong forms
      if (c == 0xed) hi = 0x9f;  // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;  // no overlong forms
      if (c == 0xf4) hi = 0x8f;  // nothing above U+10FFFF
    } else {
      return false;
    }
    if (n - i < len) return false;
    const auto second = static_cast<uint8_t>(text[i + 1]);
    if (second < lo || second > hi) return false;
    for (size_t k = 2; k < len; ++k) {
      const auto cont = static_cast<uint8_t>(text[i + k]);
      if (cont < 0x80 || cont > 0xbf) return false;
    }
    i += len;
  }
  return true;
}

bool printable_char(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return std::string_view(" '()+,-./:=?").find(c) != std::string_view::npos;
}

// Two decimal digits at text[pos], in [lo, hi].
bool two_digits(std::string_view text, size_t pos, int lo, int hi) {
  const char a = text[pos], b = text[pos + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return false;
  const int v = (a - '0') * 10 + (b - '0');
  return v >= lo && v <= hi;
}

// Checks a DER time: `year_digits` digits of year, then MMDDHHMMSS and 'Z'.
bool valid_time(std::string_view text, size_t year_digits) {
  if (text.size() != year_digits + 11 || text.back() != 'Z') return false;
  for (size_t i = 0; i < year_digits; ++i)
    if (text[i] < '0' || text[i] > '9') return false;
  const size_t p = year_digits;
  return two_digits(text, p, 1, 12) && two_digits(text, p + 2, 1, 31) && two_digits(text, p + 4, 0, 23) &&
         two_digits(text, p + 6, 0, 59) && two_digits(text, p + 8, 0, 59);
}

Bytes wrap(uint8_t tag, std::initializer_list<ByteSpan> elements) {
  return der_tlv(tag, der_concat(elements));
}

}  // namespace

Bytes der_length(size_t length) {
  if (length < 0x80) return Bytes{static_cast<uint8_t>(length)};
  Bytes octets;
  for (size_t v = length; v != 0; v >>= 8) octets.insert(octets.begin(), static_cast<uint8_t>(v & 0xff));
  Bytes out{static_cast<uint8_t>(0x80 | octets.size())};
  append(out, octets);
  return out;
}

Bytes der_tlv(uint8_t tag, ByteSpan content) {
  Bytes out{tag};
  append(out, der_length(content.size()));
  append(out, content);
  return out;
}

Bytes der_concat(std::initializer_list<ByteSpan> parts) {
  size_t total = 0;
  for (ByteSpan p : parts) total += p.size();
  Bytes out;
  out.reserve(total);
  for (ByteSpan p : parts) append(out, p);
  return out;
}

Bytes der_integer(ByteSpan magnitude) {
  size_t first = 0;
  while (first < magnitude.size() && magnitude[first] == 0) ++first;
  const ByteSpan digits = magnitude.subspan(first);
  Bytes content;
  content.reserve(digits.size() + 1);
  if (digits.empty() || (digits[0] & 0x80) != 0) content.push_back(0x00);
  append(content, digits);
  return der_tlv(der_tag::kInteger, content);
}

Bytes der_integer(uint64_t value) {
  Bytes be;
  append_u64_be(be, value);
  return der_integer(be);
}

Result<Bytes> der_oid_content(std::string_view dotted) {
  std::vector<uint64_t> arcs;
  size_t start = 0;
  while (true) {
    const size_t dot = dotted.find('.', start);
    const std::string_view part =
        dotted.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    uint64_t arc = 0;
    if (!parse_arc(part, arc))
      return make_error("bad_oid", "OID \"" + std::string(dotted) + "\" has an arc that is not a decimal");
    arcs.push_back(arc);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (arcs.size() < 2)
    return make_error("bad_oid", "OID \"" + std::string(dotted) + "\" has fewer than two arcs");
  if (arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40))
    return make_error("bad_oid", "OID \"" + std::string(dotted) + "\" has invalid first arcs");
  if (arcs[1] > std::numeric_limits<uint64_t>::max() - 40 * arcs[0])
    return make_error("bad_oid", "OID \"" + std::string(dotted) + "\" first arcs exceed 64 bits");
  Bytes content;
  append_base128(content, 40 * arcs[0] + arcs[1]);
  for (size_t i = 2; i < arcs.size(); ++i) append_base128(content, arcs[i]);
  return content;
}

Result<Bytes> der_oid(std::string_view dotted) {
  auto content = der_oid_content(dotted);
  if (!content) return content.error();
  return der_oid(ByteSpan(*content));
}

Bytes der_oid(ByteSpan content) { return der_tlv(der_tag::kOid, content); }

Bytes der_bit_string(ByteSpan bytes) {
  Bytes content{0x00};
  append(content, bytes);
  return der_tlv(der_tag::kBitString, content);
}

Bytes der_named_bit_string(uint32_t bits) {
  if (bits == 0) return der_tlv(der_tag::kBitString, Bytes{0x00});
  size_t highest = 31;
  while ((bits & (1u << highest)) == 0) --highest;
  const size_t nbytes = highest / 8 + 1;
  Bytes content(nbytes + 1, 0);
  content[0] = static_cast<uint8_t>(7 - highest % 8);
  for (size_t n = 0; n <= highest; ++n)
    if ((bits & (1u << n)) != 0) content[1 + n / 8] |= static_cast<uint8_t>(0x80 >> (n % 8));
  return der_tlv(der_tag::kBitString, content);
}

Bytes der_octet_string(ByteSpan bytes) { return der_tlv(der_tag::kOctetString, bytes); }

Bytes der_boolean(bool value) {
  return Bytes{der_tag::kBoolean, 0x01, static_cast<uint8_t>(value ? 0xff : 0x00)};
}

Bytes der_null() { return Bytes{der_tag::kNull, 0x00}; }

Result<Bytes> der_utf8_string(std::string_view text) {
  if (!valid_utf8(text)) return make_error("bad_string", "text is not well-formed UTF-8");
  return der_tlv(der_tag::kUtf8String, as_span(text));
}

Result<Bytes> der_printable_string(std::string_view text) {
  for (char c : text)
    if (!printable_char(c))
      return make_error("bad_string",
                        "\"" + std::string(text) + "\" has a character outside PrintableString");
  return der_tlv(der_tag::kPrintableString, as_span(text));
}

Result<Bytes> der_utc_time(std::string_view text) {
  if (!valid_time(text, 2))
    return make_error("bad_time", "\"" + std::string(text) + "\" is not a DER UTCTime (YYMMDDHHMMSSZ)");
  return der_tlv(der_tag::kUtcTime, as_span(text));
}

Result<Bytes> der_generalized_time(std::string_view text) {
  if (!valid_time(text, 4))
    return make_error("bad_time",
                      "\"" + std::string(text) + "\" is not a DER GeneralizedTime (YYYYMMDDHHMMSSZ)");
  return der_tlv(der_tag::kGeneralizedTime, as_span(text));
}

Bytes der_sequence(std::initializer_list<ByteSpan> elements) { return wrap(der_tag::kSequence, elements); }

Bytes der_sequence_of(const std::vector<Bytes>& elements) {
  Bytes content;
  for (const Bytes& e : elements) append(content, e);
  return der_tlv(der_tag::kSequence, content);
}

Bytes der_set(std::initializer_list<ByteSpan> elements) {
  std::vector<ByteSpan> sorted(elements);
  // Lexicographic order equals X.690 §11.6's order (shorter padded with zeros) up to ties, which may go
  // either way.
  std::sort(sorted.begin(), sorted.end(), [](ByteSpan a, ByteSpan b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  });
  Bytes content;
  for (ByteSpan e : sorted) append(content, e);
  return der_tlv(der_tag::kSet, content);
}

Bytes der_context(uint8_t number, std::initializer_list<ByteSpan> elements) {
  return wrap(der_tag::context(number, true), elements);
}

Bytes der_ecdsa_sig_value(const std::array<uint8_t, 64>& r_s) {
  const ByteSpan all(r_s);
  return der_sequence({der_integer(all.first(32)), der_integer(all.subspan(32))});
}

}  // namespace physis::crypto
