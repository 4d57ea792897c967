#include "consensus/sign_bytes.h"

#include "crypto/keccak.h"

namespace physis::consensus {

Hash32 proposal_digest(const std::string& chain_id, uint64_t height, uint32_t round,
                       std::optional<uint32_t> pol_round, const Hash32& block_hash) {
  Bytes msg;
  append(msg, std::string_view("PHYSIS/PROPOSAL/v1"));
  append_u32_be(msg, static_cast<uint32_t>(chain_id.size()));
  append(msg, chain_id);
  append_u64_be(msg, height);
  append_u32_be(msg, round);
  msg.push_back(pol_round ? 1 : 0);
  append_u32_be(msg, pol_round.value_or(0));
  append(msg, block_hash);
  return crypto::keccak256(msg);
}

}  // namespace physis::consensus
