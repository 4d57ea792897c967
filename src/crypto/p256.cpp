#include "crypto/p256.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace physis::crypto {

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct BnClearFree {
  void operator()(BIGNUM* p) const { BN_clear_free(p); }
};
struct BnCtxFree {
  void operator()(BN_CTX* p) const { BN_CTX_free(p); }
};
struct GroupFree {
  void operator()(EC_GROUP* p) const { EC_GROUP_free(p); }
};
struct PointFree {
  void operator()(EC_POINT* p) const { EC_POINT_free(p); }
};
struct SigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

using Scalar = std::array<uint8_t, 32>;

constexpr Scalar half_order() {
  Scalar half{};
  uint8_t carry = 0;
  for (size_t i = 0; i < 32; ++i) {
    half[i] = static_cast<uint8_t>((kP256Order[i] >> 1) | (carry << 7));
    carry = kP256Order[i] & 1;
  }
  return half;
}
constexpr Scalar kHalfOrder = half_order();

// Big-endian comparison of two integers of equal width: <0, 0 or >0.
int compare(ByteSpan a, ByteSpan b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

bool is_zero(ByteSpan a) {
  return std::all_of(a.begin(), a.end(), [](uint8_t b) { return b == 0; });
}

// n - s for 0 < s < n (no borrow out).
Scalar order_minus(ByteSpan s) {
  Scalar out{};
  int borrow = 0;
  for (size_t i = 32; i-- > 0;) {
    int d = static_cast<int>(kP256Order[i]) - static_cast<int>(s[i]) - borrow;
    borrow = d < 0 ? 1 : 0;
    out[i] = static_cast<uint8_t>(d + (borrow << 8));
  }
  return out;
}

// The P-256 domain parameters as an EVP_PKEY with no key in it. Built once, then only read: OpenSSL allows
// concurrent read-only use of an EVP_PKEY, and EVP_PKEY_copy_parameters only reads its source. Copying from
// it is the cheapest non-deprecated way to give a fresh EVP_PKEY its group (about 15% faster per verify than
// EVP_PKEY_fromdata).
const EVP_PKEY* p256_params() {
  static const EVP_PKEY* params = [] {
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* out = nullptr;
    if (!ctx || EVP_PKEY_paramgen_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_group_name(ctx.get(), "prime256v1") != 1 ||
        EVP_PKEY_paramgen(ctx.get(), &out) != 1) {
      ERR_clear_error();
      return static_cast<EVP_PKEY*>(nullptr);
    }
    return out;  // lives for the whole process
  }();
  return params;
}

// An EVP_PKEY holding the public point; null if the encoding is not a valid uncompressed P-256 point.
Pkey public_pkey(ByteSpan public_key) {
  if (public_key.size() != 65 || public_key[0] != 0x04) return nullptr;
  const EVP_PKEY* params = p256_params();
  if (params == nullptr) return nullptr;
  Pkey key(EVP_PKEY_new());
  // set1_encoded_public_key decodes with EC_POINT_oct2point: coordinates must be < p and on the curve.
  if (!key || EVP_PKEY_copy_parameters(key.get(), params) != 1 ||
      EVP_PKEY_set1_encoded_public_key(key.get(), public_key.data(), public_key.size()) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return key;
}

// Appends a minimal DER INTEGER for the non-negative big-endian value `v` (v non-zero).
void append_der_integer(Bytes& out, ByteSpan v) {
  size_t start = 0;
  while (start + 1 < v.size() && v[start] == 0) ++start;
  const bool pad = (v[start] & 0x80) != 0;
  out.push_back(0x02);
  out.push_back(static_cast<uint8_t>(v.size() - start + (pad ? 1 : 0)));
  if (pad) out.push_back(0x00);
  out.insert(out.end(), v.begin() + static_cast<ptrdiff_t>(start), v.end());
}

// Ecdsa-Sig-Value DER of raw r ‖ s, the form OpenSSL's verifier takes. At most 72 bytes: short-form lengths.
Bytes der_signature(ByteSpan raw) {
  Bytes body;
  body.reserve(70);
  append_der_integer(body, raw.first(32));
  append_der_integer(body, raw.subspan(32));
  Bytes out{0x30, static_cast<uint8_t>(body.size())};
  append(out, body);
  return out;
}

// Checks that need no key: 64 bytes, r and s in [1, n-1], and low S if required.
bool signature_acceptable(ByteSpan signature, bool require_low_s) {
  if (signature.size() != 64) return false;
  if (!p256_scalar_in_range(signature.first(32)) || !p256_scalar_in_range(signature.subspan(32)))
    return false;
  return !require_low_s || p256_is_low_s(signature);
}

// OpenSSL's ECDSA verification of raw r ‖ s (already range-checked) under `key`. EVP_PKEY_CTX_new_from_pkey
// only reads the key, so one key may be used by many threads at once.
bool verify_with(EVP_PKEY* key, const Hash32& digest, ByteSpan signature) {
  const Bytes der = der_signature(signature);
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  const bool ok = ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
                  EVP_PKEY_verify(ctx.get(), der.data(), der.size(), digest.data(), digest.size()) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

}  // namespace

bool p256_scalar_in_range(ByteSpan scalar) {
  return scalar.size() == 32 && !is_zero(scalar) && compare(scalar, kP256Order) < 0;
}

P256PrivateKey p256_generate() {
  P256PrivateKey key{};
  do {
    if (RAND_priv_bytes(key.data(), static_cast<int>(key.size())) != 1)
      throw std::runtime_error("OS random number generator failed");
  } while (!p256_scalar_in_range(key));
  return key;
}

std::optional<P256PublicKey> p256_public_key(const P256PrivateKey& key) {
  if (!p256_scalar_in_range(key)) return std::nullopt;
  std::unique_ptr<EC_GROUP, GroupFree> group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  std::unique_ptr<BN_CTX, BnCtxFree> ctx(BN_CTX_new());
  std::unique_ptr<BIGNUM, BnClearFree> scalar(BN_secure_new());
  if (!group || !ctx || !scalar) return std::nullopt;
  BN_set_flags(scalar.get(), BN_FLG_CONSTTIME);
  std::unique_ptr<EC_POINT, PointFree> point(EC_POINT_new(group.get()));
  P256PublicKey out{};
  if (!point || BN_bin2bn(key.data(), static_cast<int>(key.size()), scalar.get()) == nullptr ||
      EC_POINT_mul(group.get(), point.get(), scalar.get(), nullptr, nullptr, ctx.get()) != 1 ||
      EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(),
                         ctx.get()) != out.size()) {
    ERR_clear_error();
    return std::nullopt;
  }
  return out;
}

std::optional<P256SigningKey> P256SigningKey::create(const P256PrivateKey& key) {
  auto pub = p256_public_key(key);
  if (!pub) return std::nullopt;
  std::unique_ptr<BIGNUM, BnClearFree> scalar(BN_secure_new());
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> build(OSSL_PARAM_BLD_new());
  if (!scalar || !build || BN_bin2bn(key.data(), static_cast<int>(key.size()), scalar.get()) == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_PRIV_KEY, scalar.get()) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, pub->data(), pub->size()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(build.get()));
  PkeyCtx import(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw_pkey = nullptr;
  if (!params || !import || EVP_PKEY_fromdata_init(import.get()) != 1 ||
      EVP_PKEY_fromdata(import.get(), &raw_pkey, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return P256SigningKey(std::shared_ptr<EVP_PKEY>(raw_pkey, EVP_PKEY_free));
}

Result<P256Signature> P256SigningKey::sign(const Hash32& digest) const {
  const auto failure = [] {
    ERR_clear_error();
    return make_error("openssl_failure", "OpenSSL could not produce a P-256 signature");
  };
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr));
  uint8_t der[80];
  size_t der_len = sizeof der;
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_sign(ctx.get(), der, &der_len, digest.data(), digest.size()) != 1)
    return failure();

  const uint8_t* cursor = der;
  std::unique_ptr<ECDSA_SIG, SigFree> sig(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der_len)));
  if (!sig) return failure();
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  P256Signature out{};
  if (BN_bn2binpad(r, out.data(), 32) != 32 || BN_bn2binpad(s, out.data() + 32, 32) != 32) return failure();
  // DESIGN §2/§5: on-chain signatures are low-S; (r, n - s) is the same signature's other form.
  if (!p256_is_low_s(out)) {
    const Scalar low = order_minus(ByteSpan(out).subspan(32));
    std::copy(low.begin(), low.end(), out.begin() + 32);
  }
  return out;
}

Result<P256Signature> p256_sign(const P256PrivateKey& key, const Hash32& digest) {
  auto signer = P256SigningKey::create(key);
  if (!signer) return make_error("bad_private_key", "P-256 private key is zero or not below the group order");
  return signer->sign(digest);
}

bool p256_is_low_s(ByteSpan signature) {
  return signature.size() == 64 && compare(signature.subspan(32), kHalfOrder) <= 0;
}

bool p256_is_valid_public_key(ByteSpan public_key) { return public_pkey(public_key) != nullptr; }

bool p256_verify(ByteSpan public_key, const Hash32& digest, ByteSpan signature, bool require_low_s) {
  if (!signature_acceptable(signature, require_low_s)) return false;
  Pkey key = public_pkey(public_key);
  return key && verify_with(key.get(), digest, signature);
}

std::optional<P256VerifyKey> P256VerifyKey::parse(ByteSpan public_key) {
  Pkey key = public_pkey(public_key);
  if (!key) return std::nullopt;
  return P256VerifyKey(std::shared_ptr<EVP_PKEY>(key.release(), PkeyFree{}));
}

bool P256VerifyKey::verify(const Hash32& digest, ByteSpan signature, bool require_low_s) const {
  return signature_acceptable(signature, require_low_s) && verify_with(key_.get(), digest, signature);
}

}  // namespace physis::crypto
