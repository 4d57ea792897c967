#include "node/proof_signatures.h"

#include <atomic>

#include "util/parallel.h"
#include "vm/depin.h"
#include "vm/depin_state.h"

namespace physis::node {

size_t check_proof_signatures(const std::vector<const pb::Proof*>& proofs, const vm::StateReader& state,
                              const std::string& chain_id, const vm::SignatureVerifier& cache,
                              int split_threshold, const FreshDevices* fresh) {
  std::atomic<size_t> known{0};
  auto run = [&](int begin, int end) {
    size_t found = 0;
    for (int i = begin; i < end; ++i) {
      const pb::Proof& proof = *proofs[static_cast<size_t>(i)];
      // The sizes decode_tx enforces; a proof without them never reaches a signature check.
      if (proof.device_id().size() != 20 || proof.signature().size() != 64) continue;
      const Address id = bytes_to_address(proof.device_id());
      DeviceKey key;
      if (auto device = vm::load_record<pb::Device>(state, vm::device_key(id))) {
        key = {static_cast<uint32_t>(device->key_type()), device->device_key()};
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
