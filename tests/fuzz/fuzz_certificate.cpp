// Fuzz harness: the strict X.509 parser and chain verifier (certificates come from device makers).
// Invariant: an accepted certificate's TBS, names and SPKI are slices of the input.
#include <algorithm>
#include <cstdlib>
#include <string>

#include "crypto/x509.h"
#include "crypto/x509_chain.h"

namespace {
bool inside(const physis::Bytes& part, const uint8_t* data, size_t size) {
  if (part.size() > size) return false;
  return std::search(data, data + size, part.begin(), part.end()) != data + size;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  physis::ByteSpan in(data, size);
  auto parsed = physis::crypto::parse_certificate_detailed(in);
  if (parsed.ok()) {
    const auto& c = parsed.cert;
    if (!inside(c.tbs_der, data, size) || !inside(c.subject_der, data, size) ||
        !inside(c.spki_der, data, size))
      std::abort();
    // Chain of one, anchored at the certificate's own key: exercises signature checking paths.
    (void)physis::crypto::verify_cert_chain({physis::Bytes(data, data + size)}, c.spki_der, 3);
  }
  (void)physis::crypto::parse_p256_spki(in);
  return 0;
}
