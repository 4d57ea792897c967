#include "node/proof_signatures.h"

#include <atomic>
#include <cstring>

#include "util/parallel.h"
#include "vm/depin.h"
#include "vm/depin_state.h"

namespace physis::node {

size_t DeviceKeyMemo::AddressHasher::operator()(const Address& a) const {
  // A device id is the tail of a Keccak hash: its first bytes are already uniform.
  size_t h = 0;
  std::memcpy(&h, a.data(), sizeof h);
  return h;
}

std::optional<DeviceKey> DeviceKeyMemo::find(const Address& id) const {
  std::lock_guard lock(mutex_);
  if (const DeviceKey* key = keys_.find(id)) return *key;
  return std::nullopt;
}

void DeviceKeyMemo::remember(const Address& id, const DeviceKey& key) const {
  std::lock_guard lock(mutex_);
  keys_.insert(id, key);
}

size_t check_proof_signatures(const std::vector<const pb::Proof*>& proofs, const vm::StateReader& state,
                              const std::string& chain_id, const vm::SignatureVerifier& cache,
                              int split_threshold, const FreshDevices* fresh, const DeviceKeyMemo* memo) {
  std::atomic<size_t> known{0};
  auto run = [&](int begin, int end) {
    size_t found = 0;
    for (int i = begin; i < end; ++i) {
      const pb::Proof& proof = *proofs[static_cast<size_t>(i)];
      // The sizes decode_tx enforces; a proof without them never reaches a signature check.
      if (proof.device_id().size() != 20 || proof.signature().size() != 64) continue;
      const Address id = bytes_to_address(proof.device_id());
      DeviceKey key;
      if (auto remembered = memo ? memo->find(id) : std::nullopt) {
        key = std::move(*remembered);
      } else if (auto device = vm::load_record<pb::Device>(state, vm::device_key(id))) {
        key = {static_cast<uint32_t>(device->key_type()), device->device_key()};
        if (memo) memo->remember(id, key);
      } else {
        const auto it = fresh ? fresh->find(id) : FreshDevices::const_iterator{};
        if (!fresh || it == fresh->end()) continue;
        key = it->second;
      }
      ++found;
      cache.verify(key.key_type, as_span(key.key), vm::proof_digest(chain_id, proof),
                   as_span(proof.signature()));
      if (proof.payload().has_usage()) {
        const pb::UsageReceipt& u = proof.payload().usage();
        if (u.signature().size() == 65)
          (void)cache.recover(vm::usage_digest(chain_id, id, u), as_span(u.signature()));
      }
    }
    known += found;
  };
  run_split(static_cast<int>(proofs.size()), split_threshold, run);
  return known.load();
}

}  // namespace physis::node
