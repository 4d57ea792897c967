// DePIN state layout (doc/depin.md): typed key prefixes and load/store of the records.
// Values are canonical protobuf; an empty value means "absent" (and is deleted from storage).
#pragma once

#include <optional>

#include "primitives/codec.h"
#include "primitives/physis.pb.h"
#include "vm/state.h"

namespace physis::vm {

inline constexpr uint8_t kAnchorPrefix = 'n';       // 'n' ‖ anchor id(32) → Anchor
inline constexpr uint8_t kRevokedKeyPrefix = 'k';   // 'k' ‖ key id(32) → u64 height (8 bytes BE)
inline constexpr uint8_t kDevicePrefix = 'd';       // 'd' ‖ device id(20) → Device
inline constexpr uint8_t kOwnerIndexPrefix = 'o';   // 'o' ‖ owner(20) ‖ device id(20) → 0x01
inline constexpr uint8_t kAnchorIndexPrefix = 'm';  // 'm' ‖ anchor id(32) ‖ device id(20) → 0x01
inline constexpr uint8_t kEpochPrefix = 'E';        // 'E' ‖ epoch(8) → EpochRecord
inline constexpr uint8_t kEpochDevicePrefix = 'x';  // 'x' ‖ epoch(8) ‖ device id(20) → 0x01 (earned weight)
inline constexpr uint8_t kRewardPrefix = 'r';       // 'r' ‖ device id(20) ‖ epoch(8) → RewardRecord
inline constexpr uint8_t kBlockHashPrefix = 'b';  // 'b' ‖ height(8) → block hash(32)
inline constexpr uint8_t kSupplyKey = 's';        // 's' → SupplyRecord
// 'i' ‖ raw_key_id(device key)(32) → device id(20): one device per key, whatever the evidence kind.
inline constexpr uint8_t kDeviceKeyIndexPrefix = 'i';
// 'w' ‖ beaconer(20) → Beacon: the device's last beacon, its pending witnesses and the witnesses
// rewarded for it in the epoch it names (doc/depin.md "Beacons").
inline constexpr uint8_t kBeaconPrefix = 'w';

// 'u' ‖ consumer(20) → u64 BE: the seq of the consumer's last accepted usage receipt.
inline constexpr uint8_t kUsageSeqPrefix = 'u';

Bytes prefixed_key(uint8_t prefix, ByteSpan a, ByteSpan b = {});
Bytes u64_key(uint8_t prefix, uint64_t v, ByteSpan rest = {});
inline const Bytes kIndexMarker{0x01};

// Loads a protobuf record; nullopt if absent. State holds only canonical encodings (decode_canonical):
// a record that does not decode canonically is a corrupt database, never a default value. It is
// reported to `state.report_corrupt` (a StateOverlay then fails the block) and returned as nullopt.
template <typename M>
std::optional<M> load_record(const StateReader& state, const Bytes& key) {
  auto raw = state.get(key);
  if (!raw || raw->empty()) return std::nullopt;
  M m;
  if (!decode_canonical(*raw, m, m.GetTypeName())) {
    state.report_corrupt(key, m.GetTypeName());
    return std::nullopt;
  }
  return m;
}

Bytes anchor_key(const Hash32& id);
Bytes device_key(const Address& id);
Bytes device_key_index_key(const Hash32& raw_key_id);
Bytes epoch_key(uint64_t epoch);
Bytes reward_key(const Address& device, uint64_t epoch);
Bytes block_hash_key(uint64_t height);
Bytes beacon_key(const Address& beaconer);
// The height a key id is revoked from, or nullopt. A stored value that is not 8 bytes is reported as
// corrupt (see load_record).
std::optional<uint64_t> key_revoked_at(const StateReader& state, const Hash32& key_id);

}  // namespace physis::vm
