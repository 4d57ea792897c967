// Field sizes of every transaction payload (doc/protocol.md "Field sizes"), checked by decode_tx before
// anything else looks at a transaction: a field that no rule could ever accept is not allowed to ride
// along in a block. Fixed-size fields have their exact size; variable fields have a maximum size and
// lists a maximum count. What a value means (a registered device, a valid certificate, a known kind) is
// the VM's to judge, with its own reason codes; only sizes and counts are checked here.
// Pure; thread-safe.
#pragma once

#include <cstddef>

#include "primitives/physis.pb.h"
#include "util/result.h"

namespace physis {

inline constexpr size_t kHashBytes = 32;              // block hashes, anchor and key ids, evidence hashes
inline constexpr size_t kAddressBytes = 20;           // accounts and device ids
inline constexpr size_t kDeviceKeyBytes = 65;         // uncompressed SEC1 point, P-256 or secp256k1
inline constexpr size_t kCompactSignatureBytes = 64;  // r ‖ s of device, PoP and registrar signatures
inline constexpr size_t kRecoverableSignatureBytes = 65;  // r ‖ s ‖ v of account signatures (usage receipts)
inline constexpr size_t kMaxChainIdBytes = 64;        // also the genesis limit on chain_id
// Proofs in one SubmitProofs and device ids in one ClaimRewards. The genesis max_proofs_per_tx (checked
// by the VM, reason bad_batch_size) may not exceed it.
inline constexpr int kMaxBatchEntries = 1024;
inline constexpr int kMaxCertChainEntries = 3;  // = crypto::kMaxCertChainLength
inline constexpr size_t kMaxCertBytes = 4096;   // one DER certificate of an SE_P256 chain
inline constexpr size_t kMaxAnchorSpkiBytes = 256;
inline constexpr size_t kMaxAnchorNameBytes = 64;
inline constexpr int kMaxAnchorKinds = 8;
inline constexpr int kMaxAnchorClasses = 64;

// Checks the chain id and the payload of `body` against the sizes above. Required fixed-size fields
// (a transfer's recipient, ids named by revocations, updates, claims and proofs, a proof's reference hash
// and signature) must have exactly their size; optional ones (a new owner, a beaconer, evidence fields
// whose need depends on the evidence kind) are empty or exactly their size. Error code "malformed"; the
// message names the field by its path, e.g. "submit_proofs.proofs[3].ref_block_hash must be 32 bytes,
// got 131072". Does not check that a payload is set.
Status check_tx_fields(const pb::TxBody& body);

}  // namespace physis
