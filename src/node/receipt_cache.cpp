#include "node/receipt_cache.h"

namespace physis::node {

std::shared_ptr<const pb::BlockReceipts> RecentReceipts::find(uint64_t height) const {
  std::lock_guard lock(mutex_);
  auto it = by_height_.find(height);
  return it == by_height_.end() ? nullptr : it->second;
}

void RecentReceipts::insert(uint64_t height, std::shared_ptr<const pb::BlockReceipts> receipts) {
  std::lock_guard lock(mutex_);
  by_height_.insert_or_assign(height, std::move(receipts));
  while (by_height_.size() > capacity_) by_height_.erase(by_height_.begin());
}

size_t RecentReceipts::size() const {
  std::lock_guard lock(mutex_);
  return by_height_.size();
}

}  // namespace physis::node
