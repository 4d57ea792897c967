#include "rpc/depin_methods.h"

#include <algorithm>

#include "crypto/secp256k1.h"
#include "crypto/x509_chain.h"
#include "primitives/codec.h"
#include "primitives/depin_json.h"
#include "primitives/transaction.h"
#include "rpc/chain_params.h"
#include "vm/depin.h"
#include "vm/depin_state.h"
#include "vm/geo.h"
#include "vm/reason_text.h"

namespace physis::rpc {

namespace {
using nlohmann::json;
constexpr size_t kMaxLimit = 1000;
constexpr size_t kScanBudget = 20000;        // entries examined per call by filtered scans
constexpr size_t kOwnerDeviceBudget = 1000;  // devices examined per depin_getRewards {owner} call
constexpr size_t kOwnerScanBatch = 256;

size_t param_limit(const json& params) {
  auto l = optional_param_u64(params, 99, "limit").value_or(100);
  if (l == 0 || l > kMaxLimit) throw RpcError(kInvalidParams, "limit must be 1..1000");
  return static_cast<size_t>(l);
}

// The cursor of a listing whose keys are `prefix` followed by key_size - prefix.size() bytes. Empty if
// absent. A cursor that is not hex, or not a key of this listing (other prefix or length: it was
// returned for other parameters, or made up), is kInvalidParams rather than an empty page.
Bytes param_cursor(const json& params, const Bytes& prefix, size_t key_size) {
  auto c = optional_param_string(params, 99, "cursor");
  if (!c || c->empty()) return {};
  auto b = from_hex(*c);
  if (!b)
    throw RpcError(kInvalidParams, "cursor must be the hex string a previous call returned as next_cursor");
  if (b->size() != key_size || !std::equal(prefix.begin(), prefix.end(), b->begin()))
    throw RpcError(kInvalidParams,
                   "cursor does not belong to this query: pass back a next_cursor returned for the same "
                   "method and filter");
  return *b;
}

// Wraps a page: items, and the cursor to continue from (the last key seen), or null at the end.
json page(json items, const Bytes& last_key, bool more) {
  return {{"items", std::move(items)}, {"next_cursor", more ? json(to_hex0x(last_key)) : json(nullptr)}};
}

// Decodes a stored record. Stored state is canonical protobuf written by the VM, so bytes that do not
// decode canonically mean a corrupt database: an internal error naming the key, never a default value.
template <typename M>
M decode_stored(ByteSpan raw, const Bytes& key, std::string_view what) {
  M m;
  if (auto st = decode_canonical(raw, m, what); !st.ok())
    throw RpcError(kInternalError, "corrupt " + std::string(what) + " record at key " + to_hex0x(key) + ": " +
                                       st.error().message);
  return m;
}

// Rows of a committed-state or index scan; a storage read error is an internal error, never "no rows".
storage::KeyValues rows_or_throw(Result<storage::KeyValues> rows, const Bytes& prefix) {
  if (!rows)
    throw RpcError(kInternalError,
                   "cannot scan keys under " + to_hex0x(prefix) + ": " + rows.error().message);
  return std::move(*rows);
}
storage::KeyValues scan_state(const node::Node& node, const Bytes& prefix, const Bytes& after, size_t limit) {
  return rows_or_throw(node.scan_state(prefix, after, limit), prefix);
}
storage::KeyValues scan_index(const node::Node& node, const Bytes& prefix, const Bytes& after, size_t limit) {
  return rows_or_throw(node.scan_index(prefix, after, limit), prefix);
}

// Loads a record from committed state; nullopt if absent (or empty: deleted).
template <typename M>
std::optional<M> load_stored(const node::Node& node, const Bytes& key, std::string_view what) {
  auto raw = node.state_get(key);
  if (!raw)
    throw RpcError(kInternalError, "cannot read " + std::string(what) + " record at key " + to_hex0x(key) +
                                       ": " + raw.error().message);
  if (!*raw || (*raw)->empty()) return std::nullopt;
  return decode_stored<M>(**raw, key, what);
}

std::optional<pb::Device> load_device(const node::Node& node, const Address& id) {
  return load_stored<pb::Device>(node, vm::device_key(id), "Device");
}

pb::EpochRecord load_epoch(const node::Node& node, uint64_t epoch) {
  return load_stored<pb::EpochRecord>(node, vm::epoch_key(epoch), "EpochRecord").value_or(pb::EpochRecord());
}

// An epoch is closed by the first block of the next epoch, so while the tip is the last block of
// epoch e, current_epoch() is already e + 1 but e is still open: ask the epoch record.
bool epoch_closed(const node::Node& node, uint64_t epoch) { return load_epoch(node, epoch).closed(); }

// The device's unsettled reward: the amount if its accrued epoch is closed, null while that epoch is
// open (the amount is known when it closes), "0" if nothing is accrued.
json pending_reward_json(const node::Node& node, const pb::Device& d) {
  if (d.accrued_weight() == 0) return "0";
  if (!epoch_closed(node, d.accrued_epoch())) return nullptr;
  return format_amount(vm::pending_reward(node.state(), d, d.accrued_epoch() + 1));
}

// How the device's unsettled reward splits between its owners (doc/depin.md "Rewards"): the earlier
// owners' {owner, weight, amount} and the current owner's weight and amount. Amounts are null while
// the epoch is open.
struct PendingSplit {
  json earlier = json::array();
  uint64_t owner_weight = 0;
  json owner_amount = "0";
};
PendingSplit pending_split(const node::Node& node, const pb::Device& d) {
  PendingSplit out;
  if (d.accrued_weight() == 0) return out;
  const bool known = epoch_closed(node, d.accrued_epoch());
  const Amount reward = known ? vm::pending_reward(node.state(), d, d.accrued_epoch() + 1) : 0;
  const auto parts = vm::split_reward(d, reward);
  if (!parts) throw RpcError(kInternalError, "device records more earlier-owner weight than it accrued");
  Amount to_earlier = 0;
  uint64_t earlier_weight = 0;  // ≤ accrued_weight: split_reward checked it
  for (int i = 0; i < d.earlier_owners_size(); ++i) {
    const pb::OwnerShare& s = d.earlier_owners(i);
    out.earlier.push_back({{"owner", addr_str(s.owner())},
                           {"weight", s.weight()},
                           {"amount", known ? json(format_amount((*parts)[i])) : json(nullptr)}});
    to_earlier += (*parts)[i];
    earlier_weight += s.weight();
  }
  out.owner_weight = d.accrued_weight() - earlier_weight;
  out.owner_amount = known ? json(format_amount(reward - to_earlier)) : json(nullptr);
  return out;
}

// The last epoch whose heights fit in u64: last_height = epoch·B + B − 1 ≤ 2^64 − 1 ⇔
// epoch ≤ (2^64 − 1 − (B − 1)) / B. B ≥ 1 (genesis validation), so the subtraction cannot wrap.
uint64_t max_epoch(const DepinParams& p) { return (UINT64_MAX - (p.epoch_blocks - 1)) / p.epoch_blocks; }

json epoch_to_json(const node::Node& node, uint64_t epoch) {
  const DepinParams& p = node.genesis().depin;
  if (epoch > max_epoch(p))
    throw RpcError(kInvalidParams, "epoch must be 0.." + std::to_string(max_epoch(p)) +
                                       ": a later epoch has heights beyond 2^64 - 1 (epoch_blocks " +
                                       std::to_string(p.epoch_blocks) + ")");
  const uint64_t first_height = epoch * p.epoch_blocks;  // ≤ last_height: no wrap (max_epoch)
  auto rec = load_epoch(node, epoch);
  return {{"epoch", epoch},
          {"current_epoch", node.current_epoch()},
          {"first_height", first_height},
          {"last_height", first_height + (p.epoch_blocks - 1)},
          {"closed", rec.closed()},
          {"scheduled_emission", format_amount(vm::scheduled_emission(p, epoch))},
          {"emission", amount_str(rec.emission())},
          {"device_pool", amount_str(rec.device_pool())},
          {"validator_pool", amount_str(rec.validator_pool())},
          {"treasury_pool", amount_str(rec.treasury_pool())},
          {"total_weight", rec.total_weight()},
          {"devices", rec.devices()},
          {"proofs_accepted", rec.proofs_accepted()},
          {"proofs_rejected", rec.proofs_rejected()},
          {"settled_weight", rec.settled_weight()},
          {"settled_amount", amount_str(rec.settled_amount())},
          {"burned", amount_str(rec.burned())}};
}

// `amount` and `weight` are the device's; `owner_amount` / `owner_weight` the part of the owner paid
// at settlement, `earlier_owners` the parts of owners before it (doc/depin.md "Rewards").
json settled_json(const Address& id, uint64_t epoch, const pb::RewardRecord& rr) {
  json earlier = json::array();
  Amount to_earlier = 0;
  uint64_t earlier_weight = 0;
  for (const auto& s : rr.earlier_owners()) {
    earlier.push_back(
        {{"owner", addr_str(s.owner())}, {"weight", s.weight()}, {"amount", amount_str(s.amount())}});
    // Σ ≤ amount (vm/rewards.cpp settle); a stored record that breaks it saturates instead of wrapping.
    to_earlier = checked_add(to_earlier, decode_amount(as_span(s.amount())).value_or(0)).value_or(~Amount{0});
    earlier_weight = s.weight() > UINT64_MAX - earlier_weight ? UINT64_MAX : earlier_weight + s.weight();
  }
  const Amount amount = decode_amount(as_span(rr.amount())).value_or(0);
  return json{{"device_id", to_hex0x(id)},
              {"epoch", epoch},
              {"weight", rr.weight()},
              {"amount", amount_str(rr.amount())},
              {"owner", addr_str(rr.owner())},
              {"owner_weight", rr.weight() >= earlier_weight ? rr.weight() - earlier_weight : 0},
              {"owner_amount", format_amount(amount >= to_earlier ? amount - to_earlier : 0)},
              {"earlier_owners", earlier},
              {"settled", true},
              {"settled_at", rr.settled_at()},
              {"forfeit", std::string(vm::forfeit_name(rr.forfeit()))},  // "none": paid to the owners
              {"forfeited", amount_str(rr.forfeited())}};
}

// The device's unsettled weight (its accrued epoch), computed on the fly (lazy settlement).
json unsettled_json(const node::Node& node, const Address& id, const pb::Device& d) {
  PendingSplit split = pending_split(node, d);
  return json{{"device_id", to_hex0x(id)},
              {"epoch", d.accrued_epoch()},
              {"weight", d.accrued_weight()},
              {"owner", addr_str(d.owner())},
              {"owner_weight", split.owner_weight},
              {"owner_amount", split.owner_amount},
              {"earlier_owners", split.earlier},
              {"settled", false},
              {"amount", pending_reward_json(node, d)}};
}

// One device's reward for one epoch: settled record, or the unsettled accrued weight.
std::optional<json> reward_entry(const node::Node& node, const Address& id, const pb::Device& d,
                                 uint64_t epoch) {
  if (auto rr = load_stored<pb::RewardRecord>(node, vm::reward_key(id, epoch), "RewardRecord"))
    return settled_json(id, epoch, *rr);
  if (d.accrued_epoch() != epoch || d.accrued_weight() == 0) return std::nullopt;
  return unsettled_json(node, id, d);
}

Bytes reward_prefix(const Address& id) {
  Bytes prefix{vm::kRewardPrefix};
  append(prefix, id);
  return prefix;
}

struct RewardItem {
  uint64_t epoch = 0;
  json item;
};

// Up to `max` of a device's rewards, oldest epoch first, with epoch > after_epoch (all if nullopt):
// the settled RewardRecords ('r' ‖ device ‖ epoch) merged with the unsettled accrued epoch. `more` says
// whether further rewards follow (with max 0: whether any exists).
std::vector<RewardItem> device_rewards(const node::Node& node, const Address& id, const pb::Device& d,
                                       std::optional<uint64_t> after_epoch, size_t max, bool& more) {
  const Bytes prefix = reward_prefix(id);
  Bytes after;
  if (after_epoch) {
    after = prefix;
    append_u64_be(after, *after_epoch);
  }
  std::vector<RewardItem> out;
  for (const auto& [k, v] : scan_state(node, prefix, after, max + 1)) {
    uint64_t epoch = read_u64_be(ByteSpan(k).subspan(prefix.size()));
    out.push_back({epoch, settled_json(id, epoch, decode_stored<pb::RewardRecord>(v, k, "RewardRecord"))});
  }
  const uint64_t accrued = d.accrued_epoch();
  if (d.accrued_weight() > 0 && (!after_epoch || accrued > *after_epoch) &&
      std::none_of(out.begin(), out.end(), [&](const RewardItem& r) { return r.epoch == accrued; }) &&
      !load_stored<pb::RewardRecord>(node, vm::reward_key(id, accrued), "RewardRecord")) {
    auto at = std::find_if(out.begin(), out.end(), [&](const RewardItem& r) { return r.epoch > accrued; });
    out.insert(at, {accrued, unsettled_json(node, id, d)});
  }
  more = out.size() > max;
  if (more) out.resize(max);
  return out;
}

Bytes owner_reward_cursor(const Address& owner, const Address& device, uint64_t epoch) {
  Bytes c{vm::kOwnerIndexPrefix};
  append(c, owner);
  append(c, device);
  append_u64_be(c, epoch);
  return c;
}

// depin_getRewards {owner}: the rewards of the devices the address currently owns (owner index 'o'),
// device by device in id order, each oldest epoch first. `limit` bounds the reward items; the cursor is
// 'o' ‖ owner ‖ device ‖ epoch of the last item returned, so the next page resumes exactly after it.
// At most kOwnerDeviceBudget devices are examined per call; a page may then be short (even empty)
// with a next_cursor.
json rewards_by_owner(const node::Node& node, const Address& owner, const json& params, size_t limit) {
  Bytes prefix{vm::kOwnerIndexPrefix};
  append(prefix, owner);
  const Bytes cursor = param_cursor(params, prefix, prefix.size() + 20 + 8);
  json items = json::array();
  Bytes last;
  size_t examined = 0;
  // Takes the device's rewards after `after_epoch` into the page; true once the page is full and
  // more items are known to follow.
  auto take = [&](const Address& id, std::optional<uint64_t> after_epoch) {
    ++examined;
    auto dev = load_device(node, id);
    if (!dev || dev->owner() != to_string(owner)) return false;  // the index moved on: not owned now
    bool more = false;
    for (auto& r : device_rewards(node, id, *dev, after_epoch, limit - items.size(), more)) {
      items.push_back(std::move(r.item));
      last = owner_reward_cursor(owner, id, r.epoch);
    }
    return more;
  };
  Bytes after_key;
  if (!cursor.empty()) {
    Address id{};
    std::copy(cursor.begin() + 21, cursor.begin() + 41, id.begin());
    if (take(id, read_u64_be(ByteSpan(cursor).subspan(41)))) return page(items, last, true);
    after_key.assign(cursor.begin(), cursor.begin() + 41);
  }
  while (true) {
    auto rows = scan_state(node, prefix, after_key, kOwnerScanBatch);
    for (const auto& row : rows) {
      Address id{};
      std::copy(row.first.end() - 20, row.first.end(), id.begin());
      if (take(id, std::nullopt)) return page(items, last, true);
      after_key = row.first;
      if (examined >= kOwnerDeviceBudget) {
        // Out of budget: resume after this device (all of its rewards, if any, are in the page).
        if (items.size() < limit) last = owner_reward_cursor(owner, id, UINT64_MAX);
        return page(items, last, true);
      }
    }
    if (rows.size() < kOwnerScanBatch) return page(items, last, false);
  }
}
}  // namespace

json proof_result_to_json(const pb::ProofResult& r) {
  auto reason = static_cast<vm::ProofReject>(r.reason());
  // A reveal's verdict on each pending witness of its beacon (doc/depin.md "Beacons").
  json witnesses = json::array();
  for (const auto& v : r.witnesses())
    witnesses.push_back({{"witness", to_hex0x(as_span(v.witness()))},
                         {"rewarded", v.reason() == 0},
                         {"reason", std::string(vm::proof_reject_name(static_cast<vm::ProofReject>(v.reason())))},
                         {"reason_code", v.reason()},
                         {"message", vm::proof_reject_message(v.reason())},
                         {"weight", v.weight()}});
  json out = {{"index", r.index()},
          {"device_id", to_hex0x(as_span(r.device_id()))},
          {"seq", r.seq()},
          {"epoch", r.epoch()},
          {"kind", proof_kind_name(r.kind())},
          {"accepted", r.reason() == 0},
          {"reason", std::string(vm::proof_reject_name(reason))},
          {"reason_code", r.reason()},
          {"message", vm::proof_reject_message(r.reason())},
          {"weight", r.weight()}};
  if (r.kind() == pb::BEACON_REVEAL) out["witnesses"] = std::move(witnesses);
  return out;
}

json device_to_json(const Address& id, const pb::Device& d, const node::Node& node) {
  json keys = json::array();
  for (const auto& k : d.key_ids()) keys.push_back(to_hex0x(as_span(k)));
  const PendingSplit split = pending_split(node, d);
  return {{"id", to_hex0x(id)},
          {"owner", addr_str(d.owner())},
          {"kind", evidence_kind_name(d.kind())},
          {"device_class", d.device_class()},
          {"key_type", key_type_name(d.key_type())},
          {"device_key", to_hex0x(as_span(d.device_key()))},
          {"anchor_id", to_hex0x(as_span(d.anchor_id()))},
          {"key_ids", keys},
          {"location", location_to_json(d.location())},
          {"location_asserted_at", d.location_asserted_at()},
          {"relocated_at", d.relocated_at()},
          {"active", !d.inactive()},
          {"seq", d.seq()},
          {"registered_at", d.registered_at()},
          {"statement_expiry", d.statement_expiry()},
          {"accrued_epoch", d.accrued_epoch()},
          {"accrued_weight", d.accrued_weight()},
          {"pending_reward", pending_reward_json(node, d)},
          {"pending_owner_reward", split.owner_amount},
          {"pending_earlier_owners", split.earlier},
          {"proofs_accepted", d.proofs_accepted()},
          {"rewards_total", amount_str(d.rewards_total())}};
}

void register_depin_methods(RpcDispatcher& d, node::Node& node) {
  d.add({"depin_getAnchor", "depin_getAnchor({id}) -> trust anchor: role, kinds, classes, revocation",
         [&node](const json& params) {
           reject_extra_params(params, {"id"});
           Hash32 id = param_fixed<32>(params, 0, "id", "a 32-byte hex anchor id");
           auto a = load_stored<pb::Anchor>(node, vm::anchor_key(id), "Anchor");
           if (!a) throw RpcError(kNotFound, "no anchor " + to_hex0x(id));
           return anchor_to_json(*a);
         }});
  d.add({"depin_listAnchors", "depin_listAnchors({cursor?, limit?}) -> {items: anchors, next_cursor}",
         [&node](const json& params) {
           reject_extra_params(params, {"cursor", "limit"});
           size_t limit = param_limit(params);
           const Bytes prefix{vm::kAnchorPrefix};
           Bytes after = param_cursor(params, prefix, 1 + 32);
           auto rows = scan_state(node, prefix, after, limit + 1);
           json items = json::array();
           Bytes last;
           for (size_t i = 0; i < rows.size() && i < limit; ++i) {
             items.push_back(
                 anchor_to_json(decode_stored<pb::Anchor>(rows[i].second, rows[i].first, "Anchor")));
             last = rows[i].first;
           }
           return page(items, last, rows.size() > limit);
         }});
  d.add({"depin_getDevice", "depin_getDevice({id}) -> device: owner, attestation, location, seq, rewards",
         [&node](const json& params) {
           reject_extra_params(params, {"id"});
           Address id = param_fixed<20>(params, 0, "id", "a 20-byte hex device id");
           auto dev = load_device(node, id);
           if (!dev) throw RpcError(kNotFound, "no device " + to_hex0x(id));
           return device_to_json(id, *dev, node);
         }});
  d.add({"depin_getUsage",
         "depin_getUsage({consumer}) -> {consumer, last_seq}: the seq of the consumer's last accepted usage "
         "receipt (a new receipt needs a higher one; doc/depin.md \"Usage\")",
         [&node](const json& params) {
           reject_extra_params(params, {"consumer"});
           Address consumer = param_address(params, 0, "consumer");
           const Bytes key = vm::prefixed_key(vm::kUsageSeqPrefix, consumer);
           auto raw = node.state_get(key);
           if (!raw) throw RpcError(kInternalError, "cannot read " + to_hex0x(key) + ": " + raw.error().message);
           uint64_t last = 0;
           if (*raw && !(*raw)->empty()) {
             if ((*raw)->size() != 8) throw RpcError(kInternalError, "usage seq at " + to_hex0x(key) + " is corrupt");
             last = read_u64_be(**raw);
           }
           return json{{"consumer", crypto::address_to_string(consumer)}, {"last_seq", last}};
         }});
  d.add({"depin_listDevices",
         "depin_listDevices({owner? | anchor? | h3_parent?, cursor?, limit?}) -> {items: devices, "
         "next_cursor}; "
         "h3_parent: devices whose asserted location is an H3 cell inside that cell (lat/lon devices are not "
         "included)",
         [&node](const json& params) {
           reject_extra_params(params, {"owner", "anchor", "h3_parent", "cursor", "limit"});
           reject_conflicting_params(params, {"owner", "anchor", "h3_parent"});
           size_t limit = param_limit(params);
           json items = json::array();
           auto emit = [&](const Address& id) {
             if (auto dev = load_device(node, id)) items.push_back(device_to_json(id, *dev, node));
           };
           if (params.is_object() && (params.contains("owner") || params.contains("anchor"))) {
             Bytes prefix;
             if (params.contains("owner")) {
               Address owner = param_address(params, 0, "owner");
               prefix = Bytes{vm::kOwnerIndexPrefix};
               append(prefix, owner);
             } else {
               Hash32 anchor = param_fixed<32>(params, 0, "anchor", "a 32-byte hex anchor id");
               prefix = Bytes{vm::kAnchorIndexPrefix};
               append(prefix, anchor);
             }
             Bytes after = param_cursor(params, prefix, prefix.size() + 20);
             auto rows = scan_state(node, prefix, after, limit + 1);
             Bytes last;
             for (size_t i = 0; i < rows.size() && i < limit; ++i) {
               Address id{};
               std::copy(rows[i].first.end() - 20, rows[i].first.end(), id.begin());
               emit(id);
               last = rows[i].first;
             }
             return page(items, last, rows.size() > limit);
           }
           std::optional<uint64_t> parent;
           int parent_res = 0;
           if (params.is_object() && params.contains("h3_parent")) {
             auto loc = location_from_json(json{{"h3", params["h3_parent"]}});
             if (!loc || !vm::valid_h3_cell(loc->h3_cell()))
               throw RpcError(
                   kInvalidParams,
                   "h3_parent must be a valid H3 cell index: 15 hex digits (e.g. \"872830828ffffff\") "
                   "or an unsigned integer");
             parent = loc->h3_cell();
             parent_res = vm::h3_resolution(*parent);
           }
           // All devices, optionally filtered by H3 ancestor: a bounded scan that resumes at the cursor.
           // Only devices whose asserted location is an H3 cell can match; lat/lon locations never do.
           const Bytes prefix{vm::kDevicePrefix};
           Bytes after = param_cursor(params, prefix, 1 + 20);
           auto rows = scan_state(node, prefix, after, parent ? kScanBudget : limit + 1);
           Bytes last;
           size_t i = 0;
           for (; i < rows.size() && items.size() < limit; ++i) {
             last = rows[i].first;
             pb::Device dev = decode_stored<pb::Device>(rows[i].second, rows[i].first, "Device");
             if (parent) {
               if (!dev.location().has_h3_cell()) continue;
               auto anc = vm::h3_parent(dev.location().h3_cell(), parent_res);
               if (!anc || *anc != *parent) continue;
             }
             Address id{};
             std::copy(rows[i].first.begin() + 1, rows[i].first.end(), id.begin());
             items.push_back(device_to_json(id, dev, node));
           }
           bool more = parent ? (i < rows.size() || rows.size() == kScanBudget) : rows.size() > limit;
           return page(items, last, more);
         }});
  d.add({"depin_getProofs",
         "depin_getProofs({device} or {epoch}, cursor?, limit?) -> {items: proof results with reasons, "
         "next_cursor}",
         [&node](const json& params) {
           reject_extra_params(params, {"device", "epoch", "cursor", "limit"});
           reject_conflicting_params(params, {"device", "epoch"});
           size_t limit = param_limit(params);
           Bytes prefix;
           if (params.is_object() && params.contains("device")) {
             Address id = param_fixed<20>(params, 0, "device", "a 20-byte hex device id");
             prefix = Bytes{'P'};
             append(prefix, id);
           } else if (params.is_object() && params.contains("epoch")) {
             prefix = Bytes{'Q'};
             append_u64_be(prefix, param_u64(params, 0, "epoch"));
           } else {
             throw RpcError(kInvalidParams, "give 'device' or 'epoch'");
           }
           // Index keys end in height(8) ‖ tx index(4) ‖ proof index(4).
           Bytes after = param_cursor(params, prefix, prefix.size() + 16);
           auto rows = scan_index(node, prefix, after, limit + 1);
           json items = json::array();
           Bytes last;
           for (size_t i = 0; i < rows.size() && i < limit; ++i) {
             json j = proof_result_to_json(
                 decode_stored<pb::ProofResult>(rows[i].second, rows[i].first, "ProofResult"));
             ByteSpan where = ByteSpan(rows[i].first).subspan(rows[i].first.size() - 16);
             j["height"] = read_u64_be(where);
             j["tx_index"] = (uint32_t{where[8]} << 24) | (uint32_t{where[9]} << 16) |
                             (uint32_t{where[10]} << 8) | where[11];
             items.push_back(j);
             last = rows[i].first;
           }
           return page(items, last, rows.size() > limit);
         }});
  d.add({"depin_getRewards",
         "depin_getRewards({device} or {owner} or {epoch}, cursor?, limit?) -> {items: per-device per-epoch "
         "rewards, oldest epoch first; by owner: devices it owns now, in id order; limit bounds items}",
         [&node](const json& params) {
           reject_extra_params(params, {"device", "owner", "epoch", "cursor", "limit"});
           reject_conflicting_params(params, {"device", "owner", "epoch"});
           size_t limit = param_limit(params);
           if (params.is_object() && params.contains("device")) {
             Address id = param_fixed<20>(params, 0, "device", "a 20-byte hex device id");
             const Bytes prefix = reward_prefix(id);
             const Bytes cursor = param_cursor(params, prefix, prefix.size() + 8);
             auto dev = load_device(node, id);
             if (!dev) throw RpcError(kNotFound, "no device " + to_hex0x(id));
             std::optional<uint64_t> after;
             if (!cursor.empty()) after = read_u64_be(ByteSpan(cursor).subspan(prefix.size()));
             bool more = false;
             json items = json::array();
             Bytes last;
             for (auto& r : device_rewards(node, id, *dev, after, limit, more)) {
               items.push_back(std::move(r.item));
               last = vm::reward_key(id, r.epoch);
             }
             return page(items, last, more);
           }
           if (params.is_object() && params.contains("owner"))
             return rewards_by_owner(node, param_address(params, 0, "owner"), params, limit);
           if (!params.is_object() || !params.contains("epoch"))
             throw RpcError(kInvalidParams, "give 'device', 'owner' or 'epoch'");
           const uint64_t epoch = param_u64(params, 0, "epoch");
           Bytes prefix{vm::kEpochDevicePrefix};
           append_u64_be(prefix, epoch);
           Bytes after = param_cursor(params, prefix, prefix.size() + 20);
           auto rows = scan_state(node, prefix, after, limit + 1);
           json items = json::array();
           Bytes last;
           for (size_t i = 0; i < rows.size() && i < limit; ++i) {
             Address id{};
             std::copy(rows[i].first.end() - 20, rows[i].first.end(), id.begin());
             last = rows[i].first;
             auto dev = load_device(node, id);
             if (!dev) continue;
             if (auto e = reward_entry(node, id, *dev, epoch)) items.push_back(*e);
           }
           return page(items, last, rows.size() > limit);
         }});
  d.add({"depin_getEpoch",
         "depin_getEpoch({epoch?}) -> epoch emission, pools, total weight, proofs (default current)",
         [&node](const json& params) {
           reject_extra_params(params, {"epoch"});
           return epoch_to_json(node, optional_param_u64(params, 0, "epoch").value_or(node.current_epoch()));
         }});
  d.add({"depin_getParams", "depin_getParams() -> DePIN parameters: epochs, emission, weights, windows",
         [&node](const json& params) {
           reject_extra_params(params, {});
           const DepinParams& p = node.genesis().depin;
           return json{{"governance", crypto::address_to_string(p.governance)},
                       {"treasury", crypto::address_to_string(p.treasury)},
                       {"epoch_blocks", p.epoch_blocks},
                       {"emission_per_epoch", format_amount(p.emission_per_epoch)},
                       {"halving_interval_epochs", p.halving_interval_epochs},
                       {"supply_cap", format_amount(p.supply_cap)},
                       {"device_share_bps", p.device_share_bps},
                       {"validator_share_bps", p.validator_share_bps},
                       {"weight_uptime", p.weight_uptime},
                       {"weight_witness", p.weight_witness},
                       {"weight_data_per_mib", p.weight_data_per_mib},
                       {"device_epoch_cap", p.device_epoch_cap},
                       {"ref_window", p.ref_window},
                       {"uptime_interval_blocks", p.uptime_interval_blocks},
                       {"max_witnesses_per_beacon", p.max_witnesses_per_beacon},
                       {"beacons_per_device_per_epoch", p.beacons_per_device_per_epoch},
                       {"beacon_window_blocks", p.beacon_window_blocks},
                       {"witness_min_distance_m", p.witness_min_distance_m},
                       {"witness_max_distance_m", p.witness_max_distance_m},
                       {"witness_rssi_at_1m_dbm", p.witness_rssi_at_1m_dbm},
                       {"max_proofs_per_tx", p.max_proofs_per_tx},
                       {"location_cooldown_blocks", p.location_cooldown_blocks},
                       {"relocation_settle_blocks", p.relocation_settle_blocks},
                       {"density_cell_e7", p.density_cell_e7},
                       {"target_devices_per_cell", p.target_devices_per_cell},
                       {"usage_price_per_mib", format_amount(p.usage_price_per_mib)}};
         }});
  d.add({"depin_verifyEvidence",
         "depin_verifyEvidence({evidence, owner}) -> {valid, reason, message, device_id, device_exists, "
         "key_already_registered}: dry run of RegisterDevice's checks in the next block (valid: it would "
         "register)",
         [&node](const json& params) {
           reject_extra_params(params, {"evidence", "owner"});
           auto ev = evidence_from_json(param(params, 0, "evidence"));
           if (!ev) throw RpcError(kInvalidParams, ev.error().message);
           Address owner = param_address(params, 0, "owner");
           // RegisterDevice refuses a registered device id or device key before it verifies the evidence
           // (vm/depin.cpp register_device): the dry run checks both too, so "valid" means it registers.
           const Address id = vm::device_id_of(ev->kind(), as_span(ev->device_key()));
           const bool device_exists = load_device(node, id).has_value();
           const Bytes key_index = vm::device_key_index_key(vm::raw_key_id(as_span(ev->device_key())));
           auto registered_as = node.state_get(key_index);
           if (!registered_as)
             throw RpcError(kInternalError, "cannot read the device key index at key " + to_hex0x(key_index) +
                                                ": " + registered_as.error().message);
           const bool key_registered = *registered_as && !(*registered_as)->empty();
           vm::AttestOutcome out;
           if (device_exists) {
             out.reason = vm::AttestReject::kDeviceExists;
             out.message = "device " + to_hex0x(id) + " is already registered";
           } else if (key_registered) {
             out.reason = vm::AttestReject::kKeyAlreadyRegistered;
             out.message = "device key is already registered as device " + to_hex0x(**registered_as);
           } else {
             out = node.verify_evidence(*ev, owner);
           }
           return json{{"valid", out.ok()},
                       {"reason", std::string(vm::attest_reject_name(out.reason))},
                       {"reason_code", static_cast<uint32_t>(out.reason)},
                       {"message", out.message},
                       {"device_id", out.ok() ? json(to_hex0x(out.device_id)) : json(nullptr)},
                       {"device_exists", device_exists},
                       {"key_already_registered", key_registered}};
         }});
}

}  // namespace physis::rpc
