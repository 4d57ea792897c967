// The consensus engine's snapshot (consensus::EngineSnapshot) as a WAL record (node/consensus_wal.h):
// what the driver writes after each input that changed it and restores a restarted validator from
// (doc/consensus-safety.md). Big-endian, fixed layout:
//   'S' ‖ u64 height ‖ u32 round ‖ u8 step ‖ opt locked ‖ u64 locked_round ‖ opt valid ‖ u64 valid_round ‖
//   u32 n ‖ n × (u8 type ‖ u64 height ‖ u32 round ‖ opt block ‖ 20-byte validator) ‖
//   u32 m ‖ m × (u64 height ‖ u32 round ‖ 32-byte block ‖ u64 pol_round ‖ 20-byte proposer)
// where opt = u8 present ‖ 32 bytes (zero when absent) and rounds −1 are stored as 2^64 − 1.
// Pure functions, thread-safe.
#pragma once

#include <optional>

#include "consensus/engine.h"
#include "util/bytes.h"

namespace physis::node {

Bytes encode_snapshot(const consensus::EngineSnapshot& snapshot);
// nullopt for bytes that are not exactly one snapshot (wrong tag, truncated, trailing bytes, bad step
// or vote type).
std::optional<consensus::EngineSnapshot> decode_snapshot(ByteSpan bytes);

}  // namespace physis::node
