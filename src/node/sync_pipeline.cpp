#include "node/sync_pipeline.h"

#include "primitives/block.h"
#include "primitives/codec.h"

namespace physis::node {

PreparedSync prepare_synced_block(SyncJob job) {
  PreparedSync out;
  out.height = job.height;
  p2p::BlockResponse& resp = job.response;
  if (!decode_block(as_span(resp.block()), out.block)) {
    out.fault = "synced block does not decode";
    return out;
  }
  if (!decode_canonical(as_span(resp.commit()), out.commit, "commit")) {
    out.fault = "synced commit does not decode";
    return out;
  }
  if (out.block.header().height() != job.height) {
    out.fault = "synced block has another height";
    return out;
  }
  out.hash = block_hash(out.block.header());
  // The commit first: a block without > 2/3 of the height's power behind it is never applied, and its
  // transactions are not even decoded.
  if (auto st = consensus::verify_commit(out.commit, job.validators, job.chain_id, job.height, out.hash);
      !st) {
    out.fault = "synced block " + std::to_string(job.height) + " has a bad commit: " + st.error().message;
    return out;
  }
  out.commit_hash = commit_hash(out.commit);
  out.validators_hash = job.validators.hash();
  out.encoded.assign(resp.block().begin(), resp.block().end());
  // Sender hints of the wrong length are ignored (the block is then verified in full), not scored: a
  // hint is checked by the roots anyway.
  if (job.use_hints && out.block.txs_size() > 0) {
    if (auto senders = parse_senders(as_span(resp.senders()), static_cast<size_t>(out.block.txs_size()))) {
      out.hints = TrustedHints{std::move(*senders)};
      out.txs = prepare_hinted_txs(out.block, *out.hints);
    }
  }
  return out;
}

SyncPipeline::SyncPipeline() : thread_([this] { run(); }) {}

SyncPipeline::~SyncPipeline() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::future<PreparedSync> SyncPipeline::submit(SyncJob job) {
  const uint64_t height = job.height;
  std::packaged_task<PreparedSync()> task(
      [job = std::move(job)]() mutable { return prepare_synced_block(std::move(job)); });
  std::future<PreparedSync> result = task.get_future();
  {
    std::lock_guard lock(mu_);
    jobs_.emplace(height, std::move(task));
  }
  cv_.notify_one();
  return result;
}

void SyncPipeline::run() {
  while (true) {
    std::packaged_task<PreparedSync()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      auto first = jobs_.begin();
      task = std::move(first->second);
      jobs_.erase(first);
    }
    task();
  }
}

}  // namespace physis::node
