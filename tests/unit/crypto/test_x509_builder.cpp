// The DER writer (der_writer.h) and the certificate builder (x509_builder.h): encodings checked byte for
// byte, read back by the strict DER reader, and certificates round-tripped through the strict X.509 parser,
// the chain verifier and OpenSSL.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <limits>
#include <thread>
#include <vector>

#include "crypto/der.h"
#include "crypto/der_writer.h"
#include "crypto/sha256.h"
#include "crypto/x509.h"
#include "crypto/x509_builder.h"
#include "crypto/x509_chain.h"

using namespace physis;
using namespace physis::crypto;

namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }

struct Party {
  P256PrivateKey key;
  P256PublicKey pub;
};

Party make_party() {
  const P256PrivateKey key = p256_generate();
  return {key, *p256_public_key(key)};
}

CertSpec spec_for(std::string issuer_cn, std::string subject_cn, const P256PublicKey& subject_key,
                  bool is_ca = false, std::optional<uint32_t> path_len = std::nullopt, uint64_t serial = 1) {
  CertSpec spec;
  spec.issuer_cn = std::move(issuer_cn);
  spec.subject_cn = std::move(subject_cn);
  spec.subject_key = subject_key;
  spec.is_ca = is_ca;
  spec.path_len = path_len;
  spec.serial = serial;
  return spec;
}

Bytes build(const CertSpec& spec, const P256PrivateKey& issuer_key) {
  auto cert = build_certificate(spec, issuer_key);
  EXPECT_TRUE(cert) << (cert ? "" : cert.error().code + ": " + cert.error().message);
  return cert ? *cert : Bytes{};
}

Certificate parse(const Bytes& der) {
  auto parsed = parse_certificate_detailed(der);
  EXPECT_TRUE(parsed.ok()) << parsed.message;
  return parsed.cert;
}

std::string error_code(const Result<Bytes>& r) { return r ? "ok" : r.error().code; }

// A root (self-signed CA, pathLen 1), an intermediate CA (pathLen 0) and a device leaf.
struct Pki {
  Party root = make_party(), inter = make_party(), leaf = make_party();
  Bytes root_cert, inter_cert, leaf_cert;

  Pki() {
    root_cert = build(spec_for("Physis Root", "Physis Root", root.pub, true, 1), root.key);
    inter_cert = build(spec_for("Physis Root", "Physis Intermediate", inter.pub, true, 0, 2), root.key);
    CertSpec l = spec_for("Physis Intermediate", "device-0001", leaf.pub, false, std::nullopt, 3);
    l.ext_key_usage_oids = {"2.23.133.8.3"};
    leaf_cert = build(l, inter.key);
  }
};

}  // namespace

TEST(X509BuilderDer, MinimalLengths) {
  const std::pair<size_t, const char*> cases[] = {{0, "0400"},     {127, "047f"},     {128, "048180"},
                                                  {255, "0481ff"}, {256, "04820100"}, {65536, "0483010000"}};
  for (auto [n, header] : cases) {
    const Bytes content(n, 0xab);
    const Bytes tlv = der_octet_string(content);
    const Bytes expected_header = hex(header);
    ASSERT_EQ(tlv.size(), expected_header.size() + n) << n;
    EXPECT_TRUE(std::equal(expected_header.begin(), expected_header.end(), tlv.begin())) << n;
    auto back = DerReader(tlv).read_octet_string();
    ASSERT_TRUE(back) << n;
    EXPECT_EQ(Bytes(back->begin(), back->end()), content);
  }
  EXPECT_EQ(der_length(0x1234567), hex("8401234567"));
}

TEST(X509BuilderDer, Integers) {
  EXPECT_EQ(der_integer(Bytes{0x80}), hex("02020080"));
  EXPECT_EQ(der_integer(Bytes{0x00, 0x00, 0x7f}), hex("02017f"));
  EXPECT_EQ(der_integer(Bytes{0x00, 0x00, 0x80, 0x01}), hex("0203008001"));
  EXPECT_EQ(der_integer(Bytes{}), hex("020100"));
  EXPECT_EQ(der_integer(uint64_t{0}), hex("020100"));
  EXPECT_EQ(der_integer(uint64_t{128}), hex("02020080"));
  EXPECT_EQ(der_integer(uint64_t{256}), hex("02020100"));
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(der_integer(max), hex("020900ffffffffffffffff"));
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{0x7f}, uint64_t{0x80}, uint64_t{0xffff}, max}) {
    const Bytes enc = der_integer(v);
    auto back = DerReader(enc).read_uint64();
    ASSERT_TRUE(back) << v;
    EXPECT_EQ(*back, v);
  }
}

TEST(X509BuilderDer, OidFromText) {
  auto ecdsa = der_oid("1.2.840.10045.4.3.2");
  ASSERT_TRUE(ecdsa);
  EXPECT_EQ(*ecdsa, hex("06082a8648ce3d040302"));
  EXPECT_EQ(*ecdsa, der_oid(ByteSpan(oid::kEcdsaWithSha256)));
  EXPECT_EQ(*der_oid_content("2.23.133.8.3"),
            Bytes(std::begin(oid::kTcgKpAikCertificate), std::end(oid::kTcgKpAikCertificate)));
  EXPECT_EQ(*der_oid("2.999.3"), hex("0603883703"));
  EXPECT_EQ(*der_oid("0.0"), hex("060100"));
  for (const char* text : {"1.2.840.10045.3.1.7", "2.5.29.19", "1.3.6.1.5.5.7.3.2",
                           "1.2.18446744073709551615", "2.18446744073709551535"}) {
    auto content = der_oid_content(text);
    ASSERT_TRUE(content) << text;
    EXPECT_EQ(oid_to_string(*content), text);
    EXPECT_TRUE(DerReader(der_oid(ByteSpan(*content))).read_oid()) << text;
  }
  for (const char* bad : {"", "1", "3.1", "1.40", "0.40", "1.2.", ".1.2", "1..2", "01.2", "1.02", "1.2.a",
                          "+1.2", "1.2.18446744073709551616", "2.18446744073709551536"})
    EXPECT_EQ(error_code(der_oid(bad)), "bad_oid") << bad;
}

TEST(X509BuilderDer, BitStrings) {
  EXPECT_EQ(der_bit_string(Bytes{0xab, 0xcd}), hex("030300abcd"));
  EXPECT_EQ(der_bit_string(Bytes{}), hex("030100"));
  EXPECT_EQ(der_named_bit_string(0), hex("030100"));
  EXPECT_EQ(der_named_bit_string(kKeyUsageDigitalSignature), hex("03020780"));
  EXPECT_EQ(der_named_bit_string(kKeyUsageKeyCertSign | kKeyUsageCrlSign), hex("03020106"));
  EXPECT_EQ(der_named_bit_string(kKeyUsageDigitalSignature | kKeyUsageKeyCertSign), hex("03020284"));
  EXPECT_EQ(der_named_bit_string(kKeyUsageDecipherOnly), hex("0303070080"));
  EXPECT_EQ(der_named_bit_string(kKeyUsageCrlSign | kKeyUsageEncipherOnly), hex("03020003"));
  for (uint32_t bits : {0u, 1u, 0x60u, 0x100u, 0x1ffu, 0x80000000u})
    EXPECT_TRUE(DerReader(der_named_bit_string(bits)).read_bit_string()) << bits;
}

TEST(X509BuilderDer, SimpleTypes) {
  EXPECT_EQ(der_boolean(true), hex("0101ff"));
  EXPECT_EQ(der_boolean(false), hex("010100"));
  EXPECT_EQ(der_null(), hex("0500"));
  EXPECT_EQ(der_octet_string(Bytes{1, 2}), hex("04020102"));
  EXPECT_EQ(der_sequence({}), hex("3000"));
  EXPECT_EQ(der_sequence({der_integer(uint64_t{1}), der_null()}), hex("30050201010500"));
  EXPECT_EQ(der_sequence_of({der_integer(uint64_t{1}), der_null()}), hex("30050201010500"));
  // SET elements are sorted: BOOLEAN (01) before INTEGER (02), and within one tag by encoding.
  EXPECT_EQ(der_set({der_integer(uint64_t{2}), der_boolean(true)}), hex("31060101ff020102"));
  EXPECT_EQ(der_set({der_integer(uint64_t{3}), der_integer(uint64_t{2})}), hex("3106020102020103"));
  EXPECT_EQ(der_context(0, {der_integer(uint64_t{2})}), hex("a003020102"));
  EXPECT_EQ(der_context(3, {der_null(), der_null()}), hex("a30405000500"));
  EXPECT_EQ(der_concat({Bytes{1}, Bytes{}, Bytes{2, 3}}), hex("010203"));
}

TEST(X509BuilderDer, Strings) {
  EXPECT_EQ(*der_utf8_string("Ab"), hex("0c024162"));
  EXPECT_EQ(*der_utf8_string(""), hex("0c00"));
  EXPECT_TRUE(der_utf8_string("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x94\x91"));
  for (const char* bad : {"\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                          "\xf5\x80\x80\x80", "\xe2\x82", "\x80", "a\xffz"})
    EXPECT_EQ(error_code(der_utf8_string(bad)), "bad_string") << to_hex(as_span(bad));
  EXPECT_EQ(*der_printable_string("Physis Test"), hex("130b5068797369732054657374"));
  EXPECT_TRUE(der_printable_string("A-z 0-9 '()+,-./:=?"));
  for (const char* bad : {"a@b", "a_b", "a*b", "caf\xc3\xa9", "x&y"})
    EXPECT_EQ(error_code(der_printable_string(bad)), "bad_string") << bad;
}

TEST(X509BuilderDer, Times) {
  EXPECT_EQ(*der_utc_time("250101000000Z"), der_concat({hex("170d"), as_span("250101000000Z")}));
  EXPECT_EQ(*der_generalized_time("20991231235959Z"), der_concat({hex("180f"), as_span("20991231235959Z")}));
  for (const char* bad :
       {"", "2501010000Z", "250101000000", "2501010000000Z", "251301000000Z", "250100000000Z",
        "250132000000Z", "250101240000Z", "250101006000Z", "250101000060Z", "25010100000aZ", "250101000000+"})
    EXPECT_EQ(error_code(der_utc_time(bad)), "bad_time") << bad;
  for (const char* bad :
       {"20991231240000Z", "2099123123595Z", "20991231235959", "2O991231235959Z", "20991231235959.5Z"})
    EXPECT_EQ(error_code(der_generalized_time(bad)), "bad_time") << bad;
}

TEST(X509BuilderDer, EcdsaSigValue) {
  std::array<uint8_t, 64> rs{};
  rs[0] = 0x80;   // r = 2^255: needs a 0x00 prefix
  rs[63] = 0x01;  // s = 1: leading zeros dropped
  const Bytes enc = der_ecdsa_sig_value(rs);
  EXPECT_EQ(enc.size(), 2u + 35u + 3u);
  DerReader top(enc);
  auto seq = top.read_sequence();
  ASSERT_TRUE(seq && top.finish());
  auto r = seq->read_unsigned_integer();
  auto s = seq->read_unsigned_integer();
  ASSERT_TRUE(r && s && seq->finish());
  EXPECT_EQ(Bytes(r->begin(), r->end()), Bytes(rs.begin(), rs.begin() + 32));
  EXPECT_EQ(Bytes(s->begin(), s->end()), Bytes{0x01});
}

TEST(X509Builder, SpkiMatchesParserAndSpkiId) {
  const Party p = make_party();
  const Bytes spki = p256_spki_der(p.pub);
  auto parsed = parse_p256_spki(spki);
  ASSERT_TRUE(parsed.ok()) << parsed.message;
  EXPECT_EQ(parsed.public_key, p.pub);
  EXPECT_EQ(spki.size(), 91u);
  const Certificate cert = parse(build(spec_for("Root", "Leaf", p.pub), make_party().key));
  EXPECT_EQ(cert.spki_der, spki);
  EXPECT_EQ(spki_id(spki), spki_id(cert.spki_der));
}

TEST(X509Builder, LeafRoundTrip) {
  const Party issuer = make_party(), subject = make_party();
  CertSpec spec = spec_for("Physis Root", "device-42", subject.pub);
  spec.serial = 0x80;
  spec.ext_key_usage_oids = {"2.23.133.8.3", "1.3.6.1.5.5.7.3.2"};
  const Bytes der = build(spec, issuer.key);
  const Certificate cert = parse(der);
  EXPECT_EQ(cert.der, der);
  EXPECT_EQ(cert.serial, hex("0080"));
  EXPECT_EQ(cert.issuer_der, *x509_name_der("Physis Test", "Physis Root"));
  EXPECT_EQ(cert.subject_der, *x509_name_der("Physis Test", "device-42"));
  EXPECT_EQ(cert.validity_der,
            der_sequence({*der_utc_time("250101000000Z"), *der_generalized_time("20991231235959Z")}));
  EXPECT_EQ(cert.public_key, subject.pub);
  EXPECT_FALSE(cert.is_ca());
  ASSERT_TRUE(cert.basic_constraints);
  EXPECT_FALSE(cert.basic_constraints->path_len);
  EXPECT_EQ(cert.key_usage, std::optional<uint16_t>(kKeyUsageDigitalSignature));
  ASSERT_TRUE(cert.ext_key_usage);
  ASSERT_EQ(cert.ext_key_usage->size(), 2u);
  EXPECT_EQ(oid_to_string((*cert.ext_key_usage)[0]), "2.23.133.8.3");
  EXPECT_EQ(oid_to_string((*cert.ext_key_usage)[1]), "1.3.6.1.5.5.7.3.2");
  EXPECT_TRUE(cert.has_ext_key_usage(oid::kTcgKpAikCertificate));
  // Signed over SHA-256 of the TBSCertificate, with low S.
  EXPECT_TRUE(p256_verify(issuer.pub, sha256(cert.tbs_der), cert.signature, /*require_low_s=*/true));
}

TEST(X509Builder, CaRoundTrip) {
  const Party p = make_party();
  CertSpec spec = spec_for("CA", "CA", p.pub);
  spec.is_ca = true;
  spec.path_len = 0;
  spec.issuer_o = spec.subject_o = "Maker Inc.";
  const Certificate cert = parse(build(spec, p.key));
  EXPECT_TRUE(cert.is_ca());
  EXPECT_EQ(cert.basic_constraints->path_len, std::optional<uint32_t>(0));
  EXPECT_EQ(cert.key_usage, std::optional<uint16_t>(kKeyUsageKeyCertSign | kKeyUsageCrlSign));
  EXPECT_FALSE(cert.ext_key_usage);
  EXPECT_EQ(cert.issuer_der, cert.subject_der);

  spec.path_len.reset();
  spec.key_usage = false;
  spec.serial = std::numeric_limits<uint64_t>::max();
  const Certificate open = parse(build(spec, p.key));
  EXPECT_TRUE(open.is_ca());
  EXPECT_FALSE(open.basic_constraints->path_len);
  EXPECT_FALSE(open.key_usage);
  EXPECT_EQ(open.serial, hex("00ffffffffffffffff"));
}

TEST(X509Builder, NamesAndValidityEncodings) {
  const Party p = make_party();
  CertSpec spec = spec_for("Root", "Leaf", p.pub);
  spec.issuer_o = "";
  spec.subject_o = "Fabrik \xc3\x9c";
  spec.not_before = "19491231235959Z";  // before 1950: GeneralizedTime
  spec.not_after = "20491231235959Z";   // through 2049: UTCTime
  const Certificate cert = parse(build(spec, p.key));
  EXPECT_EQ(cert.issuer_der, hex("300f310d300b06035504030c04526f6f74"));  // CN only
  EXPECT_EQ(cert.subject_der, *x509_name_der("Fabrik \xc3\x9c", "Leaf"));
  EXPECT_EQ(cert.validity_der,
            der_sequence({*der_generalized_time("19491231235959Z"), *der_utc_time("491231235959Z")}));
  spec.not_before = "500101000000Z";  // UTCTime text is taken as is
  spec.not_after = "20500101000000Z";
  EXPECT_EQ(parse(build(spec, p.key)).validity_der,
            der_sequence({*der_utc_time("500101000000Z"), *der_generalized_time("20500101000000Z")}));
}

TEST(X509Builder, ChainVerifies) {
  const Pki pki;
  const Bytes anchor = p256_spki_der(pki.root.pub);
  const ChainResult r = verify_cert_chain({pki.leaf_cert, pki.inter_cert, pki.root_cert}, anchor, 3);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.leaf_public_key, pki.leaf.pub);
  EXPECT_EQ(r.anchor_id, spki_id(anchor));
  ASSERT_EQ(r.spki_ids.size(), 3u);
  EXPECT_EQ(r.spki_ids[0], spki_id(p256_spki_der(pki.leaf.pub)));
  EXPECT_EQ(r.spki_ids[1], spki_id(p256_spki_der(pki.inter.pub)));
  EXPECT_EQ(r.spki_ids[2], spki_id(anchor));
  EXPECT_EQ(r.certs[0].issuer_der, r.certs[1].subject_der);

  // Without the root certificate the intermediate is checked against the anchor directly.
  const ChainResult short_chain = verify_cert_chain({pki.leaf_cert, pki.inter_cert}, anchor, 3);
  ASSERT_TRUE(short_chain.ok()) << short_chain.message;
  EXPECT_EQ(short_chain.leaf_public_key, pki.leaf.pub);
}

TEST(X509Builder, LeafThatIsCaIsRejected) {
  const Pki pki;
  const Bytes leaf = build(spec_for("Physis Intermediate", "device-ca", pki.leaf.pub, true), pki.inter.key);
  const ChainResult r =
      verify_cert_chain({leaf, pki.inter_cert, pki.root_cert}, p256_spki_der(pki.root.pub), 3);
  EXPECT_EQ(r.reason, ChainReject::kLeafIsCa) << r.message;
}

TEST(X509Builder, WrongSigningKeyIsRejected) {
  const Pki pki;
  const Party rogue = make_party();
  const Bytes anchor = p256_spki_der(pki.root.pub);

  // The leaf signed by a key other than the intermediate's.
  const Bytes bad_leaf = build(spec_for("Physis Intermediate", "device-0001", pki.leaf.pub), rogue.key);
  ChainResult r = verify_cert_chain({bad_leaf, pki.inter_cert, pki.root_cert}, anchor, 3);
  EXPECT_EQ(r.reason, ChainReject::kBadSignature) << r.message;
  EXPECT_EQ(r.index, 0u);

  // The intermediate signed by a key other than the root's.
  const Bytes bad_inter =
      build(spec_for("Physis Root", "Physis Intermediate", pki.inter.pub, true), rogue.key);
  r = verify_cert_chain({pki.leaf_cert, bad_inter, pki.root_cert}, anchor, 3);
  EXPECT_EQ(r.reason, ChainReject::kBadSignature) << r.message;
  EXPECT_EQ(r.index, 1u);
  r = verify_cert_chain({pki.leaf_cert, bad_inter}, anchor, 3);
  EXPECT_EQ(r.reason, ChainReject::kNotSignedByAnchor) << r.message;

  // A good chain against another anchor.
  r = verify_cert_chain({pki.leaf_cert, pki.inter_cert, pki.root_cert}, p256_spki_der(rogue.pub), 3);
  EXPECT_EQ(r.reason, ChainReject::kNotSignedByAnchor) << r.message;
}

TEST(X509Builder, InvalidSpecsAreErrors) {
  const Party p = make_party();
  const CertSpec good = spec_for("Root", "Leaf", p.pub);
  auto with = [&](auto change) {
    CertSpec s = good;
    change(s);
    return error_code(build_certificate(s, p.key));
  };
  EXPECT_EQ(with([](CertSpec&) {}), "ok");
  EXPECT_EQ(with([](CertSpec& s) { s.serial = 0; }), "bad_serial");
  EXPECT_EQ(with([](CertSpec& s) { s.path_len = 1; }), "bad_path_len");
  EXPECT_EQ(with([](CertSpec& s) { s.subject_key = P256PublicKey{}; }), "bad_public_key");
  EXPECT_EQ(with([](CertSpec& s) { s.subject_key[64] ^= 1; }), "bad_public_key");
  EXPECT_EQ(with([](CertSpec& s) { s.subject_cn = ""; }), "bad_name");
  EXPECT_EQ(with([](CertSpec& s) { s.issuer_cn = ""; }), "bad_name");
  EXPECT_EQ(with([](CertSpec& s) { s.issuer_o = "\xff"; }), "bad_name");
  EXPECT_EQ(with([](CertSpec& s) { s.not_before = "2025-01-01"; }), "bad_time");
  EXPECT_EQ(with([](CertSpec& s) { s.not_after = "20991331235959Z"; }), "bad_time");
  EXPECT_EQ(with([](CertSpec& s) { s.ext_key_usage_oids = {"2.23.133.8.3", "serverAuth"}; }), "bad_oid");
  EXPECT_EQ(error_code(build_certificate(good, P256PrivateKey{})), "bad_key");
  EXPECT_EQ(error_code(x509_name_der("O", "")), "bad_name");
}

TEST(X509Builder, OpenSslAcceptsAndReencodesIdentically) {
  const Pki pki;
  const Bytes spki = p256_spki_der(pki.inter.pub);
  const uint8_t* p = spki.data();
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size()));
  ASSERT_NE(key, nullptr);
  p = pki.leaf_cert.data();
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(pki.leaf_cert.size()));
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(p, pki.leaf_cert.data() + pki.leaf_cert.size());
  EXPECT_EQ(X509_verify(x, key), 1);
  unsigned char* out = nullptr;
  const int len = i2d_X509(x, &out);
  ASSERT_GT(len, 0);
  EXPECT_EQ(Bytes(out, out + len), pki.leaf_cert);
  OPENSSL_free(out);
  X509_free(x);
  EVP_PKEY_free(key);
}

TEST(X509Builder, ConcurrentBuildsAreIndependent) {
  const Party root = make_party();
  std::vector<Party> subjects;
  for (int i = 0; i < 8; ++i) subjects.push_back(make_party());
  std::vector<Bytes> certs(subjects.size());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < subjects.size(); ++t) {
    threads.emplace_back([&, t] {
      CertSpec spec = spec_for("Root", "dev-" + std::to_string(t), subjects[t].pub);
      spec.serial = t + 1;
      if (auto cert = build_certificate(spec, root.key)) certs[t] = std::move(*cert);
    });
  }
  for (auto& th : threads) th.join();
  for (size_t t = 0; t < subjects.size(); ++t) {
    const ChainResult r = verify_cert_chain({certs[t]}, p256_spki_der(root.pub), 3);
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(r.leaf_public_key, subjects[t].pub);
  }
}
