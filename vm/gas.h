// Gas costs of native payloads (STYLE: gas in constexpr tables). Gas is known from the payload before
// execution, so a transaction's gas used is its intrinsic gas: the payload's gas below plus
// payload_byte_gas of its encoded size.
#pragma once

#include <cstdint>

namespace physis::vm::gas {

inline constexpr uint64_t kRegisterAnchor = 50'000;
inline constexpr uint64_t kRevoke = 30'000;
// Up to five P-256 verifications on one thread (a chain of up to 3 certificate signatures, the proof of
// possession, the location signature) and the certificates' parsing: 350,000 keeps a registration's
// signature work per gas below a one-proof transaction's, which sets the block gas limit (doc/depin.md
// "Block gas limit"). Before: 150,000, which with a location signature priced it above a transfer's.
inline constexpr uint64_t kRegisterDevice = 350'000;
inline constexpr uint64_t kUpdateDevice = 30'000;
inline constexpr uint64_t kSubmitProofsBase = 21'000;
// One P-256 verification plus a device read and write, priced like a transfer's work: a transfer pays
// transfer_gas = 21,000 for one secp256k1 recovery (and its account reads and writes), so a proof pays
// 21,000 × (cost of a P-256 verification / cost of a secp256k1 recovery). Measured with
// build/bin/bench_depin (issue 8; CPU time per operation on 1 thread, OpenSSL P-256 against
// libsecp256k1 recovery; eight runs on the shared 2-core development box while other builds ran, load
// average 4-6): P-256 verification 62.3-67.5 us (97.3 us in one run beside two compiler jobs),
// secp256k1 recovery 45.6-53.1 us (61.4 us), ratio 1.20-1.43 (1.58). The conservative figure is the
// highest ratio: 21,000 × 1.58 = 33,180, rounded up to 34,000 (a ratio of 1.62). Before: 6,000,
// which priced a P-256 verification at 0.29 recoveries. doc/depin.md "Transactions and gas" derives the
// block gas limit from these figures.
inline constexpr uint64_t kPerProof = 34'000;
// A BEACON_REVEAL judges up to vm::kMaxPendingWitnesses (64) pending witnesses (doc/depin.md
// "Beacons"): per witness one SHA-256 of 52 bytes and, when rewarded, a device read, settle and write —
// far below a P-256 verification (kPerProof): 600 gas each. Charged for the whole bound on every reveal
// proof, on top of kPerProof, so that gas stays known from the payload.
inline constexpr uint64_t kPerJudgedWitness = 600;
inline constexpr uint64_t kPerBeaconReveal = 64 * kPerJudgedWitness;
inline constexpr uint64_t kClaimBase = 21'000;
inline constexpr uint64_t kPerClaim = 5'000;

// Gas per payload byte (doc/protocol.md "Gas"), added to every payload's gas above: bytes a transaction
// carries cost what they cost a transfer, whatever field they sit in.
//
// Why 180: a devnet transfer is at least 119 bytes on the wire (chain id "physis-devnet-1", nonce 0,
// gas limit 21,000, gas price 1, a 1-unit amount) and pays transfer_gas = 21,000: 21,000 / 119 = 176.5
// gas per byte, the most any devnet transfer pays per byte. 180 >= 176.5, so no byte in a payload costs
// less than a transfer's bytes. Before, a 128 KiB ref_block_hash rode in a one-proof batch for 27,000
// gas: 0.2 gas per byte, about 1,000 times cheaper than a transfer. A payload of the whole 128 KiB now
// pays about (131,072 - 64) x 180 = 23.6 M gas (0.11 of the devnet block gas limit).
//
// The first kFreePayloadBytes are covered by the payload's own gas: every transfer payload (a 20-byte
// address and an amount of at most 16 bytes, at most 40 bytes encoded), every revocation (at most 45) and
// every UpdateDevice (at most 60) fits, so they cost what they did. The envelope around the payload (a chain
// id of at most 64 bytes, four varints, a 65-byte signature: at most about 180 bytes) is also covered by the
// base: it cannot grow, and a wrong chain id never enters a block.
inline constexpr uint64_t kFreePayloadBytes = 64;
inline constexpr uint64_t kPerPayloadByte = 180;

// kPerPayloadByte for each payload byte beyond kFreePayloadBytes. Saturates instead of wrapping (a
// decoded payload is at most 128 KiB, far below the saturation point).
constexpr uint64_t payload_byte_gas(uint64_t payload_bytes) {
  if (payload_bytes <= kFreePayloadBytes) return 0;
  const uint64_t charged = payload_bytes - kFreePayloadBytes;
  return charged > UINT64_MAX / kPerPayloadByte ? UINT64_MAX : charged * kPerPayloadByte;
}

}  // namespace physis::vm::gas
