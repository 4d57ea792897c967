#include "crypto/keccak.h"

#include <bit>
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

inline uint64_t rotl(uint64_t v, int n) { return (v << n) | (v >> (64 - n)); }

// Keccak-f[1600] (Keccak reference, §3.2), unrolled over the lanes: the looped form with `% 5`
// indexing ran at about a tenth of this speed, and every transaction is hashed several times (tx hash,
// signing hash, tx root), so keccak was a tenth of a loaded node's CPU.
void keccak_f1600(uint64_t s[25]) {
  // Lane (x, y) is s[x + 5y]; the 25 lanes live in locals for the whole permutation.
  uint64_t a00 = s[0], a01 = s[1], a02 = s[2], a03 = s[3], a04 = s[4], a05 = s[5], a06 = s[6], a07 = s[7],
           a08 = s[8], a09 = s[9], a10 = s[10], a11 = s[11], a12 = s[12], a13 = s[13], a14 = s[14],
           a15 = s[15], a16 = s[16], a17 = s[17], a18 = s[18], a19 = s[19], a20 = s[20], a21 = s[21],
           a22 = s[22], a23 = s[23], a24 = s[24];
  for (int round = 0; round < 24; ++round) {
    // theta: each column's parity, mixed into the two neighbouring columns
    const uint64_t c0 = a00 ^ a05 ^ a10 ^ a15 ^ a20;
    const uint64_t c1 = a01 ^ a06 ^ a11 ^ a16 ^ a21;
    const uint64_t c2 = a02 ^ a07 ^ a12 ^ a17 ^ a22;
    const uint64_t c3 = a03 ^ a08 ^ a13 ^ a18 ^ a23;
    const uint64_t c4 = a04 ^ a09 ^ a14 ^ a19 ^ a24;
    const uint64_t d0 = c4 ^ rotl(c1, 1);
    const uint64_t d1 = c0 ^ rotl(c2, 1);
    const uint64_t d2 = c1 ^ rotl(c3, 1);
    const uint64_t d3 = c2 ^ rotl(c4, 1);
    const uint64_t d4 = c3 ^ rotl(c0, 1);
    // rho and pi: lane (x, y) rotated by R[x][y] moves to (y, 2x + 3y)
    const uint64_t b00 = (a00 ^ d0);
    const uint64_t b01 = rotl(a06 ^ d1, 44);
    const uint64_t b02 = rotl(a12 ^ d2, 43);
    const uint64_t b03 = rotl(a18 ^ d3, 21);
    const uint64_t b04 = rotl(a24 ^ d4, 14);
    const uint64_t b05 = rotl(a03 ^ d3, 28);
    const uint64_t b06 = rotl(a09 ^ d4, 20);
    const uint64_t b07 = rotl(a10 ^ d0, 3);
    const uint64_t b08 = rotl(a16 ^ d1, 45);
    const uint64_t b09 = rotl(a22 ^ d2, 61);
    const uint64_t b10 = rotl(a01 ^ d1, 1);
    const uint64_t b11 = rotl(a07 ^ d2, 6);
    const uint64_t b12 = rotl(a13 ^ d3, 25);
    const uint64_t b13 = rotl(a19 ^ d4, 8);
    const uint64_t b14 = rotl(a20 ^ d0, 18);
    const uint64_t b15 = rotl(a04 ^ d4, 27);
    const uint64_t b16 = rotl(a05 ^ d0, 36);
    const uint64_t b17 = rotl(a11 ^ d1, 10);
    const uint64_t b18 = rotl(a17 ^ d2, 15);
    const uint64_t b19 = rotl(a23 ^ d3, 56);
    const uint64_t b20 = rotl(a02 ^ d2, 62);
    const uint64_t b21 = rotl(a08 ^ d3, 55);
    const uint64_t b22 = rotl(a14 ^ d4, 39);
    const uint64_t b23 = rotl(a15 ^ d0, 41);
    const uint64_t b24 = rotl(a21 ^ d1, 2);
    // chi: each row mixed with its neighbours; iota: the round constant
    a00 = b00 ^ (~b01 & b02);
    a01 = b01 ^ (~b02 & b03);
    a02 = b02 ^ (~b03 & b04);
    a03 = b03 ^ (~b04 & b00);
    a04 = b04 ^ (~b00 & b01);
    a05 = b05 ^ (~b06 & b07);
    a06 = b06 ^ (~b07 & b08);
    a07 = b07 ^ (~b08 & b09);
    a08 = b08 ^ (~b09 & b05);
    a09 = b09 ^ (~b05 & b06);
    a10 = b10 ^ (~b11 & b12);
    a11 = b11 ^ (~b12 & b13);
    a12 = b12 ^ (~b13 & b14);
    a13 = b13 ^ (~b14 & b10);
    a14 = b14 ^ (~b10 & b11);
    a15 = b15 ^ (~b16 & b17);
    a16 = b16 ^ (~b17 & b18);
    a17 = b17 ^ (~b18 & b19);
    a18 = b18 ^ (~b19 & b15);
    a19 = b19 ^ (~b15 & b16);
    a20 = b20 ^ (~b21 & b22);
    a21 = b21 ^ (~b22 & b23);
    a22 = b22 ^ (~b23 & b24);
    a23 = b23 ^ (~b24 & b20);
    a24 = b24 ^ (~b20 & b21);
    a00 ^= kRoundConstants[round];
  }
  s[0] = a00;
  s[1] = a01;
  s[2] = a02;
  s[3] = a03;
  s[4] = a04;
  s[5] = a05;
  s[6] = a06;
  s[7] = a07;
  s[8] = a08;
  s[9] = a09;
  s[10] = a10;
  s[11] = a11;
  s[12] = a12;
  s[13] = a13;
  s[14] = a14;
  s[15] = a15;
  s[16] = a16;
  s[17] = a17;
  s[18] = a18;
  s[19] = a19;
  s[20] = a20;
  s[21] = a21;
  s[22] = a22;
  s[23] = a23;
  s[24] = a24;
}

void absorb_block(uint64_t state[25], const uint8_t* block) {
  for (size_t i = 0; i < kRate / 8; ++i) {
    uint64_t lane = 0;
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(&lane, block + 8 * i, 8);
    } else {
      for (int j = 7; j >= 0; --j) lane = (lane << 8) | block[8 * i + j];  // little-endian lanes
    }
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
