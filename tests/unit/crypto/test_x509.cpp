// Strict X.509 profile and chain verification (DESIGN §5, SE_P256). Golden certificates come from
// tests/fixtures/attestation/make-fixtures.sh (openssl); mutated negatives are built here from those bytes.
// Every CertReject and ChainReject value has a test that triggers it.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>

#include "crypto/der.h"
#include "crypto/sha256.h"
#include "crypto/x509.h"
#include "crypto/x509_chain.h"

using namespace physis;
using namespace physis::crypto;

namespace {

Bytes fixture(const std::string& name) {
  std::ifstream in(std::string(PHYSIS_SOURCE_DIR) + "/tests/fixtures/attestation/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Bytes hex(std::string_view h) { return from_hex(h).value(); }

// A DER element with a minimal length.
Bytes tlv(uint8_t tag, ByteSpan content) {
  Bytes out{tag};
  const size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<uint8_t>(n));
  } else if (n < 0x100) {
    out.insert(out.end(), {0x81, static_cast<uint8_t>(n)});
  } else {
    out.insert(out.end(), {0x82, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
  }
  append(out, content);
  return out;
}

Bytes cat(std::initializer_list<ByteSpan> parts) {
  Bytes out;
  for (ByteSpan p : parts) append(out, p);
  return out;
}

// The three top-level elements of a certificate, each as a whole TLV.
struct CertParts {
  Bytes tbs, alg, sig_bits;
};

CertParts split(const Bytes& cert) {
  auto outer = der_parse_single(cert, der_tag::kSequence);
  EXPECT_TRUE(outer);
  DerReader r(outer->value);
  CertParts p;
  for (Bytes* field : {&p.tbs, &p.alg, &p.sig_bits}) {
    auto e = r.read_element();
    EXPECT_TRUE(e);
    *field = Bytes(e->tlv.begin(), e->tlv.end());
  }
  return p;
}

Bytes assemble(ByteSpan tbs, ByteSpan alg, ByteSpan sig_bits) {
  return tlv(der_tag::kSequence, cat({tbs, alg, sig_bits}));
}

// signatureValue BIT STRING around an Ecdsa-Sig-Value made of two already-encoded INTEGERs.
Bytes sig_bits(ByteSpan r_integer, ByteSpan s_integer) {
  const Bytes value = tlv(der_tag::kSequence, cat({r_integer, s_integer}));
  return tlv(der_tag::kBitString, cat({hex("00"), value}));
}

// Minimal DER INTEGER of a 32-byte unsigned big-endian value.
Bytes integer(ByteSpan v32) {
  size_t i = 0;
  while (i + 1 < v32.size() && v32[i] == 0) ++i;
  Bytes content;
  if (v32[i] & 0x80) content.push_back(0);
  content.insert(content.end(), v32.begin() + static_cast<ptrdiff_t>(i), v32.end());
  return tlv(der_tag::kInteger, content);
}

size_t find(const Bytes& hay, const Bytes& needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end());
  return it == hay.end() ? std::string::npos : static_cast<size_t>(it - hay.begin());
}

// Replaces the first occurrence of `from` (which must exist) by `to` of the same length.
Bytes replaced(Bytes bytes, std::string_view from, std::string_view to) {
  const Bytes f = hex(from), t = hex(to);
  const size_t at = find(bytes, f);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) std::copy(t.begin(), t.end(), bytes.begin() + static_cast<ptrdiff_t>(at));
  return bytes;
}

CertParseResult parse(const Bytes& der) { return parse_certificate_detailed(der); }

void expect_reject(const Bytes& der, CertReject reason, std::optional<DerError> der_error = std::nullopt) {
  const CertParseResult r = parse(der);
  EXPECT_EQ(cert_reject_name(r.reason), cert_reject_name(reason)) << r.message;
  if (der_error) {
    ASSERT_TRUE(r.der_error) << r.message;
    EXPECT_EQ(der_error_name(*r.der_error), der_error_name(*der_error)) << r.message;
  }
}

P256Signature flip_s(const P256Signature& sig) {
  P256Signature out = sig;
  int borrow = 0;
  for (size_t i = 32; i-- > 0;) {
    int d = static_cast<int>(kP256Order[i]) - static_cast<int>(sig[32 + i]) - borrow;
    borrow = d < 0 ? 1 : 0;
    out[32 + i] = static_cast<uint8_t>(d + (borrow << 8));
  }
  return out;
}

// The certificate with its signature replaced by `sig` (re-encoded in strict DER).
Bytes with_signature(const Bytes& cert, const P256Signature& sig) {
  const CertParts p = split(cert);
  const ByteSpan s(sig);
  return assemble(p.tbs, p.alg, sig_bits(integer(s.first(32)), integer(s.subspan(32))));
}

const Bytes& root_spki() {
  static const Bytes spki = fixture("root.spki.der");
  return spki;
}

ChainResult chain(std::initializer_list<const char*> names, const Bytes& anchor = root_spki(),
                  uint32_t max = 3) {
  std::vector<Bytes> certs;
  for (const char* n : names) certs.push_back(fixture(n));
  return verify_cert_chain(certs, anchor, max);
}

void expect_chain(const ChainResult& r, ChainReject reason, size_t index) {
  EXPECT_EQ(chain_reject_name(r.reason), chain_reject_name(reason)) << r.message;
  EXPECT_EQ(r.index, index) << r.message;
}

}  // namespace

// ---- parse_certificate: the golden certificates ----

TEST(X509Parse, DeviceCertificateFields) {
  const Bytes der = fixture("device.der");
  const CertParseResult r = parse(der);
  ASSERT_TRUE(r.ok()) << r.message;
  const Certificate& c = r.cert;
  EXPECT_EQ(c.der, der);
  EXPECT_EQ(c.spki_der, fixture("device.spki.der"));
  EXPECT_EQ(to_hex(c.public_key) + "\n", to_string(fixture("device.pub.hex")));
  EXPECT_EQ(c.tbs_der, split(der).tbs);
  EXPECT_EQ(c.serial, hex("03"));
  EXPECT_NE(find(c.tbs_der, c.issuer_der), std::string::npos);
  EXPECT_NE(find(c.tbs_der, c.validity_der), std::string::npos);
  EXPECT_EQ(c.issuer_der, parse(fixture("intermediate.der")).cert.subject_der);
  ASSERT_TRUE(c.basic_constraints);
  EXPECT_FALSE(c.is_ca());
  EXPECT_EQ(c.key_usage, std::optional<uint16_t>(kKeyUsageDigitalSignature));
  EXPECT_FALSE(c.ext_key_usage);
  EXPECT_TRUE(p256_scalar_in_range(ByteSpan(c.signature).first(32)));
  auto result = parse_certificate(der);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->subject_der, c.subject_der);
}

TEST(X509Parse, CaCertificates) {
  const CertParseResult root = parse(fixture("root.der"));
  ASSERT_TRUE(root.ok()) << root.message;
  EXPECT_TRUE(root.cert.is_ca());
  EXPECT_FALSE(root.cert.basic_constraints->path_len);
  EXPECT_EQ(root.cert.key_usage, std::optional<uint16_t>(kKeyUsageKeyCertSign | kKeyUsageCrlSign));
  EXPECT_EQ(root.cert.issuer_der, root.cert.subject_der);
  EXPECT_EQ(root.cert.spki_der, root_spki());
  const CertParseResult inter = parse(fixture("intermediate.der"));
  ASSERT_TRUE(inter.ok()) << inter.message;
  EXPECT_TRUE(inter.cert.is_ca());
  EXPECT_EQ(inter.cert.basic_constraints->path_len, std::optional<uint32_t>(0));
}

TEST(X509Parse, ExtendedKeyUsage) {
  const CertParseResult aik = parse(fixture("aik.der"));
  const CertParseResult wrong = parse(fixture("wrong-eku.der"));
  ASSERT_TRUE(aik.ok() && wrong.ok());
  EXPECT_TRUE(aik.cert.has_ext_key_usage(oid::kTcgKpAikCertificate));
  ASSERT_TRUE(wrong.cert.ext_key_usage);
  EXPECT_FALSE(wrong.cert.has_ext_key_usage(oid::kTcgKpAikCertificate));
  EXPECT_EQ(oid_to_string(wrong.cert.ext_key_usage->at(0)), "1.3.6.1.5.5.7.3.1");  // serverAuth
  EXPECT_FALSE(parse(fixture("device.der")).cert.has_ext_key_usage(oid::kTcgKpAikCertificate));
}

TEST(X509Parse, ResultCarriesReasonName) {
  auto r = parse_certificate(fixture("rsa-key.der"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "unsupported_key_algorithm");
  EXPECT_FALSE(r.error().message.empty());
}

TEST(X509Parse, ReasonNamesAreDistinct) {
  std::set<std::string_view> names;
  const int last = static_cast<int>(CertReject::kUnknownCriticalExtension);
  for (int v = 0; v <= last; ++v) names.insert(cert_reject_name(static_cast<CertReject>(v)));
  EXPECT_EQ(names.size(), static_cast<size_t>(last) + 1);
  EXPECT_EQ(names.count("unknown"), 0u);
}

// ---- parse_certificate: one test per CertReject value ----

TEST(X509Reject, MalformedDer) {
  const Bytes der = fixture("device.der");
  const CertParts p = split(der);
  expect_reject(Bytes{}, CertReject::kMalformedDer, DerError::kTruncated);
  expect_reject(Bytes(der.begin(), der.end() - 1), CertReject::kMalformedDer, DerError::kTruncated);
  // Trailing byte after the certificate, and inside the TBSCertificate.
  expect_reject(cat({der, hex("00")}), CertReject::kMalformedDer, DerError::kTrailingData);
  const auto tbs_body = der_parse_single(p.tbs, der_tag::kSequence);
  ASSERT_TRUE(tbs_body);
  const Bytes tbs_trailing = tlv(der_tag::kSequence, cat({tbs_body->value, hex("00")}));
  expect_reject(assemble(tbs_trailing, p.alg, p.sig_bits), CertReject::kMalformedDer,
                DerError::kTrailingData);
  // BER: a long-form length where the short form suffices (AlgorithmIdentifier 30 0a -> 30 81 0a).
  const Bytes alg_long = cat({hex("3081"), ByteSpan(p.alg).subspan(1)});
  expect_reject(assemble(p.tbs, alg_long, p.sig_bits), CertReject::kMalformedDer,
                DerError::kNonMinimalLength);
  // BER: a leading zero length octet on the outer SEQUENCE (30 82 xx xx -> 30 83 00 xx xx).
  ASSERT_EQ(der[1], 0x82);
  expect_reject(cat({hex("308300"), ByteSpan(der).subspan(2)}), CertReject::kMalformedDer,
                DerError::kNonMinimalLength);
  // BER: indefinite length with end-of-contents octets.
  expect_reject(cat({hex("3080"), cat({p.tbs, p.alg, p.sig_bits}), hex("0000")}), CertReject::kMalformedDer,
                DerError::kIndefiniteLength);
  // Unique identifiers are not in the profile: subjectUniqueID [2] after the key is trailing data.
  const Bytes with_uid = tlv(der_tag::kSequence, cat({tbs_body->value, hex("82020000")}));
  expect_reject(assemble(with_uid, p.alg, p.sig_bits), CertReject::kMalformedDer, DerError::kTrailingData);
}

TEST(X509Reject, UnsupportedVersion) {
  expect_reject(replaced(fixture("device.der"), "a003020102", "a003020101"), CertReject::kUnsupportedVersion);
}

TEST(X509Reject, BadSerialNumber) {
  const Bytes der = fixture("device.der");  // serial 3, right after the version
  expect_reject(replaced(der, "a003020102020103", "a003020102020183"), CertReject::kBadSerialNumber);
  expect_reject(replaced(der, "a003020102020103", "a003020102020100"), CertReject::kBadSerialNumber);
}

TEST(X509Reject, SignatureAlgorithmMismatch) {
  const CertParts p = split(fixture("device.der"));
  const Bytes outer_sha384 = replaced(p.alg, "2a8648ce3d040302", "2a8648ce3d040303");
  expect_reject(assemble(p.tbs, outer_sha384, p.sig_bits), CertReject::kSignatureAlgorithmMismatch);
}

TEST(X509Reject, UnsupportedSignatureAlgorithm) {
  expect_reject(fixture("ecdsa-sha384.der"), CertReject::kUnsupportedSignatureAlgorithm);
  expect_reject(fixture("rsa.der"), CertReject::kUnsupportedSignatureAlgorithm);
}

TEST(X509Reject, BadName) {
  const Bytes der = fixture("device.der");
  const Certificate c = parse(der).cert;
  ASSERT_LT(c.issuer_der[1], 0x80);
  ASSERT_EQ(c.issuer_der[2], der_tag::kSet);
  Bytes mutated = c.issuer_der;
  mutated[2] = der_tag::kSequence;  // an RDN that is not a SET
  expect_reject(replaced(der, to_hex(c.issuer_der), to_hex(mutated)), CertReject::kBadName);
}

TEST(X509Reject, BadValidity) {
  const Bytes der = fixture("device.der");
  const Certificate c = parse(der).cert;
  ASSERT_EQ(c.validity_der[2], der_tag::kUtcTime);
  Bytes mutated = c.validity_der;
  mutated[2] = der_tag::kOctetString;
  expect_reject(replaced(der, to_hex(c.validity_der), to_hex(mutated)), CertReject::kBadValidity);
}

TEST(X509Reject, UnsupportedKeyAlgorithm) {
  expect_reject(fixture("rsa-key.der"), CertReject::kUnsupportedKeyAlgorithm);
}

TEST(X509Reject, UnsupportedCurve) { expect_reject(fixture("p384-key.der"), CertReject::kUnsupportedCurve); }

TEST(X509Reject, BadPublicKey) {
  const Bytes der = fixture("device.der");
  const std::string point = to_string(fixture("device.pub.hex")).substr(0, 130);
  std::string off_curve = point;
  off_curve[129] = off_curve[129] == '0' ? '1' : '0';
  expect_reject(replaced(der, point, off_curve), CertReject::kBadPublicKey);
  expect_reject(replaced(der, point, "05" + point.substr(2)), CertReject::kBadPublicKey);
}

TEST(X509Reject, BadSignatureValue) {
  const Bytes der = fixture("device.der");
  const CertParts p = split(der);
  const P256Signature sig = parse(der).cert.signature;
  const ByteSpan r(sig.data(), 32), s(sig.data() + 32, 32);
  // r, then s, as 33 bytes with a leading zero it does not need (the value 0x0100..00 has its top bit clear).
  Bytes small(32, 0);
  small[0] = 0x01;
  const Bytes padded = tlv(der_tag::kInteger, cat({hex("00"), small}));
  expect_reject(assemble(p.tbs, p.alg, sig_bits(padded, integer(s))), CertReject::kBadSignatureValue,
                DerError::kBadInteger);
  expect_reject(assemble(p.tbs, p.alg, sig_bits(integer(r), padded)), CertReject::kBadSignatureValue,
                DerError::kBadInteger);
  // Control: the same value minimally encoded is accepted by the parser (the signature is not checked here).
  EXPECT_TRUE(parse(assemble(p.tbs, p.alg, sig_bits(integer(small), integer(s)))).ok());
  // The same with two leading zeros, which is non-minimal whatever the value.
  const Bytes padded2 = tlv(der_tag::kInteger, cat({hex("0000"), r}));
  expect_reject(assemble(p.tbs, p.alg, sig_bits(padded2, integer(s))), CertReject::kBadSignatureValue,
                DerError::kBadInteger);
  // r = 0, s = n, r wider than 256 bits, a negative s, and a byte after the Ecdsa-Sig-Value.
  expect_reject(assemble(p.tbs, p.alg, sig_bits(hex("020100"), integer(s))), CertReject::kBadSignatureValue);
  expect_reject(assemble(p.tbs, p.alg, sig_bits(integer(r), integer(kP256Order))),
                CertReject::kBadSignatureValue);
  const Bytes wide = tlv(der_tag::kInteger, cat({hex("01"), r}));
  expect_reject(assemble(p.tbs, p.alg, sig_bits(wide, integer(s))), CertReject::kBadSignatureValue);
  expect_reject(assemble(p.tbs, p.alg, sig_bits(integer(r), hex("020180"))), CertReject::kBadSignatureValue,
                DerError::kNegativeInteger);
  const Bytes inner = tlv(der_tag::kSequence, cat({integer(r), integer(s)}));
  const Bytes trailing = tlv(der_tag::kBitString, cat({hex("00"), inner, hex("00")}));
  expect_reject(assemble(p.tbs, p.alg, trailing), CertReject::kBadSignatureValue, DerError::kTrailingData);
}

TEST(X509Reject, BadExtension) {
  const Bytes device = fixture("device.der");
  // keyUsage digitalSignature with a trailing zero bit (unused bits 7 -> 6).
  expect_reject(replaced(device, "0603551d0f0101ff040403020780", "0603551d0f0101ff040403020680"),
                CertReject::kBadExtension);
  // critical FALSE written out (DER omits DEFAULT values).
  expect_reject(replaced(device, "0603551d130101ff", "0603551d13010100"), CertReject::kBadExtension);
  // basicConstraints cA FALSE written out.
  expect_reject(
      replaced(fixture("root.der"), "0603551d130101ff040530030101ff", "0603551d130101ff04053003010100"),
      CertReject::kBadExtension);
  // keyUsage with no bit set.
  expect_reject(replaced(device, "0603551d0f0101ff040403020780", "0603551d0f0101ff040403020000"),
                CertReject::kBadExtension);
}

TEST(X509Reject, DuplicateExtension) {
  // subjectKeyIdentifier (2.5.29.14) renamed keyUsage (2.5.29.15): keyUsage twice.
  expect_reject(replaced(fixture("device.der"), "0603551d0e", "0603551d0f"), CertReject::kDuplicateExtension);
}

TEST(X509Reject, UnknownCriticalExtension) {
  expect_reject(fixture("unknown-critical.der"), CertReject::kUnknownCriticalExtension);
  // The device's critical basicConstraints renamed to an unknown 2.5.29.127.
  expect_reject(replaced(fixture("device.der"), "0603551d130101ff", "0603551d7f0101ff"),
                CertReject::kUnknownCriticalExtension);
}

// ---- verify_cert_chain ----

TEST(X509Chain, DeviceChainVerifies) {
  const ChainResult r = chain({"device.der", "intermediate.der"});
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(to_hex(r.leaf_public_key) + "\n", to_string(fixture("device.pub.hex")));
  ASSERT_EQ(r.spki_ids.size(), 2u);
  EXPECT_EQ(r.spki_ids[0], sha256(fixture("device.spki.der")));
  EXPECT_EQ(r.spki_ids[1], spki_id(parse(fixture("intermediate.der")).cert.spki_der));
  EXPECT_EQ(r.anchor_id, sha256(root_spki()));
  EXPECT_EQ(r.anchor_id, spki_id(root_spki()));
  ASSERT_EQ(r.certs.size(), 2u);
}

TEST(X509Chain, ThreeCertificateChainsVerify) {
  EXPECT_TRUE(chain({"device.der", "intermediate.der", "root.der"}).ok());
  EXPECT_TRUE(chain({"long-leaf.der", "long-ca2.der", "long-ca1.der"}).ok());
  const ChainResult aik = chain({"aik.der", "intermediate.der"});
  ASSERT_TRUE(aik.ok()) << aik.message;
  EXPECT_TRUE(aik.certs[0].has_ext_key_usage(oid::kTcgKpAikCertificate));
  // Wrong EKU is the caller's rule (TPM AK certificates), not the chain's: the chain verifies.
  const ChainResult wrong = chain({"wrong-eku.der", "intermediate.der"});
  ASSERT_TRUE(wrong.ok()) << wrong.message;
  EXPECT_FALSE(wrong.certs[0].has_ext_key_usage(oid::kTcgKpAikCertificate));
}

TEST(X509Chain, CertificateSignaturesAcceptEitherS) {
  const Bytes device = fixture("device.der");
  const P256Signature sig = parse(device).cert.signature;
  const P256Signature low = p256_is_low_s(sig) ? sig : flip_s(sig);
  for (const P256Signature& form : {low, flip_s(low)}) {
    const ChainResult r =
        verify_cert_chain({with_signature(device, form), fixture("intermediate.der")}, root_spki(), 3);
    EXPECT_TRUE(r.ok()) << r.message;
  }
}

TEST(X509Chain, AnchorMalformed) {
  const ChainResult not_spki = chain({"device.der", "intermediate.der"}, fixture("device.der"));
  expect_chain(not_spki, ChainReject::kAnchorMalformed, 0);
  const ChainResult trailing = chain({"device.der", "intermediate.der"}, cat({root_spki(), hex("00")}));
  expect_chain(trailing, ChainReject::kAnchorMalformed, 0);
  EXPECT_EQ(trailing.cert_reason, CertReject::kMalformedDer);
  // The RSA key dug out of rsa-key.der's TBSCertificate (its 7th element).
  const Bytes rsa_tbs = split(fixture("rsa-key.der")).tbs;
  const auto tbs = der_parse_single(rsa_tbs, der_tag::kSequence);
  ASSERT_TRUE(tbs);
  DerReader fields(tbs->value);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(fields.read_element());
  auto rsa_spki = fields.read_element(der_tag::kSequence);
  ASSERT_TRUE(rsa_spki);
  const ChainResult rsa =
      chain({"device.der", "intermediate.der"}, Bytes(rsa_spki->tlv.begin(), rsa_spki->tlv.end()));
  expect_chain(rsa, ChainReject::kAnchorMalformed, 0);
  EXPECT_EQ(rsa.cert_reason, CertReject::kUnsupportedKeyAlgorithm);
}

TEST(X509Chain, EmptyChain) {
  expect_chain(verify_cert_chain({}, root_spki(), 3), ChainReject::kEmptyChain, 0);
}

TEST(X509Chain, ChainTooLong) {
  expect_chain(chain({"long-leaf.der", "long-ca2.der", "long-ca1.der", "root.der"}),
               ChainReject::kChainTooLong, 0);
  // The protocol cap of 3 holds even if the caller allows more.
  expect_chain(chain({"long-leaf.der", "long-ca2.der", "long-ca1.der", "root.der"}, root_spki(), 10),
               ChainReject::kChainTooLong, 0);
  expect_chain(chain({"device.der", "intermediate.der", "root.der"}, root_spki(), 2),
               ChainReject::kChainTooLong, 0);
  expect_chain(chain({"device.der", "intermediate.der"}, root_spki(), 1), ChainReject::kChainTooLong, 0);
}

TEST(X509Chain, MalformedCert) {
  const Bytes device = fixture("device.der");
  const ChainResult leaf =
      verify_cert_chain({cat({device, hex("00")}), fixture("intermediate.der")}, root_spki(), 3);
  expect_chain(leaf, ChainReject::kMalformedCert, 0);
  EXPECT_EQ(leaf.cert_reason, CertReject::kMalformedDer);
  const ChainResult unknown = chain({"unknown-critical.der", "intermediate.der"});
  expect_chain(unknown, ChainReject::kMalformedCert, 0);
  EXPECT_EQ(unknown.cert_reason, CertReject::kUnknownCriticalExtension);
  const Bytes inter = fixture("intermediate.der");
  const ChainResult second =
      verify_cert_chain({device, Bytes(inter.begin(), inter.end() - 1)}, root_spki(), 3);
  expect_chain(second, ChainReject::kMalformedCert, 1);
}

TEST(X509Chain, UnsupportedAlgorithm) {
  const ChainResult rsa = chain({"rsa-key.der", "intermediate.der"});
  expect_chain(rsa, ChainReject::kUnsupportedAlgorithm, 0);
  EXPECT_EQ(rsa.cert_reason, CertReject::kUnsupportedKeyAlgorithm);
  EXPECT_EQ(chain({"p384-key.der", "intermediate.der"}).cert_reason, CertReject::kUnsupportedCurve);
  const ChainResult sha384 = chain({"ecdsa-sha384.der", "intermediate.der"});
  expect_chain(sha384, ChainReject::kUnsupportedAlgorithm, 0);
  EXPECT_EQ(sha384.cert_reason, CertReject::kUnsupportedSignatureAlgorithm);
  expect_chain(chain({"device.der", "rsa.der"}), ChainReject::kUnsupportedAlgorithm, 1);
}

TEST(X509Chain, LeafIsCa) {
  expect_chain(chain({"intermediate.der"}), ChainReject::kLeafIsCa, 0);
  expect_chain(chain({"intermediate.der", "root.der"}), ChainReject::kLeafIsCa, 0);
}

TEST(X509Chain, IssuerMismatch) {
  expect_chain(chain({"root2-leaf.der", "intermediate.der"}), ChainReject::kIssuerMismatch, 0);
  // One byte of the issuer's CN changed ("Intermediate" -> "Jntermediate").
  const Bytes device = fixture("device.der");
  const Bytes renamed = replaced(device, to_hex(as_span("Intermediate")), to_hex(as_span("Jntermediate")));
  expect_chain(verify_cert_chain({renamed, fixture("intermediate.der")}, root_spki(), 3),
               ChainReject::kIssuerMismatch, 0);
  expect_chain(chain({"device.der", "root.der"}), ChainReject::kIssuerMismatch, 0);
}

TEST(X509Chain, IssuerNotCa) {
  expect_chain(chain({"notca-leaf.der", "notca.der"}), ChainReject::kIssuerNotCa, 0);
}

TEST(X509Chain, IssuerCannotSignCerts) {
  expect_chain(chain({"nocertsign-leaf.der", "nocertsign.der"}), ChainReject::kIssuerCannotSignCerts, 0);
}

TEST(X509Chain, PathLenExceeded) {
  // intermediate has pathLenConstraint 0 but sub CA sits below it.
  expect_chain(chain({"subca-leaf.der", "subca.der", "intermediate.der"}), ChainReject::kPathLenExceeded, 1);
}

TEST(X509Chain, BadSignature) {
  const Bytes device = fixture("device.der");
  const Bytes inter = fixture("intermediate.der");
  P256Signature sig = parse(device).cert.signature;
  sig[20] ^= 0x01;  // flipped byte in r; still a valid encoding and in range
  expect_chain(verify_cert_chain({with_signature(device, sig), inter}, root_spki(), 3),
               ChainReject::kBadSignature, 0);
  // A flipped byte in the signed TBSCertificate (a digit of notAfter).
  const Certificate c = parse(device).cert;
  Bytes validity = c.validity_der;
  validity[validity.size() - 2] ^= 0x01;
  const Bytes tampered = replaced(device, to_hex(c.validity_der), to_hex(validity));
  expect_chain(verify_cert_chain({tampered, inter}, root_spki(), 3), ChainReject::kBadSignature, 0);
}

TEST(X509Chain, NotSignedByAnchor) {
  expect_chain(chain({"device.der", "intermediate.der"}, fixture("root2.spki.der")),
               ChainReject::kNotSignedByAnchor, 1);
  expect_chain(chain({"device.der"}), ChainReject::kNotSignedByAnchor, 0);
}

TEST(X509Chain, ReasonNamesAreDistinct) {
  std::set<std::string_view> names;
  const int last = static_cast<int>(ChainReject::kNotSignedByAnchor);
  for (int v = 0; v <= last; ++v) names.insert(chain_reject_name(static_cast<ChainReject>(v)));
  EXPECT_EQ(names.size(), static_cast<size_t>(last) + 1);
  EXPECT_EQ(names.count("unknown"), 0u);
}
