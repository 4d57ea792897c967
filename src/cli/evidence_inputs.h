// Checks of `physis-cli device make-evidence` input files, so a file in the wrong format or a chain in
// the wrong order is reported with what to do (and the openssl command that makes the right file)
// instead of as an attestation failure after a fee was paid.
#pragma once

#include <string>
#include <vector>

#include "crypto/p256.h"
#include "util/bytes.h"

namespace physis::cli {

// Reads `path` (given as --`flag`) as a DER P-256 SubjectPublicKeyInfo. CommandError naming the file when
// it is PEM, a certificate, or not a P-256 SPKI, each with the openssl command that makes a DER SPKI.
Bytes read_spki_der(const std::string& path, const std::string& flag);

// Reads the certificate chain (--certs), leaf first, and checks, in this order: each file is DER (not
// PEM) and parses as a certificate; the leaf's key is `device_key` (else: a later certificate holding it
// means the order is wrong, none means the key does not match); each certificate is issued by the next;
// the chain verifies up to `anchor_spki` (crypto/x509_chain.h). CommandError saying which file and what
// to do for the first failure.
std::vector<Bytes> read_cert_chain(const std::vector<std::string>& paths,
                                   const crypto::P256PublicKey& device_key, const Bytes& anchor_spki);

}  // namespace physis::cli
