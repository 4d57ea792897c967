// Building P-256 / ecdsa-with-SHA256 X.509 v3 certificates in the strict profile that x509.h parses, with
// the DER encoder of der_writer.h. For tools and tests only (physis-devsim, benchmarks, unit tests): never
// used to verify anything.
//
// Thread-safety: every function is pure apart from the random ECDSA nonce of p256_sign, and may run
// concurrently. Two builds of the same spec differ only in the signature.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/p256.h"
#include "util/bytes.h"
#include "util/result.h"

namespace physis::crypto {

// DER SubjectPublicKeyInfo of a P-256 key: SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING
// holding the 65-byte uncompressed point }. Anchor ids are SHA-256 of exactly these bytes (x509_chain.h
// spki_id), and they equal Certificate::spki_der of a certificate built for the same key. The key is not
// validated here (build_certificate validates it).
Bytes p256_spki_der(const P256PublicKey& pub);

// The Name used for issuer and subject alike: SEQUENCE { RDN O, RDN CN }, each RDN a SET of one
// AttributeTypeAndValue with a UTF8String value. The O RDN is left out when `o` is empty. Errors:
// "bad_name" if `cn` is empty or either string is not well-formed UTF-8.
Result<Bytes> x509_name_der(std::string_view o, std::string_view cn);

struct CertSpec {
  uint64_t serial = 1;  // must be non-zero (RFC 5280 §4.1.2.2)
  std::string issuer_cn;
  std::string subject_cn;
  std::string issuer_o = "Physis Test";  // empty: no O RDN
  std::string subject_o = "Physis Test";
  P256PublicKey subject_key{};
  bool is_ca = false;
  std::optional<uint32_t> path_len;  // pathLenConstraint; only with is_ca
  // keyUsage (critical): keyCertSign | cRLSign for a CA, digitalSignature for a leaf. false: no keyUsage.
  bool key_usage = true;
  // extKeyUsage (non-critical) KeyPurposeIds in dotted-decimal, in order; empty: no extKeyUsage.
  std::vector<std::string> ext_key_usage_oids;
  // Validity bounds as GeneralizedTime text "YYYYMMDDHHMMSSZ" (or UTCTime text "YYMMDDHHMMSSZ"). As RFC 5280
  // §4.1.2.5 requires, years 1950-2049 are encoded as UTCTime and later years as GeneralizedTime.
  std::string not_before = "20250101000000Z";
  std::string not_after = "20991231235959Z";
};

// Builds and signs a certificate:
//   Certificate ::= SEQUENCE { tbs, AlgorithmIdentifier { ecdsa-with-SHA256 } (no parameters),
//                              BIT STRING { Ecdsa-Sig-Value } }
//   tbs ::= SEQUENCE { [0] { INTEGER 2 }, serial, ecdsa-with-SHA256, issuer Name, Validity, subject Name,
//                      p256_spki_der(subject_key), [3] { Extensions } }
// Extensions, in this order: basicConstraints (critical; SEQUENCE { TRUE [, pathLen] } for a CA, an empty
// SEQUENCE otherwise), keyUsage (critical) when spec.key_usage, extKeyUsage when OIDs are given. The
// signature is p256_sign(issuer_key, SHA-256(tbs)) (low S). Names come from x509_name_der, so a child's
// issuer bytes equal its issuer's subject bytes when the O and CN strings are equal.
// Errors: "bad_serial" (serial 0), "bad_path_len" (path_len without is_ca), "bad_name" (see x509_name_der),
// "bad_time" (a validity string of another shape), "bad_oid" (an extKeyUsage OID that is not dotted-decimal),
// "bad_public_key" (subject_key not a point on P-256), "bad_key" (issuer_key not a valid scalar, or the
// signature could not be made).
Result<Bytes> build_certificate(const CertSpec& spec, const P256PrivateKey& issuer_key);

}  // namespace physis::crypto
