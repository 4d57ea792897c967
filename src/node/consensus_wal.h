// The consensus write-ahead log (DESIGN §6, doc/consensus-safety.md "Consensus WAL"): what the consensus
// driver received and decided at the current height, so that a restarted validator resumes its round
// instead of starting it over. Records are opaque bytes to the WAL (the driver writes Protobuf-encoded
// engine inputs and its own votes); the WAL only frames, checksums, orders and bounds them.
//
// File: the 8-byte header "PHYSWAL1", then frames
//     u32 body length ‖ u32 CRC-32C of (the 4 length bytes ‖ body) ‖ body,   body = u8 kind ‖ data
// (big-endian). Kind 1 is a height marker (data = u64 height, written by start_height); kind 2 is a
// record (data = the caller's bytes). A record belongs to the height of the last marker before it.
//
// Crash safety: a frame is appended with one write and, with sync_each_record, fdatasync'd before
// append() returns. A crash can therefore leave only a torn last frame; open() keeps the longest prefix
// of valid frames and truncates the rest (logged), so a frame that fails its length or CRC check, and
// everything after it, is gone. Rotation (start_height over the size bound) writes a new file beside
// the old one and renames it into place, so a crash leaves either the old or the new file whole.
//
// Thread-safety: none; one owner (the consensus driver's thread) uses a ConsensusWal.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/bytes.h"
#include "util/result.h"

namespace physis::node {

// The file name of the WAL inside the datadir.
inline constexpr std::string_view kConsensusWalFile = "consensus.wal";

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF).
// crc32c("123456789") == 0xE3069283.
uint32_t crc32c(ByteSpan data);

struct WalOptions {
  bool sync_each_record = true;           // fdatasync after every frame (off only in tests/benchmarks)
  uint64_t max_file_bytes = 64ull << 20;  // start_height rotates when the file is larger than this
  uint32_t max_record_bytes = 32u << 20;  // larger records are refused; a longer frame is corrupt
};

enum class WalEntryKind : uint8_t { kHeight = 1, kRecord = 2 };

struct WalEntry {
  WalEntryKind kind = WalEntryKind::kRecord;
  uint64_t height = 0;  // the marker's height; for a record, that of the last marker before it (0: none)
  Bytes payload;        // a record's bytes; empty for a marker
};

// The valid prefix of a WAL file.
struct WalScan {
  std::vector<WalEntry> entries;  // every valid frame, in file order
  uint64_t valid_bytes = 0;       // header plus valid frames
  uint64_t file_bytes = 0;        // the file's size; more than valid_bytes when the tail is torn or corrupt
  std::string stop_reason;        // why the scan stopped before the end ("" when it reached the end)
};

// Reads the WAL at `path` without changing it, stopping at the first frame that is torn, too long,
// fails its CRC or has an unknown kind. Error "wal" when the file cannot be read or does not start with
// the header (a file that is not a WAL is never truncated).
Result<WalScan> read_wal(const std::string& path, const WalOptions& options = {});

// The records written at `height` (under any marker for it), in order.
std::vector<Bytes> records_at_height(const std::vector<WalEntry>& entries, uint64_t height);

class ConsensusWal {
 public:
  // Opens the WAL at `path`, creating it (header only) when missing. A torn or corrupt tail is truncated
  // and logged; truncated_bytes() says how much was dropped. Error "wal" on I/O failure or a file that
  // is not a WAL.
  static Result<std::unique_ptr<ConsensusWal>> open(const std::string& path, const WalOptions& options = {});
  ~ConsensusWal();

  // Appends one record (opaque bytes, at most max_record_bytes). Error "wal"; after a failed write the
  // WAL refuses further appends (the tail may be torn; reopen to truncate it).
  Status append(ByteSpan record);
  // Marks the start of `height` (not below the last marker's). When the file is larger than
  // max_file_bytes, the heights before are dropped first: the file is replaced by one holding only
  // this marker (their blocks are committed in the block store, so the driver no longer needs them).
  Status start_height(uint64_t height);
  // fdatasync now (for callers that turned sync_each_record off).
  Status sync();

  uint64_t size() const { return size_; }                        // bytes in the file
  uint64_t truncated_bytes() const { return truncated_bytes_; }  // dropped by open()
  uint64_t last_height() const { return last_height_; }          // of the last marker (0: none)
  const std::string& path() const { return path_; }

  ConsensusWal(const ConsensusWal&) = delete;
  ConsensusWal& operator=(const ConsensusWal&) = delete;

 private:
  ConsensusWal(std::string path, WalOptions options, int fd, uint64_t size, uint64_t truncated,
               uint64_t last_height);
  Status write_frame(WalEntryKind kind, ByteSpan data);

  const std::string path_;
  const WalOptions options_;
  int fd_ = -1;  // opened for appending
  uint64_t size_ = 0;
  uint64_t truncated_bytes_ = 0;
  uint64_t last_height_ = 0;
  bool failed_ = false;
};

}  // namespace physis::node
