// Admission: the order in which Node::submit_tx judges a transaction, so that an attacker cannot make
// the node do signature work for free (issue 6, finding 3), and the memo of transactions it rejected.
//
// The order, cheapest first; the first failure is the answer:
//   1. size and canonical decoding (decode_tx)                       "oversize", "malformed"
//   2. the tx hash: already pending, or rejected before              "already_known", the cached error
//   3. batch limits (check_batch_limits)                             "bad_batch_size"
//   4. the sender's secp256k1 signature (recovery: one cheap secp256k1 operation)  "bad_signature"
//   5. chain id, then account and mempool: nonce, gas, fee, balance (Mempool::check, the one place
//      these rules are written)                                      "wrong_chain", codes of Mempool::add
//   6. device and certificate signatures, only for a payable tx      (their failures are receipt outcomes)
//   7. Mempool::add, which checks 5 again against the state of then
#pragma once

#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "primitives/genesis.h"
#include "primitives/physis.pb.h"
#include "util/bytes.h"
#include "util/result.h"

namespace physis::node {

// Batch payloads above the consensus limit fail in the VM anyway (TxFailReason kBadBatchSize, fee
// charged); at admission they are refused before any of their signatures is looked at. Error
// "bad_batch_size": a SubmitProofs or ClaimRewards with 0 or more than depin.max_proofs_per_tx entries.
Status check_batch_limits(const pb::TxBody& body, const DepinParams& depin);

// Whether a rejection with this error code holds for the same transaction bytes forever ("permanent":
// bad signature, wrong chain, gas below the minimum, nonce already used, batch size), holds until the
// next block changes the state ("until_next_block": the fee or amount the sender cannot pay), or may
// change at any moment (not cached: nonce gaps, a full mempool, storage errors).
enum class RejectionLifetime { kPermanent, kUntilNextBlock, kNotCached };
RejectionLifetime rejection_lifetime(const std::string& code);

// Transactions rejected at admission, by tx hash (keccak256 of the raw bytes, which include the
// signature), so that sending the same bytes again is answered without decoding the sender or reading
// state. Bounded: at most `capacity` entries; the oldest entry is evicted first.
// Thread-safe.
class RejectedTxCache {
 public:
  explicit RejectedTxCache(size_t capacity = 50'000) : capacity_(capacity == 0 ? 1 : capacity) {}
  // Remembers `error` for `hash`, judged on the state at `height`, unless its code is kNotCached.
  void insert(const Hash32& hash, const Error& error, uint64_t height);
  // The remembered error, if any still holds at chain height `height`.
  std::optional<Error> find(const Hash32& hash, uint64_t height) const;
  size_t size() const;

 private:
  struct Entry {
    Error error;
    std::optional<uint64_t> height;  // the height judged at, for kUntilNextBlock; nullopt: permanent
  };
  struct HashHasher {
    size_t operator()(const Hash32& h) const {
      size_t v;
      std::memcpy(&v, h.data(), sizeof v);
      return v;
    }
  };
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<Hash32, Entry, HashHasher> entries_;
  std::deque<Hash32> order_;  // insertion order, oldest first
};

}  // namespace physis::node
