// Block assembly: turns the mempool's selection into a block body the VM accepts, without losing the
// valid transactions of other senders when one transaction no longer applies.
// Pure apart from what `state` reads: no clock, no threads; safe to call from any one thread.
#pragma once

#include <vector>

#include "node/fallible_state.h"
#include "primitives/genesis.h"
#include "primitives/transaction.h"
#include "util/result.h"
#include "vm/apply.h"
#include "vm/signatures.h"

namespace physis::node {

// At most this many applications per block: each failed one removes at least one transaction.
inline constexpr int kMaxAssemblyAttempts = 8;

struct AssembledBlock {
  std::vector<VerifiedTx> txs;  // what the block includes, in selection order
  vm::BlockResult result;       // apply_block of exactly `txs`
  // Selected transactions that failed to apply. Each was left out together with its sender's later
  // selected transactions (their nonces follow it); the mempool should drop it and those successors.
  std::vector<Hash32> rejected;
  std::vector<std::string> reasons;  // why, one per entry of `rejected`
};

// Applies `selection` to `state`. When a transaction fails (vm::ApplyFailure names it), leaves it and its
// sender's later transactions out and applies the rest again; after kMaxAssemblyAttempts failures, or a
// failure not tied to one transaction, falls back to an empty block and rejects the whole remaining
// selection. Errors: a read failure of `state` (its status(); no block may be built on it), a state
// fault of the VM (vm::ApplyFailure::state_fault: corrupt record, supply overflow), or the empty block
// itself failing to apply.
Result<AssembledBlock> assemble_block(const FallibleStateReader& state, const Hash32& prev_state_root,
                                      const ChainParams& params, const DepinParams& depin,
                                      const vm::BlockContext& ctx, std::vector<VerifiedTx> selection,
                                      const vm::SignatureVerifier& signatures);

}  // namespace physis::node
