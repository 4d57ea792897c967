// Block, header and commit helpers (DESIGN §4): hashing over canonical bytes and structural decoding.
#pragma once

#include <vector>

#include "primitives/genesis.h"
#include "primitives/physis.pb.h"
#include "primitives/transaction.h"
#include "util/bytes.h"
#include "util/result.h"

namespace physis {

// Hard limit on one encoded block, checked by decode_block before parsing. The chain's own limit is the
// genesis parameter ChainParams::max_block_bytes, at most this.
inline constexpr size_t kMaxBlockBytes = 16 * 1024 * 1024;
// Room a block needs besides its transactions: the header (a chain id of at most 64 bytes, seven 32-byte
// hashes, an address, three varints: under 512 bytes) and a last commit of a few signatures. A genesis
// max_block_bytes below kMinBlockBytes could not hold the largest transaction.
inline constexpr size_t kBlockOverheadBytes = 64 * 1024;
inline constexpr size_t kMinBlockBytes = kMaxTxBytes + kBlockOverheadBytes;
// Bytes one transaction of `raw_size` bytes adds to an encoded block: its field tag, length and bytes.
size_t block_tx_bytes(size_t raw_size);

Hash32 block_hash(const pb::Header& header);  // keccak256 of the canonical header bytes
Hash32 commit_hash(const pb::Commit& commit);
// Merkle root (crypto/merkle.h) over the raw transactions, in block order.
Hash32 compute_tx_root(const google::protobuf::RepeatedPtrField<std::string>& txs);
Hash32 compute_receipts_root(const std::vector<pb::Receipt>& receipts);

// Decodes a block and checks its structure: canonical encoding, 32-byte hash fields, 20-byte
// proposer. Error code "malformed" with what was wrong. Does not check validity against the chain.
Status decode_block(ByteSpan bytes, pb::Block& out);

// The chain's limits on a block (doc/protocol.md "Blocks"), checked on every block made or accepted:
// encoded size at most params.max_block_bytes (code "block_too_large"), at most params.max_block_txs
// transactions (code "too_many_txs"). The message gives the size and the limit.
Status check_block_limits(const pb::Block& block, const ChainParams& params);

std::string hash_to_string(const Hash32& h);  // 0x-hex
Hash32 to_hash32(const std::string& b);       // b.size() must be 32 (checked by decode_block)

}  // namespace physis
