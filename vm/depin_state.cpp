#include "vm/depin_state.h"

namespace physis::vm {

Bytes prefixed_key(uint8_t prefix, ByteSpan a, ByteSpan b) {
  Bytes k;
  k.reserve(1 + a.size() + b.size());
  k.push_back(prefix);
  append(k, a);
  append(k, b);
  return k;
}

Bytes u64_key(uint8_t prefix, uint64_t v, ByteSpan rest) {
  Bytes be;
  append_u64_be(be, v);
  return prefixed_key(prefix, be, rest);
}

Bytes anchor_key(const Hash32& id) { return prefixed_key(kAnchorPrefix, id); }
Bytes device_key(const Address& id) { return prefixed_key(kDevicePrefix, id); }
Bytes device_key_index_key(const Hash32& raw_key_id) {
  return prefixed_key(kDeviceKeyIndexPrefix, raw_key_id);
}
Bytes epoch_key(uint64_t epoch) { return u64_key(kEpochPrefix, epoch); }
Bytes block_hash_key(uint64_t height) { return u64_key(kBlockHashPrefix, height); }
Bytes beacon_key(const Address& beaconer) { return prefixed_key(kBeaconPrefix, beaconer); }

Bytes reward_key(const Address& device, uint64_t epoch) {
  Bytes be;
  append_u64_be(be, epoch);
  return prefixed_key(kRewardPrefix, device, be);
}

std::optional<uint64_t> key_revoked_at(const StateReader& state, const Hash32& key_id) {
  const Bytes key = prefixed_key(kRevokedKeyPrefix, key_id);
  auto raw = state.get(key);
  if (!raw || raw->empty()) return std::nullopt;
  if (raw->size() != 8) {
    state.report_corrupt(key, "key revocation height");
    return std::nullopt;
  }
  return read_u64_be(*raw);
}

}  // namespace physis::vm
