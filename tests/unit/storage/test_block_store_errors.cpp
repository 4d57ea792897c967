// BlockStore reads tell "absent" from "could not read": NotFound is nullopt; an I/O error or a damaged
// file is error "storage", on a real LevelDB whose table file is corrupted on disk.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "storage/block_store.h"
#include "tests/unit/test_support.h"

using namespace physis;
using namespace physis::storage;

namespace {
using physis::test::TempDir;

BlockWrite genesis_write() {
  BlockWrite w;
  w.tip = {0, Hash32{0x01}, Hash32{0x02}, 1000};
  w.block = to_bytes("block-0");
  w.receipts = to_bytes("receipts-0");
  // Enough data that the table's first data block holds the state key.
  for (int i = 0; i < 64; ++i) w.state_writes[to_bytes("acct" + std::to_string(i))] = Bytes(100, 0x5A);
  return w;
}

std::vector<std::filesystem::path> table_files(const std::string& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".ldb" || e.path().extension() == ".sst") out.push_back(e.path());
  return out;
}
}  // namespace

TEST(BlockStoreErrors, AbsentKeyIsNulloptNotAnError) {
  TempDir dir;
  auto s = BlockStore::open(dir.str());
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_TRUE((*s)->init_genesis(Hash32{0x01}, genesis_write()).ok());
  auto absent = (*s)->get_state(to_bytes("nobody"));
  ASSERT_TRUE(absent.ok()) << absent.error().message;
  EXPECT_FALSE(*absent);
  auto present = (*s)->get_state(to_bytes("acct1"));
  ASSERT_TRUE(present.ok()) << present.error().message;
  EXPECT_EQ(*present, Bytes(100, 0x5A));
}

TEST(BlockStoreErrors, DamagedTableFileIsAReadErrorNotAnAbsentKey) {
  TempDir dir;
  {
    auto s = BlockStore::open(dir.str());
    ASSERT_TRUE(s.ok()) << s.error().message;
    ASSERT_TRUE((*s)->init_genesis(Hash32{0x01}, genesis_write()).ok());
  }
  // Reopening replays the log into a table file.
  { ASSERT_TRUE(BlockStore::open(dir.str()).ok()); }
  auto tables = table_files(dir.str());
  ASSERT_EQ(tables.size(), 1u);
  {
    // Flip bytes inside the first data block (tables start with their data blocks).
    std::fstream f(tables[0], std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f);
    for (std::streamoff off = 16; off < 48; ++off) {
      f.seekg(off);
      char c = 0;
      f.get(c);
      f.seekp(off);
      f.put(static_cast<char>(c ^ 0xFF));
    }
  }
  auto s = BlockStore::open(dir.str());
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto read = (*s)->get_state(to_bytes("acct0"));
  ASSERT_FALSE(read.ok()) << "a damaged record must not read as present or absent";
  EXPECT_EQ(read.error().code, "storage");
  EXPECT_NE(read.error().message.find("state"), std::string::npos) << read.error().message;
  EXPECT_NE(read.error().message.find("restore"), std::string::npos) << read.error().message;
  auto scan = (*s)->scan_state(to_bytes("acct"), {}, 100);
  ASSERT_FALSE(scan.ok());
  EXPECT_EQ(scan.error().code, "storage");
}
