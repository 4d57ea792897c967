#include "primitives/genesis.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "crypto/secp256k1.h"
#include "crypto/x509.h"
#include "crypto/x509_chain.h"
#include "primitives/block.h"
#include "primitives/tx_fields.h"
#include "util/bytes.h"

namespace physis {

namespace {
using nlohmann::json;

Error bad(const std::string& what) { return make_error("bad_genesis", "genesis: " + what); }

// A string member or the fallback; never throws on a member of another type.
std::string string_or(const json& obj, const char* key, std::string fallback = "") {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// Reads an unsigned integer given as a JSON number or a decimal string.
std::optional<Amount> read_uint(const json& v) {
  if (v.is_number_unsigned()) return static_cast<Amount>(v.get<uint64_t>());
  if (v.is_string()) return parse_amount(v.get<std::string>());
  return std::nullopt;
}

std::optional<uint64_t> read_u64(const json& obj, const char* key, uint64_t fallback) {
  if (!obj.contains(key)) return fallback;
  auto v = read_uint(obj.at(key));
  if (!v || *v > UINT64_MAX) return std::nullopt;
  return static_cast<uint64_t>(*v);
}
std::optional<uint32_t> enum_value(const json& v,
                                   std::initializer_list<std::pair<const char*, uint32_t>> names) {
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > UINT32_MAX) return std::nullopt;  // never truncate to a valid value
    return static_cast<uint32_t>(v.get<uint64_t>());
  }
  if (!v.is_string()) return std::nullopt;
  for (const auto& [name, value] : names)
    if (v.get<std::string>() == name) return value;
  return std::nullopt;
}

Status parse_depin(const json& d, DepinParams& p) {
  if (!d.is_object()) return bad("depin must be an object");
  for (auto [key, out] : {std::pair{"governance", &p.governance}, std::pair{"treasury", &p.treasury}}) {
    if (!d.contains(key) || !d[key].is_string())
      return bad(std::string("depin.") + key + " must be an address");
    auto a = crypto::parse_address(d[key].get<std::string>());
    if (!a) return bad(std::string("depin.") + key + " is not a valid address");
    *out = *a;
  }
  struct U64 {
    const char* key;
    uint64_t* out;
  };
  for (U64 f :
       {U64{"epoch_blocks", &p.epoch_blocks}, U64{"halving_interval_epochs", &p.halving_interval_epochs},
        U64{"weight_uptime", &p.weight_uptime}, U64{"weight_witness", &p.weight_witness},
        U64{"weight_data_per_mib", &p.weight_data_per_mib}, U64{"device_epoch_cap", &p.device_epoch_cap},
        U64{"ref_window", &p.ref_window}, U64{"uptime_interval_blocks", &p.uptime_interval_blocks},
        U64{"witness_min_distance_m", &p.witness_min_distance_m},
        U64{"witness_max_distance_m", &p.witness_max_distance_m},
        U64{"location_cooldown_blocks", &p.location_cooldown_blocks},
        U64{"relocation_settle_blocks", &p.relocation_settle_blocks},
        U64{"density_cell_e7", &p.density_cell_e7},
        U64{"target_devices_per_cell", &p.target_devices_per_cell},
        U64{"beacons_per_device_per_epoch", &p.beacons_per_device_per_epoch},
        U64{"beacon_window_blocks", &p.beacon_window_blocks}}) {
    auto v = read_u64(d, f.key, *f.out);
    if (!v) return bad(std::string("depin.") + f.key + " must be an unsigned integer");
    *f.out = *v;
  }
  for (auto [key, out] :
       {std::pair{"emission_per_epoch", &p.emission_per_epoch}, std::pair{"supply_cap", &p.supply_cap},
        std::pair{"usage_price_per_mib", &p.usage_price_per_mib}}) {
    if (!d.contains(key)) continue;
    auto v = read_uint(d[key]);
    if (!v) return bad(std::string("depin.") + key + " must be a decimal string");
    *out = *v;
  }
  for (auto [key, out] : {std::pair{"device_share_bps", &p.device_share_bps},
                          std::pair{"validator_share_bps", &p.validator_share_bps},
                          std::pair{"max_proofs_per_tx", &p.max_proofs_per_tx},
                          std::pair{"max_witnesses_per_beacon", &p.max_witnesses_per_beacon}}) {
    auto v = read_u64(d, key, *out);
    if (!v || *v > UINT32_MAX)
      return bad(std::string("depin.") + key + " must be an unsigned 32-bit integer");
    *out = static_cast<uint32_t>(*v);
  }
  for (auto [key, out] : {std::pair{"witness_rssi_at_1m_dbm", &p.witness_rssi_at_1m_dbm},
                          std::pair{"witness_min_rssi_dbm", &p.witness_min_rssi_dbm},
                          std::pair{"witness_min_snr_db_x10", &p.witness_min_snr_db_x10},
                          std::pair{"witness_max_snr_db_x10", &p.witness_max_snr_db_x10}}) {
    if (!d.contains(key)) continue;
    const json& v = d[key];
    if (!v.is_number_integer() || v.get<int64_t>() < INT32_MIN || v.get<int64_t>() > INT32_MAX ||
        (v.is_number_unsigned() && v.get<uint64_t>() > INT32_MAX))
      return bad(std::string("depin.") + key + " must be a signed 32-bit integer");
    *out = static_cast<int32_t>(v.get<int64_t>());
  }
  if (p.witness_min_snr_db_x10 > p.witness_max_snr_db_x10)
    return bad("depin.witness_min_snr_db_x10 exceeds witness_max_snr_db_x10");
  if (p.epoch_blocks == 0) return bad("depin.epoch_blocks must be positive");
  // Weights stay far below 2^64 so that per-epoch sums of a billion devices cannot overflow.
  constexpr uint64_t kMaxWeight = 1ULL << 32;
  for (uint64_t w : {p.weight_uptime, p.weight_witness, p.weight_data_per_mib, p.device_epoch_cap})
    if (w > kMaxWeight) return bad("depin weights and device_epoch_cap must be at most 2^32");
  if (p.ref_window == 0) return bad("depin.ref_window must be positive");
  // At least 1: two uptime proofs never earn for the same block. At most 2^32, so that a height plus
  // the interval cannot overflow.
  if (p.uptime_interval_blocks == 0 || p.uptime_interval_blocks > kMaxWeight)
    return bad("depin.uptime_interval_blocks must be in 1..2^32");
  // Bounds the Beacon record of a beaconer (one id per rewarded witness); at most half of its pending
  // slots (vm::kMaxPendingWitnesses = 2 × kMaxBeaconWitnesses).
  if (p.max_witnesses_per_beacon == 0 || p.max_witnesses_per_beacon > kMaxBeaconWitnesses)
    return bad("depin.max_witnesses_per_beacon must be in 1.." + std::to_string(kMaxBeaconWitnesses));
  // At most one challenge per device per block (the threshold saturates at epoch_blocks).
  if (p.beacons_per_device_per_epoch == 0 || p.beacons_per_device_per_epoch > p.epoch_blocks)
    return bad("depin.beacons_per_device_per_epoch must be in 1..epoch_blocks");
  // A BEACON reads the challenge block's hash, which the state keeps for ref_window blocks. At most
  // 2^32, so that a height plus twice the window (the reveal deadline) cannot overflow.
  if (p.beacon_window_blocks == 0 || p.beacon_window_blocks > p.ref_window || p.beacon_window_blocks > kMaxWeight)
    return bad("depin.beacon_window_blocks must be in 1..ref_window (and at most 2^32)");
  // At least 1: two assertions never land in one block. At most 2^32, so a height plus it cannot overflow.
  if (p.location_cooldown_blocks == 0 || p.location_cooldown_blocks > kMaxWeight)
    return bad("depin.location_cooldown_blocks must be in 1..2^32");
  if (p.relocation_settle_blocks > kMaxWeight) return bad("depin.relocation_settle_blocks must be at most 2^32");
  // A cell at least 1e-7° wide and at most the whole longitude range (two cells per axis at most then).
  if (p.density_cell_e7 == 0 || p.density_cell_e7 > 3'600'000'000ULL)
    return bad("depin.density_cell_e7 must be in 1..3600000000");
  // target × weight (both ≤ 2^32) must fit 64 bits.
  if (p.target_devices_per_cell == 0 || p.target_devices_per_cell > kMaxWeight)
    return bad("depin.target_devices_per_cell must be in 1..2^32");
  // Usage must cost something (self-dealing then burns tokens); bytes × price then fits 128 bits.
  if (p.usage_price_per_mib == 0 || p.usage_price_per_mib > static_cast<Amount>(UINT64_MAX))
    return bad("depin.usage_price_per_mib must be in 1..2^64-1");
  // decode_tx refuses longer batches (primitives/tx_fields.h), so a larger limit could never be used.
  if (p.max_proofs_per_tx == 0 || p.max_proofs_per_tx > static_cast<uint32_t>(kMaxBatchEntries))
    return bad("depin.max_proofs_per_tx must be in 1.." + std::to_string(kMaxBatchEntries));
  if (p.device_share_bps + static_cast<uint64_t>(p.validator_share_bps) > 10000)
    return bad("depin.device_share_bps + validator_share_bps must not exceed 10000");
  if (p.witness_min_distance_m > p.witness_max_distance_m)
    return bad("depin.witness_min_distance_m exceeds witness_max_distance_m");
  if (d.contains("anchors")) {
    if (!d["anchors"].is_array()) return bad("depin.anchors must be an array");
    for (const auto& a : d["anchors"]) {
      GenesisAnchor ga;
      if (!a.is_object() || !a.contains("spki") || !a["spki"].is_string())
        return bad("anchor needs spki (hex DER)");
      auto spki = from_hex(a["spki"].get<std::string>());
      if (!spki || spki->empty()) return bad("anchor spki is not hex");
      ga.spki = *spki;
      ga.name = string_or(a, "name");
      auto role = enum_value(a.contains("role") ? a["role"] : json(),
                             {{"manufacturer_root", 1}, {"tpm_ak_ca", 2}, {"registrar", 3}});
      if (!role || *role == 0 || *role > 3)
        return bad("anchor role must be manufacturer_root, tpm_ak_ca or registrar");
      ga.role = *role;
      for (const auto& k : a.value("kinds", json::array())) {
        auto kind = enum_value(k, {{"SE_P256", 1}, {"TPM2_QUOTE", 2}, {"REGISTRAR_STATEMENT", 3}});
        if (!kind || *kind == 0 || *kind > 3)
          return bad("anchor kinds must be SE_P256, TPM2_QUOTE or REGISTRAR_STATEMENT");
        ga.kinds.push_back(*kind);
      }
      for (const auto& c : a.value("classes", json::array())) {
        if (!c.is_number_unsigned() || c.get<uint64_t>() > UINT32_MAX)
          return bad("anchor '" + ga.name + "': classes must be unsigned 32-bit integers");
        ga.classes.push_back(static_cast<uint32_t>(c.get<uint64_t>()));
      }
      auto len = read_u64(a, "max_chain_len", 3);
      if (!len || *len > UINT32_MAX) return bad("anchor '" + ga.name + "': max_chain_len must be 1..3");
      ga.max_chain_len = static_cast<uint32_t>(*len);
      // The same rules as RegisterAnchor, by the same function.
      if (auto st = check_anchor(anchor_record(ga)); !st)
        return bad("anchor '" + ga.name + "': " + st.error().message);
      const Hash32 id = crypto::spki_id(ga.spki);
      for (const auto& other : p.anchors)
        if (crypto::spki_id(other.spki) == id)
          return bad("anchor '" + ga.name + "' duplicates anchor '" + other.name + "' (id " + to_hex0x(id) +
                     ")");
      p.anchors.push_back(std::move(ga));
    }
  }
  return ok_status();
}
}  // namespace

Status check_anchor(const pb::Anchor& a) {
  auto bad_anchor = [](std::string m) { return make_error("bad_anchor", std::move(m)); };
  auto spki = crypto::parse_p256_spki(as_span(a.spki()));
  if (!spki.ok())
    return bad_anchor("anchor spki is not a strict P-256 SubjectPublicKeyInfo: " + spki.message);
  if (a.role() == pb::ROLE_NONE || !pb::AnchorRole_IsValid(a.role()))
    return bad_anchor("anchor role must be manufacturer root, TPM AK CA or registrar");
  if (a.allowed_kinds_size() == 0) return bad_anchor("anchor must allow at least one evidence kind");
  for (int kind : a.allowed_kinds())
    if (kind == pb::EVIDENCE_NONE || !pb::EvidenceKind_IsValid(kind))
      return bad_anchor("anchor allows an unknown evidence kind " + std::to_string(kind));
  if (a.max_chain_len() == 0 || a.max_chain_len() > crypto::kMaxCertChainLength)
    return bad_anchor("anchor max_chain_len must be 1.." + std::to_string(crypto::kMaxCertChainLength));
  if (a.revoked_at() != 0 || a.registered_at() != 0)
    return bad_anchor("revoked_at and registered_at are set by the chain");
  return ok_status();
}

pb::Anchor anchor_record(const GenesisAnchor& ga) {
  pb::Anchor a;
  a.set_spki(to_string(ga.spki));
  a.set_role(static_cast<pb::AnchorRole>(ga.role));
  for (uint32_t k : ga.kinds) a.add_allowed_kinds(static_cast<pb::EvidenceKind>(k));
  for (uint32_t c : ga.classes) a.add_allowed_classes(c);
  a.set_max_chain_len(ga.max_chain_len);
  a.set_name(ga.name);
  return a;
}

pb::Params params_record(const Genesis& g) {
  pb::Params r;
  const ChainParams& c = g.params;
  r.set_block_time_ms(c.block_time_ms);
  r.set_min_gas_price(c.min_gas_price);
  r.set_transfer_gas(c.transfer_gas);
  r.set_block_gas_limit(c.block_gas_limit);
  r.set_max_block_txs(c.max_block_txs);
  r.set_chain_id(g.chain_id);
  r.set_genesis_time_ms(g.genesis_time_ms);
  r.set_max_block_bytes(c.max_block_bytes);
  r.set_max_clock_drift_ms(c.max_clock_drift_ms);
  const DepinParams& d = g.depin;
  pb::DepinParams& rd = *r.mutable_depin();
  rd.set_governance(to_string(d.governance));
  rd.set_treasury(to_string(d.treasury));
  rd.set_epoch_blocks(d.epoch_blocks);
  rd.set_emission_per_epoch(to_string(encode_amount(d.emission_per_epoch)));
  rd.set_halving_interval_epochs(d.halving_interval_epochs);
  rd.set_supply_cap(to_string(encode_amount(d.supply_cap)));
  rd.set_device_share_bps(d.device_share_bps);
  rd.set_validator_share_bps(d.validator_share_bps);
  rd.set_weight_uptime(d.weight_uptime);
  rd.set_weight_witness(d.weight_witness);
  rd.set_weight_data_per_mib(d.weight_data_per_mib);
  rd.set_device_epoch_cap(d.device_epoch_cap);
  rd.set_ref_window(d.ref_window);
  rd.set_uptime_interval_blocks(d.uptime_interval_blocks);
  rd.set_witness_min_distance_m(d.witness_min_distance_m);
  rd.set_witness_max_distance_m(d.witness_max_distance_m);
  rd.set_witness_rssi_at_1m_dbm(d.witness_rssi_at_1m_dbm);
  rd.set_witness_min_rssi_dbm(d.witness_min_rssi_dbm);
  rd.set_witness_min_snr_db_x10(d.witness_min_snr_db_x10);
  rd.set_witness_max_snr_db_x10(d.witness_max_snr_db_x10);
  rd.set_max_proofs_per_tx(d.max_proofs_per_tx);
  rd.set_max_witnesses_per_beacon(d.max_witnesses_per_beacon);
  rd.set_location_cooldown_blocks(d.location_cooldown_blocks);
  rd.set_relocation_settle_blocks(d.relocation_settle_blocks);
  rd.set_density_cell_e7(d.density_cell_e7);
  rd.set_target_devices_per_cell(d.target_devices_per_cell);
  rd.set_usage_price_per_mib(to_string(encode_amount(d.usage_price_per_mib)));
  rd.set_beacons_per_device_per_epoch(d.beacons_per_device_per_epoch);
  rd.set_beacon_window_blocks(d.beacon_window_blocks);
  return r;
}

Result<Genesis> parse_genesis(std::string_view json_text) {
  json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return bad("not a JSON object");
  Genesis g;
  if (!doc.contains("chain_id") || !doc["chain_id"].is_string() || doc["chain_id"].get<std::string>().empty())
    return bad("chain_id must be a non-empty string");
  g.chain_id = doc["chain_id"].get<std::string>();
  if (g.chain_id.size() > kMaxChainIdBytes)
    return bad("chain_id is longer than " + std::to_string(kMaxChainIdBytes) + " characters");
  auto t = read_u64(doc, "genesis_time_ms", 0);
  if (!t || *t == 0) return bad("genesis_time_ms must be a positive integer");
  g.genesis_time_ms = *t;

  json params = doc.value("params", json::object());
  if (!params.is_object()) return bad("params must be an object");
  struct Field {
    const char* key;
    uint64_t* out;
  };
  uint64_t max_txs = g.params.max_block_txs;
  for (Field f :
       {Field{"block_time_ms", &g.params.block_time_ms}, Field{"min_gas_price", &g.params.min_gas_price},
        Field{"transfer_gas", &g.params.transfer_gas}, Field{"block_gas_limit", &g.params.block_gas_limit},
        Field{"max_block_txs", &max_txs}, Field{"max_block_bytes", &g.params.max_block_bytes},
        Field{"max_clock_drift_ms", &g.params.max_clock_drift_ms}}) {
    auto v = read_u64(params, f.key, *f.out);
    if (!v) return bad(std::string("params.") + f.key + " must be an unsigned integer");
    *f.out = *v;
  }
  if (max_txs == 0 || max_txs > 1'000'000) return bad("params.max_block_txs must be in 1..1000000");
  g.params.max_block_txs = static_cast<uint32_t>(max_txs);
  if (g.params.block_time_ms < 10) return bad("params.block_time_ms must be at least 10");
  if (g.params.transfer_gas == 0) return bad("params.transfer_gas must be positive");
  // A block must hold the largest transaction and stay below what decode_block accepts.
  if (g.params.max_block_bytes < kMinBlockBytes || g.params.max_block_bytes > kMaxBlockBytes)
    return bad("params.max_block_bytes must be in " + std::to_string(kMinBlockBytes) + ".." +
               std::to_string(kMaxBlockBytes));

  if (!doc.contains("validators") || !doc["validators"].is_array() || doc["validators"].empty())
    return bad("validators must be a non-empty array");
  for (const auto& v : doc["validators"]) {
    GenesisValidator gv;
    if (!v.is_object() || !v.contains("address") || !v["address"].is_string())
      return bad("validator needs an address");
    auto addr = crypto::parse_address(v["address"].get<std::string>());
    if (!addr) return bad("validator address is not a valid address: " + v["address"].get<std::string>());
    gv.address = *addr;
    auto power = read_u64(v, "power", 0);
    if (!power || *power == 0) return bad("validator power must be a positive integer");
    gv.power = *power;
    if (v.contains("name") && !v["name"].is_string()) return bad("validator name must be a string");
    gv.name = string_or(v, "name");
    g.validators.push_back(gv);
  }
  uint64_t total_power = 0;
  for (const auto& v : g.validators)
    if (__builtin_add_overflow(total_power, v.power, &total_power) || total_power > (UINT64_MAX >> 2))
      return bad("total validator power must stay below 2^62");
  std::sort(g.validators.begin(), g.validators.end(), [](auto& a, auto& b) { return a.address < b.address; });
  for (size_t i = 1; i < g.validators.size(); ++i)
    if (g.validators[i].address == g.validators[i - 1].address) return bad("duplicate validator address");

  if (doc.contains("accounts")) {
    if (!doc["accounts"].is_array()) return bad("accounts must be an array");
    for (const auto& a : doc["accounts"]) {
      GenesisAccount ga;
      if (!a.is_object() || !a.contains("address") || !a["address"].is_string())
        return bad("account needs an address");
      auto addr = crypto::parse_address(a["address"].get<std::string>());
      if (!addr) return bad("account address is not a valid address: " + a["address"].get<std::string>());
      ga.address = *addr;
      if (!a.contains("balance")) return bad("account needs a balance");
      auto bal = read_uint(a["balance"]);
      if (!bal) return bad("account balance must be a decimal string");
      ga.balance = *bal;
      if (a.contains("name") && !a["name"].is_string()) return bad("account name must be a string");
      ga.name = string_or(a, "name");
      g.accounts.push_back(ga);
    }
  }
  std::sort(g.accounts.begin(), g.accounts.end(), [](auto& a, auto& b) { return a.address < b.address; });
  Amount total = 0;
  for (size_t i = 0; i < g.accounts.size(); ++i) {
    if (i > 0 && g.accounts[i].address == g.accounts[i - 1].address) return bad("duplicate account address");
    auto sum = checked_add(total, g.accounts[i].balance);
    if (!sum) return bad("total supply overflows");
    total = *sum;
  }
  if (doc.contains("depin")) {
    auto st = parse_depin(doc["depin"], g.depin);
    if (!st) return st.error();
  }
  return g;
}

}  // namespace physis
