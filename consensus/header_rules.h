// The header rules of a block that need no state (DESIGN §4, §6; doc/protocol.md "Blocks"). Pure: no
// clock (the local time is an argument), no I/O, no threads. BlockExecutor::validate runs these first and
// then the rules that need state (every transaction, state and receipts roots after apply_block).
//
// Rules, checked in this order (the first failure is reported). The cheap comparisons come first; the
// limits come before anything that hashes or verifies signatures, so an oversize block costs nothing
// more than its size check:
//    1. kWrongHeight              header.height == parent.height + 1
//    2. kWrongPrevHash            header.prev_hash == parent.hash
//    3. kWrongChainId             header.chain_id == the chain's id
//    4. kTimeNotAfterParent       header.time_ms > parent.time_ms
//    5. kTimeTooFarAhead          header.time_ms <= local_now_ms + max_clock_drift_ms (a validator
//                                 prevotes nil otherwise; the bound is a genesis parameter)
//    6. kWrongProposer            header.proposer == the expected proposer for (height, round); with
//                                 any_member_proposer, a member of the height's set
//    7. kWrongValidatorsHash      header.validators_hash == validators.hash()
//    8. kWrongNextValidatorsHash  header.next_validators_hash == next_validators.hash()
//    9. kTooManyTxs               txs.size() <= max_block_txs
//   10. kBlockTooLarge            encoded block size <= max_block_bytes
//   11. kWrongLastCommitHash      header.last_commit_hash == commit_hash(last_commit) when a commit is
//                                 carried, and == 32 zero bytes when none is
//   12. kBadLastCommit            height 1 carries no commit (its parent is genesis, which has none);
//                                 above height 1 the commit is carried and verify_commit accepts it
//                                 against the parent's validator set for (parent.height, parent.hash)
//   13. kWrongTxRoot              header.tx_root == compute_tx_root(txs)
// (HeaderContext::computed_tx_root and verified_parent_commit let a caller hand in rule 12's and 13's
// results when it has them; see there.)
//
// Not checked here: the state root, the receipts root, gas and every transaction (they need the state);
// field sizes (decode_block checks them). A block that passes is well-formed with respect to its parent,
// nothing more.
//
// Thread-safety: pure functions; safe to call concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "consensus/validator_set.h"
#include "primitives/physis.pb.h"
#include "util/bytes.h"

namespace physis::consensus {

// Why a block's header was refused. Every value except kOk is a rejection; each has a test.
enum class HeaderReject : uint8_t {
  kOk,
  kWrongHeight,
  kWrongPrevHash,
  kWrongChainId,
  kTimeNotAfterParent,
  kTimeTooFarAhead,
  kWrongProposer,
  kWrongValidatorsHash,
  kWrongNextValidatorsHash,
  kTooManyTxs,
  kBlockTooLarge,
  kWrongLastCommitHash,
  kBadLastCommit,
  kWrongTxRoot,
};
inline constexpr uint32_t kHeaderRejectCount = 14;  // values of HeaderReject, kOk included

// A stable snake_case name, e.g. "wrong_prev_hash".
std::string_view header_reject_name(HeaderReject reason);

// What the rules compare a block with. References are borrowed for the call only.
struct HeaderContext {
  // The parent block: its height (0 for genesis), hash and header time.
  uint64_t parent_height = 0;
  Hash32 parent_hash{};
  uint64_t parent_time_ms = 0;
  std::string_view chain_id;
  // The validating node's clock, milliseconds since the Unix epoch, and the genesis drift bound.
  uint64_t local_now_ms = 0;
  uint64_t max_clock_drift_ms = 0;
  // The proposer the engine expects for (height, round) at this height's validator set.
  Address expected_proposer{};
  // Rule 6 for a block that was not made in the round it is judged in (a re-proposed valid value, or a
  // block fetched with its commit by block sync): the proposer only has to be in `validators`, since
  // the block keeps the header of the round that built it.
  bool any_member_proposer = false;
  const ValidatorSet* validators = nullptr;         // the set at this height
  const ValidatorSet* next_validators = nullptr;    // the set at height + 1
  const ValidatorSet* parent_validators = nullptr;  // the set that signed the parent (verifies last_commit)
  uint64_t max_block_bytes = 0;
  uint64_t max_block_txs = 0;
  // Work the caller has done already (block sync's pipeline, doc/p2p.md "Sync pipeline"), so that it is
  // not done twice. Neither weakens a rule: each stands for the exact computation it replaces.
  //   computed_tx_root: compute_tx_root(block.txs()), computed by the caller; rule 13 compares the
  //     header with it instead of hashing the transactions again.
  //   verified_parent_commit: commit_hash of a commit the caller has verified with verify_commit against
  //     *parent_validators for (parent_height, parent_hash); rule 12 accepts a carried commit with that
  //     hash without verifying its signatures again (the same bytes give the same verdict).
  const Hash32* computed_tx_root = nullptr;
  const Hash32* verified_parent_commit = nullptr;
};

// The outcome of check_header_rules.
struct HeaderCheck {
  HeaderReject reason = HeaderReject::kOk;
  std::string message;  // what was wrong (for logs and peer scoring); empty when reason is kOk

  bool ok() const { return reason == HeaderReject::kOk; }
};

// Checks `block` against `ctx` in the order listed above and reports the first failure. The three
// validator-set pointers must be non-null (a null one is a caller bug and is reported as the rule that
// needs it failing, never as success).
HeaderCheck check_header_rules(const pb::Block& block, const HeaderContext& ctx);

}  // namespace physis::consensus
