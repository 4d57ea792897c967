// Fuzz harness: P2P envelope decoding (every frame a peer sends). Invariants: a frame that decodes is
// canonical (re-encoding gives it back), names our chain and has a body; anything else is rejected with a
// reason, never a crash.
#include <cstdlib>
#include <string_view>

#include "p2p/envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr std::string_view kChain = "physis-devnet-1";
  physis::ByteSpan in(data, size);
  physis::p2p::Envelope envelope;
  physis::p2p::RejectReason reason{};
  if (!physis::p2p::decode_envelope(in, kChain, 1 << 20, envelope, reason)) {
    (void)physis::p2p::reject_reason_name(reason);
    return 0;
  }
  if (envelope.chain_id() != kChain) std::abort();
  if (envelope.body_case() == physis::p2p::Envelope::BODY_NOT_SET) std::abort();
  if (physis::p2p::encode_envelope(envelope) != physis::Bytes(data, data + size)) std::abort();
  return 0;
}
