#include "p2p/node_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace physis::p2p {
namespace {

constexpr const char* kHeader = "physis-node-key-v1";

std::string format_key_file(const NodeKey& key) {
  return std::string(kHeader) + "\npublic " + key.public_z85 + "\nsecret " + key.secret_z85 + "\n";
}

Error key_error(const std::string& path, const std::string& what) {
  return make_error("node_key", "node key file " + path + ": " + what);
}

Result<NodeKey> parse_key_file(const std::string& path, const std::string& text) {
  // Strict: rebuild the exact expected text from the two keys and compare, so stray bytes, CRLF,
  // missing newline or reordered lines are all rejected.
  const std::string pub_prefix = std::string(kHeader) + "\npublic ";
  if (text.size() != pub_prefix.size() + 40 + 8 + 40 + 1 || text.compare(0, pub_prefix.size(), pub_prefix) != 0)
    return key_error(path, "not a Physis node key file (expected header, public and secret lines)");
  NodeKey key;
  key.public_z85 = text.substr(pub_prefix.size(), 40);
  key.secret_z85 = text.substr(pub_prefix.size() + 40 + 8, 40);
  if (format_key_file(key) != text) return key_error(path, "malformed lines");
  if (!is_valid_node_id(key.public_z85) || !is_valid_node_id(key.secret_z85))
    return key_error(path, "keys must be 40 characters of Z85");
  std::array<char, 41> derived{};
  if (zmq_curve_public(derived.data(), key.secret_z85.c_str()) != 0 || key.public_z85 != derived.data())
    return key_error(path, "public key does not match the secret key");
  return key;
}

}  // namespace

Status require_curve() {
  if (!zmq_has("curve"))
    return make_error("no_curve", "libzmq was built without CURVE support; P2P links cannot be encrypted");
  return ok_status();
}

Result<NodeKey> generate_node_key() {
  if (auto s = require_curve(); !s) return s.error();
  std::array<char, 41> pub{};
  std::array<char, 41> sec{};
  if (zmq_curve_keypair(pub.data(), sec.data()) != 0)
    return make_error("key_gen", std::string("zmq_curve_keypair failed: ") + zmq_strerror(zmq_errno()));
  return NodeKey{pub.data(), sec.data()};
}

bool is_valid_node_id(const std::string& text) {
  if (text.size() != 40) return false;
  std::array<uint8_t, 32> raw{};
  return zmq_z85_decode(raw.data(), text.c_str()) != nullptr;
}

Result<NodeKey> load_or_create_node_key(const std::string& path) {
  if (auto s = require_curve(); !s) return s.error();
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if ((st.st_mode & 077) != 0) return key_error(path, "readable by group or others; chmod 600 it");
    std::ifstream in(path, std::ios::binary);
    if (!in) return key_error(path, std::string("cannot read: ") + std::strerror(errno));
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_key_file(path, ss.str());
  }
  if (errno != ENOENT) return key_error(path, std::string("cannot stat: ") + std::strerror(errno));
  auto key = generate_node_key();
  if (!key) return key.error();
  const std::string text = format_key_file(*key);
  // O_EXCL: if another process created the file meanwhile we fail rather than overwrite its identity.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return key_error(path, std::string("cannot create: ") + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok) return key_error(path, std::string("cannot write: ") + std::strerror(errno));
  return key;
}

}  // namespace physis::p2p
