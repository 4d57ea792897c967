// Transactions (DESIGN §3): decoding with structural checks, signing, sender recovery.
#pragma once

#include "crypto/secp256k1.h"
#include "primitives/physis.pb.h"
#include "util/amount.h"
#include "util/bytes.h"
#include "util/result.h"

namespace physis {

// Consensus limit on one encoded transaction (see doc/protocol.md).
inline constexpr size_t kMaxTxBytes = 128 * 1024;  // room for a batch of ~500 proofs
inline constexpr std::string_view kTxDomain = "PHYSIS/TX/v1";

// A transaction whose encoding and structure are valid. The signature is not yet checked.
struct DecodedTx {
  Hash32 hash{};     // keccak256 of the raw canonical bytes
  Hash32 sighash{};  // keccak256(kTxDomain ‖ body bytes)
  Bytes raw;
  pb::TxBody body;
  crypto::Signature signature{};
};

// A transaction whose signature has been checked and whose sender is known.
struct VerifiedTx {
  DecodedTx tx;
  Address sender{};
};

// Decodes raw bytes. Errors (code "malformed" or "oversize") say what is wrong: size limit, non-canonical
// encoding of the envelope or body, wrong-length signature, missing payload, or a payload field of the
// wrong size or count (primitives/tx_fields.h check_tx_fields; the message names the field).
Result<DecodedTx> decode_tx(ByteSpan raw);
// Recovers the sender from the signature. Error code "bad_signature".
Result<VerifiedTx> verify_tx(DecodedTx tx);
// Convenience: decode then verify.
Result<VerifiedTx> decode_and_verify_tx(ByteSpan raw);

Hash32 tx_sighash(ByteSpan body_bytes);
// Signs a body and returns the raw canonical transaction bytes.
Bytes sign_tx(const pb::TxBody& body, const crypto::PrivateKey& key);
pb::TxBody make_transfer_body(std::string chain_id, uint64_t nonce, uint64_t gas_limit, uint64_t gas_price,
                              const Address& to, Amount amount);

// The encoded size of the body's payload message (without its field tag and length): the bytes that pay
// gas per byte (vm/gas.h). 0 without a payload. Exact for a decoded body, whose encoding is canonical.
size_t payload_bytes(const pb::TxBody& body);

// Amount of a transfer payload (validated by decode_tx, so this cannot fail on a decoded tx).
Amount transfer_amount(const pb::Transfer& t);
Address bytes_to_address(const std::string& b);  // b.size() must be 20

}  // namespace physis
