// SHA-256 through OpenSSL (DESIGN §5: OpenSSL only for hashing and signature checks).
#pragma once

#include "util/bytes.h"

namespace physis::crypto {

// Thread-safe.
Hash32 sha256(ByteSpan data);

}  // namespace physis::crypto
