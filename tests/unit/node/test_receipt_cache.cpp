// RecentReceipts: remembers the receipts of the newest blocks, bounded, evicting the lowest height.
#include <gtest/gtest.h>

#include "node/receipt_cache.h"

using namespace physis;
using namespace physis::node;

namespace {
std::shared_ptr<const pb::BlockReceipts> receipts_with(uint32_t gas) {
  auto r = std::make_shared<pb::BlockReceipts>();
  r->add_receipts()->set_gas_used(gas);
  return r;
}
}  // namespace

TEST(RecentReceipts, FindsWhatWasInsertedAndNothingElse) {
  RecentReceipts cache(4);
  EXPECT_EQ(cache.find(7), nullptr);
  cache.insert(7, receipts_with(70));
  auto found = cache.find(7);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->receipts(0).gas_used(), 70u);
  EXPECT_EQ(cache.find(8), nullptr);
}

TEST(RecentReceipts, KeepsTheNewestHeightsWhenFull) {
  RecentReceipts cache(3);
  for (uint64_t h = 1; h <= 5; ++h) cache.insert(h, receipts_with(static_cast<uint32_t>(h)));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.find(1), nullptr);
  EXPECT_EQ(cache.find(2), nullptr);
  for (uint64_t h = 3; h <= 5; ++h) {
    auto found = cache.find(h);
    ASSERT_NE(found, nullptr) << h;
    EXPECT_EQ(found->receipts(0).gas_used(), h);
  }
  // A reader keeps its entry alive after eviction.
  auto held = cache.find(3);
  cache.insert(6, receipts_with(6));
  EXPECT_EQ(cache.find(3), nullptr);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->receipts(0).gas_used(), 3u);
}
