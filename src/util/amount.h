// Token amounts: unsigned 128-bit integers in base units, with checked arithmetic.
// On the wire an amount is big-endian bytes with no leading zero byte (zero = empty), see doc/protocol.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/bytes.h"

namespace physis {

__extension__ typedef unsigned __int128 Amount;  // GCC/Clang extension, wide enough for 18-decimal supplies

// Decimal text without sign, separators or leading zeros (except "0"); nullopt if invalid or > 2^128-1.
std::optional<Amount> parse_amount(std::string_view text);
std::string format_amount(Amount v);

// Minimal big-endian encoding, the canonical form.
Bytes encode_amount(Amount v);
// nullopt if longer than 16 bytes or not minimal (a leading zero byte).
std::optional<Amount> decode_amount(ByteSpan bytes);

// Checked arithmetic: nullopt on overflow / underflow.
inline std::optional<Amount> checked_add(Amount a, Amount b) {
  Amount r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}
inline std::optional<Amount> checked_sub(Amount a, Amount b) {
  if (b > a) return std::nullopt;
  return a - b;
}
inline std::optional<Amount> checked_mul(Amount a, Amount b) {
  Amount r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

}  // namespace physis
