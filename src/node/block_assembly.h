// Block assembly: turns the mempool's selection into a block body the VM accepts, without losing the
// valid transactions of other senders when one transaction does not apply.
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

struct AssembledBlock {
  std::vector<VerifiedTx> txs;  // what the block includes, in selection order
  vm::BlockResult result;       // apply_block of exactly `txs`
  // Selected transactions that do not apply (vm::check_tx fails on the state the block reached: the
  // sender cannot pay the fee, wrong nonce ...). Each was left out together with its sender's later
  // selected transactions (their nonces follow it); the mempool should drop it and those successors.
  std::vector<Hash32> rejected;
  std::vector<std::string> reasons;  // why, one per entry of `rejected`
  // Selected transactions that did not fit the block (gas or count) and stay for a later block.
  size_t deferred = 0;
};

// Applies `selection` to `state` in one pass (vm::assemble_txs): a transaction that does not apply is
// left out with its sender's later transactions, everyone else's go in, and the work is one block
// application whatever the number of bad transactions, so no sender can keep others out of a block.
// A failure of the block as a whole that is no transaction's fault and not a state fault (the
// proposer's balance overflowing with the fees) falls back to an empty block and rejects the whole
// selection. Errors: a read failure of `state` (its status(); no block may be built on it), a state
// fault of the VM (vm::ApplyFailure::state_fault: corrupt record, supply overflow), or the empty block
// itself failing to apply.
Result<AssembledBlock> assemble_block(const FallibleStateReader& state, const Hash32& prev_state_root,
                                      const ChainParams& params, const DepinParams& depin,
                                      const vm::BlockContext& ctx, std::vector<VerifiedTx> selection,
                                      const vm::SignatureVerifier& signatures);

}  // namespace physis::node
