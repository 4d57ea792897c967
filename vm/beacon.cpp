#include "vm/beacon.h"

#include "crypto/keccak.h"
#include "crypto/sha256.h"
#include "util/amount.h"

namespace physis::vm {

uint64_t challenge_threshold(uint64_t beacons, uint64_t epoch_blocks) {
  if (beacons >= epoch_blocks) return UINT64_MAX;
  // beacons < epoch_blocks: the quotient is below 2^64. 128-bit integer division, no floating point.
  return static_cast<uint64_t>((static_cast<Amount>(beacons) << 64) / epoch_blocks);  // Amount: 128 bits
}

uint64_t challenge_value(const Hash32& block_hash, const Address& device) {
  Bytes m(block_hash.begin(), block_hash.end());
  append(m, device);
  const Hash32 h = crypto::keccak256(m);
  return read_u64_be(ByteSpan(h.data(), 8));
}

bool is_challenged(const Hash32& block_hash, const Address& device, uint64_t threshold) {
  return threshold == UINT64_MAX || challenge_value(block_hash, device) < threshold;
}

Hash32 beacon_commitment(ByteSpan secret) { return crypto::sha256(secret); }

Hash32 beacon_receipt(ByteSpan secret, const Address& witness) {
  Bytes m(secret.begin(), secret.end());
  append(m, witness);
  return crypto::sha256(m);
}

}  // namespace physis::vm
