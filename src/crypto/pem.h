// Reading P-256 private keys from PEM files (tools only: physis-cli, physis-devsim; never consensus).
#pragma once

#include <string>

#include "crypto/p256.h"
#include "util/result.h"

namespace physis::crypto {

// Accepts "EC PRIVATE KEY" (SEC 1) and "PRIVATE KEY" (PKCS#8) PEM text for a P-256 key, as written by
// `openssl ecparam -genkey` / `openssl genpkey`. Error "bad_key" says why.
Result<P256PrivateKey> p256_private_key_from_pem(const std::string& pem);
// Reads the file, then parses it. Error "bad_key" names the file.
Result<P256PrivateKey> p256_private_key_from_pem_file(const std::string& path);

}  // namespace physis::crypto
