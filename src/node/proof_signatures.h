// Checking the signatures of proofs ahead of apply_block, into the signature cache, where apply_block
// finds the answers (DESIGN §8: verify in parallel, once). Used at mempool admission and by block
// validation for a block whose transactions the node has not seen; the block gas limit counts on the
// latter running on two threads (doc/depin.md "Block gas limit").
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "node/sig_cache.h"
#include "primitives/physis.pb.h"
#include "primitives/transaction.h"
#include "vm/attestation.h"
#include "vm/signatures.h"
#include "vm/state.h"

namespace physis::node {

// A device key as a registration states it: (key type, 65-byte key).
struct DeviceKey {
  uint32_t key_type = 0;
  std::string key;
};
using FreshDevices = std::map<Address, DeviceKey>;

// Registered devices' keys by device id, remembered from state lookups, so that admission does not read
// and decode a device record for every proof (a device proves again and again). Only a hint: the VM
// reads the device from state itself, and the signature cache is keyed by the exact key, so a hint
// that no longer holds costs a verification, never a wrong answer. (It holds while the device exists:
// the id is a hash of the key.) Bounded (2 × `generation` devices); thread-safe.
class DeviceKeyMemo {
 public:
  explicit DeviceKeyMemo(size_t generation = 1 << 16) : keys_(generation) {}
  std::optional<DeviceKey> find(const Address& id) const;
  void remember(const Address& id, const DeviceKey& key) const;

 private:
  struct AddressHasher {
    size_t operator()(const Address& a) const;
  };
  mutable std::mutex mutex_;
  mutable TwoGenerationMap<DeviceKey, Address, AddressHasher> keys_;
};

// For each proof whose device is registered in `state` or, failing that, in `fresh` (devices that
// registrations earlier in the same block would create): the device signature, and the consumer's
// signature of its usage receipt if it has one, each checked through `cache` (answers are memoised
// there, good or bad; a registration that then fails leaves only a memo of a pure function). Proofs of
// unknown devices and malformed ones are skipped: apply_block checks them itself. Runs on two threads
// when there are at least `split_threshold` proofs. Returns how many proofs had a known device.
// `memo`, if given, is asked for a device's key before `state` and learns the keys read from it.
size_t check_proof_signatures(const std::vector<const pb::Proof*>& proofs, const vm::StateReader& state,
                              const std::string& chain_id, const vm::SignatureVerifier& cache,
                              int split_threshold, const FreshDevices* fresh = nullptr,
                              const DeviceKeyMemo* memo = nullptr);

// The devices the RegisterDevice transactions in `txs` would create, by device id.
template <typename Txs>
FreshDevices fresh_devices_of(const Txs& txs) {
  FreshDevices out;
  for (const auto& t : txs) {
    if (!t.tx.body.has_register_device()) continue;
    const pb::AttestationEvidence& ev = t.tx.body.register_device().evidence();
    out.emplace(vm::device_id_of(ev.kind(), as_span(ev.device_key())),
                DeviceKey{static_cast<uint32_t>(ev.key_type()), ev.device_key()});
  }
  return out;
}

// The proofs of every SubmitProofs transaction in `txs`, in block order.
template <typename Txs>
std::vector<const pb::Proof*> proofs_of(const Txs& txs) {
  std::vector<const pb::Proof*> out;
  for (const auto& t : txs)
    if (t.tx.body.has_submit_proofs())
      for (const auto& p : t.tx.body.submit_proofs().proofs()) out.push_back(&p);
  return out;
}

}  // namespace physis::node
