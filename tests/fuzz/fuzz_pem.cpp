// Fuzz harness: PEM private keys (crypto/pem.h), read by physis-cli and physis-devsim from files a user
// names. The parsing is OpenSSL's; our part is the group check and the scalar extraction around it.
// Invariant: an accepted key is a valid P-256 scalar (it has a public key).
#include <cstdlib>
#include <string>

#include "crypto/pem.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto key = physis::crypto::p256_private_key_from_pem(std::string(reinterpret_cast<const char*>(data), size));
  if (key.ok() && !physis::crypto::p256_public_key(*key).has_value()) std::abort();
  return 0;
}
