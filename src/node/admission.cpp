#include "node/admission.h"

namespace physis::node {

Status check_batch_limits(const pb::TxBody& body, const DepinParams& depin) {
  auto check = [&](int n, const char* what) -> Status {
    if (n >= 1 && static_cast<uint64_t>(n) <= depin.max_proofs_per_tx) return ok_status();
    return make_error("bad_batch_size", std::string(what) + " holds " + std::to_string(n) +
                                            "; the limit is 1.." + std::to_string(depin.max_proofs_per_tx) +
                                            " (genesis max_proofs_per_tx)");
  };
  switch (body.payload_case()) {
    case pb::TxBody::kSubmitProofs: return check(body.submit_proofs().proofs_size(), "the proof batch");
    case pb::TxBody::kClaimRewards: return check(body.claim_rewards().device_ids_size(), "the claim");
    case pb::TxBody::kTransfer:
    case pb::TxBody::kRegisterAnchor:
    case pb::TxBody::kRevokeAnchor:
    case pb::TxBody::kRevokeKey:
    case pb::TxBody::kRegisterDevice:
    case pb::TxBody::kUpdateDevice:
    case pb::TxBody::PAYLOAD_NOT_SET: return ok_status();
  }
  return ok_status();
}

RejectionLifetime rejection_lifetime(const std::string& code) {
  // Permanent: a property of the bytes (or of a nonce, which only grows).
  for (const char* c : {"bad_signature", "wrong_chain", "bad_batch_size", "gas_limit_too_low",
                        "gas_limit_too_high", "gas_price_too_low", "fee_overflow", "nonce_too_low"})
    if (code == c) return RejectionLifetime::kPermanent;
  // Balances change only when a block commits (the pending costs too: a block removes pending txs).
  if (code == "insufficient_funds_for_gas" || code == "insufficient_funds")
    return RejectionLifetime::kUntilNextBlock;
  return RejectionLifetime::kNotCached;
}

void RejectedTxCache::insert(const Hash32& hash, const Error& error, uint64_t height) {
  std::optional<uint64_t> at;
  switch (rejection_lifetime(error.code)) {
    case RejectionLifetime::kNotCached: return;
    case RejectionLifetime::kUntilNextBlock: at = height; break;
    case RejectionLifetime::kPermanent: break;
  }
  std::lock_guard lock(mutex_);
  auto [it, inserted] = entries_.insert_or_assign(hash, Entry{error, at});
  (void)it;
  if (!inserted) return;  // already in `order_`
  order_.push_back(hash);
  while (order_.size() > capacity_) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
}

std::optional<Error> RejectedTxCache::find(const Hash32& hash, uint64_t height) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(hash);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.height && *it->second.height != height) return std::nullopt;
  return it->second.error;
}

size_t RejectedTxCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace physis::node
