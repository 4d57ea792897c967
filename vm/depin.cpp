#include "vm/depin.h"

#include <algorithm>

#include "crypto/p256.h"
#include "crypto/secp256k1.h"
#include "crypto/sha256.h"
#include "crypto/x509.h"
#include "crypto/x509_chain.h"
#include "primitives/block.h"
#include "primitives/codec.h"
#include "primitives/transaction.h"
#include "vm/density.h"
#include "vm/depin_state.h"
#include "vm/geo.h"

namespace physis::vm {

namespace {
// Receipts carry the code only; RPC words it (vm/reason_text.h).
TxOutcome fail(TxFailReason code, uint32_t detail = 0) {
  TxOutcome o;
  o.fail = code;
  o.detail = detail;
  return o;
}

}  // namespace

std::optional<pb::Anchor> StateChainView::anchor(const Hash32& id) const {
  return load_record<pb::Anchor>(state_, anchor_key(id));
}
std::optional<uint64_t> StateChainView::key_revoked_at(const Hash32& id) const {
  return vm::key_revoked_at(state_, id);
}
std::optional<Hash32> StateChainView::block_hash(uint64_t height) const {
  auto raw = state_.get(block_hash_key(height));
  if (!raw || raw->size() != 32) return std::nullopt;
  Hash32 h{};
  std::copy(raw->begin(), raw->end(), h.begin());
  return h;
}

DepinExecutor::DepinExecutor(StateOverlay& state, const std::string& chain_id, const DepinParams& params,
                             uint64_t height, const std::vector<std::pair<Address, uint64_t>>& validators,
                             const SignatureVerifier& signatures)
    : state_(state),
      chain_id_(chain_id),
      params_(params),
      height_(height),
      validators_(validators),
      signatures_(signatures) {}

void DepinExecutor::begin_block(const Hash32& parent_hash) {
  state_.put(block_hash_key(height_ - 1), Bytes(parent_hash.begin(), parent_hash.end()));
  // Heights older than the reference window can never be referenced again: forget their hashes so
  // this record stays bounded (stale references are rejected before the hash is read).
  if (height_ > params_.ref_window) state_.put(block_hash_key(height_ - params_.ref_window - 1), {});
  if (height_ % params_.epoch_blocks == 0) close_epoch(current_epoch() - 1);
  epoch_ = load_record<pb::EpochRecord>(state_, epoch_key(current_epoch())).value_or(pb::EpochRecord());
}

void DepinExecutor::end_block() {
  if (epoch_dirty_) state_.put(epoch_key(current_epoch()), encode_canonical(epoch_));
  if (burned_ == 0) return;
  // doc/depin.md "Usage": supply = genesis + minted − burned.
  pb::SupplyRecord supply =
      load_record<pb::SupplyRecord>(state_, Bytes{kSupplyKey}).value_or(pb::SupplyRecord());
  const auto before = decode_amount(as_span(supply.burned()));
  const auto after = before ? checked_add(*before, burned_) : std::nullopt;
  if (!after) {
    state_.set_fault(make_error("supply_overflow", "burned supply is not a canonical amount or overflows"));
    return;
  }
  supply.set_burned(to_string(encode_amount(*after)));
  state_.put(Bytes{kSupplyKey}, encode_canonical(supply));
}

void DepinExecutor::store_device(const Address& id, const pb::Device& device) {
  state_.put(device_key(id), encode_canonical(device));
}

TxOutcome DepinExecutor::register_anchor(const Address& sender, const pb::RegisterAnchor& tx) {
  if (sender != params_.governance) return fail(TxFailReason::kNotGovernance);
  pb::Anchor a = tx.anchor();
  // One set of anchor rules for RegisterAnchor and genesis (primitives/genesis.h check_anchor).
  if (auto st = check_anchor(a); !st) return fail(TxFailReason::kBadAnchor);
  Hash32 id = crypto::spki_id(as_span(a.spki()));
  if (state_.get(anchor_key(id))) return fail(TxFailReason::kAnchorExists);
  a.set_registered_at(height_);
  state_.put(anchor_key(id), encode_canonical(a));
  return {};
}

TxOutcome DepinExecutor::revoke_anchor(const Address& sender, const pb::RevokeAnchor& tx) {
  clear_memos();
  if (sender != params_.governance) return fail(TxFailReason::kNotGovernance);
  if (tx.anchor_id().size() != 32) return fail(TxFailReason::kUnknownAnchor);
  Hash32 id = to_hash32(tx.anchor_id());
  auto a = load_record<pb::Anchor>(state_, anchor_key(id));
  if (!a) return fail(TxFailReason::kUnknownAnchor);
  // Revocation never reaches back before the including block, and can only move earlier.
  uint64_t at = std::max(tx.effective_height(), height_);
  if (a->revoked_at() == 0 || at < a->revoked_at()) a->set_revoked_at(at);
  state_.put(anchor_key(id), encode_canonical(*a));
  return {};
}

TxOutcome DepinExecutor::revoke_key(const Address& sender, const pb::RevokeKey& tx) {
  clear_memos();
  if (sender != params_.governance) return fail(TxFailReason::kNotGovernance);
  if (tx.key_id().size() != 32) return fail(TxFailReason::kBadKeyId);
  Hash32 id = to_hash32(tx.key_id());
  uint64_t at = std::max(tx.effective_height(), height_);
  auto existing = key_revoked_at(state_, id);
  if (existing && *existing <= at) return {};
  Bytes v;
  append_u64_be(v, at);
  state_.put(prefixed_key(kRevokedKeyPrefix, id), v);
  return {};
}

TxOutcome DepinExecutor::register_device(const Address& sender, const pb::RegisterDevice& tx) {
  const auto& ev = tx.evidence();
  if (tx.has_location() && !valid_location(tx.location()))
    return fail(TxFailReason::kAttestationFailed, static_cast<uint32_t>(AttestReject::kBadLocation));
  Address id = device_id_of(ev.kind(), as_span(ev.device_key()));
  if (state_.get(device_key(id)))
    return fail(TxFailReason::kAttestationFailed, static_cast<uint32_t>(AttestReject::kDeviceExists));
  // One key, one device (doc/depin.md "State layout"): the device id includes the evidence kind, so the same
  // key under another kind would be a second, separately earning device.
  const Bytes key_index = device_key_index_key(raw_key_id(as_span(ev.device_key())));
  if (auto existing = state_.get(key_index); existing && !existing->empty())
    return fail(TxFailReason::kAttestationFailed, static_cast<uint32_t>(AttestReject::kKeyAlreadyRegistered));
  AttestContext ctx{chain_id_, sender, height_, params_.ref_window};
  StateChainView view(state_);
  AttestOutcome out = verify_evidence(ev, ctx, view, signatures_);
  if (!out.ok()) return fail(TxFailReason::kAttestationFailed, static_cast<uint32_t>(out.reason));
  // A location is the device's word (doc/depin.md "Locations"): signed by the device key over the
  // location message with the evidence's reference block, which verify_evidence found recent.
  if (tx.has_location()) {
    const ByteSpan sig = as_span(tx.location_signature());
    const bool low_s = ev.key_type() == pb::KEY_P256 ? crypto::p256_is_low_s(sig) : crypto::is_low_s(sig);
    if (!low_s || !signatures_.verify(ev.key_type(), as_span(ev.device_key()),
                                      location_digest(chain_id_, id, tx.location(), ev.ref_height(),
                                                      as_span(ev.ref_block_hash())),
                                      sig))
      return fail(TxFailReason::kAttestationFailed, static_cast<uint32_t>(AttestReject::kBadLocationSignature));
  }
  pb::Device d;
  d.set_owner(to_string(sender));
  d.set_kind(ev.kind());
  d.set_device_class(ev.device_class());
  d.set_key_type(ev.key_type());
  d.set_device_key(ev.device_key());
  d.set_anchor_id(to_string(out.anchor_id));
  for (const auto& k : out.key_ids) d.add_key_ids(to_string(k));
  if (tx.has_location()) {
    *d.mutable_location() = tx.location();
    d.set_location_asserted_at(height_);
  }
  d.set_registered_at(height_);
  d.set_statement_expiry(out.statement_expiry);
  store_device(id, d);
  count_in_cell(state_, d.location(), params_.density_cell_e7, +1);  // doc/depin.md "Density"
  state_.put(prefixed_key(kOwnerIndexPrefix, sender, id), kIndexMarker);
  state_.put(prefixed_key(kAnchorIndexPrefix, out.anchor_id, id), kIndexMarker);
  state_.put(key_index, Bytes(id.begin(), id.end()));
  TxOutcome ok;
  ok.device_id = id;
  return ok;
}

TxOutcome DepinExecutor::update_device(const Address& sender, const pb::UpdateDevice& tx) {
  if (tx.device_id().size() != 20) return fail(TxFailReason::kUnknownDevice);
  Address id = bytes_to_address(tx.device_id());
  auto d = load_record<pb::Device>(state_, device_key(id));
  if (!d) return fail(TxFailReason::kUnknownDevice);
  if (d->owner() != to_string(sender)) return fail(TxFailReason::kNotOwner);
  if (d->inactive()) return fail(TxFailReason::kDeviceInactive);
  // Locations are the device's word (doc/depin.md "Locations"): the owner cannot set one.
  if (tx.has_location()) return fail(TxFailReason::kLocationByDevice);
  if (!tx.new_owner().empty()) {
    if (tx.new_owner().size() != 20) return fail(TxFailReason::kNotOwner);
    // doc/depin.md "Rewards": closed epochs are settled to the outgoing owner now; its weight in the
    // open epoch is recorded on the device and paid to it when that epoch is settled.
    auto earlier = earlier_owners_after_transfer(*d, current_epoch(), tx.new_owner());
    if (!earlier) {
      state_.set_fault(make_error(
          "corrupt_state", "device " + to_hex0x(id) + " records more earlier-owner weight than it accrued"));
      return fail(TxFailReason::kTooManyOwners);  // the state fault invalidates the block anyway
    }
    if (earlier->size() > static_cast<size_t>(kMaxEarlierOwners)) return fail(TxFailReason::kTooManyOwners);
    settle(id, *d);  // a closed epoch's weight is paid to the owner who earned it
    d->mutable_earlier_owners()->Assign(earlier->begin(), earlier->end());
    state_.put(prefixed_key(kOwnerIndexPrefix, sender, id), {});
    d->set_owner(tx.new_owner());
    state_.put(prefixed_key(kOwnerIndexPrefix, as_span(tx.new_owner()), id), kIndexMarker);
  }
  if (tx.deactivate()) {
    // doc/depin.md "Rewards": deactivation forfeits the device's unsettled reward to the treasury,
    // a closed epoch's now and the open epoch's weight when that epoch is settled.
    d->set_inactive(true);
    count_in_cell(state_, d->location(), params_.density_cell_e7, -1);  // no longer active
    settle(id, *d);
  }
  store_device(id, *d);
  return {};
}

TxOutcome DepinExecutor::claim_rewards(const pb::ClaimRewards& tx) {
  if (tx.device_ids_size() == 0 || tx.device_ids_size() > static_cast<int>(params_.max_proofs_per_tx))
    return fail(TxFailReason::kBadBatchSize);
  // Check every id before writing anything: a failed transaction changes nothing but fee and nonce.
  std::vector<std::pair<Address, pb::Device>> devices;
  for (const auto& raw : tx.device_ids()) {
    if (raw.size() != 20) return fail(TxFailReason::kUnknownDevice);
    Address id = bytes_to_address(raw);
    auto d = load_record<pb::Device>(state_, device_key(id));
    if (!d) return fail(TxFailReason::kUnknownDevice);
    devices.emplace_back(id, std::move(*d));
  }
  for (auto& [id, d] : devices) {
    auto fresh = load_record<pb::Device>(state_, device_key(id));  // the same id may be listed twice
    settle(id, *fresh);
    store_device(id, *fresh);
  }
  return {};
}

}  // namespace physis::vm
