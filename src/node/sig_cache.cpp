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
    const bool valid = verified_.find(id) != nullptr;
    if (valid || failed_.find(id)) {
      ++hits_;
      return valid;
    }
  }
  ++verifications_;
  bool valid = false;
  if (key_type == vm::kKeyP256 || key_type == vm::kCertP256AnyS) {
    auto key = p256_key(public_key);
    valid = key && key->verify(digest, signature, /*require_low_s=*/key_type == vm::kKeyP256);
  } else {
    valid = vm::verify_device_signature(key_type, public_key, digest, signature);
  }
  std::lock_guard lock(mutex_);
  (valid ? verified_ : failed_).insert(id, true);
  return valid;
}

std::optional<Address> SignatureCache::recover(const Hash32& digest, ByteSpan signature) const {
  std::string id;
  id.reserve(digest.size() + signature.size());
  id.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  id.append(reinterpret_cast<const char*>(signature.data()), signature.size());
  {
    std::lock_guard lock(mutex_);
    if (const Address* signer = recovered_.find(id)) {
      ++hits_;
      return *signer;
    }
    if (recover_failed_.find(id)) {
      ++hits_;
      return std::nullopt;
    }
  }
  ++verifications_;
  const std::optional<Address> signer = vm::recover_signer(digest, signature);
  std::lock_guard lock(mutex_);
  if (signer)
    recovered_.insert(id, *signer);
  else
    recover_failed_.insert(id, true);
  return signer;
}

std::optional<crypto::P256VerifyKey> SignatureCache::p256_key(ByteSpan public_key) const {
  std::string id(reinterpret_cast<const char*>(public_key.data()), public_key.size());
  {
    std::lock_guard lock(keys_mutex_);
    if (const auto* key = p256_keys_.find(id)) return *key;
  }
  auto key = crypto::P256VerifyKey::parse(public_key);
  if (!key) return std::nullopt;
  std::lock_guard lock(keys_mutex_);
  p256_keys_.insert(id, *key);
  return key;
}

SignatureCache::Stats SignatureCache::stats() const {
  std::lock_guard lock(mutex_);
  return {verified_.size() + recovered_.size(), failed_.size() + recover_failed_.size(), hits_.load(),
          verifications_.load()};
}

}  // namespace physis::node
