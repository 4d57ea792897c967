#include <gtest/gtest.h>

#include "crypto/keccak.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"

using namespace physis;
using namespace physis::crypto;

TEST(Keccak256, PublishedVectors) {
  EXPECT_EQ(to_hex(keccak256({})), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  EXPECT_EQ(to_hex(keccak256(as_span("abc"))),
            "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  EXPECT_EQ(to_hex(keccak256(as_span("The quick brown fox jumps over the lazy dog"))),
            "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
}

TEST(Keccak256, MultiBlockVectors) {
  // Inputs longer than the 136-byte rate, so absorption runs the permutation more than once. Expected
  // values from an independent Python Keccak-256 whose permutation and absorption were checked against
  // hashlib.sha3_256 (same sponge, different padding byte).
  Bytes data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 3);
  EXPECT_EQ(to_hex(keccak256(ByteSpan(data.data(), 137))),
            "e3371f61e770abf254c34239c3b0099ad90594507415bc81dd0a10b9692bbf2a");
  EXPECT_EQ(to_hex(keccak256(ByteSpan(data.data(), 272))),
            "ac141fd7b0a0ffcd2e967254d508da3ec616596493c36fa304425647d90e6de5");
  EXPECT_EQ(to_hex(keccak256(data)), "80cdc8dd52cbb3dbaea8f383209893fa2bb52efbd5aedbb4b26dcfe307fcdc9b");
  EXPECT_EQ(to_hex(keccak256(as_span(std::string(200, 'a')))),
            "96ea54061def936c4be90b518992fdc6f12f535068a256229aca54267b4d084d");
}

TEST(Keccak256, IncrementalMatchesOneShotAcrossBlockBoundaries) {
  Bytes data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 3);
  for (size_t len : {0, 1, 135, 136, 137, 271, 272, 273, 1000}) {
    ByteSpan whole(data.data(), len);
    Keccak256 h;
    for (size_t pos = 0; pos < len; pos += 13) h.update(whole.subspan(pos, std::min<size_t>(13, len - pos)));
    EXPECT_EQ(h.finish(), keccak256(whole)) << "len " << len;
  }
}

TEST(Sha256, PublishedVectors) {
  EXPECT_EQ(to_hex(sha256(as_span("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Merkle, DomainSeparatedLeafCannotPassForInnerNode) {
  Hash32 a = merkle_leaf_hash(as_span("a"));
  Hash32 b = merkle_leaf_hash(as_span("b"));
  Hash32 inner = merkle_inner_hash(a, b);
  Bytes concat(a.begin(), a.end());
  append(concat, b);
  EXPECT_NE(merkle_leaf_hash(concat), inner);
  EXPECT_EQ(merkle_root({a, b}), inner);
  EXPECT_EQ(merkle_root({a}), a);
  EXPECT_EQ(merkle_root({}), keccak256({}));
  // Three leaves: the odd one is promoted, not duplicated.
  Hash32 c = merkle_leaf_hash(as_span("c"));
  EXPECT_EQ(merkle_root({a, b, c}), merkle_inner_hash(inner, c));
  EXPECT_NE(merkle_root({a, b, c}), merkle_root({a, b, c, c}));
}

TEST(Merkle, GoldenRoot) {
  std::vector<Hash32> leaves;
  for (int i = 0; i < 5; ++i) leaves.push_back(merkle_leaf_hash(as_span(std::string(1, char('0' + i)))));
  // Pinned literal: a change in the tree shape, the domain tags or the hash must fail loudly. Cross-checked
  // with an independent Python Keccak-256 applying doc/protocol.md "Blocks" (leaf keccak(0x00 ‖ data),
  // inner keccak(0x01 ‖ l ‖ r), odd node promoted) to the leaves "0".."4".
  EXPECT_EQ(to_hex(merkle_root(leaves)), "3381c1bc09351d32da6615dca53092fb3fe4cc441091dd4603a33602c29217db");
}
