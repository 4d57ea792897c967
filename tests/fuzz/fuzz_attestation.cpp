// Fuzz harness: device attestation evidence as it arrives inside a RegisterDevice transaction: canonical
// protobuf bytes (pb::AttestationEvidence, carrying the SE certificate chain, the registrar statement and
// the possession signature) decoded, then checked by the consensus verifier (vm/attestation.h). The chain
// knows two anchors built from tests/fixtures/attestation, so the certificate-chain and statement paths
// run; each input is verified twice, once with real signature checks and once with a verifier that
// accepts every signature, so the checks after the signatures run too. Invariants: the verdict does not
// depend on anything but the input, and an accepted device's id is the one its kind and key define.
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "crypto/sha256.h"
#include "primitives/codec.h"
#include "vm/attestation.h"

namespace {
using namespace physis;

std::string fixture(const char* name) {
  std::ifstream in(std::string(PHYSIS_SOURCE_DIR) + "/tests/fixtures/attestation/" + name, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (s.empty()) std::abort();  // the harness cannot run without its fixtures
  return s;
}

class FixtureChain final : public vm::ChainView {
 public:
  FixtureChain() {
    add(fixture("root.spki.der"), pb::MANUFACTURER_ROOT, pb::SE_P256, 3);
    add(fixture("root2.spki.der"), pb::REGISTRAR, pb::REGISTRAR_STATEMENT, 1);
  }
  std::optional<pb::Anchor> anchor(const Hash32& id) const override {
    for (const auto& [anchor_id, a] : anchors_)
      if (anchor_id == id) return a;
    return std::nullopt;
  }
  std::optional<uint64_t> key_revoked_at(const Hash32&) const override { return std::nullopt; }
  std::optional<Hash32> block_hash(uint64_t) const override { return std::nullopt; }
  bool checks_references() const override { return false; }

 private:
  void add(const std::string& spki, pb::AnchorRole role, pb::EvidenceKind kind, uint32_t max_chain_len) {
    pb::Anchor a;
    a.set_spki(spki);
    a.set_role(role);
    a.add_allowed_kinds(kind);
    a.set_max_chain_len(max_chain_len);
    a.set_registered_at(1);
    anchors_.emplace_back(crypto::sha256(as_span(spki)), a);
  }
  std::vector<std::pair<Hash32, pb::Anchor>> anchors_;
};

class AcceptAll final : public vm::SignatureVerifier {
 public:
  bool verify(uint32_t, ByteSpan, const Hash32&, ByteSpan) const override { return true; }
};

void check_outcome(const pb::AttestationEvidence& ev, const vm::AttestOutcome& out) {
  (void)vm::attest_reject_name(out.reason);
  if (!out.ok()) return;
  if (out.device_id != vm::device_id_of(ev.kind(), as_span(ev.device_key()))) std::abort();
  if (out.key_ids.empty()) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const FixtureChain chain;
  pb::AttestationEvidence ev;
  if (!decode_canonical(ByteSpan(data, size), ev, "evidence")) return 0;
  vm::AttestContext ctx{"physis-devnet-1", Address{}, 10, 64};
  vm::DirectSignatureVerifier direct;
  AcceptAll accept;
  auto strict = vm::verify_evidence(ev, ctx, chain, direct);
  check_outcome(ev, strict);
  auto lenient = vm::verify_evidence(ev, ctx, chain, accept);
  check_outcome(ev, lenient);
  // Accepting more signatures can only turn a signature rejection into another verdict.
  if (strict.ok() && !lenient.ok()) std::abort();
  (void)vm::registration_message(ctx.chain_id, ev, ctx.owner);
  (void)vm::registrar_statement_message(ctx.chain_id, ev);
  return 0;
}
