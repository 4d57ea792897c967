// The consensus driver (DESIGN §6, doc/consensus.md "Driver"): the thin shell around the pure engine of
// consensus/engine.h. It owns what the engine may not: a thread, the clock, timers, the signer
// (node/signer.h), the consensus WAL (node/consensus_wal.h), the P2P host (p2p/host.h) and the
// BlockExecutor of the node. One validator with no P2P is a valid network: the driver then runs the
// same engine alone and every block still goes propose → prevote → precommit → commit.
//
// Threads: the driver thread runs the engine and every effect; the P2P host thread only decodes and
// queues envelopes (handler), never blocks on the engine; a relay thread admits gossiped transactions
// through Node::submit_tx (the same admission as RPC, cheap checks first) and relays what it accepts.
//
// What goes over the wire (src/p2p/p2p.proto): SignedProposal and SignedVote inside Proposal/Vote
// envelopes, the proposed block in BlockParts of at most kBlockPartBytes, PeerStatus every
// kStatusIntervalMs (height, round and the blocks held), BlockRequest/BlockResponse (block with its
// commit) for peers that are behind. ZeroMQ drops at the high-water mark, so nothing assumes delivery:
// when a peer reports the same height, the driver re-sends it the height's proposals and votes and the
// blocks it lacks, at most once per kResendIntervalMs.
//
// Messages are judged cheap checks first: envelope decoding and the canonical check (host), height,
// sizes, membership of the signer in the height's set, duplicates (by hash, before any signature is
// recovered), then the signature. A refused message costs its sender score (Host::penalize) with the
// reason logged; nothing it carried reaches the engine or the state.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "consensus/engine.h"
#include "node/block_executor.h"
#include "node/consensus_wal.h"
#include "node/signer.h"
#include "p2p/host.h"

namespace physis::node {

class Node;
struct ConsensusStatus;
struct NetStatus;
struct SyncStatus;

inline constexpr size_t kBlockPartBytes = 512 * 1024;
inline constexpr uint64_t kStatusIntervalMs = 500;
inline constexpr uint64_t kResendIntervalMs = 1000;

struct DriverOptions {
  std::string datadir;
  std::optional<crypto::PrivateKey> validator_key;
  std::optional<p2p::NodeKey> node_key;  // nullopt: no network (a lone validator)
  p2p::HostOptions host;
  consensus::EngineConfig engine;
  WalOptions wal;
  bool sync_verify_signatures = false;  // NodeOptions::sync_verify_signatures
};

class ConsensusDriver {
 public:
  // Reconciles signer, WAL and chain (doc/consensus-safety.md "Start-up reconciliation"), starts the
  // P2P host if a node key is given, and starts the driver thread. Errors: "signer_state", "wal",
  // P2P errors ("p2p_bind" ...), "no_network" (a validator set of more than one validator, or a node
  // without a validator key, needs P2P).
  static Result<std::unique_ptr<ConsensusDriver>> start(Node& node, DriverOptions options);
  ~ConsensusDriver();
  // Stops the thread after the input in progress, then the host. Idempotent.
  void stop();

  // Queues a transaction the node admitted for gossip to every peer but `from_peer` (empty: RPC);
  // the driver sends the queue in TxBatch envelopes. Thread-safe, non-blocking; bounded (a full queue
  // drops: peers still get the transaction in the block).
  void gossip_tx(Bytes raw, const std::string& from_peer);

  ConsensusStatus consensus_status() const;
  NetStatus net_status() const;
  SyncStatus sync_status() const;

  class Impl;

 private:
  explicit ConsensusDriver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace physis::node
