// BlockExecutor: the one path every block takes into the chain (DESIGN §4, §6; doc/consensus.md
// "Blocks"). The single-validator producer, the consensus driver and block sync all build, check and
// store blocks through it; nothing else writes a block.
//
//   propose(parent, ...)  → a block built from the mempool on `parent`, applied, not stored;
//   validate(block, ...)  → the same ExecutedBlock for a block someone else made, or the reason it is
//                           refused (an Error whose code is the reason, listed below);
//                           validate_prepared is the same for a synced block whose transactions
//                           block sync's pipeline decoded already (prepare_hinted_txs);
//   commit(block, commit) → one synced batch: block, commit, receipts, state, explorer indexes; the
//                           mempool drops what the block included.
//
// validate's reasons, in the order they are checked (cheap first; nothing that verifies a signature or
// applies a transaction runs before every size and header rule passed):
//   the header rules of consensus/header_rules.h (their snake_case names: wrong_height,
//   wrong_prev_hash, wrong_chain_id, time_not_after_parent, time_too_far_ahead, wrong_proposer,
//   wrong_validators_hash, wrong_next_validators_hash, too_many_txs, block_too_large,
//   wrong_last_commit_hash, bad_last_commit, wrong_tx_root), then
//   bad_tx            a transaction that does not decode, is not canonical or whose signature fails
//                     (senders are recovered on two threads; a transaction the mempool has verified
//                     already is taken from it);
//   block_gas         the block's gas is above block_gas_limit;
//   invalid_block     apply_block refuses the block (a transaction that cannot apply on that state);
//   wrong_state_root  the state root after apply_block differs from the header's;
//   wrong_receipts_root
// and "storage" / "corrupt_datadir" for local failures (not the block's fault: never score a peer
// for them).
//
// Thread-safety: propose and validate may run on any thread, concurrently with RPC reads; every store
// write (commit's, flush's, the background write of held blocks) holds the node's commit mutex
// exclusively, and so does commit's check of the parent against the stored tip. Held blocks belong to
// the one thread that commits them (see commit). They must be called for the current tip: a block
// validated on a parent that is no longer the tip is refused by commit ("stale_block").
#pragma once

#include <deque>
#include <future>
#include <optional>
#include <shared_mutex>
#include <vector>

#include "consensus/proposer.h"
#include "mempool/mempool.h"
#include "node/sig_cache.h"
#include "primitives/genesis.h"
#include "primitives/physis.pb.h"
#include "storage/block_store.h"
#include "vm/apply.h"

namespace physis::node {

// A block with its effects, ready to commit.
struct ExecutedBlock {
  pb::Block block;
  Hash32 hash{};
  Hash32 parent_hash{};
  std::vector<Hash32> tx_hashes;
  std::vector<Address> senders;  // of the transactions, in block order (stored as sender hints)
  vm::BlockResult result;  // writes, receipts and state root of apply_block
  // The block's canonical encoding when the caller already has it (a synced block as it was received and
  // checked by decode_block); commit stores it instead of encoding the block again. Empty: commit encodes.
  Bytes encoded;
};

// Senders a peer states for a fetched block's transactions (BlockResponse.senders, doc/p2p.md
// "Catching up"). Block sync may apply a block with them in place of recovering each signature: the
// block's commit (> 2/3 of the voting power) already vouches that its signatures are valid, and the
// state and receipts roots the commit signs catch any sender or signature verdict the hints get wrong.
struct TrustedHints {
  std::vector<Address> senders;  // one per transaction of the block
};

// A fetched block's transactions made ready before the block's turn comes (block sync's pipeline,
// doc/p2p.md "Sync pipeline"): decoded, with the senders of TrustedHints, and the block's tx root.
struct PreparedTxs {
  std::vector<VerifiedTx> txs;  // in block order; senders from the hints
  Hash32 tx_root{};             // compute_tx_root(block.txs())
};

// Decodes `block`'s transactions on the calling thread only and computes its tx root. Needs no state
// and no chain tip: block sync runs it on its pipeline thread while the driver applies earlier blocks.
// Pure and thread-safe. Error "bad_tx" naming the first transaction that does not decode, or hints of
// the wrong length.
Result<PreparedTxs> prepare_hinted_txs(const pb::Block& block, const TrustedHints& hints);

// Index key of a block's senders: 'S' ‖ height (8 bytes, big-endian) → the 20-byte senders concatenated,
// in block order (explorer index space, outside the state root).
Bytes senders_index_key(uint64_t height);
// Splits a stored or received senders value into addresses; nullopt unless it holds exactly `txs` of them.
std::optional<std::vector<Address>> parse_senders(ByteSpan value, size_t txs);

// Reason codes of validate beyond the header rules (each a stable string, see above).
inline constexpr const char* kRejectBadTx = "bad_tx";
inline constexpr const char* kRejectBlockGas = "block_gas";
inline constexpr const char* kRejectInvalidBlock = "invalid_block";
inline constexpr const char* kRejectWrongStateRoot = "wrong_state_root";
inline constexpr const char* kRejectWrongReceiptsRoot = "wrong_receipts_root";

// True for an error of validate that is the block's fault (a peer that sent it may be scored), false
// for a local failure (storage, corrupt datadir).
bool is_block_fault(const Error& error);

class BlockExecutor {
 public:
  BlockExecutor(const Genesis& genesis, storage::BlockStore& store, mempool::Mempool& mempool,
                SignatureCache& signatures, std::shared_mutex& commit_mutex);

  // Builds the block at parent.height + 1 for `proposer` at time max(now_ms, parent time + 1), carrying
  // `last_commit` (the parent's commit; must be empty for height 1). Transactions the state refuses are
  // dropped from the mempool with their sender's later ones (logged). Errors: storage, "not_validator"
  // when `proposer` is not in the height's set.
  Result<ExecutedBlock> propose(const storage::ChainTip& parent, const consensus::HeightValidators& validators,
                                const Address& proposer, uint64_t now_ms, const pb::Commit& last_commit);

  // Checks `block` as the child of `parent`. `round_proposer`: the proposer the engine expects for the
  // block's round when the block is fresh in that round; nullopt for a re-proposed block (pol_round)
  // and for a block fetched with its commit (block sync), where the proposer only has to be a member of
  // the set. `parent_validators` signed the parent (verifies last_commit); `now_ms` is the local clock.
  // With `hints` (block sync only, for a block whose commit the caller verified), transaction senders
  // are taken from them and device signatures are taken as valid instead of being verified; every other
  // check runs, and a wrong hint shows as wrong_state_root, wrong_receipts_root or invalid_block, after
  // which the caller validates again without hints.
  Result<ExecutedBlock> validate(const pb::Block& block, const storage::ChainTip& parent,
                                 const consensus::HeightValidators& validators,
                                 const consensus::ValidatorSet& parent_validators,
                                 std::optional<Address> round_proposer, uint64_t now_ms,
                                 const TrustedHints* hints = nullptr);

  // validate with TrustedHints, for transactions made ready by prepare_hinted_txs (block sync only, for a
  // block whose commit the caller verified). Runs every check validate runs, in the same order, with the
  // same reasons; the tx root is the one `prepared` computed. `verified_parent_commit`: commit_hash of a
  // commit the caller verified for the parent against `parent_validators` (the commit fetched with the
  // parent); a last_commit with that hash is not verified again (consensus/header_rules.h). nullptr:
  // verified here. A wrong hint shows as in validate; the caller then validates without hints.
  Result<ExecutedBlock> validate_prepared(const pb::Block& block, const storage::ChainTip& parent,
                                          const consensus::HeightValidators& validators,
                                          const consensus::ValidatorSet& parent_validators, uint64_t now_ms,
                                          PreparedTxs prepared, const Hash32* verified_parent_commit);

  // Stores `block` with `commit` (which must be a commit of its hash; verified by the caller) in one
  // synced batch, then removes its transactions from the mempool. Error "stale_block" when the tip is
  // no longer the block's parent (nothing is written); storage errors.
  //
  // `durable` false (block sync only): the block is held in memory and written with the next durable
  // commit or flush(), all held blocks in ONE synced batch, so that sync pays one disk sync per group
  // instead of one per block. Once the held blocks reach kBackgroundWriteBytes of encoded blocks or
  // kMaxHeldBlocks blocks, they are written in one batch on a background thread while the caller goes
  // on (one such write at a time; a commit that finds kMaxHeldBlocks more held waits for it). propose
  // and validate see held blocks' state, written or being written; everything reading the store (RPC,
  // serving peers) sees them once written. A durable commit and flush() return once every held block
  // is written. A crash loses held blocks whole (they are fetched again), never part of one. If a write
  // fails (reported by that call, or by the next commit or flush after a background write), every held
  // block is dropped: the caller's tip is then the store's tip again.
  // Held blocks belong to the thread that commits them: call commit(durable false), flush and
  // held_blocks from that one thread.
  Result<storage::ChainTip> commit(const ExecutedBlock& block, const pb::Commit& commit, bool durable = true);
  // Writes the held blocks (see commit), if any, and waits for a background write. Storage errors.
  Status flush();
  size_t held_blocks() const;  // held, written in the background or not yet
  static constexpr size_t kMaxHeldBlocks = 64;
  static constexpr size_t kBackgroundWriteBytes = 2u << 20;

 private:
  // Applies the transactions of `block` (already decoded and verified) on the parent state.
  Result<ExecutedBlock> execute(const pb::Block& block, const storage::ChainTip& parent,
                                std::vector<VerifiedTx> txs, const consensus::ValidatorSet& set,
                                const vm::SignatureVerifier& signatures);

  // Waits for a background write, then writes every held block under `lock` (taken here unless the
  // caller holds it, which it may only when nothing was held before this commit).
  Status write_held(std::unique_lock<std::shared_mutex>& lock);
  void start_background_write();     // writes every held block on another thread
  Status finish_background_write();  // waits for it; drops every held block if it failed
  void written(size_t blocks);       // the oldest `blocks` held are stored: they are no longer held
  // One synced batch, then the mempool drops the written transactions. Caller holds commit_mutex_.
  Status write_and_update_mempool(const std::vector<const storage::BlockWrite*>& blocks);

  const Genesis& genesis_;
  storage::BlockStore& store_;
  mempool::Mempool& mempool_;
  SignatureCache& signatures_;
  std::shared_mutex& commit_mutex_;
  // Held blocks, oldest first (commit with durable false). The first `writing_` are being written by
  // the background write (which reads them only; a deque keeps them in place while more are added).
  std::deque<storage::BlockWrite> pending_;
  size_t writing_ = 0;
  size_t held_bytes_ = 0;           // encoded blocks held and not being written
  std::future<Status> background_;  // last: destroyed (joined) before what it reads
};

}  // namespace physis::node
