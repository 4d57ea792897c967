// Block, header and commit helpers (DESIGN §4): hashing over canonical bytes and structural decoding.
#pragma once

#include <vector>

#include "primitives/physis.pb.h"
#include "util/bytes.h"
#include "util/result.h"

namespace physis {

// Consensus limit on one encoded block.
inline constexpr size_t kMaxBlockBytes = 16 * 1024 * 1024;

Hash32 block_hash(const pb::Header& header);  // keccak256 of the canonical header bytes
Hash32 commit_hash(const pb::Commit& commit);
// Merkle root (crypto/merkle.h) over the raw transactions, in block order.
Hash32 compute_tx_root(const google::protobuf::RepeatedPtrField<std::string>& txs);
Hash32 compute_receipts_root(const std::vector<pb::Receipt>& receipts);

// Decodes a block and checks its structure: canonical encoding, 32-byte hash fields, 20-byte
// proposer. Error code "malformed" with what was wrong. Does not check validity against the chain.
Status decode_block(ByteSpan bytes, pb::Block& out);

std::string hash_to_string(const Hash32& h);  // 0x-hex
Hash32 to_hash32(const std::string& b);       // b.size() must be 32 (checked by decode_block)

}  // namespace physis
