#include "p2p/envelope.h"

#include "primitives/codec.h"

namespace physis::p2p {

const char* reject_reason_name(RejectReason reason) {
  switch (reason) {
    case RejectReason::kOversize: return "oversize";
    case RejectReason::kMalformed: return "malformed";
    case RejectReason::kNonCanonical: return "non_canonical";
    case RejectReason::kWrongChain: return "wrong_chain";
    case RejectReason::kEmptyBody: return "empty_body";
    case RejectReason::kRateLimited: return "rate_limited";
    case RejectReason::kInvalid: return "invalid";
  }
  return "unknown";
}

bool decode_envelope(ByteSpan frame, std::string_view chain_id, size_t max_bytes, Envelope& out,
                     RejectReason& reason) {
  if (frame.size() > max_bytes) {
    reason = RejectReason::kOversize;
    return false;
  }
  // decode_canonical folds "unparseable" and "not canonical" into one error; parse first so the
  // score and the log say which one it was.
  Envelope probe;
  if (!probe.ParseFromArray(frame.data(), static_cast<int>(frame.size()))) {
    reason = RejectReason::kMalformed;
    return false;
  }
  if (!decode_canonical(frame, out, "p2p envelope")) {
    reason = RejectReason::kNonCanonical;
    return false;
  }
  if (out.chain_id() != chain_id) {
    reason = RejectReason::kWrongChain;
    return false;
  }
  if (out.body_case() == Envelope::BODY_NOT_SET) {
    reason = RejectReason::kEmptyBody;
    return false;
  }
  return true;
}

Bytes encode_envelope(const Envelope& envelope) { return encode_canonical(envelope); }

}  // namespace physis::p2p
