#include "primitives/block.h"

#include <cstring>

#include "crypto/keccak.h"
#include "crypto/merkle.h"
#include "primitives/codec.h"
#include "primitives/tx_fields.h"

namespace physis {

Hash32 block_hash(const pb::Header& header) { return crypto::keccak256(encode_canonical(header)); }
Hash32 commit_hash(const pb::Commit& commit) { return crypto::keccak256(encode_canonical(commit)); }

Hash32 compute_tx_root(const google::protobuf::RepeatedPtrField<std::string>& txs) {
  std::vector<Hash32> leaves;
  leaves.reserve(txs.size());
  for (const auto& tx : txs) leaves.push_back(crypto::merkle_leaf_hash(as_span(tx)));
  return crypto::merkle_root(std::move(leaves));
}

Hash32 compute_receipts_root(const std::vector<pb::Receipt>& receipts) {
  std::vector<Hash32> leaves;
  leaves.reserve(receipts.size());
  for (const auto& r : receipts) leaves.push_back(crypto::merkle_leaf_hash(encode_canonical(r)));
  return crypto::merkle_root(std::move(leaves));
}

Status decode_block(ByteSpan bytes, pb::Block& out) {
  if (bytes.size() > kMaxBlockBytes) return make_error("oversize", "block exceeds the size limit");
  if (auto st = decode_canonical(bytes, out, "block"); !st) return st;
  const pb::Header& h = out.header();
  for (const std::string* f : {&h.prev_hash(), &h.tx_root(), &h.state_root(), &h.receipts_root(),
                               &h.validators_hash(), &h.next_validators_hash(), &h.last_commit_hash()})
    if (f->size() != 32) return make_error("malformed", "block header hash field is not 32 bytes");
  if (h.proposer().size() != 20) return make_error("malformed", "block proposer is not a 20-byte address");
  if (h.chain_id().size() > kMaxChainIdBytes) return make_error("malformed", "block chain_id is too long");
  if (out.has_last_commit()) {
    if (out.last_commit().block_hash().size() != 32)
      return make_error("malformed", "last commit block hash is not 32 bytes");
    for (const auto& sig : out.last_commit().signatures())
      if (sig.validator().size() != kAddressBytes || sig.signature().size() != 65)
        return make_error("malformed",
                          "last commit signature needs a 20-byte validator and 65-byte signature");
  }
  for (const auto& tx : out.txs())
    if (tx.empty() || tx.size() > kMaxTxBytes)
      return make_error(
          "malformed", "block transaction is empty or larger than " + std::to_string(kMaxTxBytes) + " bytes");
  return ok_status();
}

size_t block_tx_bytes(size_t raw_size) {
  size_t length_bytes = 1;
  for (size_t n = raw_size; n >= 0x80; n >>= 7) ++length_bytes;
  return 1 + length_bytes + raw_size;
}

Status check_block_limits(const pb::Block& block, const ChainParams& params) {
  const size_t size = block.ByteSizeLong();
  if (size > params.max_block_bytes)
    return make_error("block_too_large", "block " + std::to_string(block.header().height()) + " is " +
                                             std::to_string(size) + " bytes; the limit is " +
                                             std::to_string(params.max_block_bytes));
  if (static_cast<uint64_t>(block.txs_size()) > params.max_block_txs)
    return make_error("too_many_txs", "block " + std::to_string(block.header().height()) + " has " +
                                          std::to_string(block.txs_size()) + " transactions; the limit is " +
                                          std::to_string(params.max_block_txs));
  return ok_status();
}

std::string hash_to_string(const Hash32& h) { return to_hex0x(h); }

Hash32 to_hash32(const std::string& b) {
  Hash32 out{};
  std::memcpy(out.data(), b.data(), std::min(b.size(), out.size()));
  return out;
}

}  // namespace physis
