// English text for the codes a receipt commits (doc/protocol.md "Receipts"). Receipts hold codes and
// numbers only, so that rewording a message is never a fork; RPC and the CLI derive the text here, at
// query time. Nothing here is consensus: no VM rule may depend on these strings.
//
// Thread-safety: pure functions; safe to call concurrently.
#pragma once

#include <string>
#include <string_view>

#include "primitives/physis.pb.h"
#include "vm/attestation.h"
#include "vm/tx_fail_reason.h"

namespace physis::vm {

// What a failure reason means, as a sentence fragment ("the device is not registered"); empty for
// kNone. A value this build does not know gives "unknown reason N".
std::string tx_fail_message(TxFailReason reason);

// What an attestation rejection means ("the registrar statement has expired"); empty for kOk. A value
// this build does not know gives "unknown attestation reason N".
std::string attest_reject_message(AttestReject reason);

// What a proof rejection (or a reveal's witness verdict) means ("the beacon was never committed");
// empty for kAccepted. A value this build does not know gives "unknown proof reason N".
std::string proof_reject_message(uint32_t reason);

// The text of a receipt: empty on success; otherwise tx_fail_message of its reason and, for a failed
// registration, ": " and attest_reject_message of its detail.
std::string receipt_message(const pb::Receipt& receipt);

}  // namespace physis::vm
