#include "node/sig_cache.h"

namespace physis::node {

bool SignatureCache::verify(uint32_t key_type, ByteSpan public_key, const Hash32& digest,
                            ByteSpan signature) const {
  std::string id;
  id.reserve(1 + public_key.size() + digest.size() + signature.size());
  id.push_back(static_cast<char>(key_type));
  id.append(reinterpret_cast<const char*>(public_key.data()), public_key.size());
  id.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  id.append(reinterpret_cast<const char*>(signature.data()), signature.size());
  {
    std::lock_guard lock(mutex_);
    if (verified_.count(id)) return true;
  }
  bool valid = false;
  if (key_type == vm::kKeyP256 || key_type == vm::kCertP256AnyS) {
    auto key = p256_key(public_key);
    valid = key && key->verify(digest, signature, /*require_low_s=*/key_type == vm::kKeyP256);
  } else {
    valid = vm::verify_device_signature(key_type, public_key, digest, signature);
  }
  if (!valid) return false;
  std::lock_guard lock(mutex_);
  if (verified_.size() >= max_entries_) verified_.clear();
  verified_.insert(std::move(id));
  return true;
}

std::optional<crypto::P256VerifyKey> SignatureCache::p256_key(ByteSpan public_key) const {
  std::string id(reinterpret_cast<const char*>(public_key.data()), public_key.size());
  {
    std::lock_guard lock(keys_mutex_);
    if (auto it = p256_keys_.find(id); it != p256_keys_.end()) return it->second;
  }
  auto key = crypto::P256VerifyKey::parse(public_key);
  if (!key) return std::nullopt;
  std::lock_guard lock(keys_mutex_);
  if (p256_keys_.size() >= max_entries_ / 4) p256_keys_.clear();
  p256_keys_.emplace(std::move(id), *key);
  return key;
}

size_t SignatureCache::size() const {
  std::lock_guard lock(mutex_);
  return verified_.size();
}

}  // namespace physis::node
