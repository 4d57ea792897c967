// Receipt failure reasons of included transactions (receipt.reason).
#pragma once

#include <cstdint>
#include <string_view>

namespace physis::vm {

// Why an included transaction failed. Its fee is still charged and its nonce consumed.
// Values are stored in receipts: never renumber. Each has its English text in vm/reason_text.h.
enum class TxFailReason : uint32_t {
  kNone = 0,
  kInsufficientFunds = 1,  // balance after the fee does not cover the transferred amount
  kBalanceOverflow = 2,    // the recipient's balance would exceed 2^128-1
  kNotGovernance = 3,      // anchor or key governance by a sender other than the governance authority
  kBadAnchor = 4,          // anchor spki, role, kinds or max chain length invalid
  kAnchorExists = 5,
  kUnknownAnchor = 6,
  kAttestationFailed = 7,  // receipt.detail = AttestReject value (vm/attestation.h)
  kUnknownDevice = 8,
  kNotOwner = 9,
  kBadLocation = 10,  // retired: UpdateDevice no longer takes a location (kLocationByDevice)
  kBadBatchSize = 11,  // SubmitProofs / ClaimRewards with 0 or too many entries
  kBadKeyId = 12,
  kDeviceInactive = 13,
  kTooManyOwners = 14,  // UpdateDevice transfer past the limit of earlier owners in one epoch
  kLocationByDevice = 15,  // UpdateDevice with a location: only the device asserts it (LOCATION_ASSERTION)
};
inline constexpr uint32_t kTxFailReasonCount = 16;
std::string_view tx_fail_reason_name(TxFailReason reason);

}  // namespace physis::vm
