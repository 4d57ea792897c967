#include "cli/cli_common.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "node/keyfile.h"
#include "primitives/transaction.h"
#include "rpc/rpc_client.h"
#include "util/amount.h"
#include "vm/apply.h"

namespace physis::cli {

std::string Args::get(const std::string& f) const {
  auto it = flags.find(f);
  if (it == flags.end() || it->second.empty()) throw UsageError("missing --" + f);
  return it->second;
}

Args parse_args(const std::vector<std::string>& words, const std::vector<std::string>& bool_flags) {
  Args a;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.rfind("--", 0) == 0) {
      std::string name = w.substr(2);
      if (std::find(bool_flags.begin(), bool_flags.end(), name) != bool_flags.end()) {
        a.flags[name] = "1";
      } else {
        if (i + 1 >= words.size()) throw UsageError("--" + name + " needs a value");
        a.flags[name] = words[++i];
      }
    } else {
      a.positional.push_back(w);
    }
  }
  return a;
}

json call(const std::string& url, const std::string& method, const json& params) {
  json data;
  auto r = rpc::rpc_call(url, method, params, &data);
  if (!r) throw CommandError(r.error().message, data);
  return *r;
}

uint64_t parse_u64(const std::string& text, const std::string& what) {
  auto v = parse_amount(text);
  if (!v || *v > UINT64_MAX) throw UsageError(what + " must be an unsigned integer");
  return static_cast<uint64_t>(*v);
}

Address parse_addr(const std::string& text) {
  auto a = crypto::parse_address(text);
  if (!a)
    throw UsageError("'" + text + "' is not a valid address (0x + 40 hex digits, EIP-55 if mixed case)");
  return *a;
}

crypto::PrivateKey load_key(const Args& a, const std::string& flag) {
  auto key = node::read_key_file(a.get(flag));
  if (!key) throw CommandError(key.error().message);
  return *key;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CommandError("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json read_json_file(const std::string& path) {
  auto j = json::parse(read_file(path), nullptr, false);
  if (j.is_discarded()) throw CommandError(path + " is not valid JSON");
  return j;
}

ChainParams chain_params(const std::string& url) {
  json p = call(url, "chain_getParams", json::object());
  auto u64 = [&p](const char* k) -> uint64_t {
    const json& v = p.contains(k) ? p[k] : json();
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    if (v.is_string()) {
      auto n = parse_amount(v.get<std::string>());
      if (n && *n <= UINT64_MAX) return static_cast<uint64_t>(*n);
    }
    throw CommandError(std::string("chain_getParams reply has no valid '") + k + "'", p);
  };
  ChainParams out;
  out.block_time_ms = u64("block_time_ms");
  out.min_gas_price = u64("min_gas_price");
  out.transfer_gas = u64("transfer_gas");
  out.block_gas_limit = u64("block_gas_limit");
  out.max_block_txs = static_cast<uint32_t>(u64("max_block_txs"));
  return out;
}

json send_tx(const std::string& url, const crypto::PrivateKey& key, pb::TxBody body, const Args& a) {
  Address from = crypto::address_of(*crypto::public_key_of(key));
  std::string chain_id = a.has("chain-id")
                             ? a.get("chain-id")
                             : call(url, "chain_status", json::object())["chain_id"].get<std::string>();
  uint64_t nonce =
      a.has("nonce") ? parse_u64(a.get("nonce"), "--nonce")
                     : call(url, "state_getAccount", {{"address", crypto::address_to_string(from)}})["nonce"]
                           .get<uint64_t>();
  body.set_chain_id(chain_id);
  body.set_nonce(nonce);
  // The node's genesis parameters decide the defaults; ask only when a flag leaves one open.
  ChainParams params;
  if (!a.has("gas-price") || !a.has("gas-limit")) params = chain_params(url);
  body.set_gas_price(a.has("gas-price") ? parse_u64(a.get("gas-price"), "--gas-price")
                                        : params.min_gas_price);
  body.set_gas_limit(a.has("gas-limit") ? parse_u64(a.get("gas-limit"), "--gas-limit")
                                        : vm::intrinsic_gas(params, body));
  Bytes raw = sign_tx(body, key);
  std::string hash = to_hex0x(decode_tx(raw)->hash);
  if (a.has("dry-run"))
    return {{"hash", hash}, {"raw", to_hex0x(raw)}, {"from", crypto::address_to_string(from)}};
  call(url, "tx_send", {{"raw", to_hex0x(raw)}});
  if (!a.has("wait")) return {{"hash", hash}};
  uint64_t timeout_s = a.has("timeout") ? parse_u64(a.get("timeout"), "--timeout") : 60;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    json data;
    auto r = rpc::rpc_call(url, "chain_getReceipt", {{"hash", hash}}, &data);
    if (r) {
      json out = {
          {"hash", hash}, {"status", (*r)["status"]}, {"height", (*r)["height"]}, {"reason", (*r)["reason"]}};
      for (const char* k : {"message", "detail", "device_id", "proofs_accepted", "proofs_rejected", "proofs"})
        if (r->contains(k) && !((*r)[k].is_string() && (*r)[k].get<std::string>().empty())) out[k] = (*r)[k];
      return out;
    }
    if (r.error().code == "rpc_transport") throw CommandError(r.error().message);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  throw CommandError("transaction " + hash + " was not included within " + std::to_string(timeout_s) + " s");
}

}  // namespace physis::cli
