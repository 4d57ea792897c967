#include "node/node.h"

#include <chrono>
#include <climits>
#include <filesystem>
#include <limits>
#include <mutex>

#include "crypto/merkle.h"
#include "node/block_assembly.h"
#include "node/consensus_driver.h"
#include "node/fallible_state.h"
#include "node/proof_signatures.h"
#include "primitives/block.h"
#include "primitives/codec.h"
#include "util/log.h"
#include "vm/accounts.h"
#include "vm/depin.h"
#include "vm/depin_state.h"

namespace physis::node {

namespace {
// Batches at least this large are verified on two threads at admission.
constexpr int kParallelProofThreshold = 64;

// A stored record that cannot be read or decoded: the datadir is damaged, and only the operator can fix it.
Error corrupt(const std::string& what, const std::string& why) {
  return make_error("corrupt_datadir", "datadir corrupt: " + what + " is unreadable (" + why +
                                           "); restore the datadir from a backup or resync it");
}

// The account as stored, decoded strictly (vm::load_account reads an undecodable record as the zero
// account, which must never happen to a real balance).
Result<vm::AccountState> checked_account(const vm::StateReader& state, const Address& address) {
  auto account = vm::read_account(state, address);
  if (!account) return corrupt("account " + crypto::address_to_string(address), account.error().message);
  return account;
}

}  // namespace

std::optional<Bytes> StoreState::get(const Bytes& key) const {
  if (pending_) {
    for (auto block = pending_->rbegin(); block != pending_->rend(); ++block) {
      auto it = block->state_writes.find(key);
      if (it == block->state_writes.end()) continue;
      if (it->second.empty()) return std::nullopt;  // deleted by that block
      return it->second;
    }
  }
  auto v = store_.get_state(key);
  if (v) return std::move(*v);
  LOG_ERROR("node", "state read failed: " << v.error().message);
  std::lock_guard lock(mutex_);
  if (!failure_) failure_ = v.error();
  return std::nullopt;
}

Status StoreState::status() const {
  std::lock_guard lock(mutex_);
  if (failure_) return *failure_;
  return ok_status();
}

storage::BlockWrite genesis_block_write(const GenesisBlock& genesis, uint64_t genesis_time_ms) {
  pb::Block block0;
  *block0.mutable_header() = genesis.header;
  storage::BlockWrite w;
  w.tip = {0, genesis.hash, genesis.state.state_root, genesis_time_ms};
  w.block = encode_canonical(block0);
  w.receipts = encode_canonical(pb::BlockReceipts());
  w.state_writes = genesis.state.writes;
  return w;
}

GenesisBlock make_genesis_block(const Genesis& genesis) {
  GenesisBlock g;
  g.state = vm::genesis_state(genesis);
  consensus::ValidatorSet validators = consensus::ValidatorSet::from_genesis(genesis);
  Hash32 zero{};
  pb::Header& h = g.header;
  h.set_chain_id(genesis.chain_id);
  h.set_height(0);
  h.set_time_ms(genesis.genesis_time_ms);
  h.set_prev_hash(to_string(zero));
  h.set_tx_root(to_string(crypto::merkle_root({})));
  h.set_state_root(to_string(g.state.state_root));
  h.set_receipts_root(to_string(crypto::merkle_root({})));
  h.set_proposer(to_string(Address{}));
  h.set_validators_hash(to_string(validators.hash()));
  h.set_next_validators_hash(to_string(validators.hash()));
  h.set_last_commit_hash(to_string(zero));
  g.hash = block_hash(h);
  return g;
}

Node::Node(NodeOptions options, std::unique_ptr<storage::BlockStore> store, Hash32 genesis_hash,
           std::unique_ptr<consensus::ValidatorSetProvider> provider)
    : options_(std::move(options)),
      store_(std::move(store)),
      genesis_hash_(genesis_hash),
      validators_(consensus::ValidatorSet::from_genesis(options_.genesis)),
      mempool_(options_.mempool, options_.genesis.params, options_.genesis.chain_id),
      state_reader_(std::make_unique<StoreState>(*store_)),
      executor_(
          std::make_unique<BlockExecutor>(options_.genesis, *store_, mempool_, sig_cache_, commit_mutex_)),
      validator_provider_(std::move(provider)) {}

Node::~Node() { stop(); }

Result<std::unique_ptr<Node>> Node::open(NodeOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(options.datadir, ec);
  if (ec) return make_error("storage", "cannot create datadir " + options.datadir + ": " + ec.message());
  auto store = storage::BlockStore::open(options.datadir + "/chain", options.store);
  if (!store) return store.error();
  GenesisBlock genesis = make_genesis_block(options.genesis);
  auto read = (*store)->genesis_hash();
  if (!read) return read.error();
  const std::optional<Hash32>& existing = *read;
  if (!existing) {
    const storage::BlockWrite w = genesis_block_write(genesis, options.genesis.genesis_time_ms);
    if (auto st = (*store)->init_genesis(genesis.hash, w); !st) return st.error();
    LOG_INFO("node", "initialised new chain " << options.genesis.chain_id << " in " << options.datadir);
  } else if (*existing != genesis.hash) {
    return make_error("genesis_mismatch", "datadir " + options.datadir + " was made from genesis " +
                                              hash_to_string(*existing) + " but the given genesis has hash " +
                                              hash_to_string(genesis.hash) +
                                              "; use the matching --genesis or another --datadir");
  }
  auto provider =
      consensus::FixedValidatorSetProvider::make(consensus::ValidatorSet::from_genesis(options.genesis));
  if (!provider) return provider.error();
  return std::unique_ptr<Node>(
      new Node(std::move(options), std::move(*store), genesis.hash,
               std::make_unique<consensus::FixedValidatorSetProvider>(std::move(*provider))));
}

storage::ChainTip Node::tip() const {
  auto t = read_tip();
  if (!t) {
    LOG_ERROR("node", t.error().message);
    return {};
  }
  return *t;
}

Result<storage::ChainTip> Node::read_tip() const {
  auto t = store_->tip();
  if (!t) return t.error();
  if (!*t) return corrupt("chain tip", "missing");
  return **t;
}

Status Node::start() {
  // A node with neither a validator key nor a network only serves queries.
  if (!options_.validator_key && !options_.node_key) return ok_status();
  DriverOptions d;
  d.datadir = options_.datadir;
  d.validator_key = options_.validator_key;
  d.node_key = options_.node_key;
  d.host = options_.p2p;
  d.engine = options_.engine;
  d.sync_verify_signatures = options_.sync_verify_signatures;
  auto driver = ConsensusDriver::start(*this, std::move(d));
  if (!driver) return driver.error();
  std::lock_guard lock(driver_mutex_);
  driver_ = std::move(*driver);
  return ok_status();
}

void Node::stop() {
  std::unique_ptr<ConsensusDriver> driver;
  {
    std::lock_guard lock(driver_mutex_);
    driver = std::move(driver_);
  }
  if (driver) driver->stop();
}

Result<consensus::HeightValidators> Node::height_validators(uint64_t height) {
  std::lock_guard lock(provider_mutex_);
  return validator_provider_->validators_at(height);
}

Result<pb::Commit> Node::last_commit_for(const storage::ChainTip& parent) const {
  if (parent.height == 0) return pb::Commit();
  return commit_at(parent.height);
}

Result<storage::ChainTip> Node::produce_block(uint64_t now_ms) {
  if (!options_.validator_key) return make_error("not_validator", "this node has no validator key");
  const std::string& chain_id = options_.genesis.chain_id;
  auto parent = read_tip();
  if (!parent) return parent.error();
  const uint64_t height = parent->height + 1;
  auto validators = height_validators(height);
  if (!validators) return validators.error();
  auto last_commit = last_commit_for(*parent);
  if (!last_commit) return last_commit.error();
  const Address proposer = crypto::address_of(*crypto::public_key_of(*options_.validator_key));
  const auto started = std::chrono::steady_clock::now();
  auto block = executor_->propose(*parent, *validators, proposer, now_ms, *last_commit);
  if (!block) return block.error();
  const auto built_at = std::chrono::steady_clock::now();
  // Single validator: the proposer's own precommit is the whole commit (> 2/3 of the power); with more
  // validators verify_commit refuses it, and blocks come from the consensus driver instead.
  pb::Commit commit = consensus::make_commit(chain_id, height, 0, block->hash, {*options_.validator_key});
  if (auto st = consensus::verify_commit(commit, validators->set, chain_id, height, block->hash); !st)
    return st.error();
  auto tip = executor_->commit(*block, commit);
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  LOG_DEBUG("node", "block " << height << ": build " << ms(started, built_at) << " ms, commit "
                             << ms(built_at, std::chrono::steady_clock::now()) << " ms");
  return tip;
}

size_t Node::warm_signature_cache(const VerifiedTx& vtx) const {
  const pb::TxBody& body = vtx.tx.body;
  size_t looked_up = 0;
  if (body.has_submit_proofs()) {
    // A large batch is split over a second thread, so one relayer's batch uses both cores (DESIGN §8);
    // not when other admissions are running, which keep the cores busy already.
    const int threshold = admissions_in_flight_.load() <= 1 ? kParallelProofThreshold : INT_MAX;
    looked_up =
        check_proof_signatures(proofs_of(std::span(&vtx, 1)), *state_reader_, options_.genesis.chain_id,
                               sig_cache_, threshold, /*fresh=*/nullptr, &device_keys_);
  } else if (body.has_register_device()) {
    const pb::RegisterDevice& reg = body.register_device();
    (void)verify_evidence(reg.evidence(), vtx.sender);
    // The device's signature over its location (doc/depin.md "Locations"), which the VM checks through
    // the same cache: otherwise the producer verifies it alone, on one core.
    const pb::AttestationEvidence& ev = reg.evidence();
    if (reg.has_location() && reg.location_signature().size() == 64) {
      const Address id = vm::device_id_of(ev.kind(), as_span(ev.device_key()));
      sig_cache_.verify(ev.key_type(), as_span(ev.device_key()),
                        vm::location_digest(options_.genesis.chain_id, id, reg.location(), ev.ref_height(),
                                            as_span(ev.ref_block_hash())),
                        as_span(reg.location_signature()));
    }
  }
  return looked_up;
}

Result<Node::SupplyAudit> Node::supply_audit() const {
  // It reads every account: one audit at a time, and one per stored tip, whoever asks (a caller that
  // waited for a running audit gets its answer if no block was stored meanwhile). It reads a view of
  // the store, not under the commit lock, so blocks go on committing while it runs.
  std::lock_guard audit_lock(audit_mutex_);
  const storage::BlockStore::ReadView view = store_->read_view();
  auto stored_tip = store_->tip(view);
  if (!stored_tip) return stored_tip.error();
  if (!*stored_tip) return corrupt("chain tip", "missing");
  if (last_audit_ && last_audit_->first == (*stored_tip)->hash) return last_audit_->second;
  ++supply_scans_;
  SupplyAudit a;
  a.height = (*stored_tip)->height;
  // Every amount in state was written canonically by the VM: one that does not decode is corruption.
  std::optional<Error> bad;
  auto amount = [&bad](const std::string& b, const std::string& what) -> Amount {
    auto v = decode_amount(as_span(b));
    if (!v && !bad) bad = corrupt(what, "amount does not decode");
    return v.value_or(0);
  };
  auto supply_raw = store_->get_state(Bytes{vm::kSupplyKey}, view);
  if (!supply_raw) return supply_raw.error();
  if (const auto& raw = *supply_raw) {
    pb::SupplyRecord s;
    if (auto st = decode_canonical(*raw, s, "supply record"); !st)
      return corrupt("supply record", st.error().message);
    a.genesis = amount(s.genesis(), "supply record");
    a.minted = amount(s.minted(), "supply record");
    a.burned = amount(s.burned(), "supply record");
  }
  Bytes after;
  while (true) {
    auto scanned = store_->scan_state(Bytes{vm::kAccountPrefix}, after, 10000, view);
    if (!scanned) return scanned.error();
    const storage::KeyValues& rows = *scanned;
    for (const auto& [k, v] : rows) {
      const std::string what = "account record " + to_hex0x(k);
      pb::Account acc;
      if (auto st = decode_canonical(v, acc, "account"); !st) return corrupt(what, st.error().message);
      auto sum = checked_add(a.circulating, amount(acc.balance(), what));
      if (!sum) return corrupt(what, "balances sum past 2^128-1");
      a.circulating = *sum;
    }
    if (rows.size() < 10000) break;
    after = rows.back().first;
  }
  after.clear();
  while (true) {
    auto scanned = store_->scan_state(Bytes{vm::kEpochPrefix}, after, 10000, view);
    if (!scanned) return scanned.error();
    const storage::KeyValues& rows = *scanned;
    for (const auto& [k, v] : rows) {
      const std::string what = "epoch record " + to_hex0x(k);
      pb::EpochRecord rec;
      if (auto st = decode_canonical(v, rec, "epoch record"); !st) return corrupt(what, st.error().message);
      if (rec.closed()) {
        auto unsettled = checked_sub(amount(rec.device_pool(), what), amount(rec.settled_amount(), what));
        if (!unsettled) return corrupt(what, "settled more than its device pool");
        auto sum = checked_add(a.owed, *unsettled);
        if (!sum) return corrupt(what, "owed rewards sum past 2^128-1");
        a.owed = *sum;
      }
    }
    if (rows.size() < 10000) break;
    after = rows.back().first;
  }
  if (bad) return *bad;
  last_audit_.emplace((*stored_tip)->hash, a);
  return a;
}

namespace {
// The view the next block will have: state, plus the tip's own hash, which the next block records
// in state before it runs its transactions.
class NextBlockView final : public vm::ChainView {
 public:
  NextBlockView(const vm::StateReader& state, const storage::ChainTip& tip) : state_view_(state), tip_(tip) {}
  std::optional<pb::Anchor> anchor(const Hash32& id) const override { return state_view_.anchor(id); }
  std::optional<uint64_t> key_revoked_at(const Hash32& id) const override {
    return state_view_.key_revoked_at(id);
  }
  std::optional<Hash32> block_hash(uint64_t height) const override {
    return height == tip_.height ? std::optional<Hash32>(tip_.hash) : state_view_.block_hash(height);
  }

 private:
  vm::StateChainView state_view_;
  storage::ChainTip tip_;
};
}  // namespace

vm::AttestOutcome Node::verify_evidence(const pb::AttestationEvidence& evidence, const Address& owner) const {
  const storage::ChainTip t = tip();
  vm::AttestContext ctx{options_.genesis.chain_id, owner, t.height + 1, options_.genesis.depin.ref_window};
  NextBlockView view(*state_reader_, t);
  return vm::verify_evidence(evidence, ctx, view, sig_cache_);
}

Result<Hash32> Node::submit_tx(ByteSpan raw, const std::string& from_peer) {
  struct InFlight {
    std::atomic<int>& n;
    explicit InFlight(std::atomic<int>& c) : n(c) { ++n; }
    ~InFlight() { --n; }
  } in_flight(admissions_in_flight_);
  // The order of node/admission.h: cheapest first, signature work last.
  auto decoded = decode_tx(raw);
  if (!decoded) return decoded.error();
  const Hash32 hash = decoded->hash;
  if (mempool_.contains(hash)) return make_error("already_known", "transaction is already in the mempool");
  auto height = read_tip();
  if (!height) return height.error();
  if (auto cached = rejected_.find(hash, height->height)) {
    LOG_DEBUG("node", "admission: tx " << hash_to_string(hash)
                                       << " answered from the rejected-transaction cache: " << cached->code);
    cached->message +=
        " (this transaction was rejected before; answered from the rejected-transaction cache)";
    return *cached;
  }
  uint64_t judged_at = height->height;
  Bytes raw_copy(raw.begin(), raw.end());
  auto admitted = admit(std::move(*decoded), &judged_at);
  if (!admitted) {
    rejected_.insert(hash, admitted.error(), judged_at);
    return admitted;
  }
  std::lock_guard lock(driver_mutex_);
  if (driver_) driver_->gossip_tx(std::move(raw_copy), from_peer);
  return admitted;
}

Result<Hash32> Node::admit(DecodedTx decoded, uint64_t* judged_at_height) {
  const Hash32 hash = decoded.hash;
  auto cheap_reject = [&hash](Error e) {
    LOG_DEBUG("node", "admission: tx " << hash_to_string(hash)
                                       << " rejected before signature work: " << e.code << ": " << e.message);
    return e;
  };
  if (auto st = check_batch_limits(decoded.body, options_.genesis.depin); !st)
    return cheap_reject(st.error());
  auto vtx = verify_tx(std::move(decoded));
  if (!vtx) return cheap_reject(vtx.error());
  {
    // Nonce, fee and balance against the committed state and the sender's pending transactions. The
    // lock keeps the tip and the state read together, so a rejection is remembered for the right height.
    std::shared_lock lock(commit_mutex_);
    auto tip_read = read_tip();
    if (!tip_read) return tip_read.error();
    *judged_at_height = tip_read->height;
    StoreState state(*store_);
    auto checked = mempool_.check(*vtx, state);
    if (auto st = state.status(); !st) return st.error();
    if (!checked) return cheap_reject(checked.error());
  }
  // Device signatures are checked here, on the submitting RPC thread (several run in parallel), without
  // holding the commit lock, so the block producer finds them in the cache.
  if (const size_t n = warm_signature_cache(*vtx); n > 0)
    LOG_DEBUG("node", "admission: tx " << hash_to_string(hash) << ": " << n << " device signatures checked");
  std::shared_lock lock(commit_mutex_);
  auto tip_read = read_tip();
  if (!tip_read) return tip_read.error();
  *judged_at_height = tip_read->height;
  StoreState state(*store_);
  auto added = mempool_.add(std::move(*vtx), state);
  // Admission judged by an unreadable sender account is void: take the tx out again if it went in.
  if (auto st = state.status(); !st) {
    if (added) mempool_.remove_committed({*added}, state);
    return st.error();
  }
  return added;
}

Result<BlockLookup> Node::block_at(uint64_t height) const {
  const std::string what = "block " + std::to_string(height);
  auto read = store_->block_at(height);
  if (!read) return read.error();
  if (!*read) return make_error("not_found", "no block at height " + std::to_string(height));
  const Bytes& raw = **read;
  BlockLookup out;
  if (auto st = decode_canonical(raw, out.block, "block"); !st) return corrupt(what, st.error().message);
  out.hash = block_hash(out.block.header());
  out.size_bytes = raw.size();
  return out;
}

Result<BlockLookup> Node::block_by_hash(const Hash32& hash) const {
  auto read = store_->height_of(hash);
  if (!read) return read.error();
  const std::optional<uint64_t>& height = *read;
  if (!height) return make_error("not_found", "no block with hash " + hash_to_string(hash));
  auto block = block_at(*height);
  // The hash index names a height; a block missing there is a broken index, not an unknown hash.
  if (!block && block.error().code == "not_found")
    return corrupt("hash index of " + hash_to_string(hash),
                   "it names height " + std::to_string(*height) + ", which holds no block");
  return block;
}

namespace {
// Where the tx index puts a transaction. Error "not_found" when it is in no block; storage errors.
Result<storage::BlockStore::TxLocation> locate_tx(const storage::BlockStore& store, const Hash32& hash) {
  auto read = store.tx_location(hash);
  if (!read) return read.error();
  if (!*read) return make_error("not_found", "transaction " + hash_to_string(hash) + " is in no block");
  return **read;
}
}  // namespace

Result<TxLookup> Node::find_tx(const Hash32& hash) const {
  auto loc = locate_tx(*store_, hash);
  if (!loc) return loc.error();
  const std::string what = "transaction " + hash_to_string(hash) + " (block " + std::to_string(loc->height) +
                           " index " + std::to_string(loc->index) + ")";
  auto block = block_at(loc->height);
  if (!block) {
    if (block.error().code == "not_found") return corrupt(what, "the tx index names a missing block");
    return block.error();
  }
  if (loc->index >= static_cast<uint32_t>(block->block.txs_size()))
    return corrupt(what, "the block has only " + std::to_string(block->block.txs_size()) + " transactions");
  const std::string& raw = block->block.txs(static_cast<int>(loc->index));
  auto vtx = decode_and_verify_tx(as_span(raw));
  if (!vtx) return corrupt(what, vtx.error().message);
  TxLookup out;
  if (auto st = decode_canonical(as_span(raw), out.tx, "transaction"); !st)
    return corrupt(what, st.error().message);
  out.body = vtx->tx.body;
  out.sender = vtx->sender;
  out.height = loc->height;
  out.index = loc->index;
  out.block_hash = block->hash;
  const std::string receipts_what = "receipts of block " + std::to_string(loc->height);
  auto receipts_raw = store_->receipts_at(loc->height);
  if (!receipts_raw) return receipts_raw.error();
  if (!*receipts_raw) return corrupt(receipts_what, "missing");
  pb::BlockReceipts receipts;
  if (auto st = decode_canonical(**receipts_raw, receipts, "receipts"); !st)
    return corrupt(receipts_what, st.error().message);
  if (static_cast<int>(loc->index) >= receipts.receipts_size())
    return corrupt(receipts_what, "no receipt for index " + std::to_string(loc->index));
  out.receipt = receipts.receipts(static_cast<int>(loc->index));
  return out;
}

Result<ReceiptLookup> Node::find_receipt(const Hash32& hash) const {
  auto loc = locate_tx(*store_, hash);
  if (!loc) return loc.error();
  const std::string what = "transaction " + hash_to_string(hash) + " (block " + std::to_string(loc->height) +
                           " index " + std::to_string(loc->index) + ")";
  ReceiptLookup out;
  out.height = loc->height;
  out.index = loc->index;
  // The block's hash from its commit: a few hundred bytes, where the block may be megabytes.
  auto commit = commit_at(loc->height);
  if (!commit) {
    if (commit.error().code == "not_found")
      return corrupt(what, "the tx index names a block without a commit");
    return commit.error();
  }
  if (commit->height() != loc->height || commit->block_hash().size() != 32)
    return corrupt("commit of block " + std::to_string(loc->height), "it is not a commit of that height");
  std::copy(commit->block_hash().begin(), commit->block_hash().end(), out.block_hash.begin());
  std::shared_ptr<const pb::BlockReceipts> receipts = recent_receipts_.find(loc->height);
  if (!receipts) {
    const std::string receipts_what = "receipts of block " + std::to_string(loc->height);
    auto receipts_raw = store_->receipts_at(loc->height);
    if (!receipts_raw) return receipts_raw.error();
    if (!*receipts_raw) return corrupt(receipts_what, "missing");
    auto decoded = std::make_shared<pb::BlockReceipts>();
    if (auto st = decode_canonical(**receipts_raw, *decoded, "receipts"); !st)
      return corrupt(receipts_what, st.error().message);
    receipts = decoded;
    recent_receipts_.insert(loc->height, receipts);
  }
  if (static_cast<int>(loc->index) >= receipts->receipts_size())
    return corrupt("receipts of block " + std::to_string(loc->height),
                   "no receipt for index " + std::to_string(loc->index));
  out.receipt = receipts->receipts(static_cast<int>(loc->index));
  if (out.receipt.tx_hash() != to_string(hash))
    return corrupt(what, "the receipt at that index is another's");
  return out;
}

Result<vm::AccountState> Node::account(const Address& address) const {
  StoreState state(*store_);
  auto account = checked_account(state, address);
  if (auto st = state.status(); !st) return st.error();
  return account;
}

Result<pb::Commit> Node::commit_at(uint64_t height) const {
  if (height == 0) return make_error("not_found", "the genesis block (height 0) has no commit");
  const std::string what = "commit of block " + std::to_string(height);
  auto raw = store_->commit_at(height);
  if (!raw) return raw.error();
  if (!*raw) return make_error("not_found", "no block at height " + std::to_string(height));
  pb::Commit commit;
  if (auto st = decode_canonical(**raw, commit, "commit"); !st) return corrupt(what, st.error().message);
  return commit;
}

std::optional<Bytes> Node::stored_senders(uint64_t height) const {
  auto v = store_->get_index(senders_index_key(height));
  if (!v || !*v) return std::nullopt;
  return std::move(**v);
}

ConsensusStatus Node::consensus_status() const {
  {
    std::lock_guard lock(driver_mutex_);
    if (driver_) return driver_->consensus_status();
  }
  ConsensusStatus s;
  s.height = tip().height + 1;
  s.total_power = validators_.total_power();
  return s;
}

NetStatus Node::net_status() const {
  std::lock_guard lock(driver_mutex_);
  return driver_ ? driver_->net_status() : NetStatus{};
}

SyncStatus Node::sync_status() const {
  std::lock_guard lock(driver_mutex_);
  return driver_ ? driver_->sync_status() : SyncStatus{};
}

Result<uint64_t> Node::pending_nonce(const Address& address) const {
  auto acc = account(address);
  if (!acc) return acc.error();
  return mempool_.next_nonce(address, acc->nonce);
}

}  // namespace physis::node
