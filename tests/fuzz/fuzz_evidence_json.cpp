// Fuzz harness: the evidence file / RPC object parser and the attestation verifier behind it
// (evidence comes from device makers and relayers). Input is JSON text.
#include <nlohmann/json.hpp>

#include "primitives/depin_json.h"
#include "vm/attestation.h"

namespace {
// A chain view with no anchors: every path up to the anchor lookup runs; nothing is trusted.
class EmptyView final : public physis::vm::ChainView {
 public:
  std::optional<physis::pb::Anchor> anchor(const physis::Hash32&) const override { return std::nullopt; }
  std::optional<uint64_t> key_revoked_at(const physis::Hash32&) const override { return std::nullopt; }
  std::optional<physis::Hash32> block_hash(uint64_t) const override { return std::nullopt; }
  bool checks_references() const override { return false; }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  if (auto ev = physis::evidence_from_json(j)) {
    physis::vm::AttestContext ctx{"physis-fuzz", physis::Address{}, 10, 64};
    EmptyView view;
    physis::vm::DirectSignatureVerifier direct;
    (void)physis::vm::verify_evidence(*ev, ctx, view, direct);
    (void)physis::evidence_to_json(*ev);
  }
  (void)physis::location_from_json(j);
  (void)physis::anchor_from_json(j);
  return 0;
}
