#include "crypto/pem.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace physis::crypto {

Result<P256PrivateKey> p256_private_key_from_pem(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                BIO_free);
  if (!bio) return make_error("bad_key", "out of memory");
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!pkey) return make_error("bad_key", "not a PEM private key");
  char group[64] = {0};
  size_t len = 0;
  if (!EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) ||
      std::string(group) != "prime256v1")
    return make_error("bad_key", "PEM key is not a P-256 (prime256v1) EC key");
  BIGNUM* bn = nullptr;
  if (!EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_PRIV_KEY, &bn))
    return make_error("bad_key", "PEM key has no private scalar");
  P256PrivateKey key{};
  int ok = BN_bn2binpad(bn, key.data(), static_cast<int>(key.size()));
  BN_clear_free(bn);
  if (ok != 32) return make_error("bad_key", "PEM private scalar does not fit 32 bytes");
  return key;
}

Result<P256PrivateKey> p256_private_key_from_pem_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error("bad_key", "cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto k = p256_private_key_from_pem(ss.str());
  if (!k) return make_error("bad_key", path + ": " + k.error().message);
  return k;
}

}  // namespace physis::crypto
