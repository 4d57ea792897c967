// The decoded receipts of the last few committed blocks, by height, for receipt lookups: a client that
// sends batches polls the receipt of each one as soon as it is included, so the receipts of the newest
// blocks are read many times while a block holds up to max_block_txs of them. Without the memo every
// lookup read and decoded the block's whole receipt list (and, before Node::find_receipt, the block).
// Committed blocks are final (BFT, no reorganisation), so an entry never goes stale.
// Thread-safe. Bounded: at most `capacity` blocks, the lowest height evicted first.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "primitives/physis.pb.h"

namespace physis::node {

class RecentReceipts {
 public:
  explicit RecentReceipts(size_t capacity = 8) : capacity_(capacity == 0 ? 1 : capacity) {}
  // The receipts of block `height`, if remembered.
  std::shared_ptr<const pb::BlockReceipts> find(uint64_t height) const;
  // Remembers the receipts of block `height` (decoded from the store), evicting the lowest height when full.
  void insert(uint64_t height, std::shared_ptr<const pb::BlockReceipts> receipts);
  size_t size() const;

 private:
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::map<uint64_t, std::shared_ptr<const pb::BlockReceipts>> by_height_;  // guarded by mutex_
};

}  // namespace physis::node
