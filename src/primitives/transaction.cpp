#include "primitives/transaction.h"

#include <cstring>

#include "crypto/keccak.h"
#include "primitives/codec.h"
#include "primitives/tx_fields.h"

namespace physis {

Hash32 tx_sighash(ByteSpan body_bytes) {
  return crypto::Keccak256().update(as_span(kTxDomain)).update(body_bytes).finish();
}

Address bytes_to_address(const std::string& b) {
  Address a{};
  std::memcpy(a.data(), b.data(), std::min(b.size(), a.size()));
  return a;
}

size_t payload_bytes(const pb::TxBody& body) {
  switch (body.payload_case()) {
    case pb::TxBody::kTransfer: return body.transfer().ByteSizeLong();
    case pb::TxBody::kRegisterAnchor: return body.register_anchor().ByteSizeLong();
    case pb::TxBody::kRevokeAnchor: return body.revoke_anchor().ByteSizeLong();
    case pb::TxBody::kRevokeKey: return body.revoke_key().ByteSizeLong();
    case pb::TxBody::kRegisterDevice: return body.register_device().ByteSizeLong();
    case pb::TxBody::kUpdateDevice: return body.update_device().ByteSizeLong();
    case pb::TxBody::kSubmitProofs: return body.submit_proofs().ByteSizeLong();
    case pb::TxBody::kClaimRewards: return body.claim_rewards().ByteSizeLong();
    case pb::TxBody::PAYLOAD_NOT_SET: return 0;
  }
  return 0;
}

Amount transfer_amount(const pb::Transfer& t) { return decode_amount(as_span(t.amount())).value_or(0); }

Result<DecodedTx> decode_tx(ByteSpan raw) {
  if (raw.size() > kMaxTxBytes)
    return make_error("oversize", "transaction is " + std::to_string(raw.size()) + " bytes; the limit is " +
                                      std::to_string(kMaxTxBytes));
  pb::Transaction envelope;
  if (auto st = decode_canonical(raw, envelope, "transaction"); !st) return st.error();
  if (envelope.signature().size() != 65)
    return make_error("malformed",
                      "signature must be 65 bytes, got " + std::to_string(envelope.signature().size()));
  DecodedTx out;
  if (auto st = decode_canonical(as_span(envelope.body()), out.body, "transaction body"); !st)
    return st.error();
  if (out.body.payload_case() == pb::TxBody::PAYLOAD_NOT_SET)
    return make_error("malformed", "transaction has no payload");
  // Every field's size, before anything reads a value (primitives/tx_fields.h).
  if (auto st = check_tx_fields(out.body); !st) return st.error();
  out.raw.assign(raw.begin(), raw.end());
  out.hash = crypto::keccak256(raw);
  out.sighash = tx_sighash(as_span(envelope.body()));
  std::memcpy(out.signature.data(), envelope.signature().data(), 65);
  return out;
}

Result<VerifiedTx> verify_tx(DecodedTx tx) {
  auto sender = crypto::recover_address(tx.sighash, tx.signature);
  if (!sender) return sender.error();
  return VerifiedTx{std::move(tx), *sender};
}

Result<VerifiedTx> decode_and_verify_tx(ByteSpan raw) {
  auto tx = decode_tx(raw);
  if (!tx) return tx.error();
  return verify_tx(std::move(*tx));
}

Bytes sign_tx(const pb::TxBody& body, const crypto::PrivateKey& key) {
  Bytes body_bytes = encode_canonical(body);
  crypto::Signature sig = crypto::sign_digest(key, tx_sighash(body_bytes));
  pb::Transaction envelope;
  envelope.set_body(to_string(body_bytes));
  envelope.set_signature(to_string(sig));
  return encode_canonical(envelope);
}

pb::TxBody make_transfer_body(std::string chain_id, uint64_t nonce, uint64_t gas_limit, uint64_t gas_price,
                              const Address& to, Amount amount) {
  pb::TxBody body;
  body.set_chain_id(std::move(chain_id));
  body.set_nonce(nonce);
  body.set_gas_limit(gas_limit);
  body.set_gas_price(gas_price);
  auto* t = body.mutable_transfer();
  t->set_to(to_string(to));
  t->set_amount(to_string(encode_amount(amount)));
  return body;
}

}  // namespace physis
