// BlockStore (DESIGN §4) on a real LevelDB in a temporary directory: genesis once, blocks strictly at
// tip + 1, every index readable after the commit and after a reopen, one process per datadir.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>

#include "storage/block_store.h"
#include "tests/unit/test_support.h"

using namespace physis;
using namespace physis::storage;

namespace {
using physis::test::TempDir;

Hash32 hash_of(uint64_t height, uint8_t salt = 0) {
  Hash32 h{};
  h[0] = 0xB0 ^ salt;
  for (int i = 0; i < 8; ++i) h[31 - i] = static_cast<uint8_t>(height >> (8 * i));
  return h;
}
Hash32 tx_hash(uint64_t height, uint32_t index) {
  Hash32 h{};
  h[0] = 0x7A;
  for (int i = 0; i < 8; ++i) h[8 - i] = static_cast<uint8_t>(height >> (8 * i));
  h[31] = static_cast<uint8_t>(index);
  return h;
}

// A block write with recognisable contents; the store does not interpret the bytes.
BlockWrite block_write(uint64_t height, size_t n_txs = 2) {
  BlockWrite w;
  w.tip = {height, hash_of(height), hash_of(height, 0x55), 1000 + height};
  w.block = to_bytes("block-" + std::to_string(height));
  if (height > 0) w.commit = to_bytes("commit-" + std::to_string(height));
  w.receipts = to_bytes("receipts-" + std::to_string(height));
  for (uint32_t i = 0; i < n_txs; ++i) w.txs.push_back(tx_hash(height, i));
  w.state_writes[to_bytes("height")] = to_bytes(std::to_string(height));
  w.state_writes[to_bytes("k" + std::to_string(height))] = to_bytes("v" + std::to_string(height));
  return w;
}

std::unique_ptr<BlockStore> open_store(const TempDir& dir) {
  auto r = BlockStore::open(dir.str());
  EXPECT_TRUE(r.ok()) << r.error().message;
  return std::move(r).value();
}

const Hash32 kGenesisHash = hash_of(0);

// The value of a read that must not fail (absent is fine).
template <typename T>
std::optional<T> read(BlockStore::Lookup<T> r) {
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : std::nullopt;
}

void expect_tip(const BlockStore& s, uint64_t height) {
  auto tip = read(s.tip());
  ASSERT_TRUE(tip);
  EXPECT_EQ(tip->height, height);
  EXPECT_EQ(tip->hash, hash_of(height));
  EXPECT_EQ(tip->state_root, hash_of(height, 0x55));
  EXPECT_EQ(tip->time_ms, 1000 + height);
}

// Everything block `height` wrote is readable.
void expect_block(const BlockStore& s, uint64_t height, size_t n_txs = 2) {
  EXPECT_EQ(read(s.block_at(height)), to_bytes("block-" + std::to_string(height)));
  EXPECT_EQ(read(s.height_of(hash_of(height))), height);
  EXPECT_EQ(read(s.receipts_at(height)), to_bytes("receipts-" + std::to_string(height)));
  if (height > 0) {
    EXPECT_EQ(read(s.commit_at(height)), to_bytes("commit-" + std::to_string(height)));
  }
  for (uint32_t i = 0; i < n_txs; ++i) {
    auto loc = read(s.tx_location(tx_hash(height, i)));
    ASSERT_TRUE(loc) << "tx " << i << " of block " << height;
    EXPECT_EQ(loc->height, height);
    EXPECT_EQ(loc->index, i);
  }
  EXPECT_EQ(read(s.get_state(to_bytes("k" + std::to_string(height)))),
            to_bytes("v" + std::to_string(height)));
}

}  // namespace

TEST(BlockStore, FreshDatadirHasNoChain) {
  TempDir dir;
  auto s = open_store(dir);
  EXPECT_FALSE(read(s->genesis_hash()));
  EXPECT_FALSE(read(s->tip()));
  EXPECT_FALSE(read(s->block_at(0)));
  EXPECT_FALSE(read(s->get_state(to_bytes("height"))));
}

TEST(BlockStore, InitGenesisStoresBlockZero) {
  TempDir dir;
  auto s = open_store(dir);
  Status st = s->init_genesis(kGenesisHash, block_write(0));
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(read(s->genesis_hash()), kGenesisHash);
  expect_tip(*s, 0);
  expect_block(*s, 0);
  EXPECT_FALSE(read(s->commit_at(0)));  // genesis has no commit
  EXPECT_EQ(read(s->get_state(to_bytes("height"))), to_bytes("0"));
}

TEST(BlockStore, InitGenesisTwiceFails) {
  TempDir dir;
  auto s = open_store(dir);
  ASSERT_TRUE(s->init_genesis(kGenesisHash, block_write(0)).ok());
  BlockWrite other = block_write(0);
  other.block = to_bytes("another genesis");
  Status st = s->init_genesis(hash_of(0, 1), other);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "storage");
  // The first genesis is untouched.
  EXPECT_EQ(read(s->genesis_hash()), kGenesisHash);
  EXPECT_EQ(read(s->block_at(0)), to_bytes("block-0"));
}

TEST(BlockStore, InitGenesisTwiceFailsAfterBlocks) {
  TempDir dir;
  auto s = open_store(dir);
  ASSERT_TRUE(s->init_genesis(kGenesisHash, block_write(0)).ok());
  ASSERT_TRUE(s->commit_block(block_write(1)).ok());
  EXPECT_FALSE(s->init_genesis(kGenesisHash, block_write(0)).ok());
  expect_tip(*s, 1);
}

TEST(BlockStore, CommitBeforeGenesisFails) {
  TempDir dir;
  auto s = open_store(dir);
  Status st = s->commit_block(block_write(1));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "storage");
  EXPECT_FALSE(read(s->block_at(1)));
}

TEST(BlockStore, CommitHeightMustFollowTip) {
  TempDir dir;
  auto s = open_store(dir);
  ASSERT_TRUE(s->init_genesis(kGenesisHash, block_write(0)).ok());

  Status gap = s->commit_block(block_write(2));
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(gap.error().code, "storage");
  EXPECT_NE(gap.error().message.find("does not follow"), std::string::npos) << gap.error().message;

  Status again = s->commit_block(block_write(0));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "storage");

  ASSERT_TRUE(s->commit_block(block_write(1)).ok());
  Status repeat = s->commit_block(block_write(1));
  ASSERT_FALSE(repeat.ok());
  EXPECT_EQ(repeat.error().code, "storage");
  ASSERT_TRUE(s->commit_block(block_write(2)).ok());
  expect_tip(*s, 2);
}

TEST(BlockStore, RejectedCommitWritesNothing) {
  TempDir dir;
  auto s = open_store(dir);
  ASSERT_TRUE(s->init_genesis(kGenesisHash, block_write(0)).ok());
  ASSERT_FALSE(s->commit_block(block_write(5)).ok());
  EXPECT_FALSE(read(s->block_at(5)));
  EXPECT_FALSE(read(s->height_of(hash_of(5))));
  EXPECT_FALSE(read(s->tx_location(tx_hash(5, 0))));
  EXPECT_FALSE(read(s->get_state(to_bytes("k5"))));
  EXPECT_EQ(read(s->get_state(to_bytes("height"))), to_bytes("0"));
  expect_tip(*s, 0);
}

TEST(BlockStore, CommitBlocksWritesAGroupWholeAndTheLastTipWins) {
  TempDir dir;
  auto s = open_store(dir);
  ASSERT_TRUE(s->init_genesis(kGenesisHash, block_write(0)).ok());
  ASSERT_TRUE(s->commit_blocks({block_write(1), block_write(2), block_write(3)}).ok());
  expect_tip(*s, 3);
  for (uint64_t h = 1; h <= 3; ++h) {
    EXPECT_TRUE(read(s->block_at(h))) << h;
    EXPECT_EQ(read(s->height_of(hash_of(h))), h);
    EXPECT_EQ(read(s->get_state(to_bytes("k" + std::to_string(h)))), to_bytes("v" + std::to_string(h)));
  }
  EXPECT_EQ(read(s->get_state(to_bytes("height"))), to_bytes("3"));  // later blocks' writes win
  EXPECT_TRUE(s->commit_blocks({}).ok());
  expect_tip(*s, 3);
}

TEST(BlockStore, CommitBlocksWithAGapWritesNoneOfThem) {
  TempDir dir;
  auto s = open_store(dir);
  ASSERT_TRUE(s->init_genesis(kGenesisHash, block_write(0)).ok());
  Status gap = s->commit_blocks({block_write(1), block_write(3)});
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(gap.error().code, "storage");
  EXPECT_FALSE(read(s->block_at(1)));  // the first was fine, but the group is refused whole
  EXPECT_FALSE(read(s->get_state(to_bytes("k1"))));
  expect_tip(*s, 0);
  ASSERT_FALSE(s->commit_blocks({block_write(2), block_write(3)}).ok());
  expect_tip(*s, 0);
}

TEST(BlockStore, EveryIndexRoundTrips) {
  TempDir dir;
  auto s = open_store(dir);
  ASSERT_TRUE(s->init_genesis(kGenesisHash, block_write(0)).ok());
  for (uint64_t h = 1; h <= 5; ++h) {
    Status st = s->commit_block(block_write(h, static_cast<size_t>(h)));
    ASSERT_TRUE(st.ok()) << st.error().message;
  }
  expect_tip(*s, 5);
  expect_block(*s, 0);
  for (uint64_t h = 1; h <= 5; ++h) expect_block(*s, h, static_cast<size_t>(h));
  // Later writes of a key replace earlier ones; untouched keys keep their value.
  EXPECT_EQ(read(s->get_state(to_bytes("height"))), to_bytes("5"));
  EXPECT_EQ(read(s->get_state(to_bytes("k1"))), to_bytes("v1"));
  // Unknown lookups are empty, not errors.
  EXPECT_FALSE(read(s->block_at(6)));
  EXPECT_FALSE(read(s->commit_at(6)));
  EXPECT_FALSE(read(s->receipts_at(6)));
  EXPECT_FALSE(read(s->height_of(hash_of(6))));
  EXPECT_FALSE(read(s->tx_location(tx_hash(6, 0))));
  EXPECT_FALSE(read(s->get_state(to_bytes("k6"))));
}

TEST(BlockStore, TxIndexHandlesLargeIndicesAndHeights) {
  TempDir dir;
  auto s = open_store(dir);
  ASSERT_TRUE(s->init_genesis(kGenesisHash, block_write(0)).ok());
  BlockWrite w = block_write(1, 0);
  for (uint32_t i = 0; i < 300; ++i) {
    Hash32 h{};
    h[0] = 0xEE;
    h[30] = static_cast<uint8_t>(i >> 8);
    h[31] = static_cast<uint8_t>(i);
    w.txs.push_back(h);
  }
  ASSERT_TRUE(s->commit_block(w).ok());
  for (uint32_t i : {0u, 255u, 256u, 299u}) {
    auto loc = read(s->tx_location(w.txs[i]));
    ASSERT_TRUE(loc);
    EXPECT_EQ(loc->height, 1u);
    EXPECT_EQ(loc->index, i);
  }
}

TEST(BlockStore, ReopenAfterCloseKeepsEverything) {
  TempDir dir;
  {
    auto s = open_store(dir);
    ASSERT_TRUE(s->init_genesis(kGenesisHash, block_write(0)).ok());
    ASSERT_TRUE(s->commit_block(block_write(1)).ok());
    ASSERT_TRUE(s->commit_block(block_write(2)).ok());
  }  // closed here
  auto s = open_store(dir);
  EXPECT_EQ(read(s->genesis_hash()), kGenesisHash);
  expect_tip(*s, 2);
  for (uint64_t h = 0; h <= 2; ++h) expect_block(*s, h);
  // And the chain continues where it stopped.
  ASSERT_TRUE(s->commit_block(block_write(3)).ok());
  expect_tip(*s, 3);
}

TEST(BlockStore, SecondOpenOfALockedDatadirFails) {
  TempDir dir;
  auto first = open_store(dir);
  auto second = BlockStore::open(dir.str());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "storage");
  EXPECT_NE(second.error().message.find(dir.str()), std::string::npos) << second.error().message;
  // The first handle still works.
  EXPECT_TRUE(first->init_genesis(kGenesisHash, block_write(0)).ok());
}

TEST(BlockStore, OpenSucceedsAgainAfterTheLockIsReleased) {
  TempDir dir;
  { auto first = open_store(dir); }
  auto again = BlockStore::open(dir.str());
  EXPECT_TRUE(again.ok()) << again.error().message;
}

TEST(BlockStore, OpenOfAnUncreatableDirFails) {
  TempDir dir;
  // A regular file where the database directory should be.
  std::string file = dir.str() + "/not-a-dir";
  std::FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  auto r = BlockStore::open(file + "/db");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "storage");
}

TEST(BlockStore, EmptyStateValueDeletesTheKey) {
  // vm/state.h: an empty value in a write set means the key is absent.
  TempDir dir;
  auto s = open_store(dir);
  ASSERT_TRUE(s->init_genesis(kGenesisHash, block_write(0)).ok());
  ASSERT_TRUE(read(s->get_state(to_bytes("k0"))));
  BlockWrite w = block_write(1);
  w.state_writes[to_bytes("k0")] = Bytes{};
  ASSERT_TRUE(s->commit_block(w).ok());
  EXPECT_FALSE(read(s->get_state(to_bytes("k0"))));
  EXPECT_EQ(read(s->get_state(to_bytes("k1"))), to_bytes("v1"));
}

// A read view (a LevelDB snapshot) keeps the tip and the state of the moment it was taken while later
// blocks commit: a long read through it (the supply audit) sees one block's state whole.
TEST(BlockStore, AReadViewKeepsItsTipAndStateWhileLaterBlocksCommit) {
  TempDir dir;
  auto s = open_store(dir);
  ASSERT_TRUE(s->init_genesis(kGenesisHash, block_write(0)).ok());
  ASSERT_TRUE(s->commit_block(block_write(1)).ok());
  const BlockStore::ReadView view = s->read_view();
  BlockWrite w2 = block_write(2);
  w2.state_writes[to_bytes("k0")] = Bytes{};  // deleted after the view was taken
  ASSERT_TRUE(s->commit_block(w2).ok());
  ASSERT_TRUE(s->commit_block(block_write(3)).ok());

  auto then = read(s->tip(view));
  ASSERT_TRUE(then);
  EXPECT_EQ(then->height, 1u);
  EXPECT_EQ(then->hash, hash_of(1));
  EXPECT_EQ(read(s->get_state(to_bytes("height"), view)), to_bytes("1"));
  EXPECT_EQ(read(s->get_state(to_bytes("k0"), view)), to_bytes("v0")) << "deleted only later";
  EXPECT_FALSE(read(s->get_state(to_bytes("k2"), view))) << "written only later";
  auto scanned = s->scan_state(to_bytes("k"), {}, 100, view);
  ASSERT_TRUE(scanned.ok()) << scanned.error().message;
  ASSERT_EQ(scanned->size(), 2u);
  EXPECT_EQ((*scanned)[0].first, to_bytes("k0"));
  EXPECT_EQ((*scanned)[1].first, to_bytes("k1"));

  // Without a view, the reads see the latest block.
  expect_tip(*s, 3);
  EXPECT_FALSE(read(s->get_state(to_bytes("k0"))));
  auto latest = s->scan_state(to_bytes("k"), {}, 100);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->size(), 3u);  // k1, k2, k3
}

// physisd budgets max_open_files against RLIMIT_NOFILE; a value LevelDB would silently clip is refused
// instead, so the budget is what the store really uses.
TEST(BlockStore, MaxOpenFilesOutsideTheRangeIsRefused) {
  TempDir dir;
  for (int files : {0, -1, kMinOpenFiles - 1, kMaxOpenFiles + 1}) {
    StoreOptions options;
    options.max_open_files = files;
    auto store = BlockStore::open(dir.str(), options);
    ASSERT_FALSE(store.ok()) << files;
    EXPECT_EQ(store.error().code, "storage");
    EXPECT_NE(
        store.error().message.find("max_open_files must be from 74 to 50000, got " + std::to_string(files)),
        std::string::npos)
        << store.error().message;
  }
}

TEST(BlockStore, OpensWithTheSmallestFileBudget) {
  TempDir dir;
  StoreOptions options;
  options.max_open_files = kMinOpenFiles;
  auto store = BlockStore::open(dir.str(), options);
  ASSERT_TRUE(store.ok()) << store.error().message;
  ASSERT_TRUE((*store)->init_genesis(kGenesisHash, block_write(0)).ok());
  ASSERT_TRUE((*store)->commit_block(block_write(1)).ok());
  const auto tip = (*store)->tip();
  ASSERT_TRUE(tip.ok() && tip->has_value());
  EXPECT_EQ((*tip)->height, 1u);
}
