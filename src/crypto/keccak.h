// Keccak-256 (the original Keccak padding 0x01, as Ethereum uses; not NIST SHA3-256).
#pragma once

#include "util/bytes.h"

namespace physis::crypto {

// Incremental hasher. Not thread-safe; cheap to construct.
class Keccak256 {
 public:
  Keccak256& update(ByteSpan data);
  Hash32 finish();  // may be called once

 private:
  uint64_t state_[25] = {};
  uint8_t buffer_[136] = {};
  size_t buffered_ = 0;
};

Hash32 keccak256(ByteSpan data);

}  // namespace physis::crypto
