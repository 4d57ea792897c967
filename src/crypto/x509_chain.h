// Certificate chain verification for SE_P256 attestation evidence (DESIGN §5): a chain of at most 3 X.509
// certificates, leaf first, ending at an on-chain trust anchor given as a P-256 SubjectPublicKeyInfo.
//
// Rules, checked in this order (the first failure is reported):
//   1. the anchor SPKI parses strictly as a P-256 key;
//   2. the chain is non-empty and has at most min(3, max_chain_len) certificates;
//   3. every certificate parses in the strict profile of x509.h;
//   4. the leaf (certs[0]) is not a CA;
//   5. for i = 0 .. n-2, with issuer = certs[i+1]: certs[i].issuer_der == issuer.subject_der (bytes); the
//      issuer has basicConstraints cA TRUE; if it has keyUsage, keyCertSign is set; if it has a
//      pathLenConstraint, it is at least the number of CA certificates between it and the leaf (i); and
//      certs[i]'s signature verifies under the issuer's key over SHA-256(certs[i].tbs_der);
//   6. the last certificate's signature verifies under the anchor key.
// Certificate signatures may have high S (ordinary CAs produce both forms); their DER must still be strict.
// Dates, revocation and name semantics are not checked here: the caller checks revocation with spki_ids.
//
// Thread-safety: pure function; safe to call concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/p256.h"
#include "crypto/x509.h"
#include "util/bytes.h"

namespace physis::crypto {

// The most certificates an SE_P256 chain may carry, whatever max_chain_len says (DESIGN §5).
inline constexpr uint32_t kMaxCertChainLength = 3;

// Why a chain was refused. Every value except kOk is a rejection; each has a test.
enum class ChainReject : uint8_t {
  kOk,
  kAnchorMalformed,        // the anchor is not a strict P-256 SubjectPublicKeyInfo (see cert_reason)
  kEmptyChain,             // no certificate
  kChainTooLong,           // more than min(3, max_chain_len) certificates
  kMalformedCert,          // certs[index] fails the strict profile (see cert_reason)
  kUnsupportedAlgorithm,   // certs[index] has a key or signature algorithm other than P-256 /
                           // ecdsa-with-SHA256
  kLeafIsCa,               // certs[0] has basicConstraints cA TRUE
  kIssuerMismatch,         // certs[index].issuer_der != certs[index+1].subject_der
  kIssuerNotCa,            // certs[index+1] is not a CA
  kIssuerCannotSignCerts,  // certs[index+1] has keyUsage without keyCertSign
  kPathLenExceeded,        // certs[index+1]'s pathLenConstraint is below the CA certificates beneath it
  kBadSignature,           // certs[index]'s signature does not verify under certs[index+1]'s key
  kNotSignedByAnchor,      // the last certificate's signature does not verify under the anchor key
};

// A stable snake_case name, e.g. "issuer_not_ca".
std::string_view chain_reject_name(ChainReject reason);

// The outcome of verify_cert_chain.
struct ChainResult {
  ChainReject reason = ChainReject::kOk;
  size_t index = 0;                          // the certificate a rejection is about (0 = leaf)
  CertReject cert_reason = CertReject::kOk;  // for kAnchorMalformed, kMalformedCert, kUnsupportedAlgorithm
  std::string message;                       // what was wrong, for logs and receipts
  // Filled only when reason is kOk:
  P256PublicKey leaf_public_key{};  // the device key attested by the chain
  std::vector<Hash32> spki_ids;     // spki_id of each certificate, leaf first
  Hash32 anchor_id{};               // spki_id of the anchor
  std::vector<Certificate> certs;   // the parsed certificates, leaf first (e.g. for EKU checks)

  bool ok() const { return reason == ChainReject::kOk; }
};

// Checks one certificate signature: (issuer key, SHA-256 of the TBS, r ‖ s), any S. Lets a caller answer
// from a cache of checks already made; it must give p256_verify(key, digest, sig, false)'s answer.
using CertSignatureCheck = std::function<bool(const P256PublicKey&, const Hash32&, ByteSpan)>;

// Verifies `certs_leaf_first` (DER certificates) against the anchor as described above. Certificate
// signatures go through `check` when given, else straight to p256_verify.
ChainResult verify_cert_chain(const std::vector<Bytes>& certs_leaf_first, ByteSpan anchor_spki_der,
                              uint32_t max_chain_len, const CertSignatureCheck& check = nullptr);

// The identity of a key for anchors and revocation: SHA-256 of its SubjectPublicKeyInfo DER, as given.
Hash32 spki_id(ByteSpan spki_der);

}  // namespace physis::crypto
