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
std::string amount_bytes(Amount a) { return to_string(encode_amount(a)); }
// floor(a × bps / 10000) without overflow for any a.
Amount bps_of(Amount a, uint32_t bps) { return a / 10000 * bps + a % 10000 * bps / 10000; }
}  // namespace

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

void DepinExecutor::credit(const Address& to, Amount amount) {
  if (amount == 0) return;
  AccountState acc = load_account(state_, to);
  // Total supply is capped below 2^128 by construction (amounts are minted from a 128-bit counter),
  // so a balance cannot overflow; saturate defensively rather than wrap.
  acc.balance = checked_add(acc.balance, amount).value_or(~static_cast<Amount>(0));
  state_.put(account_key(to), encode_account(acc));
}

void DepinExecutor::close_epoch(uint64_t epoch) {
  pb::EpochRecord rec = load_record<pb::EpochRecord>(state_, epoch_key(epoch)).value_or(pb::EpochRecord());
  if (rec.closed()) return;
  pb::SupplyRecord supply =
      load_record<pb::SupplyRecord>(state_, Bytes{kSupplyKey}).value_or(pb::SupplyRecord());
  const Amount genesis = amount_of(supply.genesis());
  const Amount minted = amount_of(supply.minted());
  Amount emission = scheduled_emission(params_, epoch);
  if (params_.supply_cap > 0) {
    Amount total = genesis + minted;
    Amount room = params_.supply_cap > total ? params_.supply_cap - total : 0;
    emission = std::min(emission, room);
  }
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
  for (const auto& [addr, power] : validators_) total_power += power;
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
  supply.set_minted(amount_bytes(minted + emission));
  supply.set_last_closed_epoch_plus_one(epoch + 1);
  state_.put(Bytes{kSupplyKey}, encode_canonical(supply));
}

void DepinExecutor::settle(const Address& id, pb::Device& device) {
  if (device.accrued_weight() == 0 || device.accrued_epoch() >= current_epoch()) return;
  const uint64_t epoch = device.accrued_epoch();
  pb::EpochRecord rec = load_record<pb::EpochRecord>(state_, epoch_key(epoch)).value_or(pb::EpochRecord());
  const Amount pool = amount_of(rec.device_pool());
  const Amount amount =
      rec.total_weight() == 0 ? 0 : mul_div_weight(device.accrued_weight(), pool, rec.total_weight());
  const Address owner = bytes_to_address(device.owner());
  credit(owner, amount);
  pb::RewardRecord rr;
  rr.set_device_id(to_string(id));
  rr.set_epoch(epoch);
  rr.set_weight(device.accrued_weight());
  rr.set_amount(amount_bytes(amount));
  rr.set_owner(device.owner());
  rr.set_settled_at(height_);
  state_.put(reward_key(id, epoch), encode_canonical(rr));
  rec.set_settled_weight(rec.settled_weight() + device.accrued_weight());
  Amount settled = amount_of(rec.settled_amount()) + amount;
  rec.set_settled_amount(amount_bytes(settled));
  if (rec.settled_weight() >= rec.total_weight() && !rec.remainder_paid()) {
    credit(params_.treasury, pool - settled);  // the rounding remainder of the device pool
    rec.set_remainder_paid(true);
    rec.set_settled_amount(amount_bytes(pool));  // settled_amount: everything paid out of the pool
  }
  state_.put(epoch_key(epoch), encode_canonical(rec));
  device.set_rewards_total(amount_bytes(amount_of(device.rewards_total()) + amount));
  device.set_accrued_weight(0);
}

uint64_t DepinExecutor::accrue(const Address& id, pb::Device& device, uint64_t weight) {
  const uint64_t epoch = current_epoch();
  settle(id, device);  // a weight from a closed epoch is paid before a new epoch starts accruing
  if (device.accrued_epoch() != epoch) {
    device.set_accrued_epoch(epoch);
    device.set_accrued_weight(0);
  }
  const uint64_t cap = params_.device_epoch_cap;
  uint64_t add = std::min(weight, cap > device.accrued_weight() ? cap - device.accrued_weight() : 0);
  // The epoch total must never wrap (rewards divide by it): clip at its ceiling.
  add = std::min(add, UINT64_MAX - epoch_.total_weight());
  if (add == 0) return 0;
  if (device.accrued_weight() == 0) {  // first weight this epoch: index it for by-epoch queries
    state_.put(u64_key(kEpochDevicePrefix, epoch, id), kIndexMarker);
    epoch_.set_devices(epoch_.devices() + 1);
  }
  device.set_accrued_weight(device.accrued_weight() + add);
  epoch_.set_total_weight(epoch_.total_weight() + add);
  epoch_dirty_ = true;
  return add;
}

}  // namespace physis::vm
