// Internal to the consensus driver: the Impl class shared by consensus_driver.cpp (engine, effects,
// consensus messages) and consensus_driver_sync.cpp (catch-up by block sync). Not a public header.
#pragma once

#include "node/consensus_driver.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <variant>

#include "consensus/sign_bytes.h"
#include "crypto/keccak.h"
#include "node/engine_snapshot.h"
#include "node/node.h"
#include "node/sync_pipeline.h"
#include "primitives/block.h"
#include "primitives/codec.h"
#include "util/log.h"

namespace physis::node {

namespace driver_detail {

inline constexpr const char* kLog = "consensus";
// Heights beyond the current one whose messages are kept until that height starts (one: a peer that
// committed a moment earlier already sends the next height's proposal and votes).
inline constexpr size_t kMaxFutureMessages = 4096;
inline constexpr size_t kMaxFutureBytes = 64u << 20;
inline constexpr size_t kMaxSeenPerHeight = 200'000;
inline constexpr size_t kMaxResendVotes = 4096;
inline constexpr uint32_t kMaxBlockParts = (kMaxBlockBytes + kBlockPartBytes - 1) / kBlockPartBytes;
inline constexpr size_t kMaxPartSets = 16;
inline constexpr size_t kMaxTxQueue = 20'000;
inline constexpr size_t kMaxTxBatch = 1024;
inline constexpr size_t kTxBatchBytes = 1u << 20;
inline constexpr uint64_t kSyncRequestTimeoutMs = 2000;
inline constexpr size_t kSyncWindow = 64;

// A block fetched by block sync, prepared by the pipeline and waiting for its turn to be applied.
struct SyncedBlock {
  std::future<PreparedSync> prepared;
  std::string peer;  // that sent it
};

// The last synced block's commit, verified against its height's set (skips re-verifying the same commit
// when the next block carries it as last_commit).
struct VerifiedCommit {
  uint64_t height = 0;
  Hash32 block{};
  Hash32 commit{};  // commit_hash
};

inline uint64_t wall_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

inline std::string short_hash(const Hash32& h) { return hash_to_string(h).substr(0, 12); }

inline const char* step_name(consensus::Step step) {
  switch (step) {
    case consensus::Step::kPropose: return "propose";
    case consensus::Step::kPrevote: return "prevote";
    case consensus::Step::kPrecommit: return "precommit";
    case consensus::Step::kCommitted: return "commit";
  }
  return "";
}

// A block being received in parts.
struct PartSet {
  uint32_t total = 0;
  std::vector<std::optional<std::string>> parts;
  uint32_t have = 0;
};

}  // namespace driver_detail

using namespace driver_detail;

class ConsensusDriver::Impl {
 public:
  Impl(Node& node, DriverOptions options) : node_(node), opt_(std::move(options)) {}

  Status open();
  void run() {
    thread_ = std::thread([this] { loop(); });
    relay_ = std::thread([this] { relay_loop(); });
  }
  void stop();
  void gossip_tx(Bytes raw, const std::string& except);
  void flush_gossip();
  ConsensusStatus consensus_status() const {
    std::lock_guard lock(status_mu_);
    return status_;
  }
  NetStatus net_status() const;
  SyncStatus sync_status() const {
    std::lock_guard lock(status_mu_);
    return sync_;
  }

 private:
  struct Incoming {
    std::string peer;
    p2p::Envelope envelope;
  };
  struct StartHeightTimer {};
  using TimerKind = std::variant<consensus::Timeout, StartHeightTimer>;

  // ---- thread bodies ----
  void loop();
  void relay_loop();
  void on_envelope(const std::string& peer, const p2p::Envelope& env);  // host thread

  // ---- driver thread ----
  void start_height(uint64_t height);
  void process(const consensus::Output& out);
  void run_effects();
  void handle(const consensus::Effect& effect);
  void handle_proposal(const std::string& peer, const p2p::Envelope& env);
  void handle_vote(const std::string& peer, const p2p::Envelope& env);
  void handle_part(const std::string& peer, const p2p::BlockPart& part);
  void handle_status(const std::string& peer, const p2p::PeerStatus& status);
  void handle_block_request(const std::string& peer, const p2p::BlockRequest& req);
  // Block sync: a response asked of `peer` goes to the pipeline; apply_synced applies, in height order,
  // the prepared blocks that follow the tip.
  void accept_block_response(const std::string& peer, p2p::BlockResponse resp);
  void apply_synced();
  // Takes the block responses waiting in the inbox (other messages keep their order) and accepts them.
  void accept_queued_responses();
  void block_arrived(const Hash32& hash);
  void validate_block(const Hash32& hash, uint32_t round);
  void try_commit();
  void commit_synced(PreparedSync& synced, const std::string& peer);
  void after_commit(const storage::ChainTip& tip);
  void send_block(const std::optional<std::string>& peer, const Hash32& hash);
  void send_status(const std::optional<std::string>& to = std::nullopt);  // nullopt: every peer (the tick)
  void resend_to(const std::string& peer);
  void request_sync(uint64_t now);
  // A log line every 5 s while far behind: height, target, blocks/s, ETA.
  void log_sync_progress(uint64_t best, uint64_t now);
  void save_snapshot();
  void refresh_status();
  void penalize(const std::string& peer, const std::string& why);
  void send(const std::optional<std::string>& peer, p2p::Envelope env);
  // A message for the height after the current one, or for the next height before it starts (the
  // commit wait): kept until that height starts.
  bool is_early(uint64_t height) const {
    return height == tip_.height + 2 || (height == tip_.height + 1 && !height_started_);
  }
  // Bounded by count and by bytes (block parts are up to 512 KiB each).
  void buffer_early(const std::string& peer, const p2p::Envelope& env) {
    const size_t bytes = env.ByteSizeLong();
    if (future_.size() >= kMaxFutureMessages || future_bytes_ + bytes > kMaxFutureBytes) return;
    future_bytes_ += bytes;
    future_.push_back(Incoming{peer, env});
  }
  bool signing() const { return signer_ && engine_ && engine_->height() >= sign_from_height_; }

  Node& node_;
  const DriverOptions opt_;
  std::string chain_id_;
  std::optional<Address> self_;
  std::unique_ptr<Signer> signer_;
  std::unique_ptr<ConsensusWal> wal_;
  std::unique_ptr<p2p::Host> host_;
  uint64_t sign_from_height_ = 0;  // this validator signs only at heights ≥ this (reconciliation)
  std::optional<consensus::EngineSnapshot> restore_;  // from the WAL, for the first height

  std::thread thread_;
  std::thread relay_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                // guarded by mu_
  std::deque<Incoming> inbox_;           // guarded by mu_
  std::deque<std::pair<std::string, Bytes>> tx_queue_;  // guarded by mu_ (peer, raw)
  std::condition_variable tx_cv_;
  std::vector<std::pair<Bytes, std::string>> gossip_;  // guarded by mu_: (raw, peer it came from)

  // Driver thread only.
  std::optional<consensus::Engine> engine_;
  std::optional<consensus::HeightValidators> validators_;
  std::optional<consensus::ValidatorSet> parent_validators_;
  storage::ChainTip tip_;
  std::multimap<uint64_t, TimerKind> timers_;
  std::deque<consensus::Effect> effects_;
  std::map<Hash32, pb::Block> blocks_;            // whole blocks at this height
  std::map<Hash32, Bytes> block_bytes_;           // their encoding (for parts)
  std::map<Hash32, ExecutedBlock> executed_;      // validated or built at this height
  std::map<Hash32, PartSet> part_sets_;
  std::set<Hash32> wanted_;                       // hashes proposed at this height
  std::map<Hash32, uint32_t> pending_validation_; // asked to validate, block not here yet → round
  std::optional<consensus::CommitBlock> pending_commit_;
  // Precommit signatures for a block, by (round, validator, block), for the commit.
  std::map<std::tuple<uint32_t, Address, Hash32>, crypto::Signature> precommit_sigs_;
  std::map<uint32_t, p2p::Envelope> proposal_envs_;  // by round, for re-sending
  std::vector<p2p::Envelope> vote_envs_;             // accepted votes, for re-sending
  std::set<Hash32> seen_;                            // message hashes judged at this height
  std::vector<Incoming> future_;                     // for height + 1
  size_t future_bytes_ = 0;
  std::map<std::string, uint64_t> last_resend_;
  std::map<std::string, uint64_t> peer_heights_;
  std::map<uint64_t, std::pair<std::string, uint64_t>> sync_requests_;  // height → (peer, sent at)
  std::map<uint64_t, SyncedBlock> sync_blocks_;  // fetched, not yet applied
  std::unique_ptr<SyncPipeline> sync_pipeline_;   // started by the first block fetched
  std::optional<VerifiedCommit> verified_commit_;
  uint64_t last_status_ms_ = 0;
  uint64_t sync_log_ms_ = 0;      // 0: not syncing
  uint64_t sync_log_height_ = 0;
  Bytes last_snapshot_;
  bool height_started_ = false;

  mutable std::mutex status_mu_;
  ConsensusStatus status_;
  SyncStatus sync_;
};

}  // namespace physis::node
