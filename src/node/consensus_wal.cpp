#include "node/consensus_wal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "util/log.h"

namespace physis::node {

namespace {

constexpr std::string_view kHeader = "PHYSWAL1";
constexpr size_t kFrameHeaderBytes = 8;  // u32 length ‖ u32 crc

// The byte-at-a-time table of the reflected CRC-32C polynomial, built at compile time.
constexpr std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = make_crc_table();

uint32_t read_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

Error wal_error(const std::string& path, const std::string& why) {
  return make_error("wal", "consensus WAL " + path + ": " + why);
}
Error wal_errno(const std::string& path, const std::string& what) {
  return wal_error(path, what + ": " + std::strerror(errno));
}

bool write_all(int fd, const uint8_t* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

Result<Bytes> read_whole(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return wal_errno(path, "cannot open");
  Bytes data;
  std::array<uint8_t, 1 << 16> buf;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error e = wal_errno(path, "cannot read");
      ::close(fd);
      return e;
    }
    if (n == 0) break;
    data.insert(data.end(), buf.begin(), buf.begin() + n);
  }
  ::close(fd);
  return data;
}

Bytes frame(WalEntryKind kind, ByteSpan data) {
  Bytes out;
  out.reserve(kFrameHeaderBytes + 1 + data.size());
  append_u32_be(out, static_cast<uint32_t>(data.size() + 1));
  append_u32_be(out, 0);  // the CRC, filled in below
  out.push_back(static_cast<uint8_t>(kind));
  append(out, data);
  // The CRC covers the length too, so a damaged length cannot pass as a shorter valid frame.
  Bytes covered(out.begin(), out.begin() + 4);
  covered.insert(covered.end(), out.begin() + kFrameHeaderBytes, out.end());
  const uint32_t crc = crc32c(covered);
  for (int i = 0; i < 4; ++i) out[4 + static_cast<size_t>(i)] = static_cast<uint8_t>(crc >> (24 - 8 * i));
  return out;
}

Bytes height_data(uint64_t height) {
  Bytes d;
  append_u64_be(d, height);
  return d;
}

Status sync_dir_of(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return wal_errno(path, "cannot open its directory");
  const bool ok = ::fsync(dfd) == 0;
  Error e = wal_errno(path, "cannot sync its directory");
  ::close(dfd);
  if (!ok) return e;
  return ok_status();
}

// Writes `contents` as the whole file at `path`, atomically: temporary file, fsync, rename, fsync(dir).
Status replace_file(const std::string& path, const Bytes& contents) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return wal_errno(tmp, "cannot create");
  const bool ok = write_all(fd, contents.data(), contents.size()) && ::fsync(fd) == 0;
  Error e = wal_errno(tmp, "cannot write");
  ::close(fd);
  if (!ok) return e;
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return wal_errno(path, "cannot rename the new file into place");
  return sync_dir_of(path);
}

}  // namespace

uint32_t crc32c(ByteSpan data) {
  uint32_t c = 0xFFFFFFFFu;
  for (uint8_t b : data) c = kCrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

Result<WalScan> read_wal(const std::string& path, const WalOptions& options) {
  auto read = read_whole(path);
  if (!read) return read.error();
  const Bytes& data = *read;
  WalScan scan;
  scan.file_bytes = data.size();
  if (data.size() < kHeader.size() || to_string(ByteSpan(data).first(kHeader.size())) != kHeader)
    return wal_error(path, "does not start with the WAL header; refusing to touch it");
  size_t pos = kHeader.size();
  uint64_t height = 0;
  while (pos < data.size()) {
    if (data.size() - pos < kFrameHeaderBytes) {
      scan.stop_reason = "torn frame header";
      break;
    }
    const uint32_t length = read_u32(&data[pos]);
    const uint32_t crc = read_u32(&data[pos + 4]);
    if (length == 0 || length > uint64_t{options.max_record_bytes} + 1) {
      scan.stop_reason = "frame length " + std::to_string(length) + " out of range";
      break;
    }
    if (data.size() - pos - kFrameHeaderBytes < length) {
      scan.stop_reason = "torn frame body";
      break;
    }
    const ByteSpan body(&data[pos + kFrameHeaderBytes], length);
    Bytes covered(data.begin() + static_cast<std::ptrdiff_t>(pos),
                  data.begin() + static_cast<std::ptrdiff_t>(pos + 4));
    append(covered, body);
    if (crc32c(covered) != crc) {
      scan.stop_reason = "CRC mismatch";
      break;
    }
    WalEntry entry;
    if (body[0] == static_cast<uint8_t>(WalEntryKind::kHeight) && body.size() == 9) {
      entry.kind = WalEntryKind::kHeight;
      height = read_u64_be(body.subspan(1));
    } else if (body[0] == static_cast<uint8_t>(WalEntryKind::kRecord)) {
      entry.kind = WalEntryKind::kRecord;
      entry.payload.assign(body.begin() + 1, body.end());
    } else {
      scan.stop_reason = "unknown frame kind " + std::to_string(body[0]);
      break;
    }
    entry.height = height;
    scan.entries.push_back(std::move(entry));
    pos += kFrameHeaderBytes + length;
  }
  scan.valid_bytes = pos;
  return scan;
}

std::vector<Bytes> records_at_height(const std::vector<WalEntry>& entries, uint64_t height) {
  std::vector<Bytes> out;
  for (const WalEntry& e : entries)
    if (e.kind == WalEntryKind::kRecord && e.height == height) out.push_back(e.payload);
  return out;
}

ConsensusWal::ConsensusWal(std::string path, WalOptions options, int fd, uint64_t size, uint64_t truncated,
                           uint64_t last_height)
    : path_(std::move(path)),
      options_(options),
      fd_(fd),
      size_(size),
      truncated_bytes_(truncated),
      last_height_(last_height) {}

ConsensusWal::~ConsensusWal() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<ConsensusWal>> ConsensusWal::open(const std::string& path, const WalOptions& options) {
  std::error_code ec;
  // A leftover temporary file is a rotation that never reached its rename; the old file is whole.
  std::filesystem::remove(path + ".tmp", ec);
  if (!std::filesystem::exists(path, ec)) {
    if (ec) return wal_error(path, "cannot stat: " + ec.message());
    if (auto st = replace_file(path, to_bytes(kHeader)); !st) return st.error();
  }
  auto scan = read_wal(path, options);
  if (!scan) return scan.error();
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return wal_errno(path, "cannot open for appending");
  uint64_t truncated = 0;
  if (scan->valid_bytes < scan->file_bytes) {
    truncated = scan->file_bytes - scan->valid_bytes;
    LOG_WARN("wal", "truncating " << truncated << " bytes after offset " << scan->valid_bytes << " of "
                                  << path << " (" << scan->stop_reason << "); " << scan->entries.size()
                                  << " valid frames kept");
    if (::ftruncate(fd, static_cast<off_t>(scan->valid_bytes)) != 0 || ::fsync(fd) != 0) {
      Error e = wal_errno(path, "cannot truncate the torn tail");
      ::close(fd);
      return e;
    }
  }
  uint64_t last_height = 0;
  for (const WalEntry& e : scan->entries)
    if (e.kind == WalEntryKind::kHeight) last_height = e.height;
  return std::unique_ptr<ConsensusWal>(
      new ConsensusWal(path, options, fd, scan->valid_bytes, truncated, last_height));
}

Status ConsensusWal::write_frame(WalEntryKind kind, ByteSpan data) {
  if (failed_) return wal_error(path_, "an earlier write failed; reopen the WAL to truncate its tail");
  const Bytes f = frame(kind, data);
  if (!write_all(fd_, f.data(), f.size())) {
    failed_ = true;
    return wal_errno(path_, "cannot append");
  }
  size_ += f.size();
  if (options_.sync_each_record && ::fdatasync(fd_) != 0) {
    failed_ = true;
    return wal_errno(path_, "cannot sync");
  }
  return ok_status();
}

Status ConsensusWal::append(ByteSpan record) {
  if (record.size() > options_.max_record_bytes)
    return wal_error(path_, "record of " + std::to_string(record.size()) + " bytes is larger than the " +
                                std::to_string(options_.max_record_bytes) + "-byte limit");
  return write_frame(WalEntryKind::kRecord, record);
}

Status ConsensusWal::start_height(uint64_t height) {
  if (height < last_height_)
    return wal_error(path_, "height " + std::to_string(height) + " is below the last marker's " +
                                std::to_string(last_height_));
  if (size_ <= options_.max_file_bytes) {
    if (auto st = write_frame(WalEntryKind::kHeight, height_data(height)); !st) return st;
    last_height_ = height;
    return ok_status();
  }
  if (failed_) return wal_error(path_, "an earlier write failed; reopen the WAL to truncate its tail");
  // Rotation: a new file with only this marker replaces the old one in one rename.
  Bytes contents = to_bytes(kHeader);
  physis::append(contents, frame(WalEntryKind::kHeight, height_data(height)));
  if (auto st = replace_file(path_, contents); !st) {
    failed_ = true;
    return st;
  }
  const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) {
    failed_ = true;
    return wal_errno(path_, "cannot reopen after rotation");
  }
  LOG_INFO("wal", "rotated " << path_ << " at height " << height << " (" << size_ << " bytes dropped)");
  ::close(fd_);
  fd_ = fd;
  size_ = contents.size();
  last_height_ = height;
  return ok_status();
}

Status ConsensusWal::sync() {
  if (::fdatasync(fd_) != 0) return wal_errno(path_, "cannot sync");
  return ok_status();
}

}  // namespace physis::node
