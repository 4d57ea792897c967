// Catch-up by block sync (doc/p2p.md "Catching up"): the driver's side of BlockRequest/BlockResponse.
#include "node/consensus_driver_impl.h"

namespace physis::node {

// ---- block sync: peers ahead of us serve the blocks we lack, each with its commit ----

void ConsensusDriver::Impl::request_sync(uint64_t now) {
  uint64_t best = 0;
  for (const auto& [peer, h] : peer_heights_) best = std::max(best, h);
  {
    std::lock_guard lock(status_mu_);
    sync_.sync_target = best > 0 ? best - 1 : 0;
    sync_.syncing = best > tip_.height + 2;
  }
  log_sync_progress(best, now);
  if (best <= tip_.height + 1) return;  // nobody has committed a block we lack
  std::vector<std::string> ahead;
  for (const auto& [peer, h] : peer_heights_)
    if (h > tip_.height + 1) ahead.push_back(peer);
  size_t next_peer = static_cast<size_t>(tip_.height) % ahead.size();
  for (uint64_t h = tip_.height + 1; h < best && h <= tip_.height + kSyncWindow; ++h) {
    if (sync_blocks_.count(h)) continue;
    auto it = sync_requests_.find(h);
    if (it != sync_requests_.end() && now - it->second.second < kSyncRequestTimeoutMs) continue;
    // A height whose request timed out goes to another peer.
    std::string peer = ahead[next_peer++ % ahead.size()];
    if (it != sync_requests_.end() && peer == it->second.first && ahead.size() > 1) peer = ahead[next_peer++ % ahead.size()];
    if (peer_heights_[peer] <= h) continue;
    p2p::Envelope env;
    env.mutable_block_request()->set_height(h);
    send(peer, env);
    sync_requests_[h] = {peer, now};
  }
}

void ConsensusDriver::Impl::log_sync_progress(uint64_t best, uint64_t now) {
  const bool syncing = best > tip_.height + 2;
  if (!syncing) {
    if (sync_log_ms_ != 0)
      LOG_INFO(kLog, "caught up at height " << tip_.height << "; following consensus");
    sync_log_ms_ = 0;
    return;
  }
  if (sync_log_ms_ == 0) {
    sync_log_ms_ = now;
    sync_log_height_ = tip_.height;
    LOG_INFO(kLog, "syncing from height " << tip_.height << " to " << best - 1);
    return;
  }
  if (now - sync_log_ms_ < 5000) return;
  const uint64_t done = tip_.height - sync_log_height_;
  const uint64_t rate_milli = done * 1'000'000 / std::max<uint64_t>(1, now - sync_log_ms_);  // blocks/s × 1000
  const uint64_t left = best - 1 - tip_.height;
  LOG_INFO(kLog, "syncing: height " << tip_.height << " of " << best - 1 << ", " << rate_milli / 1000 << "."
                                    << (rate_milli % 1000) / 100 << " blocks/s, ETA "
                                    << (rate_milli > 0 ? std::to_string(left * 1000 / rate_milli) + " s" : "unknown"));
  sync_log_ms_ = now;
  sync_log_height_ = tip_.height;
}

void ConsensusDriver::Impl::handle_block_request(const std::string& peer, const p2p::BlockRequest& req) {
  if (req.height() == 0 || req.height() > tip_.height) return;
  auto block = node_.block_at(req.height());
  auto commit = node_.commit_at(req.height());
  if (!block || !commit) return;
  p2p::Envelope env;
  p2p::BlockResponse* r = env.mutable_block_response();
  r->set_height(req.height());
  r->set_block(to_string(encode_canonical(block->block)));
  r->set_commit(to_string(encode_canonical(*commit)));
  if (auto senders = node_.stored_senders(req.height())) r->set_senders(to_string(*senders));
  send(peer, std::move(env));
}

// Host messages are batched: every response of a batch is handed to the pipeline before any is applied
// (loop() calls this first for all of them), so that the next blocks are prepared while one is applied.
void ConsensusDriver::Impl::accept_block_response(const std::string& peer, p2p::BlockResponse resp) {
  auto asked = sync_requests_.find(resp.height());
  if (asked == sync_requests_.end() || asked->second.first != peer) return;  // not asked of this peer
  const uint64_t height = resp.height();
  if (height <= tip_.height || sync_blocks_.count(height)) return;
  auto vals = node_.height_validators(height);
  if (!vals) {
    LOG_ERROR(kLog, "no validator set for height " << height << ": " << vals.error().message);
    return;
  }
  if (!sync_pipeline_) sync_pipeline_ = std::make_unique<SyncPipeline>();
  SyncJob job{height, std::move(resp), vals->set, chain_id_, !opt_.sync_verify_signatures};
  sync_blocks_.emplace(height, SyncedBlock{sync_pipeline_->submit(std::move(job)), peer});
  sync_requests_.erase(asked);
}

void ConsensusDriver::Impl::accept_queued_responses() {
  std::vector<Incoming> responses;
  {
    std::lock_guard lock(mu_);
    if (std::none_of(inbox_.begin(), inbox_.end(),
                     [](const Incoming& in) { return in.envelope.has_block_response(); }))
      return;
    std::deque<Incoming> rest;
    for (Incoming& in : inbox_)
      (in.envelope.has_block_response() ? responses.emplace_back() : rest.emplace_back()) = std::move(in);
    inbox_.swap(rest);
  }
  for (Incoming& in : responses)
    accept_block_response(in.peer, std::move(*in.envelope.mutable_block_response()));
}

void ConsensusDriver::Impl::apply_synced() {
  // Apply in height order what is here.
  bool applied = false;
  while (true) {
    // Responses that arrived while the last block was applied: to the pipeline now, so that it works on
    // them during the next block, and so that the next block is seen to be here (group writes).
    accept_queued_responses();
    auto it = sync_blocks_.find(tip_.height + 1);
    if (it == sync_blocks_.end()) break;
    const std::string peer = it->second.peer;
    PreparedSync prepared = it->second.prepared.get();  // waits for the pipeline if it is not done yet
    sync_blocks_.erase(it);
    applied = true;
    const uint64_t before = tip_.height;
    // A refused response is dropped; its height is asked again (of the next peer) below.
    if (!prepared.fault.empty()) {
      penalize(peer, prepared.fault);
      break;
    }
    commit_synced(prepared, peer);
    if (tip_.height == before) break;
  }
  // A run of held blocks that ended early (a block failed): write what is held, then take part again.
  if (applied && node_.executor().held_blocks() > 0) {
    if (auto st = node_.executor().flush(); !st) {
      LOG_ERROR(kLog, "cannot write synced blocks: " << st.error().message);
      tip_ = node_.tip();
    }
    start_height(tip_.height + 1);
  }
  request_sync(wall_ms());
}

void ConsensusDriver::Impl::commit_synced(PreparedSync& synced, const std::string& peer) {
  const pb::Block& block = synced.block;
  const pb::Commit& commit = synced.commit;
  const uint64_t height = tip_.height + 1;
  const auto t0 = std::chrono::steady_clock::now();
  auto us_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t).count();
  };
  auto vals = node_.height_validators(height);
  if (!vals) return;
  const Hash32& hash = synced.hash;
  // The pipeline verified the commit against the height's set (prepare_synced_block) before anything
  // else; should the set known for the height differ now, the commit is verified again against it.
  if (vals->set.hash() != synced.validators_hash) {
    if (auto st = consensus::verify_commit(commit, vals->set, chain_id_, height, hash); !st)
      return penalize(peer,
                      "synced block " + std::to_string(height) + " has a bad commit: " + st.error().message);
  }
  auto parent_vals = height > 1 ? node_.height_validators(height - 1) : vals;
  if (!parent_vals) {
    LOG_ERROR(kLog, "no validator set for height " << height - 1 << ": " << parent_vals.error().message);
    return;
  }
  const consensus::ValidatorSet& parent_set = parent_vals->set;
  // The commit fetched with the parent was verified against the parent's set: a last_commit with the
  // same hash needs no second verification (consensus/header_rules.h, rule 12).
  const Hash32* verified_parent_commit =
      verified_commit_ && verified_commit_->height == tip_.height && verified_commit_->block == tip_.hash
          ? &verified_commit_->commit
          : nullptr;
  const auto commit_checked_us = us_since(t0);
  std::optional<ExecutedBlock> executed;
  bool hints_failed = false;
  if (auto it = executed_.find(hash); it != executed_.end()) executed = std::move(it->second);
  if (!executed && synced.hints) {
    // The commit vouches for the block's signatures: apply it with the peer's senders. A wrong hint
    // cannot give the committed roots; then the block is checked again in full, below.
    Result<ExecutedBlock> checked = make_error(kRejectBadTx, "sender hints were not prepared");
    if (synced.txs && *synced.txs)
      checked = node_.executor().validate_prepared(block, tip_, *vals, parent_set, wall_ms(),
                                                   std::move(**synced.txs), verified_parent_commit);
    else if (synced.txs)
      checked = synced.txs->error();
    if (checked) {
      executed = std::move(*checked);
    } else if (is_block_fault(checked.error())) {
      LOG_WARN(kLog, "synced block " << height << " does not apply with the senders " << peer
                                     << " stated (" << checked.error().code << "); verifying it in full");
      hints_failed = true;
    } else {
      LOG_ERROR(kLog, "cannot validate synced block " << height << ": " << checked.error().message);
      return;
    }
  }
  if (!executed) {
    auto checked = node_.executor().validate(block, tip_, *vals, parent_set, std::nullopt, wall_ms());
    if (!checked) {
      if (is_block_fault(checked.error()))
        return penalize(peer, "synced block " + std::to_string(height) + " is invalid: " + checked.error().code);
      LOG_ERROR(kLog, "cannot validate synced block " << height << ": " << checked.error().message);
      return;
    }
    executed = std::move(*checked);
    // The block is valid and its commit real, yet the senders the peer stated did not apply: they lied.
    if (hints_failed) penalize(peer, "synced block " + std::to_string(height) + " came with wrong sender hints");
  }
  if (executed->encoded.empty()) executed->encoded = std::move(synced.encoded);  // stored as received
  const auto validated_us = us_since(t0);
  // While the next block is already here, this one is held and written with the last of the run (or
  // with every 64th): one disk sync per run of blocks instead of one per block.
  const bool more = sync_blocks_.count(height + 1) > 0;
  auto tip = node_.executor().commit(*executed, commit, /*durable=*/!more);
  if (!tip) {
    LOG_ERROR(kLog, "cannot commit synced block " << height << ": " << tip.error().message);
    tip_ = node_.tip();  // held blocks that failed to be written are dropped with it
    return;
  }
  if (block.txs_size() > 0) {
    std::lock_guard lock(status_mu_);
    ++(synced.hints && !hints_failed ? sync_.blocks_with_hints : sync_.blocks_verified_in_full);
  }
  LOG_DEBUG(kLog, "synced block " << height << " (" << block.txs_size() << " txs) from " << peer << ": commit checked "
                                   << commit_checked_us << " us, validated " << validated_us - commit_checked_us
                                   << " us, stored " << us_since(t0) - validated_us << " us");
  tip_ = *tip;
  verified_commit_ = VerifiedCommit{height, hash, synced.commit_hash};
  engine_.reset();
  height_started_ = false;
  future_.clear();
  future_bytes_ = 0;
  // Behind: start the next height at once (it is decided already if peers are further ahead).
  std::erase_if(timers_, [](const auto& t) { return std::holds_alternative<StartHeightTimer>(t.second); });
  if (node_.executor().held_blocks() == 0) start_height(tip_.height + 1);
}

}  // namespace physis::node
