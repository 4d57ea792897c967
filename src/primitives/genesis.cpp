#include "primitives/genesis.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "crypto/secp256k1.h"

namespace physis {

namespace {
using nlohmann::json;

Error bad(const std::string& what) { return make_error("bad_genesis", "genesis: " + what); }

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
}  // namespace

Result<Genesis> parse_genesis(std::string_view json_text) {
  json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return bad("not a JSON object");
  Genesis g;
  if (!doc.contains("chain_id") || !doc["chain_id"].is_string() || doc["chain_id"].get<std::string>().empty())
    return bad("chain_id must be a non-empty string");
  g.chain_id = doc["chain_id"].get<std::string>();
  if (g.chain_id.size() > 64) return bad("chain_id is longer than 64 characters");
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
  for (Field f : {Field{"block_time_ms", &g.params.block_time_ms}, Field{"min_gas_price", &g.params.min_gas_price},
                  Field{"transfer_gas", &g.params.transfer_gas}, Field{"block_gas_limit", &g.params.block_gas_limit},
                  Field{"max_block_txs", &max_txs}}) {
    auto v = read_u64(params, f.key, *f.out);
    if (!v) return bad(std::string("params.") + f.key + " must be an unsigned integer");
    *f.out = *v;
  }
  if (max_txs == 0 || max_txs > 1'000'000) return bad("params.max_block_txs must be in 1..1000000");
  g.params.max_block_txs = static_cast<uint32_t>(max_txs);
  if (g.params.block_time_ms < 10) return bad("params.block_time_ms must be at least 10");
  if (g.params.transfer_gas == 0) return bad("params.transfer_gas must be positive");

  if (!doc.contains("validators") || !doc["validators"].is_array() || doc["validators"].empty())
    return bad("validators must be a non-empty array");
  for (const auto& v : doc["validators"]) {
    GenesisValidator gv;
    if (!v.is_object() || !v.contains("address") || !v["address"].is_string()) return bad("validator needs an address");
    auto addr = crypto::parse_address(v["address"].get<std::string>());
    if (!addr) return bad("validator address is not a valid address: " + v["address"].get<std::string>());
    gv.address = *addr;
    auto power = read_u64(v, "power", 0);
    if (!power || *power == 0) return bad("validator power must be a positive integer");
    gv.power = *power;
    gv.name = v.value("name", "");
    g.validators.push_back(gv);
  }
  std::sort(g.validators.begin(), g.validators.end(), [](auto& a, auto& b) { return a.address < b.address; });
  for (size_t i = 1; i < g.validators.size(); ++i)
    if (g.validators[i].address == g.validators[i - 1].address) return bad("duplicate validator address");

  if (doc.contains("accounts")) {
    if (!doc["accounts"].is_array()) return bad("accounts must be an array");
    for (const auto& a : doc["accounts"]) {
      GenesisAccount ga;
      if (!a.is_object() || !a.contains("address") || !a["address"].is_string()) return bad("account needs an address");
      auto addr = crypto::parse_address(a["address"].get<std::string>());
      if (!addr) return bad("account address is not a valid address: " + a["address"].get<std::string>());
      ga.address = *addr;
      if (!a.contains("balance")) return bad("account needs a balance");
      auto bal = read_uint(a["balance"]);
      if (!bal) return bad("account balance must be a decimal string");
      ga.balance = *bal;
      ga.name = a.value("name", "");
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
  return g;
}

}  // namespace physis
