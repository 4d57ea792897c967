// Challenged beacons (doc/depin.md "Beacons"): BEACON commits, COVERAGE_WITNESS records a receipt,
// BEACON_REVEAL judges every pending witness of the beacon at once.
#include <algorithm>

#include "primitives/block.h"
#include "primitives/codec.h"
#include "primitives/transaction.h"
#include "vm/beacon.h"
#include "vm/density.h"
#include "vm/depin.h"
#include "vm/depin_state.h"
#include "vm/gas.h"
#include "vm/geo.h"

namespace physis::vm {

static_assert(gas::kPerBeaconReveal == static_cast<uint64_t>(kMaxPendingWitnesses) * gas::kPerJudgedWitness,
              "a reveal's gas covers judging every pending witness");

namespace {
// Heights are below 2^63 and beacon_window_blocks ≤ 2^32 (genesis check): these sums never wrap.
uint64_t window_end(const pb::Beacon& b, const DepinParams& p) {
  return b.challenge_height() + p.beacon_window_blocks;
}
uint64_t reveal_deadline(const pb::Beacon& b, const DepinParams& p) {
  return b.challenge_height() + 2 * p.beacon_window_blocks;
}
}  // namespace

bool DepinExecutor::challenged_at(const Address& device, uint64_t height) {
  if (height >= height_) return false;  // block `height` does not exist yet
  const std::string& hash = block_hash_at(height);
  if (hash.size() != 32) return false;
  return is_challenged(to_hash32(hash), device,
                       challenge_threshold(params_.beacons_per_device_per_epoch, params_.epoch_blocks));
}

uint64_t DepinExecutor::coverage_weight(const pb::Device& device, uint64_t weight) {
  const std::optional<GridCell> cell = grid_cell(device.location(), params_.density_cell_e7);
  return density_scaled(weight, cell ? devices_in_cell(state_, *cell) : 1, params_.target_devices_per_cell);
}

ProofReject DepinExecutor::check_beacon(const pb::Proof& proof, const pb::Device& device, const Address& id) {
  const uint64_t h = proof.payload().challenge_height();
  // A device that just moved does not beacon; a beacon without a place cannot be witnessed.
  if (relocation_settling(device, params_, height_)) return ProofReject::kBeaconerSettling;
  if (!device.location().has_latlon()) return ProofReject::kLocationUnknown;
  if (h >= height_) return ProofReject::kBeaconNotChallenged;
  if (height_ - h > params_.beacon_window_blocks) return ProofReject::kBeaconWindowClosed;
  // h ≥ height_ − beacon_window_blocks ≥ height_ − ref_window: its hash is still in state.
  if (!challenged_at(id, h)) return ProofReject::kBeaconNotChallenged;
  const Bytes key = beacon_key(id);
  pb::Beacon rec = load_record<pb::Beacon>(state_, key).value_or(pb::Beacon());
  // Challenge heights of a device's beacons strictly increase: one beacon per challenge.
  if (!rec.commitment().empty() && rec.challenge_height() >= h) return ProofReject::kBeaconAlreadyRecorded;
  // The new beacon replaces the last one, revealed or not: an unrevealed beacon earns nothing and its
  // pending witnesses are released. The epoch's rewarded witnesses stay.
  rec.set_challenge_height(h);
  rec.set_commitment(proof.payload().commitment());
  rec.set_committed_at(height_);
  rec.set_revealed(false);
  rec.clear_pending();
  state_.put(key, encode_canonical(rec));
  return ProofReject::kAccepted;
}

ProofReject DepinExecutor::check_witness(const pb::Proof& proof, const pb::Device& device,
                                         const Address& id) {
  const pb::ProofPayload& pl = proof.payload();
  const Address beaconer = bytes_to_address(pl.beaconer());
  if (beaconer == id) return ProofReject::kWitnessSelf;
  auto b = load_record<pb::Device>(state_, device_key(beaconer));
  if (!b || b->inactive()) return ProofReject::kUnknownBeaconer;
  // A beacon is only evidence if its device is still trusted at this height.
  if (trust_standing(*b) != ProofReject::kAccepted) return ProofReject::kBeaconerRevoked;
  // An owner's devices vouching for each other is not service anyone else could check.
  if (b->owner() == device.owner()) return ProofReject::kWitnessSameOwner;
  // A device that just moved neither witnesses nor beacons (doc/depin.md "Locations").
  if (relocation_settling(device, params_, height_)) return ProofReject::kRelocationSettling;
  if (relocation_settling(*b, params_, height_)) return ProofReject::kBeaconerSettling;
  if (!device.location().has_latlon() || !b->location().has_latlon()) return ProofReject::kLocationUnknown;
  const uint64_t d = distance_m(device.location().latlon().lat_e7(), device.location().latlon().lon_e7(),
                                b->location().latlon().lat_e7(), b->location().latlon().lon_e7());
  if (d < params_.witness_min_distance_m) return ProofReject::kWitnessTooClose;
  if (d > params_.witness_max_distance_m) return ProofReject::kWitnessTooFar;
  // Free-space loss: 20·log10(d) ≈ 6 dB per doubling of distance.
  const int64_t strongest =
      static_cast<int64_t>(params_.witness_rssi_at_1m_dbm) - 6 * floor_log2(std::max<uint64_t>(d, 1));
  if (pl.rssi_dbm() > strongest) return ProofReject::kSignalTooStrong;
  // Receiver plausibility (doc/depin.md "Proofs"): no real receiver reports a signal below its
  // sensitivity floor, or an SNR outside what its demodulator measures.
  if (pl.rssi_dbm() < params_.witness_min_rssi_dbm || pl.snr_db_x10() < params_.witness_min_snr_db_x10 ||
      pl.snr_db_x10() > params_.witness_max_snr_db_x10)
    return ProofReject::kSignalImplausible;
  // The beacon heard: the beaconer's recorded beacon for that challenge.
  const uint64_t h = pl.challenge_height();
  const Bytes key = beacon_key(beaconer);
  std::optional<pb::Beacon> rec = load_record<pb::Beacon>(state_, key);
  if (!rec || rec->commitment().empty() || rec->challenge_height() != h) {
    // No beacon for h: a height at which the beaconer was not challenged (or that does not exist
    // yet) says so; a challenge whose hash has left the window cannot be checked, and has no beacon.
    if (h >= height_ || (!block_hash_at(h).empty() && !challenged_at(beaconer, h)))
      return ProofReject::kBeaconNotChallenged;
    return ProofReject::kBeaconNotCommitted;
  }
  if (rec->revealed() || height_ > reveal_deadline(*rec, params_)) return ProofReject::kWitnessAfterReveal;
  for (const auto& p : rec->pending())
    if (p.witness() == proof.device_id()) return ProofReject::kDuplicateWitnessPair;
  if (rec->pending_size() >= kMaxPendingWitnesses) return ProofReject::kBeaconWitnessesFull;
  pb::PendingWitness* p = rec->add_pending();
  p->set_witness(proof.device_id());
  p->set_receipt(pl.beacon_receipt());
  state_.put(key, encode_canonical(*rec));
  return ProofReject::kAccepted;
}

ProofReject DepinExecutor::check_reveal(const pb::Proof& proof, const pb::Device& device, const Address& id,
                                        uint64_t& weight, pb::ProofResult& result) {
  const pb::ProofPayload& pl = proof.payload();
  const Bytes key = beacon_key(id);
  std::optional<pb::Beacon> rec = load_record<pb::Beacon>(state_, key);
  if (!rec || rec->commitment().empty() || rec->challenge_height() != pl.challenge_height())
    return ProofReject::kBeaconNotCommitted;
  if (rec->revealed()) return ProofReject::kBeaconAlreadyRevealed;
  // After the window (witnesses had it to be recorded), before the deadline.
  if (height_ <= window_end(*rec, params_) || height_ > reveal_deadline(*rec, params_))
    return ProofReject::kRevealOutOfWindow;
  const ByteSpan secret = as_span(pl.secret());
  if (to_string(beacon_commitment(secret)) != rec->commitment()) return ProofReject::kRevealMismatch;
  // A beaconer that moved since its witnesses measured it is judged after it settles: not at all.
  if (relocation_settling(device, params_, height_)) return ProofReject::kBeaconerSettling;
  // The epoch's rewarded witnesses: a record of an earlier epoch counts as empty.
  if (rec->rewarded_epoch() != current_epoch()) {
    rec->clear_rewarded();
    rec->set_rewarded_epoch(current_epoch());
  }
  // Judge every pending witness in inclusion order: only matching receipts take a slot, so junk
  // cannot crowd out honest ones (doc/depin.md "Beacons").
  uint64_t valid = 0;
  for (const pb::PendingWitness& p : rec->pending()) {
    pb::WitnessVerdict* v = result.add_witnesses();
    v->set_witness(p.witness());
    const Address w = bytes_to_address(p.witness());
    ProofReject verdict = ProofReject::kAccepted;
    if (to_string(beacon_receipt(secret, w)) != p.receipt()) {
      verdict = ProofReject::kWrongBeaconSecret;
    } else if (std::find(rec->rewarded().begin(), rec->rewarded().end(), p.witness()) !=
               rec->rewarded().end()) {
      verdict = ProofReject::kDuplicateWitnessPair;  // one rewarded witness per pair per epoch
    } else if (rec->rewarded_size() >= static_cast<int>(params_.max_witnesses_per_beacon)) {
      verdict = ProofReject::kTooManyWitnesses;
    }
    v->set_reason(static_cast<uint32_t>(verdict));
    if (verdict != ProofReject::kAccepted) continue;
    rec->add_rewarded(p.witness());
    ++valid;
    // The witness device is read again: an earlier proof of this batch may have changed it.
    std::optional<pb::Device> wd = load_record<pb::Device>(state_, device_key(w));
    if (!wd) continue;  // devices are never deleted; a corrupt record already failed the block
    v->set_weight(accrue(w, *wd, coverage_weight(*wd, params_.weight_witness)));
    store_device(w, *wd);
  }
  rec->set_revealed(true);
  rec->clear_pending();
  state_.put(key, encode_canonical(*rec));
  // The beaconer earns weight_witness × valid / max_witnesses_per_beacon: one witness's weight for a
  // beacon with a full set of valid witnesses, less for fewer. valid ≤ 32 and the weight ≤ 2^32: fits.
  weight = coverage_weight(device, params_.weight_witness * valid / params_.max_witnesses_per_beacon);
  return ProofReject::kAccepted;
}

}  // namespace physis::vm
