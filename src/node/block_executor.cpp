#include "node/block_executor.h"

#include <atomic>
#include <chrono>
#include <limits>
#include <mutex>
#include <thread>

#include "consensus/header_rules.h"
#include "node/block_assembly.h"
#include "node/explorer_index.h"
#include "node/fallible_state.h"
#include "node/proof_signatures.h"
#include "primitives/block.h"
#include "primitives/codec.h"
#include "util/log.h"
#include "util/parallel.h"

namespace physis::node {

namespace {

// Proofs of unseen transactions in a block from which checking their signatures uses a second thread.
constexpr int kSplitProofs = 16;

Bytes encode_receipts(const std::vector<pb::Receipt>& receipts) {
  pb::BlockReceipts all;
  for (const auto& r : receipts) *all.add_receipts() = r;
  return encode_canonical(all);
}

vm::BlockContext block_context(const std::string& chain_id, uint64_t height, const Address& proposer,
                               const Hash32& parent_hash, const consensus::ValidatorSet& set) {
  vm::BlockContext ctx{chain_id, height, proposer, parent_hash, {}};
  for (const auto& v : set.validators()) ctx.validators.emplace_back(v.address, v.power);
  return ctx;
}

// Decodes and verifies every transaction of a block, taking the ones the mempool verified already from
// it; the rest are recovered on two threads (DESIGN §8). Error "bad_tx" naming the first bad one.
// `unseen` receives the indexes of the transactions the mempool did not have.
Result<std::vector<VerifiedTx>> verify_block_txs(const pb::Block& block, const mempool::Mempool& mempool,
                                                 std::vector<size_t>& unseen) {
  const int n = block.txs_size();
  std::vector<std::optional<VerifiedTx>> out(static_cast<size_t>(n));
  std::vector<std::optional<Error>> errors(static_cast<size_t>(n));
  std::vector<char> seen(static_cast<size_t>(n), 0);  // char, not bool: written from two threads
  std::atomic<bool> failed{false};
  auto run = [&](int begin, int end) {
    for (int i = begin; i < end && !failed.load(std::memory_order_relaxed); ++i) {
      const std::string& raw = block.txs(i);
      auto decoded = decode_tx(as_span(raw));
      if (!decoded) {
        errors[static_cast<size_t>(i)] = decoded.error();
        failed = true;
        continue;
      }
      if (auto known = mempool.find(decoded->hash)) {
        out[static_cast<size_t>(i)] = std::move(*known);
        seen[static_cast<size_t>(i)] = 1;
        continue;
      }
      auto verified = verify_tx(std::move(*decoded));
      if (!verified) {
        errors[static_cast<size_t>(i)] = verified.error();
        failed = true;
        continue;
      }
      out[static_cast<size_t>(i)] = std::move(*verified);
    }
  };
  run_split(n, 32, run);
  std::vector<VerifiedTx> txs;
  txs.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    if (errors[static_cast<size_t>(i)])
      return make_error(kRejectBadTx, "transaction " + std::to_string(i) + ": " +
                                          errors[static_cast<size_t>(i)]->code + ": " +
                                          errors[static_cast<size_t>(i)]->message);
    if (!out[static_cast<size_t>(i)])  // skipped after another failure; cannot happen without one
      return make_error(kRejectBadTx, "transaction " + std::to_string(i) + " was not verified");
    txs.push_back(std::move(*out[static_cast<size_t>(i)]));
    if (!seen[static_cast<size_t>(i)]) unseen.push_back(static_cast<size_t>(i));
  }
  return txs;
}

// Decodes a block's transactions (on two threads, like verify_block_txs) and takes their senders from
// trusted hints: no signature recovery.
// `split_at`: the transaction count from which a second thread takes half (the pipeline passes INT_MAX:
// its thread runs beside the driver's, which has the other core).
Result<std::vector<VerifiedTx>> hinted_block_txs(const pb::Block& block, const TrustedHints& hints,
                                                 int split_at = 256) {
  const int n = block.txs_size();
  if (hints.senders.size() != static_cast<size_t>(n))
    return make_error(kRejectBadTx, "sender hints for " + std::to_string(hints.senders.size()) + " of " +
                                        std::to_string(n) + " transactions");
  std::vector<std::optional<DecodedTx>> decoded(static_cast<size_t>(n));
  std::vector<std::optional<Error>> errors(static_cast<size_t>(n));
  auto run = [&](int begin, int end) {
    for (int i = begin; i < end; ++i) {
      auto d = decode_tx(as_span(block.txs(i)));
      if (d)
        decoded[static_cast<size_t>(i)] = std::move(*d);
      else
        errors[static_cast<size_t>(i)] = d.error();
    }
  };
  run_split(n, split_at, run);
  std::vector<VerifiedTx> txs;
  txs.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto& e = errors[static_cast<size_t>(i)];
    if (e) return make_error(kRejectBadTx, "transaction " + std::to_string(i) + ": " + e->code + ": " + e->message);
    txs.push_back(VerifiedTx{std::move(*decoded[static_cast<size_t>(i)]), hints.senders[static_cast<size_t>(i)]});
  }
  return txs;
}

// Takes every device signature as valid: used only with TrustedHints, for a block whose commit vouches
// for it (a wrong verdict changes the receipts root, which the commit signs).
class CommitTrustedSignatures final : public vm::SignatureVerifier {
 public:
  bool verify(uint32_t, ByteSpan, const Hash32&, ByteSpan) const override { return true; }
};

// The header rules' context for a block on `parent` (the proposer fields are the caller's).
consensus::HeaderContext header_context(const Genesis& genesis, const storage::ChainTip& parent,
                                        const consensus::HeightValidators& validators,
                                        const consensus::ValidatorSet& parent_validators, uint64_t now_ms) {
  consensus::HeaderContext hc;
  hc.parent_height = parent.height;
  hc.parent_hash = parent.hash;
  hc.parent_time_ms = parent.time_ms;
  hc.chain_id = genesis.chain_id;
  hc.local_now_ms = now_ms;
  hc.max_clock_drift_ms = genesis.params.max_clock_drift_ms;
  hc.validators = &validators.set;
  hc.next_validators = &validators.set;  // fixed set until staking lands
  hc.parent_validators = &parent_validators;
  hc.max_block_bytes = genesis.params.max_block_bytes;
  hc.max_block_txs = genesis.params.max_block_txs;
  return hc;
}

Error corrupt(const std::string& what, const std::string& why) {
  return make_error("corrupt_datadir", "datadir corrupt: " + what + " is unreadable (" + why +
                                           "); restore the datadir from a backup or resync it");
}

}  // namespace

Bytes senders_index_key(uint64_t height) {
  Bytes key{'S'};
  append_u64_be(key, height);
  return key;
}

std::optional<std::vector<Address>> parse_senders(ByteSpan value, size_t txs) {
  constexpr size_t kLen = std::tuple_size_v<Address>;
  if (value.size() != txs * kLen) return std::nullopt;
  std::vector<Address> out(txs);
  for (size_t i = 0; i < txs; ++i) std::copy_n(value.begin() + static_cast<std::ptrdiff_t>(i * kLen), kLen, out[i].begin());
  return out;
}

Result<PreparedTxs> prepare_hinted_txs(const pb::Block& block, const TrustedHints& hints) {
  auto txs = hinted_block_txs(block, hints, std::numeric_limits<int>::max());
  if (!txs) return txs.error();
  return PreparedTxs{std::move(*txs), compute_tx_root(block.txs())};
}

bool is_block_fault(const Error& error) {
  return error.code != "storage" && error.code != "corrupt_datadir" && error.code != "stale_block";
}

BlockExecutor::BlockExecutor(const Genesis& genesis, storage::BlockStore& store, mempool::Mempool& mempool,
                             SignatureCache& signatures, std::shared_mutex& commit_mutex)
    : genesis_(genesis), store_(store), mempool_(mempool), signatures_(signatures), commit_mutex_(commit_mutex) {}

Result<ExecutedBlock> BlockExecutor::propose(const storage::ChainTip& parent,
                                             const consensus::HeightValidators& validators,
                                             const Address& proposer, uint64_t now_ms,
                                             const pb::Commit& last_commit) {
  if (!validators.set.find(proposer))
    return make_error("not_validator", crypto::address_to_string(proposer) + " is not a validator at height " +
                                           std::to_string(parent.height + 1));
  const ChainParams& params = genesis_.params;
  const uint64_t height = parent.height + 1;
  // The block byte limit (doc/protocol.md "Blocks"): the mempool selects by raw transaction bytes; the
  // exact cut below also counts each transaction's framing in the block, keeping the longest prefix that
  // fits (a prefix keeps each sender's nonces gap-free; the rest stays in the mempool for later blocks).
  const uint64_t budget =
      params.max_block_bytes > kBlockOverheadBytes ? params.max_block_bytes - kBlockOverheadBytes : 0;
  std::vector<VerifiedTx> selection =
      mempool_.select(params.max_block_txs, params.block_gas_limit, static_cast<size_t>(budget));
  {
    uint64_t used = 0;
    size_t keep = 0;
    for (; keep < selection.size(); ++keep) {
      const uint64_t bytes = block_tx_bytes(selection[keep].tx.raw.size());
      if (used + bytes > budget) break;
      used += bytes;
    }
    selection.erase(selection.begin() + static_cast<std::ptrdiff_t>(keep), selection.end());
  }
  StoreState state(store_, &pending_);
  const vm::BlockContext ctx = block_context(genesis_.chain_id, height, proposer, parent.hash, validators.set);
  // A tx the mempool admitted may no longer fit the state (should not happen: only a sender's own txs
  // lower its balance). It is left out with its sender's later nonces and dropped from the mempool, so it
  // cannot stall the chain, while other senders' txs go in, in one pass however many there are; a state
  // read failure builds nothing.
  auto assembled = assemble_block(state, parent.state_root, params, genesis_.depin, ctx, std::move(selection),
                                  signatures_);
  if (!assembled) return assembled.error();
  for (size_t i = 0; i < assembled->rejected.size(); ++i) {
    const size_t dropped = mempool_.drop_with_successors(assembled->rejected[i]);
    LOG_WARN("node", "dropping transaction " << hash_to_string(assembled->rejected[i]) << " and "
                                             << (dropped > 0 ? dropped - 1 : 0)
                                             << " later ones of its sender: " << assembled->reasons[i]);
  }
  ExecutedBlock out;
  out.parent_hash = parent.hash;
  pb::Block& block = out.block;
  pb::Header& h = *block.mutable_header();
  h.set_chain_id(genesis_.chain_id);
  h.set_height(height);
  h.set_time_ms(std::max(now_ms, parent.time_ms + 1));
  h.set_prev_hash(to_string(parent.hash));
  out.tx_hashes.reserve(assembled->txs.size());
  out.senders.reserve(assembled->txs.size());
  for (const auto& t : assembled->txs) {
    block.add_txs(to_string(t.tx.raw));
    out.tx_hashes.push_back(t.tx.hash);
    out.senders.push_back(t.sender);
  }
  out.result = std::move(assembled->result);
  h.set_tx_root(to_string(compute_tx_root(block.txs())));
  h.set_state_root(to_string(out.result.state_root));
  h.set_receipts_root(to_string(compute_receipts_root(out.result.receipts)));
  h.set_proposer(to_string(proposer));
  h.set_validators_hash(to_string(validators.set.hash()));
  h.set_next_validators_hash(to_string(validators.set.hash()));  // fixed set until staking lands
  Hash32 last_commit_hash{};
  if (height > 1) {
    *block.mutable_last_commit() = last_commit;
    last_commit_hash = commit_hash(last_commit);
  }
  h.set_last_commit_hash(to_string(last_commit_hash));
  // The consensus limits every block must meet, the one made here included: a block above them would be
  // rejected by every other node.
  if (auto st = check_block_limits(block, params); !st) return st.error();
  out.hash = block_hash(h);
  return out;
}

Result<ExecutedBlock> BlockExecutor::validate(const pb::Block& block, const storage::ChainTip& parent,
                                              const consensus::HeightValidators& validators,
                                              const consensus::ValidatorSet& parent_validators,
                                              std::optional<Address> round_proposer, uint64_t now_ms,
                                              const TrustedHints* hints) {
  consensus::HeaderContext hc = header_context(genesis_, parent, validators, parent_validators, now_ms);
  hc.expected_proposer = round_proposer.value_or(Address{});
  hc.any_member_proposer = !round_proposer.has_value();
  if (auto check = consensus::check_header_rules(block, hc); !check.ok())
    return make_error(std::string(consensus::header_reject_name(check.reason)), check.message);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<size_t> unseen;
  auto txs = hints ? hinted_block_txs(block, *hints) : verify_block_txs(block, mempool_, unseen);
  if (!txs) return txs.error();
  if (!unseen.empty()) {
    // Proof and usage-receipt signatures of transactions that did not pass this node's admission, on
    // two threads into the cache, where apply_block (one thread) finds them: the block gas limit
    // counts on it (doc/depin.md "Block gas limit").
    std::vector<const pb::Proof*> proofs;
    for (size_t i : unseen)
      for (const pb::Proof* p : proofs_of(std::span(&(*txs)[i], 1))) proofs.push_back(p);
    // Devices registered in this block are looked up in its registrations: proofs of a device made in
    // the same block are otherwise checked on one thread, at up to 2.2 µs per 1,000 gas.
    const FreshDevices fresh = fresh_devices_of(*txs);
    StoreState state(store_, &pending_);
    (void)check_proof_signatures(proofs, state, genesis_.chain_id, signatures_, kSplitProofs, &fresh);
  }
  const auto t1 = std::chrono::steady_clock::now();
  static const CommitTrustedSignatures kTrusted;
  auto executed = hints ? execute(block, parent, std::move(*txs), validators.set, kTrusted)
                        : execute(block, parent, std::move(*txs), validators.set, signatures_);
  const auto us = [](auto a, auto b) { return std::chrono::duration_cast<std::chrono::microseconds>(b - a).count(); };
  LOG_DEBUG("node", "validated block " << block.header().height() << " (" << block.txs_size() << " txs): senders "
                                       << us(t0, t1) << " us, executed " << us(t1, std::chrono::steady_clock::now())
                                       << " us");
  return executed;
}

Result<ExecutedBlock> BlockExecutor::validate_prepared(const pb::Block& block,
                                                       const storage::ChainTip& parent,
                                                       const consensus::HeightValidators& validators,
                                                       const consensus::ValidatorSet& parent_validators,
                                                       uint64_t now_ms, PreparedTxs prepared,
                                                       const Hash32* verified_parent_commit) {
  // The context validate builds for a block fetched with its commit (any member may be the proposer).
  consensus::HeaderContext hc = header_context(genesis_, parent, validators, parent_validators, now_ms);
  hc.any_member_proposer = true;
  hc.computed_tx_root = &prepared.tx_root;
  hc.verified_parent_commit = verified_parent_commit;
  if (auto check = consensus::check_header_rules(block, hc); !check.ok())
    return make_error(std::string(consensus::header_reject_name(check.reason)), check.message);
  if (prepared.txs.size() != static_cast<size_t>(block.txs_size()))  // prepared for another block
    return make_error(kRejectBadTx, "prepared " + std::to_string(prepared.txs.size()) + " transactions of " +
                                        std::to_string(block.txs_size()));
  static const CommitTrustedSignatures kTrusted;
  const auto t0 = std::chrono::steady_clock::now();
  auto executed = execute(block, parent, std::move(prepared.txs), validators.set, kTrusted);
  LOG_DEBUG("node", "validated block " << block.header().height() << " (" << block.txs_size()
                                       << " txs, prepared): executed "
                                       << std::chrono::duration_cast<std::chrono::microseconds>(
                                              std::chrono::steady_clock::now() - t0)
                                              .count()
                                       << " us");
  return executed;
}

Result<ExecutedBlock> BlockExecutor::execute(const pb::Block& block, const storage::ChainTip& parent,
                                             std::vector<VerifiedTx> txs, const consensus::ValidatorSet& set,
                                             const vm::SignatureVerifier& signatures) {
  const pb::Header& h = block.header();
  StoreState state(store_, &pending_);
  const vm::BlockContext ctx =
      block_context(genesis_.chain_id, h.height(), bytes_to_address(h.proposer()), parent.hash, set);
  vm::ApplyFailure failure;
  auto applied = vm::apply_block(state, parent.state_root, genesis_.params, genesis_.depin, ctx, txs, signatures,
                                 &failure);
  if (auto st = state.status(); !st) return st.error();
  if (!applied) {
    if (failure.state_fault) return make_error("corrupt_datadir", applied.error().message);
    if (!failure.tx_index && applied.error().message.find("gas") != std::string::npos)
      return make_error(kRejectBlockGas, applied.error().message);
    return make_error(kRejectInvalidBlock, applied.error().message);
  }
  if (to_string(applied->state_root) != h.state_root())
    return make_error(kRejectWrongStateRoot, "state root after the block is " + hash_to_string(applied->state_root) +
                                                 ", the header says " + hash_to_string(to_hash32(h.state_root())));
  if (to_string(compute_receipts_root(applied->receipts)) != h.receipts_root())
    return make_error(kRejectWrongReceiptsRoot, "the receipts of the block do not match its receipts root");
  ExecutedBlock out;
  out.block = block;
  out.hash = block_hash(h);
  out.parent_hash = parent.hash;
  out.tx_hashes.reserve(txs.size());
  out.senders.reserve(txs.size());
  for (const auto& t : txs) {
    out.tx_hashes.push_back(t.tx.hash);
    out.senders.push_back(t.sender);
  }
  out.result = std::move(*applied);
  return out;
}

Result<storage::ChainTip> BlockExecutor::commit(const ExecutedBlock& executed, const pb::Commit& commit,
                                                bool durable) {
  const pb::Block& block = executed.block;
  const pb::Header& h = block.header();
  const uint64_t height = h.height();
  storage::BlockWrite w;
  w.tip = {height, executed.hash, executed.result.state_root, h.time_ms()};
  w.block = executed.encoded.empty() ? encode_canonical(block) : executed.encoded;
  w.commit = encode_canonical(commit);
  w.receipts = encode_receipts(executed.result.receipts);
  w.txs = executed.tx_hashes;
  w.state_writes = executed.result.writes;
  // Explorer indexes (proof results, reward records, who earned in an epoch) in the block's batch.
  w.index_writes = explorer_index_writes(executed.result, height, genesis_.depin.epoch_blocks);
  // The senders, so that peers syncing this block need not recover them (TrustedHints).
  if (!executed.senders.empty()) {
    Bytes senders;
    senders.reserve(executed.senders.size() * std::tuple_size_v<Address>);
    for (const auto& a : executed.senders) senders.insert(senders.end(), a.begin(), a.end());
    w.index_writes.emplace_back(senders_index_key(height), std::move(senders));
  }
  const storage::ChainTip new_tip = w.tip;
  const size_t txs = w.txs.size();
  // A background write that is done: its blocks leave the held ones (a failure drops them all).
  if (background_.valid() && background_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    if (auto st = finish_background_write(); !st) return st.error();
  }
  // With nothing held (every consensus block), the parent is the store's tip: it is read, and the block
  // written, under one hold of the commit lock. Nothing is being written in the background then.
  std::unique_lock lock(commit_mutex_, std::defer_lock);
  std::optional<storage::ChainTip> parent;
  if (!pending_.empty()) {
    parent = pending_.back().tip;
  } else {
    lock.lock();
    auto tip = store_.tip();
    if (!tip) return tip.error();
    if (!*tip) return corrupt("chain tip", "missing");
    parent = **tip;
  }
  if (parent->hash != executed.parent_hash || parent->height + 1 != height)
    return make_error("stale_block", "block " + std::to_string(height) + " was built on " +
                                         hash_to_string(executed.parent_hash) + " but the tip is now block " +
                                         std::to_string(parent->height));
  held_bytes_ += w.block.size();
  pending_.push_back(std::move(w));
  if (durable) {
    if (auto st = write_held(lock); !st) return st.error();
  } else if (pending_.size() - writing_ >= kMaxHeldBlocks || held_bytes_ >= kBackgroundWriteBytes) {
    if (lock.owns_lock()) lock.unlock();
    // One background write at a time: wait for the one in flight if there is one.
    if (auto st = finish_background_write(); !st) return st.error();
    start_background_write();
  }
  if (lock.owns_lock()) lock.unlock();
  if (txs > 0 || height % 60 == 0)
    LOG_INFO("node", "committed block " << height << " " << hash_to_string(executed.hash) << " txs=" << txs);
  else
    LOG_DEBUG("node", "committed block " << height << " " << hash_to_string(executed.hash));
  return new_tip;
}

Status BlockExecutor::flush() {
  std::unique_lock lock(commit_mutex_, std::defer_lock);
  return write_held(lock);
}

size_t BlockExecutor::held_blocks() const { return pending_.size(); }

Status BlockExecutor::write_and_update_mempool(const std::vector<const storage::BlockWrite*>& blocks) {
  if (auto st = store_.commit_block_ptrs(blocks); !st) return st;
  StoreState state(store_);
  for (const storage::BlockWrite* w : blocks) mempool_.remove_committed(w->txs, state);
  return ok_status();
}

void BlockExecutor::start_background_write() {
  if (pending_.empty()) return;
  std::vector<const storage::BlockWrite*> blocks;
  for (const auto& w : pending_) blocks.push_back(&w);
  writing_ = pending_.size();
  held_bytes_ = 0;
  // Under the commit lock, like every store write: readers that hold it shared see whole groups only,
  // and the mempool without the written transactions.
  background_ = std::async(std::launch::async, [this, blocks = std::move(blocks)] {
    std::unique_lock lock(commit_mutex_);
    return write_and_update_mempool(blocks);
  });
}

Status BlockExecutor::finish_background_write() {
  if (!background_.valid()) return ok_status();
  Status st = background_.get();
  const size_t blocks = std::exchange(writing_, 0);
  if (!st) {
    pending_.clear();  // the later held blocks cannot be written without these
    held_bytes_ = 0;
    return st.error();
  }
  written(blocks);
  return ok_status();
}

Status BlockExecutor::write_held(std::unique_lock<std::shared_mutex>& lock) {
  if (!lock.owns_lock()) {
    if (auto st = finish_background_write(); !st) return st.error();
    lock.lock();
  }  // else nothing was held, so nothing is being written in the background
  if (pending_.empty()) return ok_status();
  std::vector<const storage::BlockWrite*> blocks;
  for (const auto& w : pending_) blocks.push_back(&w);
  Status st = write_and_update_mempool(blocks);
  held_bytes_ = 0;
  if (!st) {
    pending_.clear();  // written or not, they are no longer held (a failed write stores none)
    return st.error();
  }
  written(pending_.size());
  return ok_status();
}

void BlockExecutor::written(size_t blocks) {
  if (blocks > 1)
    LOG_DEBUG("node", "wrote blocks " << pending_.front().tip.height << ".."
                                      << pending_[blocks - 1].tip.height << " in one synced batch");
  for (size_t i = 0; i < blocks && !pending_.empty(); ++i) pending_.pop_front();
}

}  // namespace physis::node
