// X.509 certificates in the strict profile of SE_P256 attestation (DESIGN §5), parsed by our own DER reader;
// OpenSSL's lenient X.509 parser is never used for consensus.
//
// The profile: X.509 v3; a positive serial of at most 20 octets; signature algorithm ecdsa-with-SHA256 with
// no parameters, identical inside and outside the TBSCertificate; non-empty issuer and subject made of
// single-attribute RDNs (compared by bytes, never normalised); validity kept as bytes (no date checks); a
// P-256 key (id-ecPublicKey + prime256v1, uncompressed point on the curve); no unique identifiers; extensions
// without duplicates, with basicConstraints, keyUsage and extKeyUsage understood and any other critical
// extension refused; DER everywhere, with nothing trailing at any level.
//
// Thread-safety: all functions are pure and may run concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/der.h"
#include "crypto/p256.h"
#include "util/bytes.h"
#include "util/result.h"

namespace physis::crypto {

// OBJECT IDENTIFIER content octets used by the profile.
namespace oid {
// 1.2.840.10045.4.3.2
inline constexpr uint8_t kEcdsaWithSha256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
// 1.2.840.10045.2.1
inline constexpr uint8_t kEcPublicKey[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
// 1.2.840.10045.3.1.7
inline constexpr uint8_t kPrime256v1[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
inline constexpr uint8_t kBasicConstraints[] = {0x55, 0x1d, 0x13};                 // 2.5.29.19
inline constexpr uint8_t kKeyUsage[] = {0x55, 0x1d, 0x0f};                         // 2.5.29.15
inline constexpr uint8_t kExtKeyUsage[] = {0x55, 0x1d, 0x25};                      // 2.5.29.37
inline constexpr uint8_t kTcgKpAikCertificate[] = {0x67, 0x81, 0x05, 0x08, 0x03};  // 2.23.133.8.3
}  // namespace oid

// Why a certificate was refused. Every value except kOk is a rejection; each has a test.
enum class CertReject : uint8_t {
  kOk,
  kMalformedDer,                   // not DER, wrong ASN.1 shape, or trailing bytes (see der_error)
  kUnsupportedVersion,             // not v3
  kBadSerialNumber,                // zero, negative or longer than 20 octets
  kSignatureAlgorithmMismatch,     // TBSCertificate.signature differs from Certificate.signatureAlgorithm
  kUnsupportedSignatureAlgorithm,  // anything but ecdsa-with-SHA256 without parameters
  kBadName,                        // issuer or subject empty, or not a sequence of single-attribute RDNs
  kBadValidity,                    // Validity is not two UTCTime/GeneralizedTime elements
  kUnsupportedKeyAlgorithm,        // subject key is not id-ecPublicKey
  kUnsupportedCurve,               // EC key on a curve other than prime256v1 (or explicit parameters)
  kBadPublicKey,                   // not a 65-byte uncompressed point on P-256
  kBadSignatureValue,              // Ecdsa-Sig-Value malformed, or r or s outside [1, n-1]
  kBadExtension,                   // malformed extension list or a malformed understood extension
  kDuplicateExtension,             // the same extension OID twice
  kUnknownCriticalExtension,       // a critical extension this profile does not understand
};

// A stable snake_case name, e.g. "unknown_critical_extension"; used as Error::code.
std::string_view cert_reject_name(CertReject reason);

// KeyUsage bits: ASN.1 bit n of the KeyUsage BIT STRING is (1u << n) here (RFC 5280 §4.2.1.3).
enum KeyUsageBit : uint16_t {
  kKeyUsageDigitalSignature = 1u << 0,
  kKeyUsageNonRepudiation = 1u << 1,
  kKeyUsageKeyEncipherment = 1u << 2,
  kKeyUsageDataEncipherment = 1u << 3,
  kKeyUsageKeyAgreement = 1u << 4,
  kKeyUsageKeyCertSign = 1u << 5,
  kKeyUsageCrlSign = 1u << 6,
  kKeyUsageEncipherOnly = 1u << 7,
  kKeyUsageDecipherOnly = 1u << 8,
};

struct BasicConstraints {
  bool ca = false;
  std::optional<uint32_t> path_len;  // only ever present when ca is true
};

// A parsed certificate. Every *_der field is an owned copy of the exact bytes of that element as it appears
// in the certificate, tag and length included.
struct Certificate {
  Bytes der;           // the whole certificate
  Bytes tbs_der;       // TBSCertificate: the signed bytes
  Bytes serial;        // INTEGER content octets (minimal, positive)
  Bytes issuer_der;    // Name
  Bytes validity_der;  // Validity, unchecked beyond its shape
  Bytes subject_der;   // Name
  Bytes spki_der;      // SubjectPublicKeyInfo
  P256PublicKey public_key{};
  P256Signature signature{};  // r ‖ s from signatureValue, exactly as signed (s may be high)
  std::optional<BasicConstraints> basic_constraints;
  std::optional<uint16_t> key_usage;                // KeyUsageBit flags
  std::optional<std::vector<Bytes>> ext_key_usage;  // KeyPurposeId OID content octets, in order

  bool is_ca() const { return basic_constraints && basic_constraints->ca; }
  // True if keyUsage is absent (no restriction) or has `bit` set.
  bool key_usage_allows(KeyUsageBit bit) const { return !key_usage || (*key_usage & bit) != 0; }
  // True if extKeyUsage is present and lists `purpose` (OID content octets).
  bool has_ext_key_usage(ByteSpan purpose) const;
};

// The detailed outcome of parsing: the reason (kOk on success), a message saying what was wrong and where,
// the DER error underneath when there is one, and the certificate when reason is kOk.
struct CertParseResult {
  CertReject reason = CertReject::kOk;
  std::optional<DerError> der_error;
  std::string message;
  Certificate cert;

  bool ok() const { return reason == CertReject::kOk; }
};

// Parses one DER certificate in the strict profile. Never throws; checks no signature (see x509_chain.h).
CertParseResult parse_certificate_detailed(ByteSpan der);

// Same as parse_certificate_detailed; on rejection Error::code is cert_reject_name(reason).
Result<Certificate> parse_certificate(ByteSpan der);

// The outcome of parsing a SubjectPublicKeyInfo on its own (e.g. an on-chain trust anchor).
struct SpkiParseResult {
  CertReject reason = CertReject::kOk;  // kOk, kMalformedDer, kUnsupportedKeyAlgorithm, kUnsupportedCurve,
                                        // or kBadPublicKey
  std::optional<DerError> der_error;
  std::string message;
  P256PublicKey public_key{};

  bool ok() const { return reason == CertReject::kOk; }
};

// Parses exactly one P-256 SubjectPublicKeyInfo (the same rules as inside a certificate), nothing trailing.
SpkiParseResult parse_p256_spki(ByteSpan spki_der);

}  // namespace physis::crypto
