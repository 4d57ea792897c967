#include "node/consensus_driver.h"

#include "node/consensus_driver_impl.h"

namespace physis::node {

// ---------------------------------------------------------------------------------------------------

Status ConsensusDriver::Impl::open() {
  chain_id_ = node_.genesis().chain_id;
  auto t = node_.read_tip();
  if (!t) return t.error();
  tip_ = *t;
  const uint64_t height = tip_.height + 1;
  auto vals = node_.height_validators(height);
  if (!vals) return vals.error();
  if (opt_.validator_key) {
    const Address me = crypto::address_of(*crypto::public_key_of(*opt_.validator_key));
    if (!vals->set.find(me))
      return make_error("not_validator", "validator key " + crypto::address_to_string(me) +
                                             " is not a validator in the genesis");
    self_ = me;
  }
  const bool alone = self_ && vals->set.validators().size() == 1;
  if (!opt_.node_key && !alone)
    return make_error("no_network", self_ ? "the validator set has " + std::to_string(vals->set.validators().size()) +
                                                " validators: give --p2p-listen and --persistent-peers"
                                          : "a node without a validator key follows the chain over P2P: give "
                                            "--persistent-peers");
  if (self_) {
    auto signer = Signer::open(opt_.datadir + "/" + std::string(kSignerStateFile), *opt_.validator_key, chain_id_);
    if (!signer) return signer.error();
    signer_ = std::move(*signer);
    auto wal = ConsensusWal::open(opt_.datadir + "/" + std::string(kConsensusWalFile), opt_.wal);
    if (!wal) return wal.error();
    wal_ = std::move(*wal);
    // Start-up reconciliation (doc/consensus-safety.md): H = tip + 1.
    auto scan = read_wal(wal_->path(), opt_.wal);
    if (!scan) return scan.error();
    std::optional<consensus::EngineSnapshot> snap;
    for (const Bytes& rec : records_at_height(scan->entries, height))
      if (auto s = decode_snapshot(rec); s && s->height == height) snap = *s;
    const auto last = signer_->last_signed();
    const uint64_t hs = last ? last->height : 0;
    const uint64_t hw = wal_->last_height();
    if (hs > height || hw > height) {
      sign_from_height_ = std::max(hs, hw) + 1;
      LOG_WARN(kLog, "the signer or WAL is ahead of the chain (signed height " << hs << ", WAL height " << hw
                                                                               << ", chain height " << tip_.height
                                                                               << "): following without signing until height "
                                                                               << sign_from_height_);
    } else if (hs == height && !snap) {
      sign_from_height_ = height + 1;
      LOG_WARN(kLog, "signed at height " << height << " but the WAL has no state for it: not signing at " << height);
    } else {
      sign_from_height_ = 0;
      if (snap) {
        restore_ = snap;
        LOG_INFO(kLog, "resuming height " << height << " round " << snap->round << " from the WAL");
      }
    }
  }
  if (opt_.node_key) {
    p2p::HostOptions host = opt_.host;
    host.chain_id = chain_id_;
    // A BlockResponse carries a whole block (up to max_block_bytes), its commit and its senders (20 bytes
    // per transaction): the frame limit must let the largest valid one through, or a node could never
    // sync a block at the byte limit.
    const ChainParams& params = node_.genesis().params;
    const size_t largest_response = static_cast<size_t>(params.max_block_bytes) +
                                    20u * static_cast<size_t>(params.max_block_txs) + (1u << 20);
    host.max_message_bytes = std::max(host.max_message_bytes, largest_response);
    auto h = p2p::Host::start(*opt_.node_key, host,
                              [this](const std::string& peer, const p2p::Envelope& env) { on_envelope(peer, env); });
    if (!h) return h.error();
    host_ = std::move(*h);
    LOG_INFO(kLog, "P2P node id " << host_->node_id() << (host_->listen_endpoint().empty() ? "" : " listening on ")
                                  << host_->listen_endpoint());
  }
  refresh_status();
  return ok_status();
}

void ConsensusDriver::Impl::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  tx_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (relay_.joinable()) relay_.join();
  host_.reset();
  // Blocks sync held for a group write (the driver thread has stopped, so nothing else commits now).
  if (auto st = node_.executor().flush(); !st) LOG_ERROR(kLog, "cannot write synced blocks: " << st.error().message);
}

NetStatus ConsensusDriver::Impl::net_status() const {
  NetStatus s;
  if (!host_) return s;
  s.enabled = true;
  s.node_id = host_->node_id();
  s.listen_address = host_->listen_endpoint();
  s.peers = host_->peers();
  return s;
}

// Host thread: queue, never block on the engine. Transactions go to the relay thread.
void ConsensusDriver::Impl::on_envelope(const std::string& peer, const p2p::Envelope& env) {
  std::lock_guard lock(mu_);
  if (stopping_) return;
  if (env.has_tx()) {
    if (tx_queue_.size() < kMaxTxQueue) {
      tx_queue_.emplace_back(peer, Bytes(env.tx().raw().begin(), env.tx().raw().end()));
      tx_cv_.notify_one();
    }
    return;
  }
  if (env.has_tx_batch()) {
    if (static_cast<size_t>(env.tx_batch().raw_size()) > kMaxTxBatch) {
      if (host_) host_->penalize(peer, p2p::RejectReason::kInvalid, "a transaction batch over 1024 entries");
      return;
    }
    for (const auto& raw : env.tx_batch().raw())
      if (tx_queue_.size() < kMaxTxQueue) tx_queue_.emplace_back(peer, Bytes(raw.begin(), raw.end()));
    tx_cv_.notify_one();
    return;
  }
  if (inbox_.size() >= 100'000) return;  // the driver is far behind; re-sending will fill the gap
  inbox_.push_back(Incoming{peer, env});
  cv_.notify_one();
}

void ConsensusDriver::Impl::relay_loop() {
  while (true) {
    std::pair<std::string, Bytes> item;
    {
      std::unique_lock lock(mu_);
      tx_cv_.wait(lock, [this] { return stopping_ || !tx_queue_.empty(); });
      if (stopping_) return;
      item = std::move(tx_queue_.front());
      tx_queue_.pop_front();
    }
    // The same admission as RPC (cheap checks first, rejected-tx cache); Node::submit_tx gossips what
    // it admits onwards.
    auto admitted = node_.submit_tx(ByteSpan(item.second), item.first);
    if (!admitted && (admitted.error().code == "malformed" || admitted.error().code == "oversize" ||
                      admitted.error().code == "bad_signature")) {
      penalize(item.first, "transaction refused: " + admitted.error().code + ": " + admitted.error().message);
    }
  }
}

void ConsensusDriver::Impl::gossip_tx(Bytes raw, const std::string& except) {
  if (!host_) return;
  std::lock_guard lock(mu_);
  if (gossip_.size() < kMaxTxQueue) gossip_.emplace_back(std::move(raw), except);
}

// Driver thread: sends the queued transactions to each peer in batches, leaving out the ones that
// peer sent us.
void ConsensusDriver::Impl::flush_gossip() {
  std::vector<std::pair<Bytes, std::string>> queued;
  {
    std::lock_guard lock(mu_);
    queued.swap(gossip_);
  }
  if (queued.empty() || !host_) return;
  for (const auto& p : host_->peers()) {
    p2p::Envelope env;
    size_t bytes = 0;
    for (const auto& [raw, from] : queued) {
      if (from == p.node_id) continue;
      if (env.tx_batch().raw_size() >= static_cast<int>(kMaxTxBatch) || bytes + raw.size() > kTxBatchBytes) {
        send(p.node_id, std::move(env));
        env = p2p::Envelope();
        bytes = 0;
      }
      env.mutable_tx_batch()->add_raw(to_string(raw));
      bytes += raw.size();
    }
    if (env.tx_batch().raw_size() > 0) send(p.node_id, std::move(env));
  }
}

void ConsensusDriver::Impl::penalize(const std::string& peer, const std::string& why) {
  LOG_WARN(kLog, "peer " << peer << ": " << why);
  if (host_ && !peer.empty()) host_->penalize(peer, p2p::RejectReason::kInvalid, why);
}

void ConsensusDriver::Impl::send(const std::optional<std::string>& peer, p2p::Envelope env) {
  if (!host_) return;
  Status st = peer ? host_->send(*peer, std::move(env)) : host_->broadcast(std::move(env));
  if (!st) LOG_DEBUG(kLog, "send failed: " << st.error().message);
}

// ---- the loop ----

void ConsensusDriver::Impl::loop() {
  start_height(tip_.height + 1);
  while (true) {
    std::deque<Incoming> batch;
    {
      std::unique_lock lock(mu_);
      const uint64_t now = wall_ms();
      uint64_t wait_ms = 100;
      if (!timers_.empty()) wait_ms = timers_.begin()->first > now ? std::min<uint64_t>(wait_ms, timers_.begin()->first - now) : 0;
      if (inbox_.empty() && wait_ms > 0)
        cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return stopping_ || !inbox_.empty(); });
      if (stopping_) break;
      batch.swap(inbox_);
    }
    // Timers that are due.
    while (!timers_.empty() && timers_.begin()->first <= wall_ms()) {
      TimerKind kind = timers_.begin()->second;
      timers_.erase(timers_.begin());
      if (std::holds_alternative<StartHeightTimer>(kind)) {
        start_height(tip_.height + 1);
      } else if (engine_ && height_started_) {
        process(engine_->on_timeout(std::get<consensus::Timeout>(kind), wall_ms()));
      }
    }
    // Every block response of the batch goes to the sync pipeline before any block is applied.
    for (Incoming& in : batch)
      if (in.envelope.has_block_response())
        accept_block_response(in.peer, std::move(*in.envelope.mutable_block_response()));
    for (const Incoming& in : batch) {
      const p2p::Envelope& env = in.envelope;
      if (env.has_proposal()) handle_proposal(in.peer, env);
      else if (env.has_vote()) handle_vote(in.peer, env);
      else if (env.has_block_part()) handle_part(in.peer, env.block_part());
      else if (env.has_status()) handle_status(in.peer, env.status());
      else if (env.has_hello()) {
        handle_status(in.peer, [&] {
          p2p::PeerStatus s;
          s.set_height(env.hello().height());
          return s;
        }());
        // A peer that just connected learns our height now rather than at our next status tick: a node
        // that is behind starts fetching blocks at once.
        send_status(in.peer);
      }
      else if (env.has_block_request()) handle_block_request(in.peer, env.block_request());
      else if (env.has_block_response()) apply_synced();
    }
    flush_gossip();
    const uint64_t now = wall_ms();
    if (host_ && now - last_status_ms_ >= kStatusIntervalMs) {
      send_status();
      request_sync(now);
    }
    refresh_status();
  }
  LOG_INFO(kLog, "consensus stopped at height " << tip_.height);
}

void ConsensusDriver::Impl::start_height(uint64_t height) {
  auto vals = node_.height_validators(height);
  if (!vals) {
    LOG_ERROR(kLog, "no validator set for height " << height << ": " << vals.error().message);
    timers_.emplace(wall_ms() + 1000, StartHeightTimer{});
    return;
  }
  if (height > 1) {
    auto parent_vals = node_.height_validators(height - 1);
    if (!parent_vals) {
      LOG_ERROR(kLog, parent_vals.error().message);
      timers_.emplace(wall_ms() + 1000, StartHeightTimer{});
      return;
    }
    parent_validators_ = parent_vals->set;
  } else {
    parent_validators_ = vals->set;
  }
  validators_ = *vals;
  blocks_.clear();
  block_bytes_.clear();
  executed_.clear();
  part_sets_.clear();
  wanted_.clear();
  pending_validation_.clear();
  pending_commit_.reset();
  precommit_sigs_.clear();
  proposal_envs_.clear();
  vote_envs_.clear();
  seen_.clear();
  last_resend_.clear();
  last_snapshot_.clear();
  effects_.clear();
  std::erase_if(timers_, [](const auto& t) { return std::holds_alternative<consensus::Timeout>(t.second); });
  const bool sign = signer_ && height >= sign_from_height_;
  engine_.emplace(opt_.engine, sign ? self_ : std::nullopt);
  if (wal_) {
    if (auto st = wal_->start_height(height); !st) LOG_ERROR(kLog, "WAL: " << st.error().message);
  }
  height_started_ = true;
  if (restore_ && restore_->height == height && sign) {
    const consensus::EngineSnapshot snap = *restore_;
    restore_.reset();
    process(engine_->restore(snap, *vals, wall_ms()));
  } else {
    restore_.reset();
    process(engine_->start_height(height, *vals, wall_ms()));
  }
  // Messages for this height that came early.
  std::vector<Incoming> early;
  early.swap(future_);
  future_bytes_ = 0;
  for (const Incoming& in : early) {
    if (in.envelope.has_proposal()) handle_proposal(in.peer, in.envelope);
    else if (in.envelope.has_vote()) handle_vote(in.peer, in.envelope);
    else if (in.envelope.has_block_part()) handle_part(in.peer, in.envelope.block_part());
  }
  if (host_) send_status();
}

void ConsensusDriver::Impl::process(const consensus::Output& out) {
  for (const auto& e : out.effects) effects_.push_back(e);
  save_snapshot();
  run_effects();
}

void ConsensusDriver::Impl::save_snapshot() {
  if (!wal_ || !engine_ || !signing()) return;
  Bytes snap = encode_snapshot(engine_->snapshot());
  if (snap == last_snapshot_) return;
  // Synced before any effect of the change (a signature) leaves the driver.
  if (auto st = wal_->append(ByteSpan(snap)); !st) LOG_ERROR(kLog, "WAL: " << st.error().message);
  last_snapshot_ = std::move(snap);
}

void ConsensusDriver::Impl::run_effects() {
  while (!effects_.empty()) {
    consensus::Effect e = std::move(effects_.front());
    effects_.pop_front();
    handle(e);
  }
}

void ConsensusDriver::Impl::handle(const consensus::Effect& effect) {
  const uint64_t now = wall_ms();
  if (const auto* sp = std::get_if<consensus::SignProposal>(&effect)) {
    const consensus::Proposal& p = sp->proposal;
    SignRequest req{SignStep::kProposal, p.height, p.round, p.block,
                    p.pol_round >= 0 ? std::optional<uint32_t>(static_cast<uint32_t>(p.pol_round)) : std::nullopt};
    auto sig = signer_->sign(req);
    if (!sig) {
      LOG_ERROR(kLog, "not proposing at " << p.height << "/" << p.round << ": " << sig.error().message);
      return;
    }
    p2p::SignedProposal msg;
    msg.set_height(p.height);
    msg.set_round(p.round);
    msg.set_block_hash(to_string(p.block));
    msg.set_has_pol_round(p.pol_round >= 0);
    msg.set_pol_round(p.pol_round >= 0 ? static_cast<uint32_t>(p.pol_round) : 0);
    msg.set_proposer(to_string(p.proposer));
    msg.set_signature(to_string(*sig));
    p2p::Envelope env;
    env.mutable_proposal()->set_raw(to_string(encode_canonical(msg)));
    proposal_envs_[p.round] = env;
    wanted_.insert(p.block);
    LOG_DEBUG(kLog, "proposing " << short_hash(p.block) << " at " << p.height << "/" << p.round);
    send(std::nullopt, env);
    send_block(std::nullopt, p.block);
  } else if (const auto* sv = std::get_if<consensus::SignVote>(&effect)) {
    const consensus::Vote& v = sv->vote;
    SignRequest req{v.type == consensus::VoteType::kPrevote ? SignStep::kPrevote : SignStep::kPrecommit, v.height,
                    v.round, v.block.value_or(Hash32{}), std::nullopt};
    auto sig = signer_->sign(req);
    if (!sig) {
      LOG_ERROR(kLog, "not voting at " << v.height << "/" << v.round << ": " << sig.error().message);
      return;
    }
    p2p::SignedVote msg;
    msg.set_type(static_cast<uint32_t>(v.type));
    msg.set_height(v.height);
    msg.set_round(v.round);
    if (v.block) msg.set_block_hash(to_string(*v.block));
    msg.set_validator(to_string(v.validator));
    msg.set_signature(to_string(*sig));
    p2p::Envelope env;
    env.mutable_vote()->set_raw(to_string(encode_canonical(msg)));
    if (v.type == consensus::VoteType::kPrecommit && v.block) precommit_sigs_[{v.round, v.validator, *v.block}] = *sig;
    if (vote_envs_.size() < kMaxResendVotes) vote_envs_.push_back(env);
    send(std::nullopt, env);
  } else if (const auto* st = std::get_if<consensus::ScheduleTimeout>(&effect)) {
    timers_.emplace(st->deadline_ms, st->timeout);
  } else if (const auto* vb = std::get_if<consensus::ValidateBlock>(&effect)) {
    if (blocks_.count(vb->block)) validate_block(vb->block, vb->round);
    else pending_validation_[vb->block] = vb->round;
    wanted_.insert(vb->block);
  } else if (const auto* bb = std::get_if<consensus::BuildBlock>(&effect)) {
    auto last_commit = node_.last_commit_for(tip_);
    if (!last_commit) {
      LOG_ERROR(kLog, "cannot build block " << bb->height << ": " << last_commit.error().message);
      return;
    }
    auto built = node_.executor().propose(tip_, *validators_, *self_, now, *last_commit);
    if (!built) {
      LOG_ERROR(kLog, "cannot build block " << bb->height << ": " << built.error().message);
      return;
    }
    const Hash32 hash = built->hash;
    blocks_[hash] = built->block;
    block_bytes_[hash] = encode_canonical(built->block);
    executed_.emplace(hash, std::move(*built));
    process(engine_->on_block_built(bb->height, bb->round, hash, wall_ms()));
  } else if (const auto* cb = std::get_if<consensus::CommitBlock>(&effect)) {
    pending_commit_ = *cb;
    try_commit();
  } else if (const auto* eq = std::get_if<consensus::ReportEquivocation>(&effect)) {
    LOG_WARN(kLog, "validator " << crypto::address_to_string(eq->evidence.first.validator) << " equivocated at "
                                << eq->evidence.first.height << "/" << eq->evidence.first.round);
  }
}

void ConsensusDriver::Impl::validate_block(const Hash32& hash, uint32_t round) {
  pending_validation_.erase(hash);
  bool valid = executed_.count(hash) > 0;
  if (!valid) {
    std::optional<Address> round_proposer;
    auto it = engine_->proposals().find(round);
    if (it != engine_->proposals().end() && it->second.block == hash && it->second.pol_round < 0)
      round_proposer = it->second.proposer;
    auto checked = node_.executor().validate(blocks_.at(hash), tip_, *validators_, *parent_validators_,
                                             round_proposer, wall_ms());
    if (checked) {
      executed_.emplace(hash, std::move(*checked));
      valid = true;
    } else if (!is_block_fault(checked.error())) {
      LOG_ERROR(kLog, "cannot validate block " << short_hash(hash) << ": " << checked.error().message);
      return;  // a local failure: no answer; the round times out
    } else {
      LOG_WARN(kLog, "block " << short_hash(hash) << " at height " << tip_.height + 1 << " is invalid: "
                              << checked.error().code << ": " << checked.error().message);
    }
  }
  process(engine_->on_block_validated(tip_.height + 1, hash, valid, wall_ms()));
}

void ConsensusDriver::Impl::try_commit() {
  if (!pending_commit_) return;
  const consensus::CommitBlock cb = *pending_commit_;
  if (!executed_.count(cb.block)) {
    if (!blocks_.count(cb.block)) return;  // waits for the parts (peers re-send what we lack)
    auto checked = node_.executor().validate(blocks_.at(cb.block), tip_, *validators_, *parent_validators_,
                                             std::nullopt, wall_ms());
    if (!checked) {
      LOG_ERROR(kLog, "the network committed block " << short_hash(cb.block) << " which this node finds invalid: "
                                                     << checked.error().code << ": " << checked.error().message);
      return;
    }
    executed_.emplace(cb.block, std::move(*checked));
  }
  pb::Commit commit;
  commit.set_height(cb.height);
  commit.set_round(cb.round);
  commit.set_block_hash(to_string(cb.block));
  for (const consensus::Vote& v : cb.precommits) {
    if (!v.block) continue;
    auto it = precommit_sigs_.find({v.round, v.validator, *v.block});
    if (it == precommit_sigs_.end()) continue;
    auto* sig = commit.add_signatures();
    sig->set_validator(to_string(v.validator));
    sig->set_signature(to_string(it->second));
  }
  if (auto st = consensus::verify_commit(commit, validators_->set, chain_id_, cb.height, cb.block); !st) {
    LOG_ERROR(kLog, "commit of block " << cb.height << " does not verify: " << st.error().message);
    return;
  }
  auto tip = node_.executor().commit(executed_.at(cb.block), commit);
  if (!tip) {
    LOG_ERROR(kLog, "cannot commit block " << cb.height << ": " << tip.error().message);
    return;
  }
  pending_commit_.reset();
  after_commit(*tip);
}

void ConsensusDriver::Impl::after_commit(const storage::ChainTip& tip) {
  tip_ = tip;
  height_started_ = false;
  engine_.reset();
  // The next height starts one block time after this block's time (late precommits still arrive in
  // the meantime); at once when the chain is behind the clock.
  const uint64_t block_time = node_.genesis().params.block_time_ms;
  const uint64_t now = wall_ms();
  const uint64_t due = std::min(tip.time_ms + block_time, now + block_time);
  timers_.emplace(std::max(due, now), StartHeightTimer{});
  std::erase_if(sync_requests_, [&](const auto& r) { return r.first <= tip.height; });
  std::erase_if(sync_blocks_, [&](const auto& r) { return r.first <= tip.height; });
}

// ---- incoming messages ----

void ConsensusDriver::Impl::handle_proposal(const std::string& peer, const p2p::Envelope& env) {
  p2p::SignedProposal msg;
  if (auto st = decode_canonical(as_span(env.proposal().raw()), msg, "proposal"); !st)
    return penalize(peer, "undecodable proposal: " + st.error().message);
  const uint64_t height = tip_.height + 1;
  if (is_early(msg.height())) return buffer_early(peer, env);
  if (msg.height() != height || !engine_) return;
  if (msg.block_hash().size() != 32 || msg.proposer().size() != 20 || msg.signature().size() != 65 ||
      (msg.has_pol_round() && msg.pol_round() >= msg.round()) || (!msg.has_pol_round() && msg.pol_round() != 0))
    return penalize(peer, "malformed proposal");
  const Address proposer = bytes_to_address(msg.proposer());
  if (!validators_->set.find(proposer)) return penalize(peer, "proposal from a non-validator");
  const Hash32 id = crypto::keccak256(as_span(env.proposal().raw()));
  if (seen_.count(id)) return;
  const Hash32 block = to_hash32(msg.block_hash());
  const std::optional<uint32_t> pol = msg.has_pol_round() ? std::optional<uint32_t>(msg.pol_round()) : std::nullopt;
  auto signer = crypto::recover_address(consensus::proposal_digest(chain_id_, msg.height(), msg.round(), pol, block),
                                        as_span(msg.signature()));
  if (!signer || *signer != proposer) return penalize(peer, "proposal with a bad signature");
  if (seen_.size() < kMaxSeenPerHeight) seen_.insert(id);
  consensus::Proposal p{msg.height(), msg.round(), block, pol ? static_cast<int64_t>(*pol) : consensus::kNoRound,
                        proposer};
  const consensus::Output out = engine_->on_proposal(p, wall_ms());
  if (out.verdict == consensus::Verdict::kWrongProposer) return penalize(peer, "proposal from the wrong proposer");
  if (out.verdict == consensus::Verdict::kAccepted) {
    proposal_envs_.emplace(msg.round(), env);
    wanted_.insert(block);
    if (host_) send(std::nullopt, env);  // gossip onwards (duplicates are dropped by hash)
  }
  process(out);
}

void ConsensusDriver::Impl::handle_vote(const std::string& peer, const p2p::Envelope& env) {
  p2p::SignedVote msg;
  if (auto st = decode_canonical(as_span(env.vote().raw()), msg, "vote"); !st)
    return penalize(peer, "undecodable vote: " + st.error().message);
  const uint64_t height = tip_.height + 1;
  if (is_early(msg.height())) return buffer_early(peer, env);
  if (msg.height() != height || !engine_) return;
  if ((msg.type() != 1 && msg.type() != 2) || (!msg.block_hash().empty() && msg.block_hash().size() != 32) ||
      msg.validator().size() != 20 || msg.signature().size() != 65)
    return penalize(peer, "malformed vote");
  const Address validator = bytes_to_address(msg.validator());
  if (!validators_->set.find(validator)) return penalize(peer, "vote from a non-validator");
  const Hash32 id = crypto::keccak256(as_span(env.vote().raw()));
  if (seen_.count(id)) return;
  const auto type = static_cast<consensus::VoteType>(msg.type());
  const consensus::BlockId block =
      msg.block_hash().empty() ? consensus::BlockId() : consensus::BlockId(to_hash32(msg.block_hash()));
  const Hash32 digest = consensus::vote_digest(chain_id_, type, msg.height(), msg.round(), block.value_or(Hash32{}));
  auto signer = crypto::recover_address(digest, as_span(msg.signature()));
  if (!signer || *signer != validator) return penalize(peer, "vote with a bad signature");
  if (seen_.size() < kMaxSeenPerHeight) seen_.insert(id);
  consensus::Vote v{type, msg.height(), msg.round(), block, validator};
  const consensus::Output out = engine_->on_vote(v, wall_ms());
  if (out.verdict == consensus::Verdict::kAccepted || out.verdict == consensus::Verdict::kEquivocation) {
    if (type == consensus::VoteType::kPrecommit && block) {
      crypto::Signature sig{};
      std::copy(msg.signature().begin(), msg.signature().end(), sig.begin());
      precommit_sigs_.emplace(std::make_tuple(msg.round(), validator, *block), sig);
    }
    if (out.verdict == consensus::Verdict::kAccepted && vote_envs_.size() < kMaxResendVotes) {
      vote_envs_.push_back(env);
      if (host_) send(std::nullopt, env);
    }
  }
  process(out);
}

void ConsensusDriver::Impl::handle_part(const std::string& peer, const p2p::BlockPart& part) {
  const uint64_t height = tip_.height + 1;
  if (is_early(part.height())) {
    p2p::Envelope env;
    *env.mutable_block_part() = part;
    return buffer_early(peer, env);
  }
  if (part.height() != height || part.block_hash().size() != 32) return;
  const Hash32 hash = to_hash32(part.block_hash());
  if (!wanted_.count(hash) || blocks_.count(hash)) return;  // only blocks a signed proposal named
  if (part.total() == 0 || part.total() > kMaxBlockParts || part.index() >= part.total() ||
      part.data().size() > kBlockPartBytes || part.data().empty())
    return penalize(peer, "malformed block part");
  PartSet& set = part_sets_[hash];
  if (set.total == 0) {
    if (part_sets_.size() > kMaxPartSets) {
      part_sets_.erase(hash);
      return;
    }
    set.total = part.total();
    set.parts.resize(part.total());
  }
  if (set.total != part.total()) return penalize(peer, "block part with another part count");
  if (set.parts[part.index()]) return;
  set.parts[part.index()] = part.data();
  if (++set.have < set.total) return;
  Bytes bytes;
  for (const auto& p : set.parts) append(bytes, *p);
  part_sets_.erase(hash);
  pb::Block block;
  if (auto st = decode_block(ByteSpan(bytes), block); !st) return penalize(peer, "block parts do not decode: " + st.error().message);
  if (block_hash(block.header()) != hash) return penalize(peer, "block parts do not hash to the proposed block");
  blocks_[hash] = std::move(block);
  block_bytes_[hash] = std::move(bytes);
  block_arrived(hash);
}

void ConsensusDriver::Impl::block_arrived(const Hash32& hash) {
  if (auto it = pending_validation_.find(hash); it != pending_validation_.end()) validate_block(hash, it->second);
  if (pending_commit_ && pending_commit_->block == hash) try_commit();
}

void ConsensusDriver::Impl::handle_status(const std::string& peer, const p2p::PeerStatus& status) {
  uint64_t& known = peer_heights_[peer];
  const bool higher = status.height() > known;
  known = status.height();
  const uint64_t height = tip_.height + 1;
  // Far behind a peer (the `syncing` condition of request_sync): ask for blocks now, not at the next
  // status tick up to kStatusIntervalMs later (half a second of a fresh node's start-up went there). One
  // height behind is left to the tick: the commit of that height is usually arriving by gossip.
  if (higher && status.height() > tip_.height + 2) request_sync(wall_ms());
  if (status.height() != height || !height_started_) return;
  const uint64_t now = wall_ms();
  uint64_t& last = last_resend_[peer];
  if (now - last < kResendIntervalMs) return;
  last = now;
  // ZeroMQ may have dropped what we sent: the peer gets this height's proposals, votes and the blocks
  // it says it lacks again.
  std::set<std::string> has(status.blocks().begin(), status.blocks().end());
  for (const auto& [round, env] : proposal_envs_) {
    send(peer, env);
    p2p::SignedProposal msg;
    if (decode_canonical(as_span(env.proposal().raw()), msg, "proposal") && !has.count(msg.block_hash()))
      send_block(peer, to_hash32(msg.block_hash()));
  }
  for (const auto& env : vote_envs_) send(peer, env);
}

void ConsensusDriver::Impl::send_block(const std::optional<std::string>& peer, const Hash32& hash) {
  auto it = block_bytes_.find(hash);
  if (it == block_bytes_.end() || !host_) return;
  const Bytes& bytes = it->second;
  const uint32_t total = static_cast<uint32_t>((bytes.size() + kBlockPartBytes - 1) / kBlockPartBytes);
  for (uint32_t i = 0; i < total; ++i) {
    p2p::Envelope env;
    p2p::BlockPart* part = env.mutable_block_part();
    part->set_height(tip_.height + 1);
    part->set_index(i);
    part->set_total(total);
    const size_t begin = static_cast<size_t>(i) * kBlockPartBytes;
    const size_t end = std::min(bytes.size(), begin + kBlockPartBytes);
    part->set_data(std::string(bytes.begin() + static_cast<std::ptrdiff_t>(begin),
                               bytes.begin() + static_cast<std::ptrdiff_t>(end)));
    part->set_block_hash(to_string(hash));
    send(peer, std::move(env));
  }
}

void ConsensusDriver::Impl::send_status(const std::optional<std::string>& to) {
  if (!to) last_status_ms_ = wall_ms();
  p2p::Envelope env;
  p2p::PeerStatus* s = env.mutable_status();
  s->set_height(tip_.height + 1);
  s->set_round(engine_ ? engine_->round() : 0);
  for (const auto& [hash, block] : blocks_) {
    if (s->blocks_size() >= 8) break;
    s->add_blocks(to_string(hash));
  }
  send(to, std::move(env));
}

void ConsensusDriver::Impl::refresh_status() {
  ConsensusStatus s;
  s.running = true;
  s.height = tip_.height + 1;
  s.validator = signer_ != nullptr && s.height >= sign_from_height_;
  if (engine_ && engine_->started()) {
    s.round = engine_->round();
    s.step = height_started_ ? step_name(engine_->step()) : "commit";
    s.proposer = engine_->proposer(engine_->round());
    s.locked_block = engine_->locked_block();
    s.locked_round = engine_->locked_round();
    s.valid_block = engine_->valid_block();
    s.valid_round = engine_->valid_round();
    if (const auto* votes = engine_->votes()) {
      for (uint32_t r : votes->rounds()) {
        for (auto type : {consensus::VoteType::kPrevote, consensus::VoteType::kPrecommit}) {
          const consensus::VoteSet* set = votes->get(type, r);
          if (!set || set->first_votes().empty()) continue;
          s.votes.push_back({r, type == consensus::VoteType::kPrevote ? "prevote" : "precommit",
                             static_cast<uint32_t>(set->first_votes().size()), set->power_any()});
        }
      }
    }
  } else {
    s.step = "commit";  // between heights: the last block is committed, the next not started
    if (auto next = node_.height_validators(s.height)) s.proposer = next->proposer(0).address;
  }
  if (validators_) s.total_power = validators_->set.total_power();
  else if (auto next = node_.height_validators(s.height)) s.total_power = next->set.total_power();
  std::lock_guard lock(status_mu_);
  status_ = std::move(s);
}

// ---------------------------------------------------------------------------------------------------

Result<std::unique_ptr<ConsensusDriver>> ConsensusDriver::start(Node& node, DriverOptions options) {
  auto impl = std::make_unique<Impl>(node, std::move(options));
  if (auto st = impl->open(); !st) return st.error();
  impl->run();
  return std::unique_ptr<ConsensusDriver>(new ConsensusDriver(std::move(impl)));
}

ConsensusDriver::ConsensusDriver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConsensusDriver::~ConsensusDriver() { stop(); }
void ConsensusDriver::stop() { impl_->stop(); }
void ConsensusDriver::gossip_tx(Bytes raw, const std::string& from_peer) {
  impl_->gossip_tx(std::move(raw), from_peer);
}
ConsensusStatus ConsensusDriver::consensus_status() const { return impl_->consensus_status(); }
NetStatus ConsensusDriver::net_status() const { return impl_->net_status(); }
SyncStatus ConsensusDriver::sync_status() const { return impl_->sync_status(); }

}  // namespace physis::node
