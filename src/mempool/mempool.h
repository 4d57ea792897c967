// Mempool: transactions waiting for a block, in per-sender nonce order.
// Holds VerifiedTx, so a signature is checked once, at admission, and never again by the producer.
// Thread-safe: every method locks an internal mutex.
#pragma once

#include <cstring>
#include <map>
#include <optional>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "primitives/genesis.h"
#include "primitives/transaction.h"
#include "util/result.h"
#include "vm/accounts.h"
#include "vm/state.h"

namespace physis::mempool {

struct MempoolOptions {
  size_t max_txs = 100'000;
  size_t max_bytes = 64 * 1024 * 1024;
  size_t max_per_sender = 1'000;
};

struct MempoolStatus {
  size_t txs = 0;
  size_t bytes = 0;
  size_t senders = 0;
};

class Mempool {
 public:
  Mempool(MempoolOptions options, ChainParams params, std::string chain_id);

  // Admits a verified transaction checked against `state` (the latest committed state) plus the
  // sender's pending transactions. Error codes: those of vm::check_tx ("wrong_chain", "nonce_too_low",
  // "nonce_gap", "gas_*", "insufficient_funds_for_gas", "fee_overflow"), plus "already_known",
  // "nonce_pending" (another pending tx of the sender has this nonce; no replacement),
  // "insufficient_funds" (fee + transferred amount + the sender's pending costs exceed the balance, or
  // exceed 2^128-1, which no balance can cover), "mempool_full", "too_many_pending", and
  // "corrupt_datadir" when the sender's stored account record does not decode (the message names the
  // account; such a record is never read as an empty account).
  Result<Hash32> add(VerifiedTx tx, const vm::StateReader& state);

  // The checks of add without admitting: ok when add would admit `tx` now (against the same state and
  // the same pending transactions), else add's error. For callers that do expensive work (device
  // signatures) only for transactions that pass every cheap check; add checks again.
  Status check(const VerifiedTx& tx, const vm::StateReader& state) const;

  // Transactions in arrival order (which is nonce order per sender): at most `max_txs`, stopping before
  // the first one that would take the total gas used (vm::intrinsic_gas, what the block gas limit counts,
  // not the gas limits) past `max_gas` or the total raw bytes past
  // `max_bytes` (stopping, not skipping, so that no sender's selected nonces have a gap).
  std::vector<VerifiedTx> select(size_t max_txs, uint64_t max_gas, size_t max_bytes) const;

  // Drops the transactions a committed block included, then any whose nonce the new `state` has
  // already consumed.
  void remove_committed(const std::vector<Hash32>& included, const vm::StateReader& state);

  // Drops the transaction `hash` (which failed to apply) and its sender's pending transactions with
  // higher nonces, which cannot apply without it. Returns how many were dropped (0 for an unknown hash).
  size_t drop_with_successors(const Hash32& hash);

  bool contains(const Hash32& hash) const;
  // The pending transaction `hash`, already decoded and its sender recovered (block validation reuses
  // it instead of recovering the sender again), or nullopt.
  std::optional<VerifiedTx> find(const Hash32& hash) const;
  MempoolStatus status() const;

  // The nonce `sender`'s next transaction should carry: `committed_nonce` (the account's nonce in the
  // latest committed state) plus the sender's pending transactions that follow it without a gap.
  uint64_t next_nonce(const Address& sender, uint64_t committed_nonce) const;

 private:
  struct Entry {
    VerifiedTx tx;
    uint64_t seq = 0;
    Amount max_cost = 0;  // gas_limit × gas_price + amount
    // The gas the transaction uses when applied (vm::intrinsic_gas), which is what the block gas limit
    // counts; selecting by gas_limit would let a transaction that reserves a whole block's gas and uses
    // 21,000 take a block to itself.
    uint64_t gas_used = 0;
  };
  struct HashHasher {
    size_t operator()(const Hash32& h) const {
      size_t v;
      std::memcpy(&v, h.data(), sizeof v);
      return v;
    }
  };
  void erase_locked(const Hash32& hash);
  // add's checks; on success the transaction's maximum cost (fee + amount).
  Result<Amount> check_locked(const VerifiedTx& tx, const vm::AccountState& account) const;

  const MempoolOptions options_;
  const ChainParams params_;
  const std::string chain_id_;
  mutable std::mutex mutex_;
  uint64_t next_seq_ = 0;
  size_t bytes_ = 0;
  std::unordered_map<Hash32, Entry, HashHasher> by_hash_;
  std::map<uint64_t, Hash32> by_arrival_;
  std::map<Address, std::map<uint64_t, Hash32>> by_sender_;  // sender → nonce → hash
};

}  // namespace physis::mempool
