#include "mempool/mempool.h"

#include "vm/accounts.h"
#include "vm/apply.h"

namespace physis::mempool {

Mempool::Mempool(MempoolOptions options, ChainParams params, std::string chain_id)
    : options_(options), params_(params), chain_id_(std::move(chain_id)) {}

namespace {
// The sender's account as stored. A record that does not decode is damage to the datadir, which the
// operator must repair: it must not read as an empty account ("insufficient_funds_for_gas: balance 0").
Result<vm::AccountState> sender_account(const vm::StateReader& state, const Address& sender) {
  auto account = vm::read_account(state, sender);
  if (!account)
    return make_error("corrupt_datadir", "datadir corrupt: " + account.error().message +
                                             "; restore the datadir from a backup or resync it");
  return account;
}
}  // namespace

Result<Amount> Mempool::check_locked(const VerifiedTx& vtx, const vm::AccountState& account) const {
  if (by_hash_.count(vtx.tx.hash))
    return make_error("already_known", "transaction is already in the mempool");
  static const std::map<uint64_t, Hash32> kNone;
  auto s = by_sender_.find(vtx.sender);
  const std::map<uint64_t, Hash32>& pending = s == by_sender_.end() ? kNone : s->second;
  const uint64_t nonce = vtx.tx.body.nonce();
  // A nonce another pending tx holds is not "used" (nothing was included): say what is really wrong.
  // A nonce below the account's is used, and check_tx says so.
  if (nonce >= account.nonce && pending.count(nonce) && vtx.tx.body.chain_id() == chain_id_)
    return make_error("nonce_pending",
                      "a transaction with nonce " + std::to_string(nonce) +
                          " from this sender is already pending; replacement is not supported");
  const uint64_t expected = account.nonce + pending.size();
  if (auto st = vm::check_tx(params_, chain_id_, vtx, account, expected); !st) return st.error();
  // Every amount is up to 2^128-1, so each sum is checked: a wrapped cost would admit a transaction
  // that can never pay, and enough of those keep honest transactions out of blocks (issue 6).
  auto cost =
      checked_mul(static_cast<Amount>(vtx.tx.body.gas_limit()), static_cast<Amount>(vtx.tx.body.gas_price()));
  if (cost && vtx.tx.body.has_transfer()) cost = checked_add(*cost, transfer_amount(vtx.tx.body.transfer()));
  if (!cost)
    return make_error("insufficient_funds",
                      "the maximum cost (fee plus amount) exceeds 2^128-1, which no balance can cover");
  std::optional<Amount> committed_cost = Amount{0};
  for (const auto& [n, h] : pending)
    if (committed_cost) committed_cost = checked_add(*committed_cost, by_hash_.at(h).max_cost);
  const auto total = committed_cost ? checked_add(*committed_cost, *cost) : std::nullopt;
  if (!total || *total > account.balance)
    return make_error("insufficient_funds",
                      "balance " + format_amount(account.balance) +
                          " does not cover this transaction's maximum cost " + format_amount(*cost) +
                          (!committed_cost       ? " plus pending costs above 2^128-1"
                           : *committed_cost > 0 ? " plus pending " + format_amount(*committed_cost)
                                                 : ""));
  if (pending.size() >= options_.max_per_sender)
    return make_error("too_many_pending", "sender already has " + std::to_string(pending.size()) +
                                              " pending transactions; wait for some to be included");
  if (by_hash_.size() >= options_.max_txs || bytes_ + vtx.tx.raw.size() > options_.max_bytes)
    return make_error("mempool_full", "mempool is full; retry later");
  return *cost;
}

Status Mempool::check(const VerifiedTx& vtx, const vm::StateReader& state) const {
  auto account = sender_account(state, vtx.sender);
  if (!account) return account.error();
  std::lock_guard lock(mutex_);
  auto cost = check_locked(vtx, *account);
  if (!cost) return cost.error();
  return ok_status();
}

Result<Hash32> Mempool::add(VerifiedTx vtx, const vm::StateReader& state) {
  const Hash32 hash = vtx.tx.hash;
  auto account = sender_account(state, vtx.sender);
  if (!account) return account.error();
  std::lock_guard lock(mutex_);
  auto cost = check_locked(vtx, *account);
  if (!cost) return cost.error();
  uint64_t seq = next_seq_++;
  by_sender_[vtx.sender][vtx.tx.body.nonce()] = hash;
  by_arrival_[seq] = hash;
  bytes_ += vtx.tx.raw.size();
  const uint64_t gas_used = vm::intrinsic_gas(params_, vtx.tx.body);
  by_hash_.emplace(hash, Entry{std::move(vtx), seq, *cost, gas_used});
  return hash;
}

std::vector<VerifiedTx> Mempool::select(size_t max_txs, uint64_t max_gas, size_t max_bytes) const {
  std::lock_guard lock(mutex_);
  std::vector<VerifiedTx> out;
  uint64_t gas = 0;
  size_t bytes = 0;
  for (const auto& [seq, hash] : by_arrival_) {
    if (out.size() >= max_txs) break;
    const Entry& e = by_hash_.at(hash);
    // Subtractions keep the comparisons from wrapping (max_bytes may be SIZE_MAX).
    if (e.gas_used > max_gas - gas) break;
    if (e.tx.tx.raw.size() > max_bytes - bytes) break;
    gas += e.gas_used;
    bytes += e.tx.tx.raw.size();
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

std::optional<VerifiedTx> Mempool::find(const Hash32& hash) const {
  std::lock_guard lock(mutex_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return std::nullopt;
  return it->second.tx;
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
