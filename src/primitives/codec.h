// Canonical Protobuf encoding (DESIGN §2). A message is accepted only if re-serialising it
// deterministically gives exactly the bytes received: no unknown fields, no default-valued fields
// written, fields in number order, no duplicates. Hashes and signatures are over those exact bytes.
#pragma once

#include <google/protobuf/message.h>

#include <string_view>

#include "util/bytes.h"
#include "util/result.h"

namespace physis {

// Deterministic serialisation: the canonical bytes of a message.
Bytes encode_canonical(const google::protobuf::Message& message);

// Parses `bytes` into `out`. Errors (code "malformed"): not parseable as `what`, or not in canonical
// form; the message names `what` so the caller's error says which object was wrong.
Status decode_canonical(ByteSpan bytes, google::protobuf::Message& out, std::string_view what);

}  // namespace physis
