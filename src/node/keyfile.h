// Key files: JSON {"type":"secp256k1","address":"0x…","private_key":"0x…"}, mode 0600.
// The format `physis-cli key new` writes and `physisd --validator-key` reads.
#pragma once

#include <string>

#include "crypto/secp256k1.h"
#include "util/result.h"

namespace physis::node {

// Error "key_file" says why (missing, unreadable, not JSON, address does not match the key).
Result<crypto::PrivateKey> read_key_file(const std::string& path);
// Creates the file with mode 0600; refuses to overwrite an existing file.
Status write_key_file(const std::string& path, const crypto::PrivateKey& key);

}  // namespace physis::node
