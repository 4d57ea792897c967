// The deterministic state transition (DESIGN §1, §3; doc/protocol.md "Transaction execution").
// Pure: no I/O, no clock, no randomness, no floating point, no threads.
#pragma once

#include <optional>
#include <vector>

#include "primitives/genesis.h"
#include "primitives/physis.pb.h"
#include "primitives/transaction.h"
#include "util/result.h"
#include "vm/accounts.h"
#include "vm/depin_state.h"
#include "vm/signatures.h"
#include "vm/state.h"
#include "vm/tx_fail_reason.h"

namespace physis::vm {

struct BlockContext {
  std::string chain_id;
  uint64_t height = 0;
  Address proposer{};    // receives the fees
  Hash32 parent_hash{};  // recorded in state for reference-block checks (DESIGN §5)
  std::vector<std::pair<Address, uint64_t>> validators;  // (address, power), for the validators' reward share
};

// Intrinsic gas of a transaction (doc/protocol.md "Gas"): the payload's gas from the constexpr table in
// gas.h plus gas::payload_byte_gas of the payload's encoded size (primitives/transaction.h
// payload_bytes). It does not depend on the gas limit, price, nonce or chain id, so a signer can compute
// it before setting them.
uint64_t intrinsic_gas(const ChainParams& params, const pb::TxBody& body);

struct BlockResult {
  WriteSet writes;
  std::vector<pb::Receipt> receipts;
  Hash32 state_root{};
  uint64_t gas_used = 0;
  // Records for explorers, not state: not in `writes` nor in the state root (vm/depin_state.h).
  ExplorerRecords explorer;
};

// Checks a transaction against the state a block would apply it to. Error codes (also used by the
// mempool): "wrong_chain", "nonce_too_low", "nonce_gap", "gas_limit_too_low", "gas_limit_too_high",
// "gas_price_too_low", "insufficient_funds_for_gas", "fee_overflow".
Status check_tx(const ChainParams& params, const std::string& chain_id, const VerifiedTx& tx,
                const AccountState& sender, uint64_t expected_nonce);

// Applies the block's transactions, in order, to `state`. Signatures must already be verified (callers
// verify once, in parallel, and cache). Error (the block is invalid): a transaction that fails check_tx,
// or the block's gas exceeding the block gas limit, or too many transactions. On error nothing is
// returned that could be committed.
//
// `failure` (optional) is set on error: tx_index names the transaction that made the block invalid
// ("invalid_tx"), nullopt for a failure of the block as a whole (too many transactions, gas, fees).
// state_fault is true when the state itself is unusable (a corrupt record, a supply overflow; vm/state.h
// StateOverlay::fault): no block, empty or not, may be built on it until an operator intervenes.
struct ApplyFailure {
  std::optional<size_t> tx_index;
  bool state_fault = false;
};
Result<BlockResult> apply_block(const StateReader& state, const Hash32& prev_state_root,
                                const ChainParams& params, const DepinParams& depin, const BlockContext& ctx,
                                const std::vector<VerifiedTx>& txs, const SignatureVerifier& signatures,
                                ApplyFailure* failure = nullptr);

// Block assembly, the producer's side of apply_block. Applies `candidates` in order exactly as
// apply_block would, except that a candidate apply_block would reject as "invalid_tx" (it fails
// check_tx against the state the block has reached: nonce, chain, gas, fee the sender cannot pay) is
// left out instead, and so is every later candidate of the same sender (its nonce would follow the
// missing one). Leaving one out costs nothing and changes nothing: check_tx runs before a transaction
// writes anything. The first candidate that would take the block past max_block_txs or the block gas
// limit ends the block: it and every later candidate are `deferred` (not invalid; they may fit the
// next block). One pass, O(candidates): no candidate can make the others be applied again.
//
// apply_block over the included candidates, in order, returns exactly `block`.
// Errors as apply_block's for the block as a whole (`failure->state_fault` for a corrupt record or an
// overflowing supply; "fee_overflow"); never "invalid_tx".
struct AssembledTxs {
  BlockResult block;
  std::vector<size_t> included;  // indices into `candidates`, ascending
  struct Invalid {
    size_t index = 0;  // into `candidates`
    Error reason;      // check_tx's error
  };
  std::vector<Invalid> invalid;  // failed check_tx; their senders' later candidates are left out silently
  size_t deferred = 0;           // candidates from the first one that did not fit onwards
};
Result<AssembledTxs> assemble_txs(const StateReader& state, const Hash32& prev_state_root,
                                  const ChainParams& params, const DepinParams& depin,
                                  const BlockContext& ctx, const std::vector<VerifiedTx>& candidates,
                                  const SignatureVerifier& signatures, ApplyFailure* failure = nullptr);
// The same with default DePIN parameters and direct signature checks (transfer-only callers, tests).
Result<BlockResult> apply_block(const StateReader& state, const Hash32& prev_state_root,
                                const ChainParams& params, const BlockContext& ctx,
                                const std::vector<VerifiedTx>& txs);

// State root accumulator (DESIGN §4, first version): keccak256("PHYSIS/STATE/v1" ‖ prev_root ‖
// merkle root over the block's sorted writes, each leaf = len(key) ‖ key ‖ value).
Hash32 next_state_root(const Hash32& prev_root, const WriteSet& writes);

inline constexpr uint8_t kParamsKey = 'p';
inline constexpr uint8_t kValidatorPrefix = 'v';

// Genesis state, and its root from the all-zero root: every genesis parameter (primitives/genesis.h
// params_record under 'p'), the validators (power and name under 'v' ‖ address), the accounts' balances,
// the supply record and the genesis trust anchors. Account names are labels for tools and are not
// stored; everything else in the genesis document is.
BlockResult genesis_state(const Genesis& genesis);

}  // namespace physis::vm
