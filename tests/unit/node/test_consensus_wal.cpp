// The consensus WAL (src/node/consensus_wal.h): round trip, a torn last frame truncated at every byte
// offset, a corrupt frame in the middle dropping everything after it, appending after a truncation,
// rotation at a new height, and files that are not a WAL left alone.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "node/consensus_wal.h"
#include "tests/unit/test_support.h"

using namespace physis;
using namespace physis::node;

namespace {

using physis::test::TempDir;

constexpr size_t kWalHeader = 8;
constexpr size_t kFrameOverhead = 9;  // length, CRC, kind

WalOptions fast() {
  WalOptions o;
  o.sync_each_record = false;  // the tests reopen the file; durability across power loss is not at stake
  return o;
}

std::string wal_path(const TempDir& dir) { return (dir.path() / std::string(kConsensusWalFile)).string(); }

std::unique_ptr<ConsensusWal> open_ok(const std::string& path, const WalOptions& o = fast()) {
  auto w = ConsensusWal::open(path, o);
  EXPECT_TRUE(w.ok()) << w.error().message;
  return w.ok() ? std::move(*w) : nullptr;
}

Bytes rec(const std::string& s) { return to_bytes(s); }

Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const Bytes& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

std::vector<Bytes> all_records(const std::string& path) {
  auto scan = read_wal(path);
  EXPECT_TRUE(scan.ok()) << scan.error().message;
  std::vector<Bytes> out;
  if (!scan.ok()) return out;
  for (const auto& e : scan->entries)
    if (e.kind == WalEntryKind::kRecord) out.push_back(e.payload);
  return out;
}

// A WAL with a height marker and `n` records "record-0" … ; returns the file size before each record.
std::vector<uint64_t> write_records(const std::string& path, int n) {
  auto w = open_ok(path);
  EXPECT_TRUE(w->start_height(1).ok());
  std::vector<uint64_t> offsets;
  for (int i = 0; i < n; ++i) {
    offsets.push_back(w->size());
    EXPECT_TRUE(w->append(rec("record-" + std::to_string(i))).ok());
  }
  offsets.push_back(w->size());
  return offsets;
}

}  // namespace

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc32c(as_span("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c(ByteSpan{}), 0x00000000u);
  Bytes zeros(32, 0x00);
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);  // RFC 3720 B.4: 32 bytes of zeros
  Bytes ones(32, 0xff);
  EXPECT_EQ(crc32c(ones), 0x62A8AB43u);  // RFC 3720 B.4: 32 bytes of 0xff
}

TEST(ConsensusWal, RoundTripKeepsOrderAndHeights) {
  TempDir dir;
  const std::string path = wal_path(dir);
  const Bytes big(100'000, 0x5a);
  {
    auto w = open_ok(path);
    EXPECT_EQ(w->size(), kWalHeader);
    ASSERT_TRUE(w->start_height(7).ok());
    ASSERT_TRUE(w->append(rec("a")).ok());
    ASSERT_TRUE(w->append(Bytes{}).ok());  // an empty record is a record
    ASSERT_TRUE(w->append(big).ok());
    ASSERT_TRUE(w->start_height(8).ok());
    ASSERT_TRUE(w->append(rec("b")).ok());
    EXPECT_EQ(w->size(), kWalHeader + 2 * (kFrameOverhead + 8) + 4 * kFrameOverhead + 2 + big.size());
  }
  auto scan = read_wal(path);
  ASSERT_TRUE(scan.ok()) << scan.error().message;
  EXPECT_EQ(scan->valid_bytes, scan->file_bytes);
  EXPECT_EQ(scan->stop_reason, "");
  ASSERT_EQ(scan->entries.size(), 6u);
  EXPECT_EQ(scan->entries[0].kind, WalEntryKind::kHeight);
  EXPECT_EQ(scan->entries[0].height, 7u);
  EXPECT_EQ(scan->entries[1].payload, rec("a"));
  EXPECT_EQ(scan->entries[1].height, 7u);
  EXPECT_TRUE(scan->entries[2].payload.empty());
  EXPECT_EQ(scan->entries[3].payload, big);
  EXPECT_EQ(scan->entries[4].kind, WalEntryKind::kHeight);
  EXPECT_EQ(scan->entries[5].height, 8u);
  EXPECT_EQ(records_at_height(scan->entries, 7), (std::vector<Bytes>{rec("a"), Bytes{}, big}));
  EXPECT_EQ(records_at_height(scan->entries, 8), (std::vector<Bytes>{rec("b")}));
  auto reopened = open_ok(path);
  EXPECT_EQ(reopened->truncated_bytes(), 0u);
  EXPECT_EQ(reopened->last_height(), 8u);
}

TEST(ConsensusWal, SyncedAppendsRoundTrip) {
  TempDir dir;
  const std::string path = wal_path(dir);
  {
    auto w = open_ok(path, WalOptions{});  // fdatasync per record, the default
    ASSERT_TRUE(w->start_height(1).ok());
    ASSERT_TRUE(w->append(rec("durable")).ok());
    ASSERT_TRUE(w->sync().ok());
  }
  EXPECT_EQ(all_records(path), (std::vector<Bytes>{rec("durable")}));
}

TEST(ConsensusWal, TornTailAtEveryOffsetOfTheLastRecordIsTruncated) {
  TempDir dir;
  const std::string path = wal_path(dir);
  const std::vector<uint64_t> offsets = write_records(path, 3);
  const Bytes whole = read_bytes(path);
  const uint64_t last_start = offsets[2];
  ASSERT_EQ(whole.size(), offsets[3]);
  for (uint64_t cut = last_start + 1; cut < whole.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    write_bytes(path, Bytes(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut)));
    auto w = open_ok(path);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->truncated_bytes(), cut - last_start);
    EXPECT_EQ(w->size(), last_start);
    EXPECT_EQ(std::filesystem::file_size(path), last_start);
    EXPECT_EQ(all_records(path), (std::vector<Bytes>{rec("record-0"), rec("record-1")}));
  }
}

TEST(ConsensusWal, CorruptCrcInTheMiddleDropsTheRest) {
  TempDir dir;
  const std::string path = wal_path(dir);
  const std::vector<uint64_t> offsets = write_records(path, 5);
  Bytes data = read_bytes(path);
  data[offsets[2] + kFrameOverhead + 3] ^= 0x20;  // a payload byte of record 2
  write_bytes(path, data);

  auto scan = read_wal(path);
  ASSERT_TRUE(scan.ok());
  EXPECT_EQ(scan->stop_reason, "CRC mismatch");
  EXPECT_EQ(scan->valid_bytes, offsets[2]);

  auto w = open_ok(path);
  EXPECT_EQ(w->truncated_bytes(), offsets[5] - offsets[2]);
  EXPECT_EQ(all_records(path), (std::vector<Bytes>{rec("record-0"), rec("record-1")}));
}

TEST(ConsensusWal, DamagedLengthDropsTheRest) {
  TempDir dir;
  const std::string path = wal_path(dir);
  const std::vector<uint64_t> offsets = write_records(path, 3);
  // Record 1's length set to zero, to past the end of the file, and to past the record bound.
  for (auto [index, value] : {std::pair<size_t, uint8_t>{3, 0x00}, {0, 0x01}, {0, 0x7f}}) {
    Bytes data = read_bytes(path);
    for (size_t i = 0; i < 4; ++i) data[offsets[1] + i] = 0;
    data[offsets[1] + index] = value;
    write_bytes(path + ".copy", data);
    auto scan = read_wal(path + ".copy");
    ASSERT_TRUE(scan.ok());
    EXPECT_EQ(scan->valid_bytes, offsets[1]) << int{value};
    EXPECT_NE(scan->stop_reason, "") << int{value};
  }
  // A length that is merely one byte shorter is caught by the CRC, which covers the length.
  Bytes data = read_bytes(path);
  data[offsets[1] + 3] -= 1;
  write_bytes(path, data);
  auto w = open_ok(path);
  EXPECT_EQ(all_records(path), (std::vector<Bytes>{rec("record-0")}));
}

TEST(ConsensusWal, AppendAfterTruncationContinuesTheLog) {
  TempDir dir;
  const std::string path = wal_path(dir);
  const std::vector<uint64_t> offsets = write_records(path, 3);
  Bytes data = read_bytes(path);
  data.resize(offsets[2] + 5);  // torn in record 2's header
  write_bytes(path, data);
  {
    auto w = open_ok(path);
    EXPECT_EQ(w->truncated_bytes(), 5u);
    EXPECT_EQ(w->last_height(), 1u);
    ASSERT_TRUE(w->append(rec("after-crash")).ok());
    ASSERT_TRUE(w->start_height(2).ok());
    ASSERT_TRUE(w->append(rec("next-height")).ok());
  }
  auto w = open_ok(path);
  EXPECT_EQ(w->truncated_bytes(), 0u);
  auto scan = read_wal(path);
  ASSERT_TRUE(scan.ok());
  EXPECT_EQ(records_at_height(scan->entries, 1),
            (std::vector<Bytes>{rec("record-0"), rec("record-1"), rec("after-crash")}));
  EXPECT_EQ(records_at_height(scan->entries, 2), (std::vector<Bytes>{rec("next-height")}));
}

TEST(ConsensusWal, StartHeightRotatesAPastTheBoundFile) {
  TempDir dir;
  const std::string path = wal_path(dir);
  WalOptions o = fast();
  o.max_file_bytes = 1'000;
  auto w = open_ok(path, o);
  ASSERT_TRUE(w->start_height(1).ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(w->append(rec(std::string(50, 'x'))).ok());
  ASSERT_TRUE(w->start_height(2).ok());  // 8 + 17 + 10·59 = 615 bytes: under the bound, appended
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(w->append(rec(std::string(50, 'y'))).ok());
  ASSERT_GT(w->size(), o.max_file_bytes);
  ASSERT_TRUE(w->start_height(3).ok());  // over the bound: heights 1 and 2 are dropped
  EXPECT_EQ(w->size(), kWalHeader + kFrameOverhead + 8);
  ASSERT_TRUE(w->append(rec("z")).ok());
  auto scan = read_wal(path);
  ASSERT_TRUE(scan.ok());
  ASSERT_EQ(scan->entries.size(), 2u);
  EXPECT_EQ(scan->entries[0].height, 3u);
  EXPECT_EQ(records_at_height(scan->entries, 3), (std::vector<Bytes>{rec("z")}));
  EXPECT_TRUE(records_at_height(scan->entries, 1).empty());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(ConsensusWal, HeightMayNotGoBack) {
  TempDir dir;
  auto w = open_ok(wal_path(dir));
  ASSERT_TRUE(w->start_height(5).ok());
  ASSERT_TRUE(w->start_height(5).ok());  // a restart at the same height marks it again
  auto st = w->start_height(4);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "wal");
}

TEST(ConsensusWal, OversizeRecordIsRefused) {
  TempDir dir;
  WalOptions o = fast();
  o.max_record_bytes = 16;
  auto w = open_ok(wal_path(dir), o);
  EXPECT_TRUE(w->append(Bytes(16, 1)).ok());
  auto st = w->append(Bytes(17, 1));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "wal");
  EXPECT_EQ(all_records(wal_path(dir)).size(), 1u);
}

TEST(ConsensusWal, AFileThatIsNotAWalIsLeftAlone) {
  TempDir dir;
  const std::string path = wal_path(dir);
  const Bytes other = to_bytes("this is somebody else's file");
  write_bytes(path, other);
  auto w = ConsensusWal::open(path, fast());
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, "wal");
  EXPECT_EQ(read_bytes(path), other);
}

TEST(ConsensusWal, UnknownFrameKindEndsTheValidPrefix) {
  TempDir dir;
  const std::string path = wal_path(dir);
  const std::vector<uint64_t> offsets = write_records(path, 2);
  // Rewrite record 1 as a well-checksummed frame of kind 9 (a future version's kind).
  Bytes data = read_bytes(path);
  data.resize(offsets[1]);
  Bytes body = {9, 'q'};
  Bytes covered;
  append_u32_be(covered, static_cast<uint32_t>(body.size()));
  append(covered, body);
  append_u32_be(data, static_cast<uint32_t>(body.size()));
  append_u32_be(data, crc32c(covered));
  append(data, body);
  write_bytes(path, data);
  auto scan = read_wal(path);
  ASSERT_TRUE(scan.ok());
  EXPECT_EQ(scan->stop_reason, "unknown frame kind 9");
  EXPECT_EQ(scan->valid_bytes, offsets[1]);
}

TEST(ConsensusWal, LeftoverRotationFileIsDiscarded) {
  TempDir dir;
  const std::string path = wal_path(dir);
  write_records(path, 2);
  write_bytes(path + ".tmp", to_bytes("PHYSWAL1 half a rotation"));
  auto w = open_ok(path);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  EXPECT_EQ(all_records(path).size(), 2u);
}
