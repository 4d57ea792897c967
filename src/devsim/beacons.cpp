#include "devsim/beacons.h"

#include "crypto/p256.h"
#include "crypto/sha256.h"
#include "primitives/block.h"
#include "vm/beacon.h"
#include "vm/depin.h"
#include "vm/geo.h"

namespace physis::devsim {

namespace {
// Neighbours tried per beacon: the fleet's grid puts them within a few km.
constexpr uint64_t kNeighbours = 24;
}  // namespace

HonestBeacons::HonestBeacons(std::vector<Device>& fleet, size_t honest, const RadioModel& radio,
                             BeaconOptions options)
    : fleet_(fleet), honest_(honest), radio_(radio), o_(std::move(options)) {
  threshold_ = vm::challenge_threshold(o_.beacons_per_device_per_epoch, o_.epoch_blocks);
}

void HonestBeacons::observe(uint64_t tip) {
  // Only heights whose beacon window still has room for a batch in block tip + 1 matter.
  const uint64_t from = std::max<uint64_t>(seen_ + 1, tip + 1 > o_.window ? tip + 1 - o_.window : 0);
  for (uint64_t h = from; h <= tip; ++h) {
    const json b = rpc(o_.url, "chain_getBlock", {{"height", h}});
    const Hash32 hash = to_hash32(to_string(*from_hex(b["hash"].get<std::string>())));
    for (size_t i = 0; i < honest_; ++i)
      if (vm::is_challenged(hash, fleet_[i].id, threshold_)) {
        challenged_[i] = h;
        ++challenges_;
      }
  }
  seen_ = std::max(seen_, tip);
}

pb::Proof HonestBeacons::proof_of(size_t device, uint64_t tip, const std::string& ref_hash) const {
  pb::Proof p;
  p.set_device_id(to_string(fleet_[device].id));
  p.set_seq(fleet_[device].seq + 1);
  p.set_ref_height(tip);
  p.set_ref_block_hash(ref_hash);
  p.set_epoch(tip / o_.epoch_blocks);
  return p;
}

void HonestBeacons::sign_and_add(pb::SubmitProofs& batch, pb::Proof p, Sent s, std::set<size_t>& busy) {
  p.set_signature(to_string(*crypto::p256_sign(fleet_[s.device].key, vm::proof_digest(o_.chain_id, p))));
  *batch.add_proofs() = std::move(p);
  busy.insert(s.device);
  sent_.push_back(s);
}

void HonestBeacons::add_proofs(pb::SubmitProofs& batch, uint64_t tip, const std::string& ref_hash,
                               std::set<size_t>& busy) {
  sent_.clear();
  const uint64_t next = tip + 1;  // the block the batch is expected in
  // 1. Reveals, after the window and before the deadline; a beacon past its deadline is abandoned.
  for (auto it = open_.begin(); it != open_.end();) {
    Beacon& b = it->second;
    if (next > b.height + 2 * o_.window) {
      it = open_.erase(it);
      continue;
    }
    if (b.state == State::kCommitted && next > b.height + o_.window) {
      pb::Proof p = proof_of(it->first, tip, ref_hash);
      p.mutable_payload()->set_kind(pb::BEACON_REVEAL);
      p.mutable_payload()->set_challenge_height(b.height);
      p.mutable_payload()->set_secret(to_string(b.secret));
      b.state = State::kRevealSent;
      sign_and_add(batch, std::move(p), {it->first, Kind::kReveal, 0}, busy);
    }
    ++it;
  }
  // 2. Beacons of the challenged devices without an open beacon, with a block of margin in the window.
  for (auto it = challenged_.begin(); it != challenged_.end();) {
    const auto [i, h] = *it;
    if (busy.count(i) || open_.count(i)) {
      ++it;
      continue;
    }
    it = challenged_.erase(it);
    if (next + 1 > h + o_.window) continue;  // too late to land in the window
    Bytes m(fleet_[i].id.begin(), fleet_[i].id.end());
    append_u64_be(m, h);
    append_u64_be(m, o_.seed);
    Beacon b;
    b.height = h;
    b.secret = crypto::sha256(m);  // the secret its radio beacon carries
    pb::Proof p = proof_of(i, tip, ref_hash);
    p.mutable_payload()->set_kind(pb::BEACON);
    p.mutable_payload()->set_challenge_height(h);
    p.mutable_payload()->set_commitment(to_string(vm::beacon_commitment(b.secret)));
    open_[i] = b;
    sign_and_add(batch, std::move(p), {i, Kind::kBeacon, 0}, busy);
  }
  // 3. Witnesses of committed beacons still in their window, by neighbours of another owner that hear
  // them, at most max_witnesses each (more would earn nothing).
  const size_t n = honest_;
  for (auto& [j, b] : open_) {
    if (b.state != State::kCommitted || next > b.height + o_.window) continue;
    // The reveal is expected in the first block after the window.
    const uint64_t reveal_epoch = (b.height + o_.window + 1) / o_.epoch_blocks;
    if (reveal_epoch != book_epoch_) {
      if (reveal_epoch < book_epoch_ && book_epoch_ != UINT64_MAX) continue;  // an older epoch's beacon
      book_epoch_ = reveal_epoch;
      pairs_.clear();
      per_beaconer_.clear();
    }
    for (uint64_t o = 1; o < std::min<uint64_t>(n, kNeighbours) && b.witnesses.size() < o_.max_witnesses;
         ++o) {
      for (const size_t i : {(j + o) % n, (j + n - o) % n}) {
        if (i == j || busy.count(i) || b.witnesses.count(i) || fleet_[i].owner == fleet_[j].owner ||
            b.witnesses.size() >= o_.max_witnesses || pairs_.count({i, j}) ||
            per_beaconer_[j] >= o_.max_witnesses)
          continue;
        const uint64_t dist =
            vm::distance_m(fleet_[i].lat_e7, fleet_[i].lon_e7, fleet_[j].lat_e7, fleet_[j].lon_e7);
        const auto rx = radio_.hear(dist, i, j);
        if (!rx) continue;
        pb::Proof p = proof_of(i, tip, ref_hash);
        auto* pl = p.mutable_payload();
        pl->set_kind(pb::COVERAGE_WITNESS);
        pl->set_beaconer(to_string(fleet_[j].id));
        pl->set_challenge_height(b.height);
        pl->set_rssi_dbm(rx->rssi_dbm);
        pl->set_snr_db_x10(rx->snr_db_x10);
        pl->set_beacon_receipt(to_string(vm::beacon_receipt(b.secret, fleet_[i].id)));
        b.witnesses.insert(i);
        pairs_.insert({i, j});
        ++per_beaconer_[j];
        sign_and_add(batch, std::move(p), {i, Kind::kWitness, j}, busy);
      }
    }
  }
}

std::vector<std::string> HonestBeacons::take_results(const json& proof_results) {
  std::vector<std::string> rejected;
  for (const auto& pr : proof_results) {
    const size_t index = pr["index"].get<size_t>();
    if (index >= sent_.size()) continue;
    const Sent& s = sent_[index];
    const bool ok = pr["accepted"].get<bool>();
    if (ok) {
      fleet_[s.device].seq = pr["seq"].get<uint64_t>();
    } else {
      rejected.push_back(pr.value("reason", std::string("?")));
      fleet_[s.device].seq =
          rpc(o_.url, "depin_getDevice", {{"id", to_hex0x(fleet_[s.device].id)}})["seq"].get<uint64_t>();
    }
    switch (s.kind) {
      case Kind::kBeacon:
        if (ok) {
          ++committed_;
          open_[s.device].state = State::kCommitted;
        } else {
          open_.erase(s.device);
        }
        break;
      case Kind::kWitness:
        witnesses_ += ok;
        if (!ok && open_.count(s.beaconer)) open_[s.beaconer].witnesses.erase(s.device);
        break;
      case Kind::kReveal:
        open_.erase(s.device);
        if (!ok) break;
        ++reveals_;
        for (const auto& v : pr.value("witnesses", json::array())) {
          ++verdicts_[v.value("reason", std::string("?"))];
          rewarded_ += v.value("rewarded", false);
        }
        break;
    }
  }
  sent_.clear();
  return rejected;
}

json HonestBeacons::summary() const {
  return {{"challenges", challenges_},        {"beacons_committed", committed_}, {"reveals", reveals_},
          {"witnesses_recorded", witnesses_}, {"witnesses_rewarded", rewarded_}, {"verdicts", verdicts_}};
}

}  // namespace physis::devsim
