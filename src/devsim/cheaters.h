// Cheating devices for physis-devsim (--cheaters K): attested devices whose owner tries to earn without
// serving, so that a devnet shows which cheats the chain rejects and with what reason. The cheaters sit
// at a site of their own, far (> witness_max_distance_m) from the honest fleet, close to each other.
// Each round every cheater signs one fresh proof (the next seq) of a cheating kind, alternating spam
// uptime with the other kinds, plus a replay of an old proof; every few rounds its owner moves it.
// Results are read back from the receipts and tallied per kind, with the reject reasons the chain gave.
// Not thread-safe: used by the paced loop's thread.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "devsim/devsim.h"
#include "devsim/radio.h"

namespace physis::devsim {

enum class CheatKind {
  kSpamUptime,        // uptime proofs more often than uptime_interval_blocks
  kUnpaidData,        // a data contribution of many MiB with no usage receipt from a consumer
  kUnheardWitness,    // a witness of a beacon the device could not hear (out of radio range)
  kSameOwnerWitness,  // a witness of a device with the same owner
  kLocationJump,      // the owner moves the device again and again
  kReplay,            // an accepted proof sent again
};
inline constexpr size_t kCheatKindCount = 6;
std::string_view cheat_kind_name(CheatKind kind);
// The kinds named in a comma-separated list ("all" = every kind); std::runtime_error naming an unknown one.
std::set<CheatKind> parse_cheat_kinds(const std::string& list);

// Makes `d` cheater `index` of fleet `seed`: its own key space (so the honest fleet's size does not
// change who the cheaters are), owned by the first owner, at the cheaters' site, 2 km apart.
void make_cheater(Device& d, uint64_t seed, uint64_t index);

class CheaterFleet {
 public:
  // `fleet` holds the honest devices [0, honest) and the cheaters [honest, fleet.size()); it must
  // outlive this object. Device seqs are the chain's (as registration left them).
  CheaterFleet(std::vector<Device>& fleet, size_t honest, std::set<CheatKind> kinds, RadioModel radio,
               std::string chain_id, uint64_t epoch_blocks);

  // Appends this round's cheating proofs to `batch` (at most 2 per cheater) and remembers which
  // they are: the next take_results reads them back.
  void add_proofs(pb::SubmitProofs& batch, uint64_t height, const std::string& ref_hash);
  // Reads the proof results (JSON of chain_getReceipt "proofs") of the proofs add_proofs appended,
  // which start at `first_index` in the batch.
  void take_results(const json& proof_results, size_t first_index);

  // Every few rounds: each cheater's owner moves it (UpdateDevice, sent through owner_tx[owner]).
  // Receipts are read by poll_jumps without waiting.
  void jump_locations(std::vector<Sender>& owner_tx, uint64_t round);
  void poll_jumps(const std::string& url);

  // {kind: {sent, accepted, rejected: {reason: count}}} and the cheaters' device ids.
  json summary() const;

 private:
  struct Tally {
    uint64_t sent = 0, accepted = 0;
    std::map<std::string, uint64_t> rejected;
  };
  struct Pending {
    size_t device;  // index into fleet_
    CheatKind kind;
    std::optional<pb::Proof> proof;  // a fresh proof, kept to be replayed once accepted
  };
  std::optional<size_t> unheard_target(size_t cheater) const;
  std::optional<size_t> same_owner_target(size_t cheater) const;
  CheatKind next_fresh_kind(size_t cheater);
  void count(CheatKind kind, bool accepted, const std::string& reason);

  std::vector<Device>& fleet_;
  size_t honest_;
  std::set<CheatKind> kinds_;
  RadioModel radio_;
  std::string chain_id_;
  uint64_t epoch_blocks_;
  std::vector<uint64_t> cycle_;                          // per cheater: position in its kind cycle
  std::vector<std::optional<pb::Proof>> accepted_;       // per cheater: its last accepted proof
  std::vector<Pending> pending_;                         // proofs of the batch in flight, in batch order
  std::deque<std::pair<std::string, CheatKind>> jumps_;  // tx hashes of location moves not yet included
  std::map<CheatKind, Tally> tally_;
};

}  // namespace physis::devsim
