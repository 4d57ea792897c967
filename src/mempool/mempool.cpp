#include "mempool/mempool.h"

#include "vm/accounts.h"
#include "vm/apply.h"

namespace physis::mempool {

Mempool::Mempool(MempoolOptions options, ChainParams params, std::string chain_id)
    : options_(options), params_(params), chain_id_(std::move(chain_id)) {}

Result<Hash32> Mempool::add(VerifiedTx vtx, const vm::StateReader& state) {
  const Hash32 hash = vtx.tx.hash;
  vm::AccountState account = vm::load_account(state, vtx.sender);
  std::lock_guard lock(mutex_);
  if (by_hash_.count(hash)) return make_error("already_known", "transaction is already in the mempool");
  auto& pending = by_sender_[vtx.sender];
  auto cleanup_sender = [&] {
    if (pending.empty()) by_sender_.erase(vtx.sender);
  };
  const uint64_t nonce = vtx.tx.body.nonce();
  // A nonce another pending tx holds is not "used" (nothing was included): say what is really wrong.
  // A nonce below the account's is used, and check_tx says so.
  if (nonce >= account.nonce && pending.count(nonce) && vtx.tx.body.chain_id() == chain_id_)
    return make_error("nonce_pending",
                      "a transaction with nonce " + std::to_string(nonce) +
                          " from this sender is already pending; replacement is not supported");
  const uint64_t expected = account.nonce + pending.size();
  if (auto st = vm::check_tx(params_, chain_id_, vtx, account, expected); !st) {
    cleanup_sender();
    return st.error();
  }
  Amount committed_cost = 0;
  for (const auto& [nonce, h] : pending) committed_cost += by_hash_.at(h).max_cost;
  Amount cost =
      static_cast<Amount>(vtx.tx.body.gas_limit()) * vtx.tx.body.gas_price();  // checked by check_tx
  if (vtx.tx.body.has_transfer()) cost += transfer_amount(vtx.tx.body.transfer());
  auto total = checked_add(committed_cost, cost);
  if (!total || *total > account.balance) {
    cleanup_sender();
    return make_error("insufficient_funds",
                      "balance " + format_amount(account.balance) +
                          " does not cover this transaction's maximum cost " + format_amount(cost) +
                          (committed_cost > 0 ? " plus pending " + format_amount(committed_cost) : ""));
  }
  if (pending.size() >= options_.max_per_sender) {
    cleanup_sender();
    return make_error("too_many_pending", "sender already has " + std::to_string(pending.size()) +
                                              " pending transactions; wait for some to be included");
  }
  if (by_hash_.size() >= options_.max_txs || bytes_ + vtx.tx.raw.size() > options_.max_bytes) {
    cleanup_sender();
    return make_error("mempool_full", "mempool is full; retry later");
  }
  uint64_t seq = next_seq_++;
  pending[vtx.tx.body.nonce()] = hash;
  by_arrival_[seq] = hash;
  bytes_ += vtx.tx.raw.size();
  by_hash_.emplace(hash, Entry{std::move(vtx), seq, cost});
  return hash;
}

std::vector<VerifiedTx> Mempool::select(size_t max_txs, uint64_t max_gas) const {
  std::lock_guard lock(mutex_);
  std::vector<VerifiedTx> out;
  uint64_t gas = 0;
  for (const auto& [seq, hash] : by_arrival_) {
    if (out.size() >= max_txs) break;
    const Entry& e = by_hash_.at(hash);
    if (gas + e.tx.tx.body.gas_limit() > max_gas) break;
    gas += e.tx.tx.body.gas_limit();
    out.push_back(e.tx);
  }
  return out;
}

void Mempool::erase_locked(const Hash32& hash) {
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return;
  const Entry& e = it->second;
  by_arrival_.erase(e.seq);
  auto s = by_sender_.find(e.tx.sender);
  if (s != by_sender_.end()) {
    s->second.erase(e.tx.tx.body.nonce());
    if (s->second.empty()) by_sender_.erase(s);
  }
  bytes_ -= e.tx.tx.raw.size();
  by_hash_.erase(it);
}

void Mempool::remove_committed(const std::vector<Hash32>& included, const vm::StateReader& state) {
  std::lock_guard lock(mutex_);
  for (const auto& h : included) erase_locked(h);
  // Drop anything whose nonce is now used (e.g. replaced by a block from elsewhere).
  std::vector<Hash32> stale;
  for (const auto& [sender, nonces] : by_sender_) {
    uint64_t next = vm::load_account(state, sender).nonce;
    for (const auto& [nonce, h] : nonces) {
      if (nonce >= next) break;
      stale.push_back(h);
    }
  }
  for (const auto& h : stale) erase_locked(h);
}

size_t Mempool::drop_with_successors(const Hash32& hash) {
  std::lock_guard lock(mutex_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return 0;
  const Address sender = it->second.tx.sender;
  const uint64_t nonce = it->second.tx.tx.body.nonce();
  std::vector<Hash32> doomed;
  if (auto s = by_sender_.find(sender); s != by_sender_.end())
    for (auto n = s->second.lower_bound(nonce); n != s->second.end(); ++n) doomed.push_back(n->second);
  for (const auto& h : doomed) erase_locked(h);
  return doomed.size();
}

bool Mempool::contains(const Hash32& hash) const {
  std::lock_guard lock(mutex_);
  return by_hash_.count(hash) > 0;
}

uint64_t Mempool::next_nonce(const Address& sender, uint64_t committed_nonce) const {
  std::lock_guard lock(mutex_);
  uint64_t next = committed_nonce;
  auto s = by_sender_.find(sender);
  if (s == by_sender_.end()) return next;
  for (auto n = s->second.lower_bound(next); n != s->second.end() && n->first == next; ++n) ++next;
  return next;
}

MempoolStatus Mempool::status() const {
  std::lock_guard lock(mutex_);
  return {by_hash_.size(), bytes_, by_sender_.size()};
}

}  // namespace physis::mempool
