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

inline uint64_t rotl(uint64_t v, int n) { return (v << n) | (v >> (64 - n)); }

// One permutation, unrolled: the 25 lanes a[x + 5y] in locals, each round written out (theta, rho
// and pi into b, chi back into a, iota). Generated from the reference's rotation table.
void keccak_f1600(uint64_t st[25]) {
  uint64_t a0 = st[0]; uint64_t a1 = st[1]; uint64_t a2 = st[2]; uint64_t a3 = st[3]; uint64_t a4 = st[4];
  uint64_t a5 = st[5]; uint64_t a6 = st[6]; uint64_t a7 = st[7]; uint64_t a8 = st[8]; uint64_t a9 = st[9];
  uint64_t a10 = st[10]; uint64_t a11 = st[11]; uint64_t a12 = st[12]; uint64_t a13 = st[13]; uint64_t a14 = st[14];
  uint64_t a15 = st[15]; uint64_t a16 = st[16]; uint64_t a17 = st[17]; uint64_t a18 = st[18]; uint64_t a19 = st[19];
  uint64_t a20 = st[20]; uint64_t a21 = st[21]; uint64_t a22 = st[22]; uint64_t a23 = st[23]; uint64_t a24 = st[24];
  for (int round = 0; round < 24; ++round) {
    const uint64_t c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20;
    const uint64_t c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21;
    const uint64_t c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22;
    const uint64_t c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23;
    const uint64_t c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24;
    const uint64_t d0 = c4 ^ rotl(c1, 1);
    const uint64_t d1 = c0 ^ rotl(c2, 1);
    const uint64_t d2 = c1 ^ rotl(c3, 1);
    const uint64_t d3 = c2 ^ rotl(c4, 1);
    const uint64_t d4 = c3 ^ rotl(c0, 1);
    a0 ^= d0;
    a1 ^= d1;
    a2 ^= d2;
    a3 ^= d3;
    a4 ^= d4;
    a5 ^= d0;
    a6 ^= d1;
    a7 ^= d2;
    a8 ^= d3;
    a9 ^= d4;
    a10 ^= d0;
    a11 ^= d1;
    a12 ^= d2;
    a13 ^= d3;
    a14 ^= d4;
    a15 ^= d0;
    a16 ^= d1;
    a17 ^= d2;
    a18 ^= d3;
    a19 ^= d4;
    a20 ^= d0;
    a21 ^= d1;
    a22 ^= d2;
    a23 ^= d3;
    a24 ^= d4;
    const uint64_t b0 = a0;
    const uint64_t b10 = rotl(a1, 1);
    const uint64_t b20 = rotl(a2, 62);
    const uint64_t b5 = rotl(a3, 28);
    const uint64_t b15 = rotl(a4, 27);
    const uint64_t b16 = rotl(a5, 36);
    const uint64_t b1 = rotl(a6, 44);
    const uint64_t b11 = rotl(a7, 6);
    const uint64_t b21 = rotl(a8, 55);
    const uint64_t b6 = rotl(a9, 20);
    const uint64_t b7 = rotl(a10, 3);
    const uint64_t b17 = rotl(a11, 10);
    const uint64_t b2 = rotl(a12, 43);
    const uint64_t b12 = rotl(a13, 25);
    const uint64_t b22 = rotl(a14, 39);
    const uint64_t b23 = rotl(a15, 41);
    const uint64_t b8 = rotl(a16, 45);
    const uint64_t b18 = rotl(a17, 15);
    const uint64_t b3 = rotl(a18, 21);
    const uint64_t b13 = rotl(a19, 8);
    const uint64_t b14 = rotl(a20, 18);
    const uint64_t b24 = rotl(a21, 2);
    const uint64_t b9 = rotl(a22, 61);
    const uint64_t b19 = rotl(a23, 56);
    const uint64_t b4 = rotl(a24, 14);
    a0 = b0 ^ (~b1 & b2);
    a1 = b1 ^ (~b2 & b3);
    a2 = b2 ^ (~b3 & b4);
    a3 = b3 ^ (~b4 & b0);
    a4 = b4 ^ (~b0 & b1);
    a5 = b5 ^ (~b6 & b7);
    a6 = b6 ^ (~b7 & b8);
    a7 = b7 ^ (~b8 & b9);
    a8 = b8 ^ (~b9 & b5);
    a9 = b9 ^ (~b5 & b6);
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
    a0 ^= kRoundConstants[round];
  }
  st[0] = a0; st[1] = a1; st[2] = a2; st[3] = a3; st[4] = a4;
  st[5] = a5; st[6] = a6; st[7] = a7; st[8] = a8; st[9] = a9;
  st[10] = a10; st[11] = a11; st[12] = a12; st[13] = a13; st[14] = a14;
  st[15] = a15; st[16] = a16; st[17] = a17; st[18] = a18; st[19] = a19;
  st[20] = a20; st[21] = a21; st[22] = a22; st[23] = a23; st[24] = a24;
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
