// Challenged beacons (doc/depin.md "Beacons"): who is challenged at a height, and the hashes of the
// commit/reveal exchange. Pure functions of their arguments, shared by the VM and the tools that
// build proofs (physis-devsim), so both sides compute the same challenge.
//
// Thread-safety: pure; safe to call concurrently.
#pragma once

#include <cstdint>

#include "util/bytes.h"

namespace physis::vm {

// The challenge threshold for `beacons_per_device_per_epoch` challenges per `epoch_blocks` blocks:
// ⌊2^64 × beacons / epoch_blocks⌋, saturating at 2^64 − 1 (beacons ≥ epoch_blocks). epoch_blocks > 0.
uint64_t challenge_threshold(uint64_t beacons_per_device_per_epoch, uint64_t epoch_blocks);

// The first 8 bytes, big-endian, of keccak256(block hash ‖ device id).
uint64_t challenge_value(const Hash32& block_hash, const Address& device);

// True when `device` is challenged at the height whose block hash is `block_hash`: its
// challenge_value is below `threshold`. A saturated threshold (2^64 − 1) challenges every device.
bool is_challenged(const Hash32& block_hash, const Address& device, uint64_t threshold);

// Secrets and receipts are SHA-256 (doc/depin.md "Beacons"): a BEACON commits
// beacon_commitment(secret) = SHA-256(secret); a witness records beacon_receipt = SHA-256(secret ‖
// witness id). Secrets are 32 bytes.
inline constexpr size_t kBeaconSecretBytes = 32;
Hash32 beacon_commitment(ByteSpan secret);
Hash32 beacon_receipt(ByteSpan secret, const Address& witness);

}  // namespace physis::vm
