// SubmitProofs: each proof accepted or rejected on its own, with a reason code (DESIGN §3, §5).
#include <algorithm>

#include "crypto/keccak.h"
#include "crypto/p256.h"
#include "crypto/secp256k1.h"
#include "crypto/sha256.h"
#include "primitives/block.h"
#include "primitives/codec.h"
#include "primitives/transaction.h"
#include "vm/depin.h"
#include "vm/accounts.h"
#include "vm/beacon.h"
#include "vm/density.h"
#include "vm/depin_state.h"
#include "vm/geo.h"

namespace physis::vm {

std::string_view proof_reject_name(ProofReject reason) {
  switch (reason) {
    case ProofReject::kAccepted: return "accepted";
    case ProofReject::kMalformed: return "malformed";
    case ProofReject::kUnknownDevice: return "unknown_device";
    case ProofReject::kDeviceInactive: return "device_inactive";
    case ProofReject::kAnchorRevoked: return "anchor_revoked";
    case ProofReject::kKeyRevoked: return "key_revoked";
    case ProofReject::kStatementExpired: return "statement_expired";
    case ProofReject::kFutureReference: return "future_reference";
    case ProofReject::kStaleReference: return "stale_reference";
    case ProofReject::kWrongRefHash: return "wrong_ref_hash";
    case ProofReject::kWrongEpoch: return "wrong_epoch";
    case ProofReject::kReplayedSeq: return "replayed_seq";
    case ProofReject::kSeqGap: return "seq_gap";
    case ProofReject::kHighS: return "high_s";
    case ProofReject::kBadSignature: return "bad_signature";
    case ProofReject::kWitnessSelf: return "witness_self";
    case ProofReject::kUnknownBeaconer: return "unknown_beaconer";
    case ProofReject::kLocationUnknown: return "location_unknown";
    case ProofReject::kWitnessTooClose: return "witness_too_close";
    case ProofReject::kWitnessTooFar: return "witness_too_far";
    case ProofReject::kSignalTooStrong: return "signal_too_strong";
    case ProofReject::kSignalImplausible: return "signal_implausible";
    case ProofReject::kBeaconerRevoked: return "beaconer_revoked";
    case ProofReject::kTooFrequent: return "too_frequent";
    case ProofReject::kWitnessSameOwner: return "witness_same_owner";
    case ProofReject::kDuplicateWitnessPair: return "duplicate_witness_pair";
    case ProofReject::kTooManyWitnesses: return "too_many_witnesses";
    case ProofReject::kLocationCooldown: return "location_cooldown";
    case ProofReject::kRelocationSettling: return "relocation_settling";
    case ProofReject::kBeaconerSettling: return "beaconer_settling";
    case ProofReject::kUsageMissing: return "usage_missing";
    case ProofReject::kUsageBadReference: return "usage_bad_reference";
    case ProofReject::kUsageBadSignature: return "usage_bad_signature";
    case ProofReject::kUsageSelfDealing: return "usage_self_dealing";
    case ProofReject::kUsageReplayed: return "usage_replayed";
    case ProofReject::kUsageUnpaid: return "usage_unpaid";
    case ProofReject::kBeaconNotChallenged: return "beacon_not_challenged";
    case ProofReject::kBeaconWindowClosed: return "beacon_window_closed";
    case ProofReject::kBeaconAlreadyRecorded: return "beacon_already_recorded";
    case ProofReject::kBeaconNotCommitted: return "beacon_not_committed";
    case ProofReject::kWitnessAfterReveal: return "witness_after_reveal";
    case ProofReject::kBeaconWitnessesFull: return "beacon_witnesses_full";
    case ProofReject::kRevealOutOfWindow: return "reveal_out_of_window";
    case ProofReject::kRevealMismatch: return "reveal_mismatch";
    case ProofReject::kWrongBeaconSecret: return "wrong_beacon_secret";
    case ProofReject::kBeaconAlreadyRevealed: return "beacon_already_revealed";
  }
  return "unknown";
}

std::string_view forfeit_name(pb::Forfeit forfeit) {
  switch (forfeit) {
    case pb::FORFEIT_NONE: return "none";
    case pb::FORFEIT_DEACTIVATED: return "deactivated";
    case pb::FORFEIT_ANCHOR_REVOKED: return "anchor_revoked";
    case pb::FORFEIT_KEY_REVOKED: return "key_revoked";
    case pb::Forfeit_INT_MIN_SENTINEL_DO_NOT_USE_:
    case pb::Forfeit_INT_MAX_SENTINEL_DO_NOT_USE_: break;
  }
  return "unknown";
}

Bytes proof_message(const std::string& chain_id, const pb::Proof& proof) {
  Bytes m;
  append(m, std::string_view("PHYSIS/PROOF/v1"));
  append_u32_be(m, static_cast<uint32_t>(chain_id.size()));
  append(m, chain_id);
  append(m, proof.device_id());
  append_u64_be(m, proof.seq());
  append_u64_be(m, proof.epoch());
  append_u64_be(m, proof.ref_height());
  append(m, proof.ref_block_hash());
  Hash32 payload_hash = crypto::sha256(encode_canonical(proof.payload()));
  append(m, payload_hash);
  return m;
}

Hash32 proof_digest(const std::string& chain_id, const pb::Proof& proof) {
  return crypto::sha256(proof_message(chain_id, proof));
}

Bytes location_message(const std::string& chain_id, const Address& device_id, const pb::Location& location,
                       uint64_t ref_height, ByteSpan ref_block_hash) {
  Bytes m;
  append(m, std::string_view("PHYSIS/LOCATION/v1"));
  append_u32_be(m, static_cast<uint32_t>(chain_id.size()));
  append(m, chain_id);
  append(m, device_id);
  const Bytes loc = encode_canonical(location);
  append_u32_be(m, static_cast<uint32_t>(loc.size()));
  append(m, loc);
  append_u64_be(m, ref_height);
  append(m, ref_block_hash);
  return m;
}

Hash32 location_digest(const std::string& chain_id, const Address& device_id, const pb::Location& location,
                       uint64_t ref_height, ByteSpan ref_block_hash) {
  return crypto::sha256(location_message(chain_id, device_id, location, ref_height, ref_block_hash));
}

Bytes usage_message(const std::string& chain_id, const Address& device_id, const pb::UsageReceipt& receipt) {
  Bytes m;
  append(m, std::string_view("PHYSIS/USAGE/v1"));
  append_u32_be(m, static_cast<uint32_t>(chain_id.size()));
  append(m, chain_id);
  append(m, device_id);
  append(m, receipt.consumer());
  append_u64_be(m, receipt.data_bytes());
  append_u64_be(m, receipt.seq());
  append_u64_be(m, receipt.ref_height());
  append(m, receipt.ref_block_hash());
  return m;
}

Hash32 usage_digest(const std::string& chain_id, const Address& device_id, const pb::UsageReceipt& receipt) {
  return crypto::keccak256(usage_message(chain_id, device_id, receipt));
}

std::optional<Amount> usage_cost(uint64_t bytes, Amount price_per_mib) {
  const std::optional<Amount> product = checked_mul(static_cast<Amount>(bytes), price_per_mib);
  if (!product) return std::nullopt;
  constexpr Amount kMiB = Amount{1} << 20;
  return *product / kMiB + (*product % kMiB != 0 ? 1 : 0);  // ⌈product / 2^20⌉ ≤ product: no overflow
}

namespace {
// The fields a beacon, witness or reveal needs, at their sizes (decode_tx checks sizes of the fields
// present; this also requires them).
bool beacon_fields_sized(const pb::ProofPayload& pl) {
  switch (pl.kind()) {
    case pb::COVERAGE_WITNESS: return pl.beaconer().size() == 20 && pl.beacon_receipt().size() == 32;
    case pb::BEACON: return pl.commitment().size() == 32;
    case pb::BEACON_REVEAL: return pl.secret().size() == kBeaconSecretBytes;
    case pb::PROOF_NONE:
    case pb::UPTIME:
    case pb::DATA_CONTRIBUTION:
    case pb::LOCATION_ASSERTION:
    case pb::ProofKind_INT_MIN_SENTINEL_DO_NOT_USE_:
    case pb::ProofKind_INT_MAX_SENTINEL_DO_NOT_USE_: return true;
  }
  return true;
}
}  // namespace

bool relocation_settling(const pb::Device& device, const DepinParams& params, uint64_t height) {
  // relocated_at < height and relocation_settle_blocks ≤ 2^32 (genesis check): no overflow.
  return device.relocated_at() != 0 && height < device.relocated_at() + params.relocation_settle_blocks;
}

ProofReject DepinExecutor::trust_standing(const pb::Device& device) {
  // Lookups memoised for the block: many proofs share them.
  if (anchor_revoked(device.anchor_id())) return ProofReject::kAnchorRevoked;
  for (const auto& k : device.key_ids())
    if (key_revoked(k)) return ProofReject::kKeyRevoked;
  if (device.statement_expiry() != 0 && device.statement_expiry() <= height_)
    return ProofReject::kStatementExpired;
  return ProofReject::kAccepted;
}

ProofReject DepinExecutor::check_proof(const pb::Proof& proof, pb::Device& device, const Address& id,
                                       uint64_t& weight, pb::ProofResult& result) {
  const pb::ProofPayload& pl = proof.payload();
  if (device.inactive()) return ProofReject::kDeviceInactive;
  // Trust chain still standing at this height.
  if (ProofReject r = trust_standing(device); r != ProofReject::kAccepted) return r;
  // Reference block: recent and canonical; epoch is the reference's epoch.
  if (proof.ref_height() >= height_) return ProofReject::kFutureReference;
  if (height_ - proof.ref_height() > params_.ref_window) return ProofReject::kStaleReference;
  if (block_hash_at(proof.ref_height()) != proof.ref_block_hash()) return ProofReject::kWrongRefHash;
  if (proof.epoch() != proof.ref_height() / params_.epoch_blocks) return ProofReject::kWrongEpoch;
  // Sequence: exactly one more than the last accepted.
  if (proof.seq() <= device.seq()) return ProofReject::kReplayedSeq;
  if (proof.seq() != device.seq() + 1) return ProofReject::kSeqGap;
  // Signature by the attested device key.
  const ByteSpan sig = as_span(proof.signature());
  if (device.key_type() == pb::KEY_P256 ? !crypto::p256_is_low_s(sig) : !crypto::is_low_s(sig))
    return ProofReject::kHighS;
  if (!signatures_.verify(device.key_type(), as_span(device.device_key()), proof_digest(chain_id_, proof),
                          as_span(proof.signature())))
    return ProofReject::kBadSignature;
  // Kind-specific rules and weight.
  switch (pl.kind()) {
    case pb::UPTIME: {
      if (ProofReject r = check_uptime(proof, device); r != ProofReject::kAccepted) return r;
      weight = params_.weight_uptime;
      return ProofReject::kAccepted;
    }
    case pb::DATA_CONTRIBUTION: {
      // Weight from paid bytes only (doc/depin.md "Usage").
      if (ProofReject r = check_usage(proof, device, id); r != ProofReject::kAccepted) return r;
      weight = static_cast<uint64_t>(
          std::min<Amount>(static_cast<Amount>(params_.weight_data_per_mib) * (pl.data_bytes() >> 20),
                           params_.device_epoch_cap));
      return ProofReject::kAccepted;
    }
    // Challenged beacons (doc/depin.md "Beacons", vm/beacon_proofs.cpp): a beacon and a witness earn
    // nothing when recorded; the reveal credits the witnesses and the beaconer.
    case pb::BEACON: return check_beacon(proof, device, id);
    case pb::COVERAGE_WITNESS: return check_witness(proof, device, id);
    case pb::BEACON_REVEAL: return check_reveal(proof, device, id, weight, result);
    case pb::LOCATION_ASSERTION: return check_location(proof, device);
    case pb::PROOF_NONE:
    default: return ProofReject::kMalformed;
  }
}

ProofReject DepinExecutor::check_uptime(const pb::Proof& proof, pb::Device& device) {
  // The proof counts at its reference height, or at the last height of the previous epoch if its
  // reference is older: weight accrues in the including block's epoch, so time from before that
  // epoch must not be carried into it. The time points of one epoch's credits then lie in
  // [epoch start − 1, epoch end − 1], B values, spaced at least I apart: at most ⌊(B − 1)/I⌋ + 1 ≤
  // B/I + 1 credits per epoch however many proofs the device signs. An honest proof included in the
  // block after its reference is never moved.
  const uint64_t epoch_start = current_epoch() * params_.epoch_blocks;
  const uint64_t at = std::max(proof.ref_height(), epoch_start == 0 ? 0 : epoch_start - 1);
  if (at < device.uptime_next_ref_height()) return ProofReject::kTooFrequent;
  // at < height_ and uptime_interval_blocks ≤ 2^32 (genesis check): no overflow for any real height.
  device.set_uptime_next_ref_height(at + params_.uptime_interval_blocks);
  return ProofReject::kAccepted;
}

ProofReject DepinExecutor::check_location(const pb::Proof& proof, pb::Device& device) {
  const pb::Location& loc = proof.payload().location();
  if (!valid_location(loc)) return ProofReject::kMalformed;
  // At most one assertion per cooldown, counted from the last one (a registration's included).
  // location_asserted_at < height_ and the cooldown ≤ 2^32 (genesis check): no overflow.
  if (device.location_asserted_at() != 0 &&
      height_ < device.location_asserted_at() + params_.location_cooldown_blocks)
    return ProofReject::kLocationCooldown;
  // A move is a change of a set location; a device's first location is a placement, not a move.
  const bool moved = device.has_location() && encode_canonical(device.location()) != encode_canonical(loc);
  if (moved) device.set_relocated_at(height_);
  // The grid counts the device in its new cell (doc/depin.md "Density"); O(1) state writes.
  const std::optional<GridCell> from = grid_cell(device.location(), params_.density_cell_e7);
  const std::optional<GridCell> to = grid_cell(loc, params_.density_cell_e7);
  if (from != to) {
    count_in_cell(state_, device.location(), params_.density_cell_e7, -1);
    count_in_cell(state_, loc, params_.density_cell_e7, +1);
  }
  *device.mutable_location() = loc;
  device.set_location_asserted_at(height_);
  return ProofReject::kAccepted;
}

ProofReject DepinExecutor::check_usage(const pb::Proof& proof, const pb::Device& device, const Address& id) {
  const pb::ProofPayload& pl = proof.payload();
  if (!pl.has_usage()) return ProofReject::kUsageMissing;
  const pb::UsageReceipt& u = pl.usage();
  // decode_tx checks these sizes; the VM keeps its own check for callers that skip it.
  if (u.consumer().size() != 20 || u.ref_block_hash().size() != 32 || u.signature().size() != 65 ||
      u.data_bytes() != pl.data_bytes())
    return ProofReject::kMalformed;
  // The consumer's reference block: recent and canonical, the proof's window rules.
  if (u.ref_height() >= height_ || height_ - u.ref_height() > params_.ref_window ||
      block_hash_at(u.ref_height()) != u.ref_block_hash())
    return ProofReject::kUsageBadReference;
  const Address consumer = bytes_to_address(u.consumer());
  // Through the verifier: a node recovers it at admission or, for a block it has not seen, on two
  // threads before applying it, and finds the answer here (doc/depin.md "Block gas limit").
  const std::optional<Address> signer = signatures_.recover(usage_digest(chain_id_, id, u), as_span(u.signature()));
  if (!signer || *signer != consumer) return ProofReject::kUsageBadSignature;
  // Paying one's own device is not usage anyone else vouches for.
  if (u.consumer() == device.owner()) return ProofReject::kUsageSelfDealing;
  const Bytes seq_key = prefixed_key(kUsageSeqPrefix, consumer);
  uint64_t last_seq = 0;
  if (auto raw = state_.get(seq_key); raw && !raw->empty()) {
    if (raw->size() != 8) {
      state_.report_corrupt(seq_key, "usage seq");
      return ProofReject::kUsageReplayed;
    }
    last_seq = read_u64_be(*raw);
  }
  if (u.seq() <= last_seq) return ProofReject::kUsageReplayed;
  const std::optional<Amount> cost = usage_cost(u.data_bytes(), params_.usage_price_per_mib);
  AccountState acc = load_account(state_, consumer);
  const std::optional<Amount> left = cost ? checked_sub(acc.balance, *cost) : std::nullopt;
  if (!left) return ProofReject::kUsageUnpaid;
  // Debit and burn: the amount leaves every balance and the supply (SupplyRecord.burned, end_block).
  acc.balance = *left;
  state_.put(account_key(consumer), encode_account(acc));
  Bytes seq;
  append_u64_be(seq, u.seq());
  state_.put(seq_key, std::move(seq));
  // Every burned amount came out of a balance, so the sums stay ≤ the supply < 2^128.
  burned_ += *cost;
  epoch_.set_burned(to_string(encode_amount(decode_amount(as_span(epoch_.burned())).value_or(0) + *cost)));
  epoch_dirty_ = true;
  return ProofReject::kAccepted;
}

bool DepinExecutor::anchor_revoked(const std::string& anchor_id) {
  auto it = anchor_revoked_.find(anchor_id);
  if (it != anchor_revoked_.end()) return it->second;
  auto anchor = load_record<pb::Anchor>(state_, anchor_key(to_hash32(anchor_id)));
  bool revoked = anchor && anchor->revoked_at() != 0 && anchor->revoked_at() <= height_;
  anchor_revoked_.emplace(anchor_id, revoked);
  return revoked;
}

bool DepinExecutor::key_revoked(const std::string& key_id) {
  auto it = key_revoked_.find(key_id);
  if (it != key_revoked_.end()) return it->second;
  auto at = key_revoked_at(state_, to_hash32(key_id));
  bool revoked = at && *at <= height_;
  key_revoked_.emplace(key_id, revoked);
  return revoked;
}

const std::string& DepinExecutor::block_hash_at(uint64_t height) {
  auto it = block_hashes_.find(height);
  if (it != block_hashes_.end()) return it->second;
  auto raw = state_.get(block_hash_key(height));
  return block_hashes_.emplace(height, raw ? to_string(*raw) : std::string()).first->second;
}

TxOutcome DepinExecutor::submit_proofs(const pb::SubmitProofs& tx) {
  TxOutcome out;
  if (tx.proofs_size() == 0 || tx.proofs_size() > static_cast<int>(params_.max_proofs_per_tx)) {
    out.fail = TxFailReason::kBadBatchSize;
    return out;
  }
  out.proofs.reserve(tx.proofs_size());
  for (int i = 0; i < tx.proofs_size(); ++i) {
    const pb::Proof& proof = tx.proofs(i);
    pb::ProofResult r;
    r.set_index(static_cast<uint32_t>(i));
    r.set_device_id(proof.device_id());
    r.set_seq(proof.seq());
    r.set_epoch(proof.epoch());
    r.set_kind(proof.payload().kind());
    ProofReject reason = ProofReject::kAccepted;
    uint64_t weight = 0;
    std::optional<pb::Device> device;
    Address id{};
    if (proof.device_id().size() != 20 || proof.ref_block_hash().size() != 32 ||
        proof.signature().size() != 64 || proof.payload().kind() == pb::PROOF_NONE ||
        !pb::ProofKind_IsValid(proof.payload().kind()) ||
        !beacon_fields_sized(proof.payload())) {
      reason = ProofReject::kMalformed;
    } else {
      id = bytes_to_address(proof.device_id());
      device = load_record<pb::Device>(state_, device_key(id));
      reason = device ? check_proof(proof, *device, id, weight, r) : ProofReject::kUnknownDevice;
    }
    if (reason == ProofReject::kAccepted) {
      device->set_seq(proof.seq());
      device->set_proofs_accepted(device->proofs_accepted() + 1);
      const uint64_t credited = accrue(id, *device, weight);
      store_device(id, *device);
      epoch_.set_proofs_accepted(epoch_.proofs_accepted() + 1);
      r.set_weight(credited);  // what the device earned, after the per-device epoch cap
    } else {
      epoch_.set_proofs_rejected(epoch_.proofs_rejected() + 1);
    }
    epoch_dirty_ = true;
    r.set_reason(static_cast<uint32_t>(reason));
    out.proofs.push_back(std::move(r));
  }
  return out;
}

}  // namespace physis::vm
