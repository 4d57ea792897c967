// Encoding and checked decoding of P2P envelopes (p2p.proto). Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "p2p/p2p.pb.h"
#include "util/bytes.h"

namespace physis::p2p {

// Why a received frame was rejected. Every value costs the sender score (peer_score.h).
enum class RejectReason {
  kOversize,      // larger than the host's max message size
  kMalformed,     // not a parseable Envelope
  kNonCanonical,  // parses, but re-encoding gives different bytes (primitives/codec.h)
  kWrongChain,    // chain_id differs from ours
  kEmptyBody,     // no oneof body set
  kRateLimited,   // over the per-peer message or byte budget
  kInvalid,       // decodes, but its content is refused above the transport (a bad signature, a vote
                  // from a non-validator, a block that fails validation): reported via Host::penalize
};

// Short stable name for logs and net_peers ("oversize", "malformed", ...).
const char* reject_reason_name(RejectReason reason);

// Decodes one frame. Checks, in order: size ≤ max_bytes, parse + canonical form, chain id, body set.
// On success `out` holds the envelope; on failure `out` is unspecified and `reason` says why.
bool decode_envelope(ByteSpan frame, std::string_view chain_id, size_t max_bytes, Envelope& out,
                     RejectReason& reason);

// The canonical bytes of an envelope.
Bytes encode_envelope(const Envelope& envelope);

}  // namespace physis::p2p
