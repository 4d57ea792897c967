#include "node/keyfile.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace physis::node {

Result<crypto::PrivateKey> read_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error("key_file", "cannot read key file " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  auto doc = nlohmann::json::parse(ss.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("private_key") ||
      !doc["private_key"].is_string())
    return make_error("key_file", "key file " + path + " is not a Physis key file (JSON with private_key)");
  auto key = from_hex_fixed<32>(doc["private_key"].get<std::string>());
  if (!key) return make_error("key_file", "key file " + path + ": private_key must be 32 bytes of hex");
  auto pub = crypto::public_key_of(*key);
  if (!pub) return make_error("key_file", "key file " + path + ": private_key is not a valid secp256k1 key");
  if (doc.contains("address")) {
    if (!doc["address"].is_string())
      return make_error("key_file", "key file " + path + ": address must be a string");
    auto addr = crypto::parse_address(doc["address"].get<std::string>());
    if (!addr || *addr != crypto::address_of(*pub))
      return make_error("key_file", "key file " + path + ": address does not match the private key");
  }
  return *key;
}

Status write_key_file(const std::string& path, const crypto::PrivateKey& key) {
  auto pub = crypto::public_key_of(key);
  if (!pub) return make_error("key_file", "invalid private key");
  nlohmann::json doc = {{"type", "secp256k1"},
                        {"address", crypto::address_to_string(crypto::address_of(*pub))},
                        {"private_key", to_hex0x(key)}};
  std::string text = doc.dump(2) + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return make_error("key_file", "cannot create " + path + ": " + std::strerror(errno));
  ssize_t n = ::write(fd, text.data(), text.size());
  bool ok = n == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return make_error("key_file", "cannot write " + path);
  return ok_status();
}

}  // namespace physis::node
