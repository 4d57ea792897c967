// What a validator signs for each consensus step (DESIGN §2, §6). Every digest starts with a domain tag
// and the chain id, so nothing signed for one step or one chain can pass for another. Pure.
//
//   prevote, precommit: vote_digest (consensus/validator_set.h), the digest verify_commit checks:
//       keccak256("PHYSIS/VOTE/v1" ‖ u32 len(chain id) ‖ chain id ‖ u8 type ‖ u64 height ‖ u32 round ‖
//                 block hash)                    type: 1 prevote, 2 precommit; nil = 32 zero bytes
//   proposal: proposal_digest below:
//       keccak256("PHYSIS/PROPOSAL/v1" ‖ u32 len(chain id) ‖ chain id ‖ u64 height ‖ u32 round ‖
//                 u8 has_pol_round ‖ u32 pol_round (0 when absent) ‖ block hash)
// Integers are big-endian.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "util/bytes.h"

namespace physis::consensus {

// The digest a proposer signs for proposing `block_hash` at (height, round), with the round of its
// proof-of-lock when it re-proposes a valid value (Tendermint's POLRound; absent = -1 there).
Hash32 proposal_digest(const std::string& chain_id, uint64_t height, uint32_t round,
                       std::optional<uint32_t> pol_round, const Hash32& block_hash);

}  // namespace physis::consensus
