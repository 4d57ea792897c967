#include "crypto/x509.h"

#include <algorithm>
#include <limits>

namespace physis::crypto {

namespace {

bool same(ByteSpan a, ByteSpan b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

Bytes copy_of(ByteSpan s) { return Bytes(s.begin(), s.end()); }

// Fills in a rejection and reports failure to the caller, so every check reads `if (...) return fail(...)`.
class Rejecter {
 public:
  bool fail(CertReject reason, std::string message) {
    reason_ = reason;
    message_ = std::move(message);
    return false;
  }
  bool fail(CertReject reason, std::string_view where, DerError error) {
    der_error_ = error;
    return fail(reason, std::string(where) + ": " + std::string(der_error_name(error)));
  }
  // True if `r` holds a value; otherwise records `reason` with the DER error and returns false.
  template <typename T>
  bool check(const DerResult<T>& r, std::string_view where, CertReject reason = CertReject::kMalformedDer) {
    return r.ok() || fail(reason, where, r.error());
  }

  template <typename Out>
  void report(Out& out) const {
    out.reason = reason_;
    out.der_error = der_error_;
    out.message = message_;
  }

 private:
  CertReject reason_ = CertReject::kOk;
  std::optional<DerError> der_error_;
  std::string message_;
};

bool parse_spki(ByteSpan spki_der, P256PublicKey& key, Rejecter& rj) {
  DerReader top(spki_der);
  auto spki = top.read_sequence();
  if (!rj.check(spki, "SubjectPublicKeyInfo") || !rj.check(top.finish(), "SubjectPublicKeyInfo"))
    return false;
  auto alg = spki->read_sequence();
  if (!rj.check(alg, "SubjectPublicKeyInfo.algorithm")) return false;
  auto alg_oid = alg->read_oid();
  if (!rj.check(alg_oid, "SubjectPublicKeyInfo.algorithm")) return false;
  if (!same(*alg_oid, oid::kEcPublicKey))
    return rj.fail(CertReject::kUnsupportedKeyAlgorithm,
                   "key algorithm " + oid_to_string(*alg_oid) + " is not id-ecPublicKey (1.2.840.10045.2.1)");
  if (!alg->next_is(der_tag::kOid))
    return rj.fail(CertReject::kUnsupportedCurve, "EC parameters are not a named curve");
  auto curve = alg->read_oid();
  if (!rj.check(curve, "SubjectPublicKeyInfo.algorithm.parameters")) return false;
  if (!same(*curve, oid::kPrime256v1))
    return rj.fail(CertReject::kUnsupportedCurve, "curve " + oid_to_string(*curve) + " is not prime256v1");
  if (!rj.check(alg->finish(), "SubjectPublicKeyInfo.algorithm")) return false;
  auto bits = spki->read_bit_string();
  if (!rj.check(bits, "SubjectPublicKeyInfo.subjectPublicKey") ||
      !rj.check(spki->finish(), "SubjectPublicKeyInfo"))
    return false;
  if (bits->unused_bits != 0 || bits->bytes.size() != 65 || bits->bytes[0] != 0x04)
    return rj.fail(CertReject::kBadPublicKey, "public key is not a 65-byte uncompressed point");
  if (!p256_is_valid_public_key(bits->bytes))
    return rj.fail(CertReject::kBadPublicKey, "public key is not a point on P-256");
  std::copy(bits->bytes.begin(), bits->bytes.end(), key.begin());
  return true;
}

// The certificate parser for one input. Each step returns false after recording the rejection.
class CertParser : public Rejecter {
 public:
  bool parse(ByteSpan der, Certificate& cert) {
    cert.der = copy_of(der);
    DerReader top(der);
    auto outer = top.read_sequence();
    if (!check(outer, "Certificate") || !check(top.finish(), "after Certificate")) return false;
    auto tbs = outer->read_element(der_tag::kSequence);
    if (!check(tbs, "Certificate.tbsCertificate")) return false;
    auto outer_alg = outer->read_element(der_tag::kSequence);
    if (!check(outer_alg, "Certificate.signatureAlgorithm")) return false;
    auto sig_bits = outer->read_bit_string();
    if (!check(sig_bits, "Certificate.signatureValue") || !check(outer->finish(), "Certificate"))
      return false;

    cert.tbs_der = copy_of(tbs->tlv);
    if (!parse_tbs(DerReader(tbs->value), outer_alg->tlv, cert)) return false;
    if (!check_signature_algorithm(outer_alg->tlv, "Certificate.signatureAlgorithm")) return false;
    return parse_signature_value(*sig_bits, cert.signature);
  }

 private:
  bool parse_tbs(DerReader tbs, ByteSpan outer_alg, Certificate& cert) {
    // version [0] EXPLICIT: absent means v1; DER omits the default, so v3 is always written out.
    if (!tbs.next_is(der_tag::context(0, true)))
      return fail(CertReject::kUnsupportedVersion, "version field absent (v1 certificate)");
    auto version_wrapper = tbs.read_constructed(der_tag::context(0, true));
    if (!check(version_wrapper, "TBSCertificate.version")) return false;
    auto version = version_wrapper->read_integer();
    if (!check(version, "TBSCertificate.version") ||
        !check(version_wrapper->finish(), "TBSCertificate.version"))
      return false;
    if (version->size() != 1 || (*version)[0] != 2)
      return fail(CertReject::kUnsupportedVersion, "version is not v3 (INTEGER 2)");

    // RFC 5280 §4.1.2.2: positive, at most 20 octets.
    auto serial = tbs.read_integer();
    if (!check(serial, "TBSCertificate.serialNumber")) return false;
    if (((*serial)[0] & 0x80) != 0) return fail(CertReject::kBadSerialNumber, "serial number is negative");
    if (serial->size() == 1 && (*serial)[0] == 0)
      return fail(CertReject::kBadSerialNumber, "serial number is 0");
    if (serial->size() > 20) return fail(CertReject::kBadSerialNumber, "serial number longer than 20 octets");
    cert.serial = copy_of(*serial);

    auto inner_alg = tbs.read_element(der_tag::kSequence);
    if (!check(inner_alg, "TBSCertificate.signature")) return false;
    if (!same(inner_alg->tlv, outer_alg))
      return fail(CertReject::kSignatureAlgorithmMismatch,
                  "TBSCertificate.signature differs from Certificate.signatureAlgorithm");
    if (!check_signature_algorithm(inner_alg->tlv, "TBSCertificate.signature")) return false;

    auto issuer = tbs.read_element(der_tag::kSequence);
    if (!check(issuer, "TBSCertificate.issuer") || !check_name(issuer->value, "issuer")) return false;
    cert.issuer_der = copy_of(issuer->tlv);

    auto validity = tbs.read_element(der_tag::kSequence);
    if (!check(validity, "TBSCertificate.validity") || !check_validity(validity->value)) return false;
    cert.validity_der = copy_of(validity->tlv);

    auto subject = tbs.read_element(der_tag::kSequence);
    if (!check(subject, "TBSCertificate.subject") || !check_name(subject->value, "subject")) return false;
    cert.subject_der = copy_of(subject->tlv);

    auto spki = tbs.read_element(der_tag::kSequence);
    if (!check(spki, "TBSCertificate.subjectPublicKeyInfo") || !parse_spki(spki->tlv, cert.public_key, *this))
      return false;
    cert.spki_der = copy_of(spki->tlv);

    // issuerUniqueID [1] and subjectUniqueID [2] are not in the profile: they fall to the trailing-data
    // check.
    if (tbs.next_is(der_tag::context(3, true)) && !parse_extensions(tbs, cert)) return false;
    return check(tbs.finish(), "TBSCertificate");
  }

  bool check_signature_algorithm(ByteSpan alg_tlv, std::string_view where) {
    DerReader top(alg_tlv);
    auto alg = top.read_sequence();
    if (!check(alg, where)) return false;
    auto id = alg->read_oid();
    if (!check(id, where)) return false;
    if (!same(*id, oid::kEcdsaWithSha256))
      return fail(CertReject::kUnsupportedSignatureAlgorithm,
                  std::string(where) + " " + oid_to_string(*id) + " is not ecdsa-with-SHA256");
    // RFC 5758 §3.2: the parameters field MUST be absent.
    if (!alg->empty())
      return fail(CertReject::kUnsupportedSignatureAlgorithm,
                  std::string(where) + " has parameters; ecdsa-with-SHA256 takes none");
    return true;
  }

  bool check_name(ByteSpan value, std::string_view what) {
    DerReader rdns(value);
    if (rdns.empty()) return fail(CertReject::kBadName, std::string(what) + " is empty");
    const std::string where = std::string(what) + " RDN";
    while (!rdns.empty()) {
      auto rdn = rdns.read_constructed(der_tag::kSet);
      if (!check(rdn, where, CertReject::kBadName)) return false;
      auto atv = rdn->read_sequence();
      if (!check(atv, where, CertReject::kBadName)) return false;
      if (!rdn->empty())
        return fail(CertReject::kBadName,
                    std::string(what) + " has a multi-valued RDN (not in this profile)");
      auto type = atv->read_oid();
      if (!check(type, where, CertReject::kBadName)) return false;
      auto name_value = atv->read_element();
      if (!check(name_value, where, CertReject::kBadName) ||
          !check(atv->finish(), where, CertReject::kBadName))
        return false;
    }
    return true;
  }

  bool check_validity(ByteSpan value) {
    DerReader times(value);
    for (const char* field : {"notBefore", "notAfter"}) {
      auto time = times.read_element();
      if (!check(time, field, CertReject::kBadValidity)) return false;
      if (time->tag != der_tag::kUtcTime && time->tag != der_tag::kGeneralizedTime)
        return fail(CertReject::kBadValidity, std::string(field) + " is not UTCTime or GeneralizedTime");
    }
    return check(times.finish(), "Validity", CertReject::kBadValidity);
  }

  bool parse_extensions(DerReader& tbs, Certificate& cert) {
    auto wrapper = tbs.read_constructed(der_tag::context(3, true));
    if (!check(wrapper, "TBSCertificate.extensions")) return false;
    auto list = wrapper->read_sequence();
    if (!check(list, "Extensions") || !check(wrapper->finish(), "TBSCertificate.extensions")) return false;
    if (list->empty()) return fail(CertReject::kBadExtension, "extensions field present but empty");
    std::vector<ByteSpan> seen;
    while (!list->empty()) {
      auto ext = list->read_sequence();
      if (!check(ext, "Extension")) return false;
      auto id = ext->read_oid();
      if (!check(id, "Extension.extnID")) return false;
      bool critical = false;
      if (ext->next_is(der_tag::kBoolean)) {
        auto flag = ext->read_boolean();
        if (!check(flag, "Extension.critical")) return false;
        // DER (X.690 §11.5): a DEFAULT value is never encoded.
        if (!*flag)
          return fail(CertReject::kBadExtension, "critical FALSE encoded for " + oid_to_string(*id));
        critical = true;
      }
      auto value = ext->read_octet_string();
      if (!check(value, "Extension.extnValue") || !check(ext->finish(), "Extension")) return false;
      if (std::any_of(seen.begin(), seen.end(), [&](ByteSpan s) { return same(s, *id); }))
        return fail(CertReject::kDuplicateExtension, "extension " + oid_to_string(*id) + " appears twice");
      seen.push_back(*id);

      if (same(*id, oid::kBasicConstraints)) {
        if (!parse_basic_constraints(*value, cert)) return false;
      } else if (same(*id, oid::kKeyUsage)) {
        if (!parse_key_usage(*value, cert)) return false;
      } else if (same(*id, oid::kExtKeyUsage)) {
        if (!parse_ext_key_usage(*value, cert)) return false;
      } else if (critical) {
        return fail(CertReject::kUnknownCriticalExtension,
                    "critical extension " + oid_to_string(*id) + " is not understood");
      }
    }
    return true;
  }

  bool parse_basic_constraints(ByteSpan value, Certificate& cert) {
    constexpr auto kBad = CertReject::kBadExtension;
    auto seq = der_parse_single(value, der_tag::kSequence);
    if (!check(seq, "basicConstraints", kBad)) return false;
    DerReader fields(seq->value);
    BasicConstraints bc;
    if (fields.next_is(der_tag::kBoolean)) {
      auto ca = fields.read_boolean();
      if (!check(ca, "basicConstraints.cA", kBad)) return false;
      if (!*ca) return fail(kBad, "basicConstraints encodes the default cA FALSE");
      bc.ca = true;
    }
    if (fields.next_is(der_tag::kInteger)) {
      auto path_len = fields.read_uint64();
      if (!check(path_len, "basicConstraints.pathLenConstraint", kBad)) return false;
      // RFC 5280 §4.2.1.9: pathLenConstraint only with cA TRUE.
      if (!bc.ca) return fail(kBad, "basicConstraints has pathLenConstraint without cA");
      if (*path_len > std::numeric_limits<uint32_t>::max())
        return fail(kBad, "basicConstraints pathLenConstraint too large");
      bc.path_len = static_cast<uint32_t>(*path_len);
    }
    if (!check(fields.finish(), "basicConstraints", kBad)) return false;
    cert.basic_constraints = bc;
    return true;
  }

  bool parse_key_usage(ByteSpan value, Certificate& cert) {
    constexpr auto kBad = CertReject::kBadExtension;
    DerReader reader(value);
    auto bits = reader.read_bit_string();
    if (!check(bits, "keyUsage", kBad) || !check(reader.finish(), "keyUsage", kBad)) return false;
    const ByteSpan b = bits->bytes;
    if (b.empty() || b.back() == 0) return fail(kBad, "keyUsage has no bit set");
    // X.690 §11.2.2: a named bit list has no trailing zero bits, so the last used bit is 1.
    if (((b.back() >> bits->unused_bits) & 1) == 0) return fail(kBad, "keyUsage has trailing zero bits");
    const size_t nbits = b.size() * 8 - bits->unused_bits;
    if (nbits > 9) return fail(kBad, "keyUsage sets a bit beyond decipherOnly");
    uint16_t flags = 0;
    for (size_t n = 0; n < nbits; ++n) {
      if ((b[n / 8] & (0x80 >> (n % 8))) != 0) flags = static_cast<uint16_t>(flags | (1u << n));
    }
    cert.key_usage = flags;
    return true;
  }

  bool parse_ext_key_usage(ByteSpan value, Certificate& cert) {
    constexpr auto kBad = CertReject::kBadExtension;
    auto seq = der_parse_single(value, der_tag::kSequence);
    if (!check(seq, "extKeyUsage", kBad)) return false;
    DerReader purposes(seq->value);
    if (purposes.empty()) return fail(kBad, "extKeyUsage is empty");
    std::vector<Bytes> list;
    while (!purposes.empty()) {
      auto purpose = purposes.read_oid();
      if (!check(purpose, "extKeyUsage", kBad)) return false;
      list.push_back(copy_of(*purpose));
    }
    cert.ext_key_usage = std::move(list);
    return true;
  }

  bool parse_signature_value(const DerBitString& bits, P256Signature& signature) {
    constexpr auto kBad = CertReject::kBadSignatureValue;
    if (bits.unused_bits != 0) return fail(kBad, "signatureValue has unused bits");
    DerReader top(bits.bytes);
    auto seq = top.read_sequence();
    if (!check(seq, "Ecdsa-Sig-Value", kBad) || !check(top.finish(), "Ecdsa-Sig-Value", kBad)) return false;
    for (size_t half = 0; half < 2; ++half) {
      const char* name = half == 0 ? "r" : "s";
      auto magnitude = seq->read_unsigned_integer();
      if (!check(magnitude, name, kBad)) return false;
      if (magnitude->size() > 32) return fail(kBad, std::string(name) + " is wider than 256 bits");
      uint8_t* dst = signature.data() + 32 * half;
      std::fill(dst, dst + 32, 0);
      std::copy(magnitude->begin(), magnitude->end(), dst + 32 - magnitude->size());
      if (!p256_scalar_in_range(ByteSpan(dst, 32)))
        return fail(kBad, std::string(name) + " is not in [1, n-1]");
    }
    return check(seq->finish(), "Ecdsa-Sig-Value", kBad);
  }
};

}  // namespace

std::string_view cert_reject_name(CertReject reason) {
  switch (reason) {
    case CertReject::kOk: return "ok";
    case CertReject::kMalformedDer: return "malformed_der";
    case CertReject::kUnsupportedVersion: return "unsupported_version";
    case CertReject::kBadSerialNumber: return "bad_serial_number";
    case CertReject::kSignatureAlgorithmMismatch: return "signature_algorithm_mismatch";
    case CertReject::kUnsupportedSignatureAlgorithm: return "unsupported_signature_algorithm";
    case CertReject::kBadName: return "bad_name";
    case CertReject::kBadValidity: return "bad_validity";
    case CertReject::kUnsupportedKeyAlgorithm: return "unsupported_key_algorithm";
    case CertReject::kUnsupportedCurve: return "unsupported_curve";
    case CertReject::kBadPublicKey: return "bad_public_key";
    case CertReject::kBadSignatureValue: return "bad_signature_value";
    case CertReject::kBadExtension: return "bad_extension";
    case CertReject::kDuplicateExtension: return "duplicate_extension";
    case CertReject::kUnknownCriticalExtension: return "unknown_critical_extension";
  }
  return "unknown";
}

bool Certificate::has_ext_key_usage(ByteSpan purpose) const {
  if (!ext_key_usage) return false;
  return std::any_of(ext_key_usage->begin(), ext_key_usage->end(),
                     [&](const Bytes& p) { return same(p, purpose); });
}

CertParseResult parse_certificate_detailed(ByteSpan der) {
  CertParseResult result;
  CertParser parser;
  if (!parser.parse(der, result.cert)) {
    parser.report(result);
    result.cert = Certificate{};
  }
  return result;
}

Result<Certificate> parse_certificate(ByteSpan der) {
  CertParseResult parsed = parse_certificate_detailed(der);
  if (!parsed.ok()) return make_error(std::string(cert_reject_name(parsed.reason)), parsed.message);
  return std::move(parsed.cert);
}

SpkiParseResult parse_p256_spki(ByteSpan spki_der) {
  SpkiParseResult result;
  Rejecter rejecter;
  if (!parse_spki(spki_der, result.public_key, rejecter)) {
    rejecter.report(result);
    result.public_key = P256PublicKey{};
  }
  return result;
}

}  // namespace physis::crypto
