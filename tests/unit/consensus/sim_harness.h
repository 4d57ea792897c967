// A seeded discrete-event simulator that runs the real consensus engine (doc/consensus.md
// §Simulator). One process, no threads, no clock: simulated milliseconds and a seeded PRNG, so a
// seed replays exactly.
//
// Model:
// - Network: every message gets a random delay (reordering follows), may be dropped or duplicated;
//   partitions split the nodes into two sides for a while and then heal.
// - Gossip: every gossip_ms each running node re-sends the proposals and votes it signed at its
//   height (ZeroMQ may drop, so gossip never assumes delivery). A node that hears from a peer at a
//   lower height sends it the precommits it committed that height with (catch-up, as block sync
//   would). Messages for the next height are buffered and replayed when it starts.
// - Blocks: a block is a hash in a registry with its height and validity. Honest proposers build
//   valid blocks; validation and building answer after a random delay.
// - Crash-restart: a crashed node loses everything in memory; on restart it rebuilds from what its
//   WAL would hold, modelled as Engine::snapshot() taken when it crashed (round, step, locked and
//   valid value, the votes and proposals it signed) plus its block store (decided heights).
// - Byzantine: one validator may equivocate: each vote and proposal it signs goes to a random half
//   of the peers, and a conflicting one (another block, or nil) to the rest; half the blocks it
//   builds are invalid.
// Checked on every run: agreement, validity, no double-sign by honest nodes, liveness after healing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <queue>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "consensus/engine.h"
#include "consensus/proposer.h"

namespace physis::consensus::sim {

// splitmix64: tiny, fast and identical on every platform (std distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform enough in [lo, hi] for a simulator.
  uint64_t range(uint64_t lo, uint64_t hi) { return lo + next() % (hi - lo + 1); }
  bool chance_permille(uint32_t p) { return next() % 1000 < p; }

 private:
  uint64_t s_;
};

struct Partition {
  uint64_t start_ms = 0;
  uint64_t end_ms = 0;
  std::vector<int> side;  // side[i] ∈ {0, 1}
};

struct Crash {
  int node = 0;
  uint64_t at_ms = 0;
  uint64_t restart_ms = 0;
};

struct SimConfig {
  uint64_t seed = 1;
  int validators = 4;
  int byzantine = -1;  // index of the equivocating validator, or -1
  uint64_t min_delay_ms = 1;
  uint64_t max_delay_ms = 40;
  uint32_t drop_permille = 0;
  uint32_t duplicate_permille = 0;
  uint64_t gossip_ms = 150;
  std::vector<Partition> partitions;
  std::vector<Crash> crashes;
  // After the last fault heals, every honest node must decide this many more heights than the
  // highest decided at that moment, within liveness_bound_ms.
  uint64_t heights_after_heal = 3;
  uint64_t liveness_bound_ms = 30'000;
  EngineConfig engine{200, 50, 100, 50, 100, 50, 30};

  uint64_t heal_ms() const {
    uint64_t t = 0;
    for (const auto& p : partitions) t = std::max(t, p.end_ms);
    for (const auto& c : crashes) t = std::max(t, c.restart_ms);
    return t;
  }
  // A random scenario for `seed`: delays, drops, duplicates, 0-2 partitions, 0-2 crash-restarts of
  // honest nodes, and in half the seeds one Byzantine validator.
  static SimConfig random(uint64_t seed, int validators);
};

struct SimResult {
  bool ok = true;
  std::string failure;  // the first violated property, with the simulated time
  uint64_t end_ms = 0;
  uint64_t max_height = 0;
  uint64_t max_round = 0;
  uint64_t events = 0;
  uint64_t evidence_seen = 0;  // equivocations recorded by honest engines
  uint64_t restores = 0;       // restarts that resumed a height from the WAL model
  std::string trace;           // every step, when the Simulator was made with trace = true
};

class Simulator {
 public:
  explicit Simulator(SimConfig config, bool trace = false);
  SimResult run();

 private:
  // A decided block with its precommits, sent to a peer that is behind (block sync's job).
  struct CommitMsg {
    uint64_t height = 0;
    uint32_t round = 0;
    Hash32 block{};
    std::vector<Vote> precommits;
  };
  struct Msg {
    int from = 0;
    uint64_t from_height = 0;
    std::variant<Proposal, Vote, CommitMsg> body;
  };
  enum class Kind : uint8_t {
    kDeliver,
    kTimeout,
    kValidated,
    kBuilt,
    kStartHeight,
    kCrash,
    kRestart,
    kGossip
  };
  struct Event {
    uint64_t at = 0;
    uint64_t seq = 0;
    Kind kind = Kind::kDeliver;
    int node = 0;
    uint64_t incarnation = 0;
    Msg msg;
    Timeout timeout;
    uint64_t height = 0;
    uint32_t round = 0;
    Hash32 block{};
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  struct BlockInfo {
    uint64_t height = 0;
    bool valid = true;
  };
  struct Node {
    Address address{};
    bool byzantine = false;
    bool up = true;
    uint64_t incarnation = 0;
    std::optional<Engine> engine;
    std::map<uint64_t, Hash32> decided;     // the block store (survives crashes)
    std::map<uint64_t, CommitMsg> commits;  // commit per decided height (survives)
    std::optional<EngineSnapshot> wal;      // taken at the crash
    std::vector<Msg> next_height;           // buffered messages for height + 1
  };

  void push(Event e);
  void send(int from, int to, const Msg& m);
  void broadcast(int from, const Msg& m);
  bool connected(int a, int b) const;
  void handle(const Event& e);
  void deliver(int node, const Msg& m);
  void apply(int node, Output out);
  // Records a decision after checking it (agreement, validity, > 2/3 precommits) and schedules the
  // next height.
  void decide(int node, uint64_t height, uint32_t round, const Hash32& block,
              const std::vector<Vote>& precommits);
  void sync_commit(int node, const CommitMsg& c);
  void start_height(int node, uint64_t height);
  HeightValidators validators_at(uint64_t height);
  Hash32 new_block(uint64_t height, bool valid);
  void fail(const std::string& why);
  void note(const std::string& line);
  uint64_t honest_min_height() const;
  uint64_t honest_max_height() const;

  SimConfig config_;
  bool trace_ = false;
  Rng rng_;
  std::optional<FixedValidatorSetProvider> provider_;
  std::vector<Node> nodes_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
  uint64_t now_ = 0;
  uint64_t seq_ = 0;
  uint64_t block_counter_ = 0;
  std::map<Hash32, BlockInfo> blocks_;
  // Ground truth for the safety checks.
  std::map<uint64_t, Hash32> agreed_;  // the first honest decision per height
  std::map<std::tuple<int, uint64_t, uint32_t, uint8_t>, BlockId> signed_votes_;
  std::map<std::tuple<int, uint64_t, uint32_t>, Hash32> signed_proposals_;
  SimResult result_;
};

}  // namespace physis::consensus::sim
