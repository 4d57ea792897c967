// Node: wires storage, the VM, the mempool and (for now single-validator) block production.
// Owns: the BlockStore, the Mempool, the producer thread.
// Thread-safety: every public method may be called from any thread (RPC workers) while the producer
// runs; a shared mutex keeps admission from interleaving with a block commit.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <thread>

#include "consensus/validator_set.h"
#include "mempool/mempool.h"
#include "node/admission.h"
#include "node/sig_cache.h"
#include "primitives/genesis.h"
#include "primitives/physis.pb.h"
#include "storage/block_store.h"
#include "vm/apply.h"
#include "vm/attestation.h"

namespace physis::node {

// Options struct in the core; argument parsing stays in physisd (STYLE).
struct NodeOptions {
  std::string datadir;
  Genesis genesis;
  std::optional<crypto::PrivateKey> validator_key;  // without it the node only serves queries
  mempool::MempoolOptions mempool;
  storage::StoreOptions store;  // how the chain database is opened (physisd budgets its descriptors)
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

  // Starts producing a block every block_time_ms if a validator key was given. The key must belong to
  // a genesis validator (error "not_validator").
  Status start();
  // Stops the producer after the block in progress (if any) is committed. Idempotent.
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
  Result<Hash32> submit_tx(ByteSpan raw);

  // Lookups of committed data. Error "not_found" when there is no such block or transaction; error
  // "corrupt_datadir" when a stored record cannot be read or does not decode (the message names the
  // record and says to restore or resync the datadir) — never a default-constructed value.
  Result<BlockLookup> block_at(uint64_t height) const;
  Result<BlockLookup> block_by_hash(const Hash32& hash) const;
  Result<TxLookup> find_tx(const Hash32& hash) const;
  // A missing account is the zero account; an unreadable one is error "corrupt_datadir".
  Result<vm::AccountState> account(const Address& address) const;
  // The validator set that signs blocks at `height`. Fixed at genesis today; staking will make it change
  // per height, so callers ask per height. Thread-safe.
  const consensus::ValidatorSet& validators_at(uint64_t height) const { return validators_; }
  // The commit (> 2/3 precommits) of the block at `height` ≥ 1. Errors: "not_found" (no such block yet, or
  // height 0, which has no commit), "corrupt_datadir" when the stored commit does not decode, storage errors.
  Result<pb::Commit> commit_at(uint64_t height) const;
  // The nonce the account's next transaction should carry: its committed nonce plus its gap-free pending
  // transactions in the mempool. Errors as account().
  Result<uint64_t> pending_nonce(const Address& address) const;
  mempool::MempoolStatus mempool_status() const { return mempool_.status(); }
  bool in_mempool(const Hash32& hash) const { return mempool_.contains(hash); }

  // Read access for the DePIN queries (thread-safe, always whole blocks).
  // A read error (I/O, checksum) is error "storage", never an empty result.
  storage::BlockStore::Lookup<Bytes> state_get(const Bytes& key) const { return store_->get_state(key); }
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
  };
  // Error "corrupt_datadir" when an account or epoch record does not decode.
  Result<SupplyAudit> supply_audit() const;

  // Builds, applies, signs and commits one block at time `now_ms` (raised to parent time + 1 if the
  // clock is behind). Used by the producer thread and by benchmarks. Not to be called concurrently
  // with itself.
  Result<storage::ChainTip> produce_block(uint64_t now_ms);

 private:
  Node(NodeOptions options, std::unique_ptr<storage::BlockStore> store, Hash32 genesis_hash);
  void producer_loop();
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
  RejectedTxCache rejected_;
  std::atomic<int> admissions_in_flight_{0};
  mutable std::shared_mutex commit_mutex_;

  std::thread producer_;
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
};

}  // namespace physis::node
