// Honest challenged beacons for physis-devsim (doc/depin.md "Beacons"): each round it reads the new
// block hashes, finds the honest devices the chain challenges at them (vm/beacon.h, the chain's own
// function), has each such device commit a BEACON within the window, has the neighbours of another
// owner that hear it (radio model) record witnesses with their receipts, and has the beaconer reveal
// its secret after the window. One proof per device per batch, so device seqs stay in order.
// Not thread-safe: used by the paced loop's thread.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "devsim/devsim.h"
#include "devsim/radio.h"

namespace physis::devsim {

struct BeaconOptions {
  std::string url;
  std::string chain_id;
  uint64_t seed = 1;
  uint64_t epoch_blocks = 10;
  uint64_t beacons_per_device_per_epoch = 1;
  uint64_t window = 1;         // beacon_window_blocks
  uint32_t max_witnesses = 1;  // max_witnesses_per_beacon: more witnesses per beacon would earn nothing
};

class HonestBeacons {
 public:
  // `fleet` holds the honest devices in [0, honest); it must outlive this object.
  HonestBeacons(std::vector<Device>& fleet, size_t honest, const RadioModel& radio, BeaconOptions options);

  // Reads the hashes of the blocks up to `tip` not yet seen (at most the last window's) and notes the
  // honest devices challenged at each.
  void observe(uint64_t tip);
  // Appends this round's reveals, beacons and witnesses to `batch` (in that order), for a batch
  // expected in block tip + 1, and adds every device that got a proof to `busy`.
  void add_proofs(pb::SubmitProofs& batch, uint64_t tip, const std::string& ref_hash, std::set<size_t>& busy);
  // Reads back the results (JSON of chain_getReceipt "proofs") of the proofs add_proofs appended,
  // which start at index 0 of the batch. Returns the reject reasons of rejected proofs.
  std::vector<std::string> take_results(const json& proof_results);
  size_t pending() const { return sent_.size(); }

  // {challenges, beacons_committed, reveals, witnesses_recorded, witnesses_rewarded, verdicts}.
  json summary() const;

 private:
  enum class State { kSent, kCommitted, kRevealSent };
  struct Beacon {
    uint64_t height = 0;
    Hash32 secret{};
    State state = State::kSent;
    std::set<size_t> witnesses;  // devices that recorded a witness of it
  };
  enum class Kind { kBeacon, kWitness, kReveal };
  struct Sent {
    size_t device;
    Kind kind;
    size_t beaconer;  // kWitness: whose beacon
  };
  pb::Proof proof_of(size_t device, uint64_t tip, const std::string& ref_hash) const;
  void sign_and_add(pb::SubmitProofs& batch, pb::Proof p, Sent s, std::set<size_t>& busy);

  std::vector<Device>& fleet_;
  size_t honest_;
  const RadioModel& radio_;
  BeaconOptions o_;
  uint64_t threshold_ = 0;
  uint64_t seen_ = 0;                      // the highest height whose hash was read
  std::map<size_t, uint64_t> challenged_;  // device → its latest challenge height not yet acted on
  std::map<size_t, Beacon> open_;          // device → its beacon, until revealed or abandoned
  std::vector<Sent> sent_;                 // the proofs of the batch in flight, in batch order
  // Witnesses sent per expected reveal epoch: (witness, beaconer) pairs and per beaconer, so that an
  // honest device sends no witness the reveal could not reward (one per pair, max_witnesses per
  // beaconer and epoch).
  uint64_t book_epoch_ = UINT64_MAX;
  std::set<std::pair<size_t, size_t>> pairs_;
  std::map<size_t, uint32_t> per_beaconer_;
  uint64_t challenges_ = 0, committed_ = 0, reveals_ = 0, witnesses_ = 0, rewarded_ = 0;
  std::map<std::string, uint64_t> verdicts_;
};

}  // namespace physis::devsim
