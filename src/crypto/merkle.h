// Binary Merkle root over Keccak-256 with domain separation (DESIGN §2):
//   leaf  = keccak256(0x00 ‖ data)
//   inner = keccak256(0x01 ‖ left ‖ right)
// An odd node at a level is promoted unchanged to the next level (no duplication, so no CVE-2012-2459
// style ambiguity). The root of zero leaves is keccak256("") .
#pragma once

#include <vector>

#include "util/bytes.h"

namespace physis::crypto {

Hash32 merkle_leaf_hash(ByteSpan data);
Hash32 merkle_inner_hash(const Hash32& left, const Hash32& right);
// Root over already-hashed leaves (use merkle_leaf_hash for each).
Hash32 merkle_root(std::vector<Hash32> leaves);

}  // namespace physis::crypto
