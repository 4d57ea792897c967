#include "crypto/x509_builder.h"

#include "crypto/sha256.h"

namespace physis::crypto {

namespace {
// Minimal DER writing: tag, minimal definite length, contents.
Bytes tlv(uint8_t tag, ByteSpan content) {
  Bytes out{tag};
  size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<uint8_t>(n));
  } else {
    Bytes len;
    for (size_t v = n; v > 0; v >>= 8) len.insert(len.begin(), static_cast<uint8_t>(v & 0xff));
    out.push_back(static_cast<uint8_t>(0x80 | len.size()));
    append(out, len);
  }
  append(out, content);
  return out;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) append(out, p);
  return out;
}

Bytes seq(std::initializer_list<Bytes> parts) { return tlv(0x30, concat(parts)); }

// INTEGER from unsigned big-endian bytes: minimal, with a 0x00 when the high bit is set.
Bytes integer(ByteSpan be) {
  size_t i = 0;
  while (i + 1 < be.size() && be[i] == 0) ++i;
  Bytes v;
  v.reserve(be.size() - i + 1);
  if (i >= be.size() || (be[i] & 0x80)) v.push_back(0);
  v.insert(v.end(), be.begin() + static_cast<long>(i), be.end());
  return tlv(0x02, v);
}
Bytes integer(uint64_t x) {
  Bytes be;
  append_u64_be(be, x);
  return integer(be);
}

Bytes oid(std::initializer_list<uint8_t> content) { return tlv(0x06, Bytes(content)); }
const Bytes kEcdsaSha256 = oid({0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02});
const Bytes kEcPublicKey = oid({0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01});
const Bytes kPrime256v1 = oid({0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07});
const Bytes kCommonName = oid({0x55, 0x04, 0x03});
const Bytes kOrganization = oid({0x55, 0x04, 0x0a});
const Bytes kBasicConstraints = oid({0x55, 0x1d, 0x13});
const Bytes kKeyUsage = oid({0x55, 0x1d, 0x0f});
const Bytes kExtKeyUsage = oid({0x55, 0x1d, 0x25});

Bytes name(const std::string& o, const std::string& cn) {
  auto rdn = [](const Bytes& type, const std::string& value) {
    return tlv(0x31, seq({type, tlv(0x0c, as_span(value))}));  // SET { SEQUENCE { type, UTF8String } }
  };
  return seq({rdn(kOrganization, o), rdn(kCommonName, cn)});
}

Bytes extension(const Bytes& id, bool critical, const Bytes& value) {
  Bytes body = id;
  if (critical) append(body, Bytes{0x01, 0x01, 0xff});
  append(body, tlv(0x04, value));
  return tlv(0x30, body);
}
}  // namespace

Bytes p256_spki_der(const P256PublicKey& pub) {
  Bytes bits{0x00};
  append(bits, pub);
  return seq({seq({kEcPublicKey, kPrime256v1}), tlv(0x03, bits)});
}

Result<Bytes> build_certificate(const CertSpec& spec, const P256PrivateKey& issuer_key) {
  Bytes exts;
  Bytes bc_body;
  if (spec.is_ca) {
    append(bc_body, Bytes{0x01, 0x01, 0xff});
    if (spec.path_len) append(bc_body, integer(*spec.path_len));
  }
  append(exts, extension(kBasicConstraints, true, tlv(0x30, bc_body)));
  if (spec.key_usage) {
    // BIT STRING, named bits MSB first: digitalSignature = bit 0; keyCertSign = 5, cRLSign = 6.
    Bytes ku = spec.is_ca ? Bytes{0x03, 0x02, 0x01, 0x06} : Bytes{0x03, 0x02, 0x07, 0x80};
    append(exts, extension(kKeyUsage, true, ku));
  }
  if (!spec.ext_key_usage_oids.empty()) {
    Bytes list;
    for (const auto& o : spec.ext_key_usage_oids) append(list, tlv(0x06, o));
    append(exts, extension(kExtKeyUsage, false, tlv(0x30, list)));
  }
  const Bytes alg = seq({kEcdsaSha256});
  const Bytes tbs = seq({tlv(0xa0, integer(2)), integer(spec.serial), alg, name(spec.issuer_o, spec.issuer_cn),
                         seq({tlv(0x18, as_span(spec.not_before)), tlv(0x18, as_span(spec.not_after))}),
                         name(spec.subject_o, spec.subject_cn), p256_spki_der(spec.subject_key),
                         tlv(0xa3, tlv(0x30, exts))});
  auto sig = p256_sign(issuer_key, sha256(tbs));
  if (!sig) return make_error("bad_key", "cannot sign the certificate: " + sig.error().message);
  Bytes sig_value = seq({integer(ByteSpan(sig->data(), 32)), integer(ByteSpan(sig->data() + 32, 32))});
  Bytes bits{0x00};
  append(bits, sig_value);
  return seq({tbs, alg, tlv(0x03, bits)});
}

}  // namespace physis::crypto
