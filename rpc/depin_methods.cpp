#include "rpc/depin_methods.h"

#include "crypto/secp256k1.h"
#include "crypto/x509_chain.h"
#include "primitives/depin_json.h"
#include "primitives/transaction.h"
#include "rpc/chain_params.h"
#include "vm/depin.h"
#include "vm/depin_state.h"
#include "vm/geo.h"

namespace physis::rpc {

namespace {
using nlohmann::json;
constexpr size_t kMaxLimit = 1000;
constexpr size_t kScanBudget = 20000;  // entries examined per call by filtered scans

size_t param_limit(const json& params) {
  auto l = optional_param_u64(params, 99, "limit").value_or(100);
  if (l == 0 || l > kMaxLimit) throw RpcError(kInvalidParams, "limit must be 1..1000");
  return static_cast<size_t>(l);
}

Bytes param_cursor(const json& params) {
  auto c = optional_param_string(params, 99, "cursor");
  if (!c || c->empty()) return {};
  auto b = from_hex(*c);
  if (!b)
    throw RpcError(kInvalidParams, "cursor must be the hex string a previous call returned as next_cursor");
  return *b;
}

// Wraps a page: items, and the cursor to continue from (the last key seen), or null at the end.
json page(json items, const Bytes& last_key, bool more) {
  return {{"items", std::move(items)}, {"next_cursor", more ? json(to_hex0x(last_key)) : json(nullptr)}};
}

std::optional<pb::Device> load_device(const node::Node& node, const Address& id) {
  return vm::load_record<pb::Device>(node.state(), vm::device_key(id));
}

json epoch_to_json(const node::Node& node, uint64_t epoch) {
  const DepinParams& p = node.genesis().depin;
  auto rec = vm::load_record<pb::EpochRecord>(node.state(), vm::epoch_key(epoch)).value_or(pb::EpochRecord());
  return {{"epoch", epoch},
          {"current_epoch", node.current_epoch()},
          {"first_height", epoch * p.epoch_blocks},
          {"last_height", epoch * p.epoch_blocks + p.epoch_blocks - 1},
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
          {"settled_amount", amount_str(rec.settled_amount())}};
}

// One device's reward for one epoch: settled record, or computed on the fly (lazy settlement).
std::optional<json> reward_entry(const node::Node& node, const Address& id, const pb::Device& d,
                                 uint64_t epoch) {
  if (auto rr = vm::load_record<pb::RewardRecord>(node.state(), vm::reward_key(id, epoch)))
    return json{{"device_id", to_hex0x(id)},      {"epoch", epoch},
                {"weight", rr->weight()},         {"amount", amount_str(rr->amount())},
                {"owner", addr_str(rr->owner())}, {"settled", true},
                {"settled_at", rr->settled_at()}};
  if (d.accrued_epoch() != epoch || d.accrued_weight() == 0) return std::nullopt;
  const uint64_t current = node.current_epoch();
  json j = {{"device_id", to_hex0x(id)},
            {"epoch", epoch},
            {"weight", d.accrued_weight()},
            {"owner", addr_str(d.owner())},
            {"settled", false}};
  if (epoch < current)
    j["amount"] = format_amount(vm::pending_reward(node.state(), d, current));
  else
    j["amount"] = nullptr;  // epoch still open: the amount is known when it closes
  return j;
}

json device_rewards(const node::Node& node, const Address& id, const pb::Device& d) {
  json out = json::array();
  Bytes prefix{vm::kRewardPrefix};
  append(prefix, id);
  for (const auto& [k, v] : node.scan_state(prefix, {}, kMaxLimit)) {
    uint64_t epoch = read_u64_be(ByteSpan(k).subspan(21));
    if (auto e = reward_entry(node, id, d, epoch)) out.push_back(*e);
  }
  if (d.accrued_weight() > 0)
    if (auto e = reward_entry(node, id, d, d.accrued_epoch()); e && !(*e)["settled"].get<bool>())
      out.push_back(*e);
  return out;
}
}  // namespace

json proof_result_to_json(const pb::ProofResult& r) {
  auto reason = static_cast<vm::ProofReject>(r.reason());
  return {{"index", r.index()},
          {"device_id", to_hex0x(as_span(r.device_id()))},
          {"seq", r.seq()},
          {"epoch", r.epoch()},
          {"kind", proof_kind_name(r.kind())},
          {"accepted", r.reason() == 0},
          {"reason", std::string(vm::proof_reject_name(reason))},
          {"reason_code", r.reason()},
          {"weight", r.weight()}};
}

json device_to_json(const Address& id, const pb::Device& d, const node::Node& node) {
  json keys = json::array();
  for (const auto& k : d.key_ids()) keys.push_back(to_hex0x(as_span(k)));
  return {{"id", to_hex0x(id)},
          {"owner", addr_str(d.owner())},
          {"kind", evidence_kind_name(d.kind())},
          {"device_class", d.device_class()},
          {"key_type", key_type_name(d.key_type())},
          {"device_key", to_hex0x(as_span(d.device_key()))},
          {"anchor_id", to_hex0x(as_span(d.anchor_id()))},
          {"key_ids", keys},
          {"location", location_to_json(d.location())},
          {"active", !d.inactive()},
          {"seq", d.seq()},
          {"registered_at", d.registered_at()},
          {"statement_expiry", d.statement_expiry()},
          {"accrued_epoch", d.accrued_epoch()},
          {"accrued_weight", d.accrued_weight()},
          {"pending_reward", format_amount(vm::pending_reward(node.state(), d, node.current_epoch()))},
          {"proofs_accepted", d.proofs_accepted()},
          {"rewards_total", amount_str(d.rewards_total())}};
}

void register_depin_methods(RpcDispatcher& d, node::Node& node) {
  d.add({"depin_getAnchor", "depin_getAnchor({id}) -> trust anchor: role, kinds, classes, revocation",
         [&node](const json& params) {
           reject_extra_params(params, {"id"});
           Hash32 id = param_fixed<32>(params, 0, "id", "a 32-byte hex anchor id");
           auto a = vm::load_record<pb::Anchor>(node.state(), vm::anchor_key(id));
           if (!a) throw RpcError(kNotFound, "no anchor " + to_hex0x(id));
           return anchor_to_json(*a);
         }});
  d.add({"depin_listAnchors", "depin_listAnchors({cursor?, limit?}) -> {items: anchors, next_cursor}",
         [&node](const json& params) {
           reject_extra_params(params, {"cursor", "limit"});
           size_t limit = param_limit(params);
           Bytes after = param_cursor(params);
           auto rows = node.scan_state(Bytes{vm::kAnchorPrefix}, after, limit + 1);
           json items = json::array();
           Bytes last;
           for (size_t i = 0; i < rows.size() && i < limit; ++i) {
             pb::Anchor a;
             a.ParseFromArray(rows[i].second.data(), static_cast<int>(rows[i].second.size()));
             items.push_back(anchor_to_json(a));
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
  d.add(
      {"depin_listDevices",
       "depin_listDevices({owner? | anchor? | h3_parent?, cursor?, limit?}) -> {items: devices, next_cursor}",
       [&node](const json& params) {
         reject_extra_params(params, {"owner", "anchor", "h3_parent", "cursor", "limit"});
         size_t limit = param_limit(params);
         Bytes after = param_cursor(params);
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
           auto rows = node.scan_state(prefix, after, limit + 1);
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
             throw RpcError(kInvalidParams, "h3_parent must be a valid H3 cell index (hex or integer)");
           parent = loc->h3_cell();
           parent_res = vm::h3_resolution(*parent);
         }
         // All devices, optionally filtered by H3 ancestor: a bounded scan that resumes at the cursor.
         auto rows = node.scan_state(Bytes{vm::kDevicePrefix}, after, parent ? kScanBudget : limit + 1);
         Bytes last;
         size_t i = 0;
         for (; i < rows.size() && items.size() < limit; ++i) {
           last = rows[i].first;
           pb::Device dev;
           dev.ParseFromArray(rows[i].second.data(), static_cast<int>(rows[i].second.size()));
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
           size_t limit = param_limit(params);
           Bytes after = param_cursor(params);
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
           auto rows = node.scan_index(prefix, after, limit + 1);
           json items = json::array();
           Bytes last;
           for (size_t i = 0; i < rows.size() && i < limit; ++i) {
             pb::ProofResult r;
             r.ParseFromArray(rows[i].second.data(), static_cast<int>(rows[i].second.size()));
             json j = proof_result_to_json(r);
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
         "rewards}",
         [&node](const json& params) {
           reject_extra_params(params, {"device", "owner", "epoch", "cursor", "limit"});
           size_t limit = param_limit(params);
           Bytes after = param_cursor(params);
           json items = json::array();
           if (params.is_object() && params.contains("device")) {
             Address id = param_fixed<20>(params, 0, "device", "a 20-byte hex device id");
             auto dev = load_device(node, id);
             if (!dev) throw RpcError(kNotFound, "no device " + to_hex0x(id));
             return page(device_rewards(node, id, *dev), {}, false);
           }
           Bytes prefix;
           bool by_owner = params.is_object() && params.contains("owner");
           if (by_owner) {
             prefix = Bytes{vm::kOwnerIndexPrefix};
             append(prefix, param_address(params, 0, "owner"));
           } else if (params.is_object() && params.contains("epoch")) {
             prefix = Bytes{vm::kEpochDevicePrefix};
             append_u64_be(prefix, param_u64(params, 0, "epoch"));
           } else {
             throw RpcError(kInvalidParams, "give 'device', 'owner' or 'epoch'");
           }
           auto rows = node.scan_state(prefix, after, limit + 1);
           Bytes last;
           for (size_t i = 0; i < rows.size() && i < limit; ++i) {
             Address id{};
             std::copy(rows[i].first.end() - 20, rows[i].first.end(), id.begin());
             last = rows[i].first;
             auto dev = load_device(node, id);
             if (!dev) continue;
             if (by_owner) {
               for (auto& e : device_rewards(node, id, *dev)) items.push_back(e);
             } else if (auto e =
                            reward_entry(node, id, *dev, read_u64_be(ByteSpan(rows[i].first).subspan(1)))) {
               items.push_back(*e);
             }
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
                       {"witness_min_distance_m", p.witness_min_distance_m},
                       {"witness_max_distance_m", p.witness_max_distance_m},
                       {"witness_rssi_at_1m_dbm", p.witness_rssi_at_1m_dbm},
                       {"max_proofs_per_tx", p.max_proofs_per_tx}};
         }});
  d.add({"depin_verifyEvidence",
         "depin_verifyEvidence({evidence, owner}) -> {valid, reason, message, device_id}: dry-run of the "
         "attestation check",
         [&node](const json& params) {
           reject_extra_params(params, {"evidence", "owner"});
           auto ev = evidence_from_json(param(params, 0, "evidence"));
           if (!ev) throw RpcError(kInvalidParams, ev.error().message);
           Address owner = param_address(params, 0, "owner");
           auto out = node.verify_evidence(*ev, owner);
           return json{{"valid", out.ok()},
                       {"reason", std::string(vm::attest_reject_name(out.reason))},
                       {"reason_code", static_cast<uint32_t>(out.reason)},
                       {"message", out.message},
                       {"device_id", out.ok() ? json(to_hex0x(out.device_id)) : json(nullptr)}};
         }});
}

}  // namespace physis::rpc
