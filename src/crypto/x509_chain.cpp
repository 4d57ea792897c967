#include "crypto/x509_chain.h"

#include <algorithm>

#include "crypto/sha256.h"

namespace physis::crypto {

namespace {

ChainResult reject(ChainReject reason, size_t index, std::string message,
                   CertReject cert_reason = CertReject::kOk) {
  ChainResult r;
  r.reason = reason;
  r.index = index;
  r.cert_reason = cert_reason;
  r.message = std::move(message);
  return r;
}

bool is_algorithm_reason(CertReject reason) {
  switch (reason) {
    case CertReject::kUnsupportedSignatureAlgorithm:
    case CertReject::kUnsupportedKeyAlgorithm:
    case CertReject::kUnsupportedCurve: return true;
    case CertReject::kOk:
    case CertReject::kMalformedDer:
    case CertReject::kUnsupportedVersion:
    case CertReject::kBadSerialNumber:
    case CertReject::kSignatureAlgorithmMismatch:
    case CertReject::kBadName:
    case CertReject::kBadValidity:
    case CertReject::kBadPublicKey:
    case CertReject::kBadSignatureValue:
    case CertReject::kBadExtension:
    case CertReject::kDuplicateExtension:
    case CertReject::kUnknownCriticalExtension: return false;
  }
  return false;
}

std::string at(size_t index) { return "certificate " + std::to_string(index) + ": "; }

bool signed_by(const Certificate& cert, const P256PublicKey& issuer_key, const CertSignatureCheck& check) {
  const Hash32 digest = sha256(cert.tbs_der);
  if (check) return check(issuer_key, digest, cert.signature);
  return p256_verify(issuer_key, digest, cert.signature, /*require_low_s=*/false);
}

}  // namespace

std::string_view chain_reject_name(ChainReject reason) {
  switch (reason) {
    case ChainReject::kOk: return "ok";
    case ChainReject::kAnchorMalformed: return "anchor_malformed";
    case ChainReject::kEmptyChain: return "empty_chain";
    case ChainReject::kChainTooLong: return "chain_too_long";
    case ChainReject::kMalformedCert: return "malformed_cert";
    case ChainReject::kUnsupportedAlgorithm: return "unsupported_algorithm";
    case ChainReject::kLeafIsCa: return "leaf_is_ca";
    case ChainReject::kIssuerMismatch: return "issuer_mismatch";
    case ChainReject::kIssuerNotCa: return "issuer_not_ca";
    case ChainReject::kIssuerCannotSignCerts: return "issuer_cannot_sign_certs";
    case ChainReject::kPathLenExceeded: return "path_len_exceeded";
    case ChainReject::kBadSignature: return "bad_signature";
    case ChainReject::kNotSignedByAnchor: return "not_signed_by_anchor";
  }
  return "unknown";
}

Hash32 spki_id(ByteSpan spki_der) { return sha256(spki_der); }

ChainResult verify_cert_chain(const std::vector<Bytes>& certs_leaf_first, ByteSpan anchor_spki_der,
                              uint32_t max_chain_len, const CertSignatureCheck& check) {
  const SpkiParseResult anchor = parse_p256_spki(anchor_spki_der);
  if (!anchor.ok())
    return reject(ChainReject::kAnchorMalformed, 0, "anchor: " + anchor.message, anchor.reason);

  const size_t n = certs_leaf_first.size();
  const size_t limit = std::min<size_t>(kMaxCertChainLength, max_chain_len);
  if (n == 0) return reject(ChainReject::kEmptyChain, 0, "the certificate chain is empty");
  if (n > limit)
    return reject(ChainReject::kChainTooLong, 0,
                  std::to_string(n) + " certificates; at most " + std::to_string(limit) + " allowed");

  std::vector<Certificate> certs;
  certs.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    CertParseResult parsed = parse_certificate_detailed(certs_leaf_first[i]);
    if (!parsed.ok()) {
      const ChainReject reason = is_algorithm_reason(parsed.reason) ? ChainReject::kUnsupportedAlgorithm
                                                                    : ChainReject::kMalformedCert;
      return reject(reason, i, at(i) + std::string(cert_reject_name(parsed.reason)) + ": " + parsed.message,
                    parsed.reason);
    }
    certs.push_back(std::move(parsed.cert));
  }

  if (certs[0].is_ca()) return reject(ChainReject::kLeafIsCa, 0, "the leaf certificate is a CA");

  for (size_t i = 0; i + 1 < n; ++i) {
    const Certificate& child = certs[i];
    const Certificate& issuer = certs[i + 1];
    if (child.issuer_der != issuer.subject_der)
      return reject(ChainReject::kIssuerMismatch, i,
                    at(i) + "issuer name differs from the subject of certificate " + std::to_string(i + 1));
    if (!issuer.is_ca())
      return reject(ChainReject::kIssuerNotCa, i, at(i + 1) + "issues a certificate but is not a CA");
    if (!issuer.key_usage_allows(kKeyUsageKeyCertSign))
      return reject(ChainReject::kIssuerCannotSignCerts, i, at(i + 1) + "keyUsage lacks keyCertSign");
    // The CA certificates between this issuer and the leaf are certs[1..i]: i of them.
    const auto& path_len = issuer.basic_constraints->path_len;
    if (path_len && *path_len < i)
      return reject(ChainReject::kPathLenExceeded, i,
                    at(i + 1) + "pathLenConstraint " + std::to_string(*path_len) + " but " +
                        std::to_string(i) + " CA certificate(s) below it");
    if (!signed_by(child, issuer.public_key, check))
      return reject(
          ChainReject::kBadSignature, i,
          at(i) + "signature does not verify under the key of certificate " + std::to_string(i + 1));
  }
  if (!signed_by(certs[n - 1], anchor.public_key, check))
    return reject(ChainReject::kNotSignedByAnchor, n - 1,
                  at(n - 1) + "signature does not verify under the anchor");

  ChainResult ok;
  ok.leaf_public_key = certs[0].public_key;
  ok.spki_ids.reserve(n);
  for (const Certificate& c : certs) ok.spki_ids.push_back(spki_id(c.spki_der));
  ok.anchor_id = spki_id(anchor_spki_der);
  ok.certs = std::move(certs);
  return ok;
}

}  // namespace physis::crypto
