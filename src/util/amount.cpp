#include "util/amount.h"

#include <algorithm>

namespace physis {

std::optional<Amount> parse_amount(std::string_view text) {
  if (text.empty() || text.size() > 39) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  Amount v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    auto m = checked_mul(v, 10);
    if (!m) return std::nullopt;
    auto a = checked_add(*m, static_cast<Amount>(c - '0'));
    if (!a) return std::nullopt;
    v = *a;
  }
  return v;
}

std::string format_amount(Amount v) {
  if (v == 0) return "0";
  std::string out;
  while (v > 0) {
    out.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

Bytes encode_amount(Amount v) {
  Bytes out;
  while (v > 0) {
    out.push_back(static_cast<uint8_t>(v & 0xff));
    v >>= 8;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::optional<Amount> decode_amount(ByteSpan bytes) {
  if (bytes.size() > 16) return std::nullopt;
  if (!bytes.empty() && bytes[0] == 0) return std::nullopt;
  Amount v = 0;
  for (uint8_t b : bytes) v = (v << 8) | b;
  return v;
}

}  // namespace physis
