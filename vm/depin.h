// DePIN transactions and epoch rewards inside apply_block (DESIGN §3, §5; doc/depin.md).
// Pure: reads and writes only through the StateOverlay it is given.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "primitives/genesis.h"
#include "primitives/physis.pb.h"
#include "vm/attestation.h"
#include "vm/signatures.h"
#include "vm/state.h"
#include "vm/tx_fail_reason.h"

namespace physis::vm {

// Why one proof in a SubmitProofs batch was rejected (0 = accepted). Stored in receipts: never
// renumber; every value has a test.
enum class ProofReject : uint32_t {
  kAccepted = 0,
  kMalformed = 1,  // wrong field lengths, or no payload kind
  kUnknownDevice = 2,
  kDeviceInactive = 3,
  kAnchorRevoked = 4,     // the device's anchor is revoked at this height
  kKeyRevoked = 5,        // a key of the device's attestation is revoked at this height
  kStatementExpired = 6,  // the registrar statement behind the device has expired
  kFutureReference = 7,   // ref height not below the including height
  kStaleReference = 8,    // ref height older than the window
  kWrongRefHash = 9,      // ref block hash is not canonical
  kWrongEpoch = 10,       // proof epoch is not the epoch of its ref height
  kReplayedSeq = 11,      // seq ≤ the device's last accepted seq
  kSeqGap = 12,           // seq > last accepted seq + 1
  kHighS = 13,
  kBadSignature = 14,
  kWitnessSelf = 15,      // a device cannot witness itself
  kUnknownBeaconer = 16,  // beaconer not registered, or inactive
  kLocationUnknown = 17,  // witness or beaconer has no lat/lon location
  kWitnessTooClose = 18,
  kWitnessTooFar = 19,
  kSignalTooStrong = 20,    // RSSI impossibly strong for the asserted distance
  kSignalImplausible = 21,  // RSSI below witness_min_rssi_dbm, or SNR outside the witness SNR range
  kBeaconerRevoked = 22,    // the beaconer's anchor or a key is revoked, or its statement expired
  kTooFrequent = 23,        // uptime: reference height less than uptime_interval_blocks after the last
  kWitnessSameOwner = 24,   // the witness and the beaconer have the same owner
  kDuplicateWitnessPair = 25,  // this witness was already rewarded for this beaconer in this epoch
  kTooManyWitnesses = 26,      // the beacon already has max_witnesses_per_beacon rewarded witnesses
  kLocationCooldown = 27,      // a location assertion within location_cooldown_blocks of the last one
  kRelocationSettling = 28,    // the witness moved less than relocation_settle_blocks ago
  kBeaconerSettling = 29,      // the beaconer moved less than relocation_settle_blocks ago
  kUsageMissing = 30,          // a data contribution without a usage receipt
  kUsageBadReference = 31,     // the receipt's reference block is not recent and canonical
  kUsageBadSignature = 32,     // the receipt is not signed by its consumer (or has a high S)
  kUsageSelfDealing = 33,      // the consumer is the device's owner
  kUsageReplayed = 34,         // the receipt's seq is not above the consumer's last accepted one
  kUsageUnpaid = 35,           // the consumer's balance does not cover the usage price
  // Challenged beacons (doc/depin.md "Beacons").
  kBeaconNotChallenged = 36,   // BEACON or witness: the beaconer was not challenged at that height
  kBeaconWindowClosed = 37,    // BEACON: more than beacon_window_blocks after the challenge
  kBeaconAlreadyRecorded = 38,  // BEACON: a beacon for this challenge (or a later one) is recorded
  kBeaconNotCommitted = 39,    // witness or reveal: no recorded beacon for that challenge
  kWitnessAfterReveal = 40,    // witness: the beacon is revealed, or past its reveal deadline
  kBeaconWitnessesFull = 41,   // witness: the beacon already has kMaxPendingWitnesses pending witnesses
  kRevealOutOfWindow = 42,     // reveal: before the beacon window closed, or after the reveal deadline
  kRevealMismatch = 43,        // reveal: SHA-256(secret) is not the beacon's commitment
  kWrongBeaconSecret = 44,     // a pending witness whose receipt does not match the revealed secret
  kBeaconAlreadyRevealed = 45,  // reveal: the beacon was already revealed
};
inline constexpr uint32_t kProofRejectCount = 46;

// Most witnesses one beacon holds pending until its reveal (doc/depin.md "Beacons"): twice the
// largest max_witnesses_per_beacon, so junk receipts can never fill every slot the rewarded ones
// need without also passing every physical rule, one registered device of another owner per slot.
// A protocol constant, so that a reveal's gas (vm/gas.h kPerBeaconReveal) is known from its payload.
inline constexpr int kMaxPendingWitnesses = 2 * static_cast<int>(kMaxBeaconWitnesses);
std::string_view proof_reject_name(ProofReject reason);

// Name of a RewardRecord.forfeit value ("none", "deactivated", "anchor_revoked", "key_revoked").
std::string_view forfeit_name(pb::Forfeit forfeit);
inline constexpr uint32_t kForfeitCount = 4;

// What a transaction's payload did, for its receipt: codes and numbers only (the receipt commits
// them; vm/reason_text.h words them for RPC).
struct TxOutcome {
  TxFailReason fail = TxFailReason::kNone;
  uint32_t detail = 0;  // kAttestationFailed: the AttestReject value
  std::vector<pb::ProofResult> proofs;
  Address device_id{};
};

// The proof message (doc/depin.md) and the digest the device signs: SHA-256 of it.
Bytes proof_message(const std::string& chain_id, const pb::Proof& proof);
Hash32 proof_digest(const std::string& chain_id, const pb::Proof& proof);

// The location message of a registration with a location (doc/depin.md "Locations"):
// "PHYSIS/LOCATION/v1" ‖ u32 len ‖ chain id ‖ device id ‖ u32 len ‖ canonical Location ‖ u64 ref height ‖
// ref block hash. The device key signs SHA-256 of it (location_digest), r ‖ s with low S.
Bytes location_message(const std::string& chain_id, const Address& device_id, const pb::Location& location,
                       uint64_t ref_height, ByteSpan ref_block_hash);
Hash32 location_digest(const std::string& chain_id, const Address& device_id, const pb::Location& location,
                       uint64_t ref_height, ByteSpan ref_block_hash);
// The usage message (doc/depin.md "Usage"): "PHYSIS/USAGE/v1" ‖ u32 len ‖ chain id ‖ device id ‖
// consumer ‖ u64 bytes ‖ u64 seq ‖ u64 ref height ‖ ref block hash. The consumer's account key signs
// keccak256 of it (usage_digest), r ‖ s ‖ v with low S, like a transaction.
Bytes usage_message(const std::string& chain_id, const Address& device_id, const pb::UsageReceipt& receipt);
Hash32 usage_digest(const std::string& chain_id, const Address& device_id, const pb::UsageReceipt& receipt);
// What a consumer pays for `bytes` of usage: ⌈bytes × price_per_mib / 2^20⌉ (per-byte pricing, the
// total rounded up). nullopt if bytes × price does not fit 128 bits.
std::optional<Amount> usage_cost(uint64_t bytes, Amount price_per_mib);

// True while a device that moved at `device.relocated_at` is settling at `height` (doc/depin.md
// "Locations"): it neither beacons nor witnesses then.
bool relocation_settling(const pb::Device& device, const DepinParams& params, uint64_t height);

// The most genesis + minted may ever reach: supply_cap, or 2^128 − 1 (the largest representable supply)
// when supply_cap is 0 ("no cap").
Amount effective_supply_cap(const DepinParams& p);
// Emission scheduled for an epoch before the supply cap: emission_per_epoch >> (epoch / halving).
Amount scheduled_emission(const DepinParams& p, uint64_t epoch);
// floor(a × b / c) for a weight a < 2^64, without overflow (c > 0, a ≤ c).
Amount mul_div_weight(uint64_t a, Amount b, uint64_t c);

// Reward a device has accrued in a closed epoch but not yet been paid (lazy settlement); 0 if none.
// This is the device's whole reward R; split_reward divides it between its owners.
Amount pending_reward(const StateReader& state, const pb::Device& device, uint64_t current_epoch);

// Most distinct earlier owners a device's open epoch can record (doc/depin.md "Rewards"): a transfer
// that would need more fails with kTooManyOwners, so a Device record stays bounded.
inline constexpr int kMaxEarlierOwners = 8;

// The earlier owners' parts of a device reward R for the accrued epoch: floor(w_i × R / W) each, in
// the order of device.earlier_owners, W = accrued_weight. The current owner gets R − Σ parts, so the
// parts always sum to R. nullopt if the recorded weights exceed W (a corrupt record).
std::optional<std::vector<Amount>> split_reward(const pb::Device& device, Amount reward);

// The device's earlier-owner list once its owner hands it to `new_owner` in `epoch`: empty if the
// accrued weight is from an earlier epoch (settled first); otherwise the outgoing owner's open-epoch
// weight (accrued_weight − Σ earlier weights) is added to its entry, and an entry of `new_owner` is
// removed (that weight is the current owner's again). No entry is added for zero weight. nullopt if
// the recorded weights exceed accrued_weight (a corrupt record). The size is not limited here.
std::optional<std::vector<pb::OwnerShare>> earlier_owners_after_transfer(const pb::Device& device,
                                                                         uint64_t epoch,
                                                                         const std::string& new_owner);

class DepinExecutor {
 public:
  DepinExecutor(StateOverlay& state, const std::string& chain_id, const DepinParams& params, uint64_t height,
                const std::vector<std::pair<Address, uint64_t>>& validators,
                const SignatureVerifier& signatures);

  // At the start of every block: records the parent's hash for reference checks and, on an epoch
  // boundary, closes the previous epoch in O(1) (mints the validator and treasury shares; device
  // shares are settled lazily).
  void begin_block(const Hash32& parent_hash);
  // Writes the current epoch's accumulator back. Call once after the last transaction.
  void end_block();

  TxOutcome register_anchor(const Address& sender, const pb::RegisterAnchor& tx);
  TxOutcome revoke_anchor(const Address& sender, const pb::RevokeAnchor& tx);
  TxOutcome revoke_key(const Address& sender, const pb::RevokeKey& tx);
  TxOutcome register_device(const Address& sender, const pb::RegisterDevice& tx);
  TxOutcome update_device(const Address& sender, const pb::UpdateDevice& tx);
  TxOutcome submit_proofs(const pb::SubmitProofs& tx);
  TxOutcome claim_rewards(const pb::ClaimRewards& tx);

  uint64_t current_epoch() const { return height_ / params_.epoch_blocks; }

 private:
  // Checks one proof; on kAccepted `weight` is the device's weight and a reveal's witness verdicts
  // are added to `result`.
  ProofReject check_proof(const pb::Proof& proof, pb::Device& device, const Address& id, uint64_t& weight,
                          pb::ProofResult& result);
  // Uptime is time served (doc/depin.md "Proofs"): kTooFrequent unless the proof's time point is at
  // least uptime_next_ref_height; on kAccepted, advances the device's uptime_next_ref_height.
  ProofReject check_uptime(const pb::Proof& proof, pb::Device& device);
  // A LOCATION_ASSERTION (doc/depin.md "Locations"): kMalformed for an invalid location,
  // kLocationCooldown within location_cooldown_blocks of the last assertion; on kAccepted the device
  // takes the location, and a changed location starts the settling period.
  ProofReject check_location(const pb::Proof& proof, pb::Device& device);
  // A data contribution's usage receipt (doc/depin.md "Usage"): on kAccepted the consumer has paid
  // usage_cost, which is burned, and its receipt seq is recorded.
  ProofReject check_usage(const pb::Proof& proof, const pb::Device& device, const Address& id);
  // Challenged beacons (doc/depin.md "Beacons", vm/beacon_proofs.cpp). A BEACON records the
  // device's commitment for a challenge; a COVERAGE_WITNESS passes the physical rules and is added to
  // the beacon's pending witnesses (weight 0); a BEACON_REVEAL judges every pending witness in
  // inclusion order, credits the rewarded ones, lists the verdicts in `result` and sets `weight` to
  // the beaconer's weight.
  ProofReject check_beacon(const pb::Proof& proof, const pb::Device& device, const Address& id);
  ProofReject check_witness(const pb::Proof& proof, const pb::Device& device, const Address& id);
  ProofReject check_reveal(const pb::Proof& proof, const pb::Device& device, const Address& id,
                           uint64_t& weight, pb::ProofResult& result);
  // Whether `device` is challenged at `height` (< height_), from the stored block hash; false when
  // the hash is no longer (or not yet) kept.
  bool challenged_at(const Address& device, uint64_t height);
  // Coverage weight in the device's grid cell (doc/depin.md "Density").
  uint64_t coverage_weight(const pb::Device& device, uint64_t weight);
  // Why the device's unsettled reward is forfeited at this height (doc/depin.md "Rewards"):
  // FORFEIT_DEACTIVATED, FORFEIT_ANCHOR_REVOKED, FORFEIT_KEY_REVOKED, or FORFEIT_NONE.
  pb::Forfeit forfeit_of(const pb::Device& device);
  // kAccepted if the device's anchor and keys are not revoked and its statement has not expired at this
  // height; otherwise kAnchorRevoked, kKeyRevoked or kStatementExpired.
  ProofReject trust_standing(const pb::Device& device);
  // Credits up to `weight` to the device in the current epoch; returns what was credited (after the
  // per-device cap).
  uint64_t accrue(const Address& id, pb::Device& device, uint64_t weight);
  void settle(const Address& id, pb::Device& device);
  void close_epoch(uint64_t epoch);
  void credit(const Address& to, Amount amount);
  void store_device(const Address& id, const pb::Device& device);
  // Per-block memos. Anchors and key revocations can change inside a block (a governance tx), so the
  // governance handlers clear them.
  bool anchor_revoked(const std::string& anchor_id);
  bool key_revoked(const std::string& key_id);
  const std::string& block_hash_at(uint64_t height);
  void clear_memos() {
    anchor_revoked_.clear();
    key_revoked_.clear();
  }

  StateOverlay& state_;
  const std::string& chain_id_;
  const DepinParams& params_;
  const uint64_t height_;
  const std::vector<std::pair<Address, uint64_t>>& validators_;
  const SignatureVerifier& signatures_;
  pb::EpochRecord epoch_;  // the open epoch's accumulator, written by end_block
  std::map<std::string, bool> anchor_revoked_;
  std::map<std::string, bool> key_revoked_;
  std::map<uint64_t, std::string> block_hashes_;  // block hashes never change
  bool epoch_dirty_ = false;
  Amount burned_ = 0;  // paid for usage in this block; added to the SupplyRecord by end_block
};

// ChainView over state, for the attestation verifier.
class StateChainView final : public ChainView {
 public:
  explicit StateChainView(const StateReader& state) : state_(state) {}
  std::optional<pb::Anchor> anchor(const Hash32& id) const override;
  std::optional<uint64_t> key_revoked_at(const Hash32& id) const override;
  std::optional<Hash32> block_hash(uint64_t height) const override;

 private:
  const StateReader& state_;
};

}  // namespace physis::vm
