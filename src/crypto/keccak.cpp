#include "crypto/keccak.h"

#include <cstring>

namespace physis::crypto {

namespace {
constexpr size_t kRate = 136;  // 1088-bit rate for 256-bit output

constexpr uint64_t kRoundConstants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

// Rho rotation amounts and pi lane order along the lane walk 1 → 10 → 7 → … (Keccak reference, §3.2).
constexpr int kRho[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                          27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
constexpr int kPi[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                         15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

inline uint64_t rotl(uint64_t v, int n) { return (v << n) | (v >> (64 - n)); }

void keccak_f1600(uint64_t a[25]) {
  uint64_t c[5];
  for (int round = 0; round < 24; ++round) {
    // theta
    for (int x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    for (int x = 0; x < 5; ++x) {
      const uint64_t d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
      for (int y = 0; y < 25; y += 5) a[y + x] ^= d;
    }
    // rho and pi, in place along the lane walk
    uint64_t carry = a[1];
    for (int i = 0; i < 24; ++i) {
      const int j = kPi[i];
      const uint64_t next = a[j];
      a[j] = rotl(carry, kRho[i]);
      carry = next;
    }
    // chi
    for (int y = 0; y < 25; y += 5) {
      for (int x = 0; x < 5; ++x) c[x] = a[y + x];
      for (int x = 0; x < 5; ++x) a[y + x] = c[x] ^ (~c[(x + 1) % 5] & c[(x + 2) % 5]);
    }
    // iota
    a[0] ^= kRoundConstants[round];
  }
}

void absorb_block(uint64_t state[25], const uint8_t* block) {
  for (size_t i = 0; i < kRate / 8; ++i) {
    uint64_t lane = 0;
    for (int j = 7; j >= 0; --j) lane = (lane << 8) | block[8 * i + j];  // little-endian lanes
    state[i] ^= lane;
  }
  keccak_f1600(state);
}
}  // namespace

Keccak256& Keccak256::update(ByteSpan data) {
  // An empty span may have a null data(), which memcpy must never see, even with a zero length.
  if (data.empty()) return *this;
  size_t pos = 0;
  if (buffered_ > 0) {
    size_t take = std::min(kRate - buffered_, data.size());
    std::memcpy(buffer_ + buffered_, data.data(), take);
    buffered_ += take;
    pos = take;
    if (buffered_ < kRate) return *this;
    absorb_block(state_, buffer_);
    buffered_ = 0;
  }
  while (data.size() - pos >= kRate) {
    absorb_block(state_, data.data() + pos);
    pos += kRate;
  }
  std::memcpy(buffer_, data.data() + pos, data.size() - pos);
  buffered_ = data.size() - pos;
  return *this;
}

Hash32 Keccak256::finish() {
  std::memset(buffer_ + buffered_, 0, kRate - buffered_);
  buffer_[buffered_] ^= 0x01;
  buffer_[kRate - 1] ^= 0x80;
  absorb_block(state_, buffer_);
  Hash32 out{};
  for (size_t i = 0; i < 4; ++i)
    for (size_t j = 0; j < 8; ++j) out[8 * i + j] = static_cast<uint8_t>(state_[i] >> (8 * j));
  return out;
}

Hash32 keccak256(ByteSpan data) { return Keccak256().update(data).finish(); }

}  // namespace physis::crypto
