#include "crypto/x509_builder.h"

#include "crypto/der.h"
#include "crypto/der_writer.h"
#include "crypto/sha256.h"
#include "crypto/x509.h"

namespace physis::crypto {

namespace {

constexpr uint8_t kOidCommonName[] = {0x55, 0x04, 0x03};    // 2.5.4.3
constexpr uint8_t kOidOrganization[] = {0x55, 0x04, 0x0a};  // 2.5.4.10

// AlgorithmIdentifier { ecdsa-with-SHA256 } with the parameters absent (RFC 5758 §3.2).
Bytes ecdsa_with_sha256() { return der_sequence({der_oid(ByteSpan(oid::kEcdsaWithSha256))}); }

// RelativeDistinguishedName ::= SET { AttributeTypeAndValue { type, UTF8String value } }.
Result<Bytes> rdn(ByteSpan type, std::string_view value, std::string_view what) {
  auto text = der_utf8_string(value);
  if (!text) return make_error("bad_name", std::string(what) + " is not well-formed UTF-8");
  return der_set({der_sequence({der_oid(type), *text})});
}

// Validity time: UTCTime for 1950-2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5).
Result<Bytes> validity_time(std::string_view text, std::string_view what) {
  Result<Bytes> encoded = text.size() == 13 ? der_utc_time(text) : der_generalized_time(text);
  if (!encoded)
    return make_error("bad_time", std::string(what) + " \"" + std::string(text) +
                                      "\" is not YYYYMMDDHHMMSSZ or YYMMDDHHMMSSZ");
  if (text.size() == 15 && text.substr(0, 4) >= "1950" && text.substr(0, 4) <= "2049")
    return der_utc_time(text.substr(2));
  return encoded;
}

// Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. DER leaves the
// default out, so critical FALSE is never written.
Bytes extension(ByteSpan id, bool critical, ByteSpan value) {
  if (critical) return der_sequence({der_oid(id), der_boolean(true), der_octet_string(value)});
  return der_sequence({der_oid(id), der_octet_string(value)});
}

Result<Bytes> extensions(const CertSpec& spec) {
  std::vector<Bytes> list;
  // basicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }.
  Bytes bc_fields;
  if (spec.is_ca) {
    append(bc_fields, der_boolean(true));
    if (spec.path_len) append(bc_fields, der_integer(uint64_t{*spec.path_len}));
  }
  list.push_back(extension(oid::kBasicConstraints, true, der_tlv(der_tag::kSequence, bc_fields)));
  if (spec.key_usage) {
    const uint32_t bits = spec.is_ca ? (kKeyUsageKeyCertSign | kKeyUsageCrlSign) : kKeyUsageDigitalSignature;
    list.push_back(extension(oid::kKeyUsage, true, der_named_bit_string(bits)));
  }
  if (!spec.ext_key_usage_oids.empty()) {
    std::vector<Bytes> purposes;
    for (const std::string& dotted : spec.ext_key_usage_oids) {
      auto purpose = der_oid(dotted);
      if (!purpose) return make_error("bad_oid", "extKeyUsage: " + purpose.error().message);
      purposes.push_back(std::move(*purpose));
    }
    list.push_back(extension(oid::kExtKeyUsage, false, der_sequence_of(purposes)));
  }
  return der_context(3, {der_sequence_of(list)});
}

}  // namespace

Bytes p256_spki_der(const P256PublicKey& pub) {
  return der_sequence(
      {der_sequence({der_oid(ByteSpan(oid::kEcPublicKey)), der_oid(ByteSpan(oid::kPrime256v1))}),
       der_bit_string(pub)});
}

Result<Bytes> x509_name_der(std::string_view o, std::string_view cn) {
  if (cn.empty()) return make_error("bad_name", "the common name is empty");
  std::vector<Bytes> rdns;
  if (!o.empty()) {
    auto org = rdn(kOidOrganization, o, "organization name");
    if (!org) return org.error();
    rdns.push_back(std::move(*org));
  }
  auto common = rdn(kOidCommonName, cn, "common name");
  if (!common) return common.error();
  rdns.push_back(std::move(*common));
  return der_sequence_of(rdns);
}

Result<Bytes> build_certificate(const CertSpec& spec, const P256PrivateKey& issuer_key) {
  if (spec.serial == 0) return make_error("bad_serial", "the serial number must be non-zero");
  if (spec.path_len && !spec.is_ca)
    return make_error("bad_path_len", "pathLenConstraint is only allowed in a CA certificate");
  if (!p256_is_valid_public_key(spec.subject_key))
    return make_error("bad_public_key", "the subject key is not an uncompressed point on P-256");

  auto issuer = x509_name_der(spec.issuer_o, spec.issuer_cn);
  if (!issuer) return make_error("bad_name", "issuer: " + issuer.error().message);
  auto subject = x509_name_der(spec.subject_o, spec.subject_cn);
  if (!subject) return make_error("bad_name", "subject: " + subject.error().message);
  auto not_before = validity_time(spec.not_before, "notBefore");
  if (!not_before) return not_before.error();
  auto not_after = validity_time(spec.not_after, "notAfter");
  if (!not_after) return not_after.error();
  auto exts = extensions(spec);
  if (!exts) return exts.error();

  const Bytes alg = ecdsa_with_sha256();
  const Bytes tbs = der_sequence({der_context(0, {der_integer(uint64_t{2})}), der_integer(spec.serial), alg,
                                  *issuer, der_sequence({*not_before, *not_after}), *subject,
                                  p256_spki_der(spec.subject_key), *exts});
  auto signature = p256_sign(issuer_key, sha256(tbs));
  if (!signature) return make_error("bad_key", "cannot sign the certificate: " + signature.error().message);
  return der_sequence({tbs, alg, der_bit_string(der_ecdsa_sig_value(*signature))});
}

}  // namespace physis::crypto
