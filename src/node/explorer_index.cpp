#include "node/explorer_index.h"

#include "primitives/codec.h"
#include "primitives/transaction.h"
#include "vm/depin_state.h"

namespace physis::node {

Bytes reward_index_prefix(const Address& device) { return vm::prefixed_key(kRewardIndex, device); }

Bytes reward_index_key(const Address& device, uint64_t epoch) {
  Bytes key = reward_index_prefix(device);
  append_u64_be(key, epoch);
  return key;
}

Bytes epoch_earner_index_prefix(uint64_t epoch) { return vm::u64_key(kEpochEarnerIndex, epoch); }

Bytes epoch_earner_index_key(uint64_t epoch, const Address& device) {
  return vm::u64_key(kEpochEarnerIndex, epoch, device);
}

std::vector<std::pair<Bytes, Bytes>> explorer_index_writes(const vm::BlockResult& result, uint64_t height,
                                                           uint64_t epoch_blocks) {
  std::vector<std::pair<Bytes, Bytes>> out;
  const uint64_t block_epoch = height / epoch_blocks;
  const auto& receipts = result.receipts;
  for (size_t i = 0; i < receipts.size(); ++i) {
    for (const auto& pr : receipts[i].proofs()) {
      Bytes where;
      append_u64_be(where, height);
      append_u32_be(where, static_cast<uint32_t>(i));
      append_u32_be(where, pr.index());
      Bytes value = encode_canonical(pr);
      if (pr.device_id().size() == std::tuple_size_v<Address>)
        out.emplace_back(vm::prefixed_key(kProofsByDeviceIndex, as_span(pr.device_id()), where), value);
      out.emplace_back(vm::u64_key(kProofsByEpochIndex, block_epoch, where), std::move(value));
    }
  }
  for (const auto& rr : result.explorer.rewards)  // device_id: the 20-byte id settle() wrote
    out.emplace_back(reward_index_key(bytes_to_address(rr.device_id()), rr.epoch()), encode_canonical(rr));
  for (const auto& [epoch, device] : result.explorer.epoch_earners)
    out.emplace_back(epoch_earner_index_key(epoch, device), vm::kIndexMarker);
  return out;
}

}  // namespace physis::node
