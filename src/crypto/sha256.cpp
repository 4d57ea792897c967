#include "crypto/sha256.h"

#include <openssl/sha.h>

namespace physis::crypto {

Hash32 sha256(ByteSpan data) {
  Hash32 out{};
  SHA256(data.data(), data.size(), out.data());
  return out;
}

}  // namespace physis::crypto
