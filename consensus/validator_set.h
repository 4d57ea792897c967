// The validator set and commit rules (DESIGN §6). Pure: no I/O, clock or threads.
// Today one validator is a valid network; the BFT engine of a later issue reuses these types and
// the vote sign-bytes, so the block format does not change when it lands.
#pragma once

#include <vector>

#include "crypto/secp256k1.h"
#include "primitives/genesis.h"
#include "primitives/physis.pb.h"
#include "util/result.h"

namespace physis::consensus {

struct Validator {
  Address address{};
  uint64_t power = 0;
};

// Immutable, sorted by address.
class ValidatorSet {
 public:
  explicit ValidatorSet(std::vector<Validator> validators);
  static ValidatorSet from_genesis(const Genesis& genesis);

  const std::vector<Validator>& validators() const { return validators_; }
  uint64_t total_power() const { return total_power_; }
  const Validator* find(const Address& address) const;
  // keccak256("PHYSIS/VALSET/v1" ‖ for each validator: address ‖ power as u64 big-endian).
  Hash32 hash() const;
  // The proposer for (height, round) by the priority algorithm of consensus/proposer.h: zero
  // priorities advanced height + round steps. With one validator it is always that validator.
  // Recomputes from zero, O((height + round) × n): fine for tests and a one-validator chain; the
  // engine and driver get priorities per height from a ValidatorSetProvider instead.
  const Validator& proposer(uint64_t height, uint32_t round) const;

 private:
  std::vector<Validator> validators_;
  uint64_t total_power_ = 0;
};

enum class VoteType : uint8_t { kPrevote = 1, kPrecommit = 2 };

// Digest a validator signs for a vote: keccak256("PHYSIS/VOTE/v1" ‖ len(chain id) ‖ chain id ‖ type ‖
// height ‖ round ‖ block hash). Covers the chain id so no vote can be replayed on another chain.
Hash32 vote_digest(const std::string& chain_id, VoteType type, uint64_t height, uint32_t round,
                   const Hash32& block_hash);

// A commit for `block_hash` signed by each of `keys` (precommits, round 0 by default).
pb::Commit make_commit(const std::string& chain_id, uint64_t height, uint32_t round, const Hash32& block_hash,
                       const std::vector<crypto::PrivateKey>& keys);

// Checks that `commit` is for (height, block_hash), that each signature is a valid precommit by a
// distinct member of `set`, and that the signers hold more than 2/3 of the voting power.
// Error codes: "bad_commit" with the reason.
Status verify_commit(const pb::Commit& commit, const ValidatorSet& set, const std::string& chain_id,
                     uint64_t height, const Hash32& block_hash);

}  // namespace physis::consensus
