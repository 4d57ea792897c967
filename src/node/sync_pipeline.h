// Block sync's pipeline (doc/p2p.md "Sync pipeline"): the work on a fetched block that needs neither the
// state nor the chain tip runs on one thread of its own, while the driver thread applies the blocks
// before it. That work is: decoding the block and its commit, checking the commit against the height's
// validator set (verify_commit), and, with sender hints, decoding the transactions and computing the tx
// root (prepare_hinted_txs). The driver applies blocks in height order and takes each one's result when
// its turn comes; nothing of a block reaches the state before the driver has seen its commit verified.
#pragma once

#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "consensus/validator_set.h"
#include "node/block_executor.h"
#include "p2p/p2p.pb.h"

namespace physis::node {

// One BlockResponse to prepare, with what checking it needs (taken on the driver thread).
struct SyncJob {
  uint64_t height = 0;  // the height that was asked for
  p2p::BlockResponse response;
  consensus::ValidatorSet validators{{}};  // the set at `height` (signs the block's commit)
  std::string chain_id;
  bool use_hints = true;  // false with --sync-verify-signatures
};

// What the pipeline made of a BlockResponse.
struct PreparedSync {
  uint64_t height = 0;
  // Why the response is refused and its peer scored (the words the driver logs), empty when it passed.
  std::string fault;
  pb::Block block;
  Bytes encoded;  // the block as received: canonical (decode_block checked), stored as is
  pb::Commit commit;
  Hash32 hash{};             // block_hash of the header
  Hash32 commit_hash{};      // commit_hash(commit), verified for (height, hash) against the height's set
  Hash32 validators_hash{};  // of the set the commit was verified against
  std::optional<TrustedHints> hints;  // the stated senders, when of the right length and hints are on
  // With hints: the transactions decoded with them, or why they do not decode (the driver then
  // validates the block in full, as for any hint that fails).
  std::optional<Result<PreparedTxs>> txs;
};

// The checks, in the order the driver makes them: the block decodes, the commit decodes, the block is
// at the height asked, the commit is of this block with > 2/3 of the height's power; then, with hints,
// the transactions. The first failure sets `fault` and stops. Pure and thread-safe.
PreparedSync prepare_synced_block(SyncJob job);

// One worker thread running prepare_synced_block, lowest height first (the driver needs the lowest
// next). Thread-safety: submit may be called from any thread. The destructor stops the thread; jobs not
// started then are dropped (their futures report a broken promise).
class SyncPipeline {
 public:
  SyncPipeline();
  ~SyncPipeline();
  SyncPipeline(const SyncPipeline&) = delete;
  SyncPipeline& operator=(const SyncPipeline&) = delete;

  std::future<PreparedSync> submit(SyncJob job);

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                                             // guarded by mu_
  std::multimap<uint64_t, std::packaged_task<PreparedSync()>> jobs_;  // guarded by mu_, by height
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace physis::node
