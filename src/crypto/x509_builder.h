// Building P-256 / ecdsa-with-SHA256 X.509 v3 certificates in the strict profile x509.h parses.
// For tools and tests only (physis-devsim, benchmarks): never used to verify anything.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "crypto/p256.h"
#include "util/bytes.h"
#include "util/result.h"

namespace physis::crypto {

// DER SubjectPublicKeyInfo of a P-256 key (id-ecPublicKey, prime256v1, uncompressed point). Anchor
// ids are SHA-256 of exactly these bytes (x509_chain.h spki_id).
Bytes p256_spki_der(const P256PublicKey& pub);

struct CertSpec {
  uint64_t serial = 1;
  std::string issuer_cn;
  std::string subject_cn;
  std::string issuer_o = "Physis Test";
  std::string subject_o = "Physis Test";
  P256PublicKey subject_key{};
  bool is_ca = false;
  std::optional<uint32_t> path_len;  // CA only
  bool key_usage = true;             // keyCertSign|cRLSign for a CA, digitalSignature for a leaf
  std::vector<Bytes> ext_key_usage_oids;  // DER OID contents (without tag and length)
  std::string not_before = "20250101000000Z";  // GeneralizedTime text
  std::string not_after = "20991231235959Z";
};

// The certificate DER, signed by `issuer_key` over SHA-256 of the TBSCertificate. The issuer Name is
// encoded exactly as a subject Name with the same O and CN, so chains compare equal by bytes.
// Error "bad_key" if the issuer key is invalid. Thread-safe.
Result<Bytes> build_certificate(const CertSpec& spec, const P256PrivateKey& issuer_key);

}  // namespace physis::crypto
