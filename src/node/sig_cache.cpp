#include "node/sig_cache.h"

#include <cstring>

#include "crypto/keccak.h"

namespace physis::node {

size_t SignatureCache::KeyHash::operator()(const Hash32& h) const {
  size_t v;
  std::memcpy(&v, h.data(), sizeof v);
  return v;
}

bool SignatureCache::verify(uint32_t key_type, ByteSpan public_key, const Hash32& digest, ByteSpan signature) const {
  const uint8_t type = static_cast<uint8_t>(key_type);
  Hash32 id = crypto::Keccak256().update({&type, 1}).update(public_key).update(digest).update(signature).finish();
  {
    std::lock_guard lock(mutex_);
    if (verified_.count(id)) return true;
  }
  if (!vm::verify_device_signature(key_type, public_key, digest, signature)) return false;
  std::lock_guard lock(mutex_);
  if (verified_.size() >= max_entries_) verified_.clear();
  verified_.insert(id);
  return true;
}

size_t SignatureCache::size() const {
  std::lock_guard lock(mutex_);
  return verified_.size();
}

}  // namespace physis::node
