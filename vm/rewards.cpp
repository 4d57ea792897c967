// Epoch emission and lazy settlement (DESIGN §3; doc/depin.md "Rewards"). Integer only. Closing an
// epoch is O(1) in the number of devices: it never reads the epoch's blocks or devices.
#include <algorithm>

#include "primitives/codec.h"
#include "primitives/transaction.h"
#include "vm/accounts.h"
#include "vm/depin.h"
#include "vm/depin_state.h"

namespace physis::vm {

namespace {
Amount amount_of(const std::string& b) { return decode_amount(as_span(b)).value_or(0); }
// An amount field of a stored record, inside consensus: one that is not a canonical amount is a corrupt
// record (doc/depin.md "State layout") and faults the block rather than reading as 0.
Amount stored_amount(StateOverlay& state, const std::string& b, std::string_view what) {
  auto v = decode_amount(as_span(b));
  if (!v) {
    state.set_fault(make_error("corrupt_state", std::string(what) + " is not a canonical amount"));
    return 0;
  }
  return *v;
}
std::string amount_bytes(Amount a) { return to_string(encode_amount(a)); }
// floor(a × bps / 10000) without overflow for any a.
Amount bps_of(Amount a, uint32_t bps) { return a / 10000 * bps + a % 10000 * bps / 10000; }
}  // namespace

Amount effective_supply_cap(const DepinParams& p) {
  return p.supply_cap == 0 ? ~static_cast<Amount>(0) : p.supply_cap;
}

Amount scheduled_emission(const DepinParams& p, uint64_t epoch) {
  if (p.halving_interval_epochs == 0) return p.emission_per_epoch;
  uint64_t halvings = epoch / p.halving_interval_epochs;
  return halvings >= 128 ? 0 : p.emission_per_epoch >> halvings;
}

Amount mul_div_weight(uint64_t a, Amount b, uint64_t c) {
  // b = q·c + r  ⇒  a·b/c = a·q + a·r/c, where a·r < 2^128 since a, r < 2^64, and a·q ≤ b since a ≤ c.
  Amount q = b / c, r = b % c;
  return static_cast<Amount>(a) * q + static_cast<Amount>(a) * r / c;
}

Amount pending_reward(const StateReader& state, const pb::Device& device, uint64_t current_epoch) {
  if (device.accrued_weight() == 0 || device.accrued_epoch() >= current_epoch) return 0;
  auto rec = load_record<pb::EpochRecord>(state, epoch_key(device.accrued_epoch()));
  if (!rec || !rec->closed() || rec->total_weight() == 0) return 0;
  return mul_div_weight(device.accrued_weight(), amount_of(rec->device_pool()), rec->total_weight());
}

namespace {
// Σ of the earlier owners' weights, or nullopt if it exceeds the accrued weight.
std::optional<uint64_t> earlier_weight(const pb::Device& device) {
  uint64_t sum = 0;
  for (const auto& s : device.earlier_owners())
    if (__builtin_add_overflow(sum, s.weight(), &sum)) return std::nullopt;
  if (sum > device.accrued_weight()) return std::nullopt;
  return sum;
}
}  // namespace

std::optional<std::vector<Amount>> split_reward(const pb::Device& device, Amount reward) {
  if (!earlier_weight(device)) return std::nullopt;
  std::vector<Amount> parts;
  for (const auto& s : device.earlier_owners())  // w_i ≤ Σ ≤ W, so mul_div_weight's a ≤ c holds
    parts.push_back(mul_div_weight(s.weight(), reward, device.accrued_weight()));
  return parts;
}

std::optional<std::vector<pb::OwnerShare>> earlier_owners_after_transfer(const pb::Device& device,
                                                                         uint64_t epoch,
                                                                         const std::string& new_owner) {
  std::vector<pb::OwnerShare> out;
  if (device.accrued_epoch() != epoch || device.accrued_weight() == 0) return out;
  const std::optional<uint64_t> earlier = earlier_weight(device);
  if (!earlier) return std::nullopt;
  out.assign(device.earlier_owners().begin(), device.earlier_owners().end());
  if (const uint64_t w_old = device.accrued_weight() - *earlier; w_old > 0) {
    auto it =
        std::find_if(out.begin(), out.end(), [&](const auto& s) { return s.owner() == device.owner(); });
    if (it == out.end()) {
      out.emplace_back();
      out.back().set_owner(device.owner());
      it = out.end() - 1;
    }
    it->set_weight(it->weight() + w_old);  // Σ ≤ accrued_weight < 2^64
  }
  std::erase_if(out, [&](const auto& s) { return s.owner() == new_owner; });
  return out;
}

void DepinExecutor::credit(const Address& to, Amount amount) {
  if (amount == 0) return;
  AccountState acc = load_account(state_, to);
  // Every balance is part of genesis + minted, which close_epoch keeps ≤ the effective cap < 2^128, so
  // this cannot overflow while the supply invariant holds. If it would, the state is broken: fail the
  // block rather than saturate (a saturated balance silently destroys supply).
  auto sum = checked_add(acc.balance, amount);
  if (!sum) {
    state_.set_fault(make_error("supply_overflow", "crediting " + format_amount(amount) + " to " +
                                                       to_hex0x(to) + " overflows its balance"));
    return;
  }
  acc.balance = *sum;
  state_.put(account_key(to), encode_account(acc));
}

void DepinExecutor::close_epoch(uint64_t epoch) {
  pb::EpochRecord rec = load_record<pb::EpochRecord>(state_, epoch_key(epoch)).value_or(pb::EpochRecord());
  if (rec.closed()) return;
  pb::SupplyRecord supply =
      load_record<pb::SupplyRecord>(state_, Bytes{kSupplyKey}).value_or(pb::SupplyRecord());
  const Amount genesis = stored_amount(state_, supply.genesis(), "supply genesis");
  const Amount minted = stored_amount(state_, supply.minted(), "supply minted");
  // doc/depin.md "Rewards": supply_cap 0 means no cap of its own, so the effective cap is the largest
  // representable supply, 2^128 − 1: minting stops there and genesis + minted never wraps.
  const Amount cap = effective_supply_cap(params_);
  const std::optional<Amount> total = checked_add(genesis, minted);
  if (!total) {
    state_.set_fault(make_error("supply_overflow", "genesis + minted supply overflows"));
    return;
  }
  const Amount room = cap > *total ? cap - *total : 0;
  const Amount emission = std::min(scheduled_emission(params_, epoch), room);
  Amount device_pool = bps_of(emission, params_.device_share_bps);
  Amount validator_pool = bps_of(emission, params_.validator_share_bps);
  Amount treasury = emission - device_pool - validator_pool;
  if (rec.total_weight() == 0) {  // nobody earned: the device share goes to the treasury
    treasury += device_pool;
    device_pool = 0;
    rec.set_remainder_paid(true);
  }
  // Validators by voting power; rounding remainder to the treasury.
  uint64_t total_power = 0;
  for (const auto& [addr, power] : validators_) {
    if (__builtin_add_overflow(total_power, power, &total_power)) {  // genesis keeps it below 2^62
      state_.set_fault(make_error("power_overflow", "total validator power overflows"));
      return;
    }
  }
  Amount paid = 0;
  if (total_power > 0) {
    for (const auto& [addr, power] : validators_) {
      Amount share = mul_div_weight(power, validator_pool, total_power);
      credit(addr, share);
      paid += share;
    }
  }
  treasury += validator_pool - paid;
  credit(params_.treasury, treasury);

  rec.set_closed(true);
  rec.set_closed_at(height_);
  rec.set_emission(amount_bytes(emission));
  rec.set_device_pool(amount_bytes(device_pool));
  rec.set_validator_pool(amount_bytes(validator_pool));
  rec.set_treasury_pool(amount_bytes(emission - device_pool - validator_pool));
  state_.put(epoch_key(epoch), encode_canonical(rec));
  supply.set_minted(amount_bytes(minted + emission));  // ≤ cap − genesis: emission ≤ room
  supply.set_last_closed_epoch_plus_one(epoch + 1);
  state_.put(Bytes{kSupplyKey}, encode_canonical(supply));
}

pb::Forfeit DepinExecutor::forfeit_of(const pb::Device& device) {
  // Deactivation is permanent and stops the device's proofs; a revocation is checked at this height,
  // so what a revoked device had not been paid when the revocation took effect is never paid.
  if (device.inactive()) return pb::FORFEIT_DEACTIVATED;
  if (anchor_revoked(device.anchor_id())) return pb::FORFEIT_ANCHOR_REVOKED;
  for (const auto& k : device.key_ids())
    if (key_revoked(k)) return pb::FORFEIT_KEY_REVOKED;
  return pb::FORFEIT_NONE;
}

void DepinExecutor::settle(const Address& id, pb::Device& device) {
  if (device.accrued_weight() == 0 || device.accrued_epoch() >= current_epoch()) return;
  const uint64_t epoch = device.accrued_epoch();
  pb::EpochRecord rec = load_record<pb::EpochRecord>(state_, epoch_key(epoch)).value_or(pb::EpochRecord());
  const Amount pool = stored_amount(state_, rec.device_pool(), "epoch device pool");
  const Amount amount =
      rec.total_weight() == 0 ? 0 : mul_div_weight(device.accrued_weight(), pool, rec.total_weight());
  // doc/depin.md "Rewards": owners before the current one are paid for the weight they earned.
  const std::optional<std::vector<Amount>> parts = split_reward(device, amount);
  if (!parts) {
    state_.set_fault(make_error(
        "corrupt_state", "device " + to_hex0x(id) + " records more earlier-owner weight than it accrued"));
    return;
  }
  // A deactivated or revoked device's reward goes to the treasury, owners before it included: it
  // leaves the pool like a payment (settled_amount), so the supply invariant is unchanged.
  const pb::Forfeit forfeit = forfeit_of(device);
  pb::RewardRecord rr;
  rr.set_device_id(to_string(id));
  rr.set_epoch(epoch);
  rr.set_weight(device.accrued_weight());
  rr.set_owner(device.owner());
  rr.set_settled_at(height_);
  Amount paid_out = 0;  // to owners; ≤ amount: Σ floor(w_i × R / W) ≤ R as Σ w_i ≤ W
  if (forfeit == pb::FORFEIT_NONE) {
    for (int i = 0; i < device.earlier_owners_size(); ++i) {
      const pb::OwnerShare& share = device.earlier_owners(i);
      credit(bytes_to_address(share.owner()), (*parts)[i]);
      paid_out += (*parts)[i];
      pb::OwnerShare* paid = rr.add_earlier_owners();
      paid->set_owner(share.owner());
      paid->set_weight(share.weight());
      paid->set_amount(amount_bytes((*parts)[i]));
    }
    credit(bytes_to_address(device.owner()), amount - paid_out);
    paid_out = amount;
    rr.set_amount(amount_bytes(amount));
  } else {
    for (const pb::OwnerShare& share : device.earlier_owners()) {
      pb::OwnerShare* lost = rr.add_earlier_owners();
      lost->set_owner(share.owner());
      lost->set_weight(share.weight());
    }
    credit(params_.treasury, amount);
    rr.set_forfeit(forfeit);
    rr.set_forfeited(amount_bytes(amount));
  }
  explorer_.rewards.push_back(std::move(rr));  // for explorers, outside the state root
  rec.set_settled_weight(rec.settled_weight() + device.accrued_weight());
  const std::optional<Amount> settled =
      checked_add(stored_amount(state_, rec.settled_amount(), "epoch settled amount"), amount);
  const std::optional<Amount> rewards_total =
      checked_add(stored_amount(state_, device.rewards_total(), "device rewards total"), paid_out);
  const std::optional<Amount> forfeited =
      checked_add(stored_amount(state_, rec.forfeited(), "epoch forfeited amount"), amount - paid_out);
  if (!settled || *settled > pool || !rewards_total || !forfeited) {
    state_.set_fault(make_error("supply_overflow", "settling device " + to_hex0x(id) + " in epoch " +
                                                       std::to_string(epoch) + " pays more than its pool"));
    return;
  }
  rec.set_settled_amount(amount_bytes(*settled));
  rec.set_forfeited(amount_bytes(*forfeited));
  if (rec.settled_weight() >= rec.total_weight() && !rec.remainder_paid()) {
    credit(params_.treasury, pool - *settled);  // the rounding remainder of the device pool
    rec.set_remainder_paid(true);
    rec.set_settled_amount(amount_bytes(pool));  // settled_amount: everything paid out of the pool
  }
  state_.put(epoch_key(epoch), encode_canonical(rec));
  device.set_rewards_total(amount_bytes(*rewards_total));
  device.set_accrued_weight(0);
  device.clear_earlier_owners();
}

uint64_t DepinExecutor::accrue(const Address& id, pb::Device& device, uint64_t weight) {
  const uint64_t epoch = current_epoch();
  settle(id, device);  // a weight from a closed epoch is paid before a new epoch starts accruing
  if (device.accrued_epoch() != epoch) {
    device.set_accrued_epoch(epoch);
    device.set_accrued_weight(0);
    device.clear_earlier_owners();
  }
  const uint64_t cap = params_.device_epoch_cap;
  uint64_t add = std::min(weight, cap > device.accrued_weight() ? cap - device.accrued_weight() : 0);
  // The epoch total must never wrap (rewards divide by it): clip at its ceiling.
  add = std::min(add, UINT64_MAX - epoch_.total_weight());
  if (add == 0) return 0;
  if (device.accrued_weight() == 0) {  // first weight this epoch: listed for by-epoch queries
    explorer_.epoch_earners.emplace_back(epoch, id);
    epoch_.set_devices(epoch_.devices() + 1);
  }
  device.set_accrued_weight(device.accrued_weight() + add);
  epoch_.set_total_weight(epoch_.total_weight() + add);
  epoch_dirty_ = true;
  return add;
}

}  // namespace physis::vm
