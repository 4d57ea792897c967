// Node: wires storage, the VM, the mempool, block execution, consensus and P2P.
// Owns: the BlockStore, the Mempool, the BlockExecutor and the consensus driver.
// Thread-safety: every public method may be called from any thread (RPC workers) while the driver
// runs; a shared mutex keeps admission from interleaving with a block commit.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>

#include "consensus/proposer.h"
#include "consensus/types.h"
#include "consensus/validator_set.h"
#include "mempool/mempool.h"
#include "node/admission.h"
#include "node/block_executor.h"
#include "node/proof_signatures.h"
#include "node/receipt_cache.h"
#include "node/sig_cache.h"
#include "p2p/host.h"
#include "p2p/node_key.h"
#include "primitives/genesis.h"
#include "primitives/physis.pb.h"
#include "storage/block_store.h"
#include "util/amount.h"
#include "vm/apply.h"
#include "vm/attestation.h"

namespace physis::node {

class ConsensusDriver;

// Options struct in the core; argument parsing stays in physisd (STYLE).
struct NodeOptions {
  std::string datadir;
  Genesis genesis;
  std::optional<crypto::PrivateKey> validator_key;  // without it the node only serves queries
  mempool::MempoolOptions mempool;
  storage::StoreOptions store;  // how the chain database is opened (physisd budgets its descriptors)
  // P2P (doc/p2p.md). Without a node key the node has no network: a lone validator produces blocks
  // by itself (the single-validator devnet) and a node without a validator key only serves queries.
  std::optional<p2p::NodeKey> node_key;
  p2p::HostOptions p2p;            // chain_id is filled in by the node
  consensus::EngineConfig engine;  // consensus timeouts (consensus/types.h)
  // Block sync recovers every transaction sender and verifies every device signature itself instead of
  // taking the serving peer's sender hints under the block's commit (doc/p2p.md "Catching up").
  bool sync_verify_signatures = false;
};

// What consensus_state reports (doc/rpc.md).
struct ConsensusStatus {
  bool running = false;    // a block producer or consensus driver runs
  bool validator = false;  // this node signs (its validator key is in the height's set)
  uint64_t height = 0;     // the height being decided (tip + 1)
  uint32_t round = 0;
  std::string step;                 // "propose", "prevote", "precommit", "commit", or "" when not running
  std::optional<Address> proposer;  // of the current round
  std::optional<Hash32> locked_block;
  int64_t locked_round = -1;
  std::optional<Hash32> valid_block;
  int64_t valid_round = -1;
  uint64_t total_power = 0;
  // Votes seen at this height, per round and type.
  struct VoteTally {
    uint32_t round = 0;
    std::string type;  // "prevote" or "precommit"
    uint32_t votes = 0;
    uint64_t power = 0;
  };
  std::vector<VoteTally> votes;
};

// What net_info and net_peers report.
struct NetStatus {
  bool enabled = false;  // the node runs P2P
  std::string node_id;
  std::string listen_address;
  std::vector<p2p::PeerInfo> peers;
};

// Block sync progress, for chain_status.
struct SyncStatus {
  bool syncing = false;
  uint64_t sync_target = 0;  // the best height peers report (0 when unknown)
  // Blocks with transactions block sync applied since start: with the serving peer's sender hints, and
  // verified in full (no hints, --sync-verify-signatures, or hints that did not apply).
  uint64_t blocks_with_hints = 0;
  uint64_t blocks_verified_in_full = 0;
};

struct TxLookup {
  pb::Transaction tx;
  pb::TxBody body;
  Address sender{};
  uint64_t height = 0;
  uint32_t index = 0;
  Hash32 block_hash{};
  pb::Receipt receipt;
};

// An included transaction's receipt and where it is, without the transaction itself.
struct ReceiptLookup {
  uint64_t height = 0;
  uint32_t index = 0;
  Hash32 block_hash{};
  pb::Receipt receipt;
};

struct BlockLookup {
  pb::Block block;
  Hash32 hash{};
  size_t size_bytes = 0;
};

// The genesis block header (height 0) and its state; its hash is the chain's identity.
struct GenesisBlock {
  pb::Header header;
  Hash32 hash{};
  vm::BlockResult state;
};
GenesisBlock make_genesis_block(const Genesis& genesis);
// The write batch that stores the genesis block (height 0, no txs, empty receipts) and its state.
storage::BlockWrite genesis_block_write(const GenesisBlock& genesis, uint64_t genesis_time_ms);

class Node {
 public:
  // Opens or creates the chain in options.datadir. Errors: storage errors, or "genesis_mismatch" when the
  // datadir was made from another genesis (the message names both hashes).
  static Result<std::unique_ptr<Node>> open(NodeOptions options);
  ~Node();

  // Starts the consensus driver (node/consensus_driver.h) when a validator key or a node key was given:
  // a validator decides blocks with the others (alone when it is the only one), a node with only a node
  // key follows the chain over P2P. The validator key must belong to a genesis validator
  // ("not_validator"); errors of ConsensusDriver::start otherwise.
  Status start();
  // Stops the driver after the input in progress. Idempotent.
  void stop();

  const Genesis& genesis() const { return options_.genesis; }
  const Hash32& genesis_hash() const { return genesis_hash_; }
  // The committed tip; an unreadable tip is logged and reads as height 0 (use read_tip() to see the error).
  storage::ChainTip tip() const;
  // The committed tip, or the storage error that kept it from being read.
  Result<storage::ChainTip> read_tip() const;

  // Admits a raw transaction to the mempool, judging it in the order of node/admission.h: every cheap
  // check (size, decoding, the pending and rejected caches, chain id, batch limits, sender signature,
  // nonce, fee, balance) before any device or certificate signature is verified, and that only for a
  // transaction its sender can pay for. Errors carry the reason code; a rejection that holds for the
  // same bytes (node/admission.h rejection_lifetime) is remembered by tx hash and answered again from
  // memory, its message saying so. "corrupt_datadir" when the sender's stored account does not decode.
  // An admitted transaction is gossiped to the node's peers, except `from_peer` (the P2P peer it came
  // from; empty for RPC).
  Result<Hash32> submit_tx(ByteSpan raw, const std::string& from_peer = {});

  // Lookups of committed data. Error "not_found" when there is no such block or transaction; error
  // "corrupt_datadir" when a stored record cannot be read or does not decode (the message names the
  // record and says to restore or resync the datadir) — never a default-constructed value.
  Result<BlockLookup> block_at(uint64_t height) const;
  Result<BlockLookup> block_by_hash(const Hash32& hash) const;
  Result<TxLookup> find_tx(const Hash32& hash) const;
  // What find_tx says of the receipt, without reading the block: the tx index, the block's stored
  // commit (for its hash) and the block's receipts, the latter remembered for the newest blocks
  // (RecentReceipts), so polling the receipts of a full block costs one decode of its receipts, not one
  // block decode and sender recovery per poll. Errors as find_tx; also "corrupt_datadir" when the
  // receipt found is not the transaction's (its tx_hash differs) or the commit names another height.
  Result<ReceiptLookup> find_receipt(const Hash32& hash) const;
  // A missing account is the zero account; an unreadable one is error "corrupt_datadir".
  Result<vm::AccountState> account(const Address& address) const;
  // The validator set that signs blocks at `height`. Fixed at genesis today; staking will make it change
  // per height, so callers ask per height. Thread-safe.
  const consensus::ValidatorSet& validators_at(uint64_t height) const { return validators_; }
  // The commit (> 2/3 precommits) of the block at `height` ≥ 1. Errors: "not_found" (no such block yet, or
  // height 0, which has no commit), "corrupt_datadir" when the stored commit does not decode, storage errors.
  Result<pb::Commit> commit_at(uint64_t height) const;
  // The stored senders of the block at `height` (senders_index_key: 20 bytes per transaction, block
  // order), served to syncing peers as hints. nullopt when none are stored (a block without
  // transactions, or one stored before senders were kept) or on a read error.
  std::optional<Bytes> stored_senders(uint64_t height) const;
  // The nonce the account's next transaction should carry: its committed nonce plus its gap-free pending
  // transactions in the mempool. Errors as account().
  Result<uint64_t> pending_nonce(const Address& address) const;
  mempool::MempoolStatus mempool_status() const { return mempool_.status(); }
  // Consensus, network and sync state for RPC. Thread-safe snapshots.
  ConsensusStatus consensus_status() const;
  NetStatus net_status() const;
  SyncStatus sync_status() const;
  bool in_mempool(const Hash32& hash) const { return mempool_.contains(hash); }

  // Read access for the DePIN queries (thread-safe, always whole blocks).
  // A read error (I/O, checksum) is error "storage", never an empty result.
  storage::BlockStore::Lookup<Bytes> state_get(const Bytes& key) const { return store_->get_state(key); }
  storage::BlockStore::Lookup<Bytes> index_get(const Bytes& key) const { return store_->get_index(key); }
  Result<storage::KeyValues> scan_state(const Bytes& prefix, const Bytes& after, size_t limit) const {
    return store_->scan_state(prefix, after, limit);
  }
  Result<storage::KeyValues> scan_index(const Bytes& prefix, const Bytes& after, size_t limit) const {
    return store_->scan_index(prefix, after, limit);
  }
  // A StateReader over the committed state (valid while the node lives). A failed read is logged and
  // reads as absent: for queries only, never for anything committed.
  const vm::StateReader& state() const { return *state_reader_; }
  // Dry-run of the attestation check as if the evidence were included in the next block.
  vm::AttestOutcome verify_evidence(const pb::AttestationEvidence& evidence, const Address& owner) const;
  uint64_t current_epoch() const { return (tip().height + 1) / options_.genesis.depin.epoch_blocks; }
  const SignatureCache& signature_cache() const { return sig_cache_; }
  const RejectedTxCache& rejected_cache() const { return rejected_; }

  // Supply audit on one consistent state (no block commits while it runs). O(accounts + epochs): for
  // devnets, tests and audits, not for hot paths. Invariant: circulating + owed == genesis + minted −
  // burned.
  struct SupplyAudit {
    uint64_t height = 0;
    Amount genesis = 0;
    Amount minted = 0;       // emissions of closed epochs
    Amount burned = 0;       // paid for usage receipts and destroyed (doc/depin.md "Usage")
    Amount circulating = 0;  // sum of all account balances
    Amount owed = 0;         // device rewards of closed epochs not yet settled (lazy settlement)
    // genesis + minted - burned, or nullopt if a sum passes 2^128-1 or the burns pass the issue (the VM
    // never lets either happen: such a supply cannot balance, and is never wrapped).
    std::optional<Amount> total() const {
      const auto issued = checked_add(genesis, minted);
      return issued ? checked_sub(*issued, burned) : std::nullopt;
    }
    // Balances plus owed rewards equal the total (doc/depin.md "Supply invariant").
    bool balanced() const {
      const auto t = total();
      const auto held = checked_add(circulating, owed);
      return t && held && *t == *held;
    }
  };
  // Error "corrupt_datadir" when an account or epoch record does not decode. Reads a view of the store
  // (its stored tip), without holding up commits; one audit at a time, and one scan per stored tip: a
  // call at the tip of the last audit gets that audit's answer.
  Result<SupplyAudit> supply_audit() const;
  // How many audits scanned the state (the others were answered from the last one).
  uint64_t supply_audit_scans() const { return supply_scans_.load(); }

  // Single-validator block production through the BlockExecutor: builds, applies, signs and commits one
  // block at time `now_ms` (raised to parent time + 1 if the clock is behind). For benchmarks and tests
  // of a one-validator chain; a running node makes blocks in its consensus driver. Not to be called
  // concurrently with itself or with a running node.
  Result<storage::ChainTip> produce_block(uint64_t now_ms);

  // The validators (set and proposer priorities) that decide `height` ≥ 1. Thread-safe.
  Result<consensus::HeightValidators> height_validators(uint64_t height);
  // The commit a block on `parent` carries: the stored commit of parent (empty for the genesis parent).
  Result<pb::Commit> last_commit_for(const storage::ChainTip& parent) const;
  BlockExecutor& executor() { return *executor_; }
  mempool::Mempool& mempool() { return mempool_; }

 private:
  Node(NodeOptions options, std::unique_ptr<storage::BlockStore> store, Hash32 genesis_hash,
       std::unique_ptr<consensus::ValidatorSetProvider> provider);
  // Verifies the device and certificate signatures of a payable transaction into sig_cache_, so that
  // the block producer finds them there. Returns how many device signatures it looked up.
  size_t warm_signature_cache(const VerifiedTx& tx) const;
  // submit_tx after the caches: every cheap check, then signature work. Sets `judged_at_height` to the
  // height of the state the verdict was reached on.
  Result<Hash32> admit(DecodedTx decoded, uint64_t* judged_at_height);

  const NodeOptions options_;
  std::unique_ptr<storage::BlockStore> store_;
  const Hash32 genesis_hash_;
  const consensus::ValidatorSet validators_;
  mempool::Mempool mempool_;
  std::unique_ptr<vm::StateReader> state_reader_;
  SignatureCache sig_cache_;
  // Device keys admission looked up (node/proof_signatures.h).
  DeviceKeyMemo device_keys_;
  // supply_audit: one at a time, and its last answer with the tip it was taken at.
  mutable std::mutex audit_mutex_;
  mutable std::optional<std::pair<Hash32, SupplyAudit>> last_audit_;
  mutable std::atomic<uint64_t> supply_scans_{0};
  RejectedTxCache rejected_;
  mutable RecentReceipts recent_receipts_;  // a memo of reads: find_receipt is const
  std::unique_ptr<BlockExecutor> executor_;
  std::mutex provider_mutex_;
  std::unique_ptr<consensus::ValidatorSetProvider> validator_provider_;  // guarded by provider_mutex_
  std::atomic<int> admissions_in_flight_{0};
  mutable std::shared_mutex commit_mutex_;

  mutable std::mutex driver_mutex_;
  std::unique_ptr<ConsensusDriver> driver_;  // guarded by driver_mutex_
};

}  // namespace physis::node
