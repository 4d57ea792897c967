#include "cli/evidence_inputs.h"

#include "cli/cli_common.h"
#include "crypto/x509.h"
#include "crypto/x509_chain.h"

namespace physis::cli {

namespace {
bool is_pem(const std::string& bytes) { return bytes.find("-----BEGIN") != std::string::npos; }

bool is_pem_of(const std::string& bytes, const std::string& label) {
  return bytes.find("-----BEGIN " + label + "-----") != std::string::npos;
}
}  // namespace

Bytes read_spki_der(const std::string& path, const std::string& flag) {
  const std::string raw = read_file(path);
  const std::string what = "--" + flag + " " + path;
  if (is_pem_of(raw, "CERTIFICATE"))
    throw CommandError(what +
                       " is a PEM certificate; a DER SubjectPublicKeyInfo is expected. Make one with: "
                       "openssl x509 -in " +
                       path + " -noout -pubkey | openssl pkey -pubin -outform DER -out ROOT.spki.der");
  if (is_pem(raw))
    throw CommandError(what +
                       " is PEM; a DER SubjectPublicKeyInfo is expected. Make one with: openssl pkey " +
                       (is_pem_of(raw, "PUBLIC KEY") ? "-pubin " : "") + "-in " + path +
                       " -pubout -outform DER -out ROOT.spki.der");
  const Bytes der(raw.begin(), raw.end());
  if (crypto::parse_certificate_detailed(der).ok())
    throw CommandError(what +
                       " is a DER certificate; its SubjectPublicKeyInfo is expected. Make it with: "
                       "openssl x509 -inform DER -in " +
                       path + " -noout -pubkey | openssl pkey -pubin -outform DER -out ROOT.spki.der");
  auto spki = crypto::parse_p256_spki(der);
  if (!spki.ok())
    throw CommandError(what + " is not a DER P-256 SubjectPublicKeyInfo (" + spki.message +
                       "). Make one from the root's private key with: openssl pkey -in ROOT.key.pem -pubout "
                       "-outform DER -out ROOT.spki.der");
  return der;
}

std::vector<Bytes> read_cert_chain(const std::vector<std::string>& paths,
                                   const crypto::P256PublicKey& device_key, const Bytes& anchor_spki) {
  if (paths.empty()) throw UsageError("--certs needs at least the device's (leaf) certificate");
  std::vector<Bytes> ders;
  std::vector<crypto::Certificate> certs;
  for (const auto& path : paths) {
    const std::string raw = read_file(path);
    if (is_pem(raw))
      throw CommandError("--certs " + path + " is PEM; DER is expected. Convert it with: openssl x509 -in " +
                         path + " -outform DER -out " + path + ".der");
    Bytes der(raw.begin(), raw.end());
    auto parsed = crypto::parse_certificate_detailed(der);
    if (!parsed.ok())
      throw CommandError("--certs " + path + " is not a DER X.509 certificate the chain accepts (" +
                         std::string(crypto::cert_reject_name(parsed.reason)) + ": " + parsed.message + ")");
    certs.push_back(std::move(parsed.cert));
    ders.push_back(std::move(der));
  }
  if (certs[0].public_key != device_key) {
    for (size_t i = 1; i < certs.size(); ++i)
      if (certs[i].public_key == device_key)
        throw CommandError("the chain must be leaf first: " + paths[i] + " (certificate " +
                           std::to_string(i + 1) + ") holds the device key; give --certs " + paths[i] +
                           ",... with each issuer after it");
    throw CommandError("--device-key does not match the leaf certificate " + paths[0] +
                       ": compare `openssl pkey -in DEVICE.pem -pubout` with `openssl x509 -inform DER -in " +
                       paths[0] + " -noout -pubkey`");
  }
  for (size_t i = 0; i + 1 < certs.size(); ++i)
    if (certs[i].issuer_der != certs[i + 1].subject_der)
      throw CommandError("the chain must be leaf first, each certificate followed by its issuer: " +
                         paths[i + 1] + " did not issue " + paths[i]);
  auto chain = crypto::verify_cert_chain(ders, anchor_spki, crypto::kMaxCertChainLength);
  if (!chain.ok())
    throw CommandError("the certificate chain does not verify against --anchor-spki-file (" +
                       std::string(crypto::chain_reject_name(chain.reason)) + ", certificate " +
                       std::to_string(chain.index + 1) + "): " + chain.message);
  return ders;
}

}  // namespace physis::cli
