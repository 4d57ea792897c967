#include "primitives/block.h"

#include <cstring>

#include "crypto/keccak.h"
#include "crypto/merkle.h"
#include "primitives/codec.h"

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
  if (out.has_last_commit() && out.last_commit().block_hash().size() != 32)
    return make_error("malformed", "last commit block hash is not 32 bytes");
  return ok_status();
}

std::string hash_to_string(const Hash32& h) { return to_hex0x(h); }

Hash32 to_hash32(const std::string& b) {
  Hash32 out{};
  std::memcpy(out.data(), b.data(), std::min(b.size(), out.size()));
  return out;
}

}  // namespace physis
