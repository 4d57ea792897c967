#include "node/signer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <tuple>

#include "consensus/sign_bytes.h"
#include "consensus/validator_set.h"
#include "crypto/keccak.h"
#include "util/log.h"

namespace physis::node {

std::string_view sign_step_name(SignStep step) {
  switch (step) {
    case SignStep::kProposal: return "proposal";
    case SignStep::kPrevote: return "prevote";
    case SignStep::kPrecommit: return "precommit";
  }
  return "unknown";
}

Hash32 sign_request_digest(const std::string& chain_id, const SignRequest& r) {
  switch (r.step) {
    case SignStep::kProposal:
      return consensus::proposal_digest(chain_id, r.height, r.round, r.pol_round, r.block_hash);
    case SignStep::kPrevote:
      return consensus::vote_digest(chain_id, consensus::VoteType::kPrevote, r.height, r.round, r.block_hash);
    case SignStep::kPrecommit:
      return consensus::vote_digest(chain_id, consensus::VoteType::kPrecommit, r.height, r.round,
                                    r.block_hash);
  }
  return Hash32{};  // unreachable: every step is listed above
}

namespace {

// ---- the state file (doc/consensus-safety.md "Signer state file") ----
//   "PHYSIS-SIGNER-v1" (16 bytes) ‖ address (20) ‖ u32 len(chain id) ‖ chain id ‖ u8 has_signed ‖
//   u64 height ‖ u32 round ‖ u8 step ‖ block hash (32) ‖ digest (32) ‖ signature (65) ‖
//   keccak256 of everything before (32). Big-endian; the record fields are zero when has_signed is 0.
constexpr std::string_view kMagic = "PHYSIS-SIGNER-v1";
constexpr size_t kMaxStateBytes = 64 * 1024;
constexpr size_t kMaxChainIdBytes = 1024;

Error state_error(const std::string& path, const std::string& why) {
  return make_error("signer_state", "signer state " + path + ": " + why);
}

Bytes encode_state(const Address& address, const std::string& chain_id,
                   const std::optional<SignedRecord>& r) {
  Bytes out;
  append(out, kMagic);
  append(out, address);
  append_u32_be(out, static_cast<uint32_t>(chain_id.size()));
  append(out, chain_id);
  const SignedRecord rec = r.value_or(SignedRecord{});
  out.push_back(r ? 1 : 0);
  append_u64_be(out, rec.height);
  append_u32_be(out, rec.round);
  out.push_back(r ? static_cast<uint8_t>(rec.step) : 0);
  append(out, rec.block_hash);
  append(out, rec.digest);
  append(out, rec.signature);
  const Hash32 check = crypto::keccak256(out);
  append(out, check);
  return out;
}

// A bounds-checked reader over the file bytes; any short read marks it failed.
struct Cursor {
  ByteSpan in;
  size_t pos = 0;
  bool short_read = false;
  ByteSpan take(size_t n) {
    if (short_read || in.size() - pos < n) {
      short_read = true;
      return {};
    }
    ByteSpan s = in.subspan(pos, n);
    pos += n;
    return s;
  }
  uint8_t u8() {
    ByteSpan s = take(1);
    return s.empty() ? 0 : s[0];
  }
  uint32_t u32() {
    ByteSpan s = take(4);
    if (s.empty()) return 0;
    return (uint32_t{s[0]} << 24) | (uint32_t{s[1]} << 16) | (uint32_t{s[2]} << 8) | uint32_t{s[3]};
  }
  uint64_t u64() {
    ByteSpan s = take(8);
    return s.empty() ? 0 : read_u64_be(s);
  }
  template <size_t N>
  std::array<uint8_t, N> fixed() {
    std::array<uint8_t, N> out{};
    ByteSpan s = take(N);
    if (!s.empty()) std::memcpy(out.data(), s.data(), N);
    return out;
  }
};

Result<std::optional<SignedRecord>> decode_state(const std::string& path, ByteSpan bytes,
                                                 const Address& address, const std::string& chain_id) {
  if (bytes.size() < kMagic.size() + 32) return state_error(path, "file is truncated");
  const ByteSpan body = bytes.first(bytes.size() - 32);
  if (crypto::keccak256(body) != [&] {
        Hash32 h;
        std::memcpy(h.data(), bytes.data() + body.size(), 32);
        return h;
      }())
    return state_error(path, "checksum mismatch (the file is corrupt)");
  Cursor c{body};
  if (to_string(c.take(kMagic.size())) != kMagic) return state_error(path, "not a Physis signer state file");
  const Address stored_address = c.fixed<20>();
  const uint32_t chain_len = c.u32();
  if (chain_len > kMaxChainIdBytes) return state_error(path, "chain id length is implausible");
  const std::string stored_chain = to_string(c.take(chain_len));
  const uint8_t has = c.u8();
  SignedRecord r;
  r.height = c.u64();
  r.round = c.u32();
  const uint8_t step = c.u8();
  r.block_hash = c.fixed<32>();
  r.digest = c.fixed<32>();
  r.signature = c.fixed<65>();
  if (c.short_read || c.pos != body.size()) return state_error(path, "file has the wrong length");
  if (stored_address != address)
    return state_error(path, "written for validator " + crypto::address_to_string(stored_address) +
                                 ", not for this key's " + crypto::address_to_string(address));
  if (stored_chain != chain_id)
    return state_error(path, "written for chain \"" + stored_chain + "\", not \"" + chain_id + "\"");
  if (has == 0) return std::optional<SignedRecord>{};
  if (has != 1) return state_error(path, "bad has_signed flag");
  if (step < 1 || step > 3) return state_error(path, "bad step value " + std::to_string(step));
  r.step = static_cast<SignStep>(step);
  return std::optional<SignedRecord>{r};
}

// Writes all of `data` to fd, retrying short writes and EINTR.
bool write_all(int fd, const Bytes& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// tmp + fsync + rename + fsync(dir): after success the new bytes are at `path` across a crash.
Status write_durably(const std::string& path, const Bytes& data) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return state_error(path, "cannot create " + tmp + ": " + std::strerror(errno));
  const bool written = write_all(fd, data) && ::fsync(fd) == 0;
  const int write_errno = errno;
  if (::close(fd) != 0 || !written)
    return state_error(path, "cannot write " + tmp + ": " + std::strerror(written ? errno : write_errno));
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return state_error(path, "cannot rename " + tmp + ": " + std::strerror(errno));
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return state_error(path, "cannot open directory " + dir.string() + ": " + std::strerror(errno));
  const bool synced = ::fsync(dfd) == 0;
  const int sync_errno = errno;
  ::close(dfd);
  if (!synced)
    return state_error(path, "cannot sync directory " + dir.string() + ": " + std::strerror(sync_errno));
  return ok_status();
}

// Reads the whole file; nullopt when it does not exist.
Result<std::optional<Bytes>> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<Bytes>{};
    return state_error(path, std::string("cannot open: ") + std::strerror(errno));
  }
  Bytes data;
  uint8_t buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      return state_error(path, std::string("cannot read: ") + std::strerror(e));
    }
    if (n == 0) break;
    data.insert(data.end(), buf, buf + n);
    if (data.size() > kMaxStateBytes) {
      ::close(fd);
      return state_error(path, "file is larger than any signer state");
    }
  }
  ::close(fd);
  return std::optional<Bytes>{std::move(data)};
}

auto position(uint64_t height, uint32_t round, SignStep step) {
  return std::make_tuple(height, round, static_cast<uint8_t>(step));
}

}  // namespace

Result<std::optional<SignedRecord>> read_signer_state(const std::string& path, const Address& address,
                                                      const std::string& chain_id) {
  auto bytes = read_file(path);
  if (!bytes) return bytes.error();
  if (!*bytes) return state_error(path, "file does not exist");
  return decode_state(path, **bytes, address, chain_id);
}

Signer::Signer(std::string path, const crypto::PrivateKey& key, const Address& address, std::string chain_id,
               std::optional<SignedRecord> last)
    : path_(std::move(path)), key_(key), address_(address), chain_id_(std::move(chain_id)), last_(last) {}

Result<std::unique_ptr<Signer>> Signer::open(const std::string& path, const crypto::PrivateKey& key,
                                             const std::string& chain_id) {
  const auto pub = crypto::public_key_of(key);
  if (!pub) return make_error("bad_key", "the validator key is not a valid secp256k1 key");
  if (chain_id.size() > kMaxChainIdBytes) return make_error("signer_state", "chain id is too long");
  const Address address = crypto::address_of(*pub);

  // A temporary file is a write that never completed its rename, so its signature never left sign().
  const std::string tmp = path + ".tmp";
  std::error_code ec;
  if (std::filesystem::exists(tmp, ec)) {
    LOG_WARN("signer", "removing " << tmp << ", an unfinished state write from before a crash");
    if (!std::filesystem::remove(tmp, ec) || ec)
      return state_error(path, "cannot remove the leftover " + tmp + ": " + ec.message());
  }

  auto bytes = read_file(path);
  if (!bytes) return bytes.error();
  std::optional<SignedRecord> last;
  if (!*bytes) {
    LOG_INFO("signer", "no signer state at " << path << "; starting with nothing signed");
    if (auto st = write_durably(path, encode_state(address, chain_id, std::nullopt)); !st) return st.error();
  } else {
    auto decoded = decode_state(path, **bytes, address, chain_id);
    if (!decoded) return decoded.error();
    last = *decoded;
  }
  return std::unique_ptr<Signer>(new Signer(path, key, address, chain_id, last));
}

std::optional<SignedRecord> Signer::last_signed() const {
  std::lock_guard lock(mutex_);
  return last_;
}

Status Signer::persist(const SignedRecord& record) {
  return write_durably(path_, encode_state(address_, chain_id_, record));
}

Result<crypto::Signature> Signer::sign(const SignRequest& request) {
  const std::string where = std::string(sign_step_name(request.step)) + " at height " +
                            std::to_string(request.height) + " round " + std::to_string(request.round);
  if (request.step == SignStep::kProposal) {
    if (request.block_hash == Hash32{})
      return make_error("bad_sign_request", "a proposal must name a block: " + where);
    if (request.pol_round && *request.pol_round >= request.round)
      return make_error("bad_sign_request", "proof-of-lock round must be below the round: " + where);
  } else if (request.pol_round) {
    return make_error("bad_sign_request", "a vote carries no proof-of-lock round: " + where);
  }
  const Hash32 digest = sign_request_digest(chain_id_, request);

  std::lock_guard lock(mutex_);
  if (failed_)
    return make_error("signer_state",
                      "an earlier state write failed; reopen the signer before signing (" + path_ + ")");
  if (last_) {
    const auto asked = position(request.height, request.round, request.step);
    const auto signed_at = position(last_->height, last_->round, last_->step);
    if (asked < signed_at)
      return make_error("sign_regression", "refusing to sign " + where + ": already signed " +
                                               std::string(sign_step_name(last_->step)) + " at height " +
                                               std::to_string(last_->height) + " round " +
                                               std::to_string(last_->round));
    if (asked == signed_at) {
      if (digest == last_->digest) return last_->signature;  // the same vote again, byte for byte
      return make_error("sign_conflict", "refusing to sign " + where + " for block " +
                                             to_hex0x(request.block_hash) + ": already signed block " +
                                             to_hex0x(last_->block_hash) + " at this step");
    }
  }
  SignedRecord record{request.height,     request.round, request.step,
                      request.block_hash, digest,        crypto::sign_digest(key_, digest)};
  if (auto st = persist(record); !st) {
    failed_ = true;
    LOG_ERROR("signer", "not signing " << where << ": " << st.error().message);
    return st.error();
  }
  last_ = record;
  return record.signature;
}

}  // namespace physis::node
