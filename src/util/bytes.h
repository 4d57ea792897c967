// Byte containers and hex conversion shared by every library.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace physis {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;
using Hash32 = std::array<uint8_t, 32>;
using Address = std::array<uint8_t, 20>;

// Lower-case hex without prefix.
std::string to_hex(ByteSpan data);
// Lower-case hex with "0x" prefix.
std::string to_hex0x(ByteSpan data);
// Parses hex with or without "0x"; nullopt on odd length or a non-hex character.
std::optional<Bytes> from_hex(std::string_view text);
// Parses hex that must decode to exactly N bytes.
template <size_t N>
std::optional<std::array<uint8_t, N>> from_hex_fixed(std::string_view text) {
  auto bytes = from_hex(text);
  if (!bytes || bytes->size() != N) return std::nullopt;
  std::array<uint8_t, N> out{};
  for (size_t i = 0; i < N; ++i) out[i] = (*bytes)[i];
  return out;
}

inline ByteSpan as_span(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }
inline std::string to_string(ByteSpan b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
inline Bytes to_bytes(std::string_view s) { return {s.begin(), s.end()}; }

inline void append(Bytes& out, ByteSpan data) { out.insert(out.end(), data.begin(), data.end()); }
inline void append(Bytes& out, std::string_view data) { out.insert(out.end(), data.begin(), data.end()); }
void append_u64_be(Bytes& out, uint64_t v);
void append_u32_be(Bytes& out, uint32_t v);
uint64_t read_u64_be(ByteSpan in);  // in.size() must be >= 8

}  // namespace physis
