#include "cli/cli_common.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <optional>
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

const std::vector<std::string> kTxValueFlags = {"nonce", "gas-price", "gas-limit", "chain-id", "timeout"};
const std::vector<std::string> kTxBoolFlags = {"wait", "dry-run"};

CommandSpec tx_command(CommandSpec spec) {
  spec.value_flags.insert(spec.value_flags.end(), kTxValueFlags.begin(), kTxValueFlags.end());
  spec.bool_flags.insert(spec.bool_flags.end(), kTxBoolFlags.begin(), kTxBoolFlags.end());
  return spec;
}

namespace {
bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// " (did you mean --x?)" for a flag that is a prefix or an extension of one the command takes.
std::string suggestion(const std::string& name, const CommandSpec& spec) {
  for (const auto* list : {&spec.value_flags, &spec.bool_flags})
    for (const auto& f : *list)
      if (f.rfind(name, 0) == 0 || name.rfind(f, 0) == 0) return " (did you mean --" + f + "?)";
  return "";
}
}  // namespace

Args parse_args(const std::vector<std::string>& words, const CommandSpec& spec) {
  Args a;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.rfind("--", 0) != 0 || w.size() == 2) {
      a.positional.push_back(w);
      continue;
    }
    std::string name = w.substr(2);
    std::optional<std::string> inline_value;  // --flag=value
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    const bool is_bool = contains(spec.bool_flags, name);
    if (!is_bool && !contains(spec.value_flags, name))
      throw UsageError("unknown flag --" + name + " for '" + spec.name + "'" + suggestion(name, spec));
    if (a.has(name)) throw UsageError("--" + name + " is given twice");
    if (is_bool) {
      if (inline_value) throw UsageError("--" + name + " takes no value");
      a.flags[name] = "1";
    } else if (inline_value) {
      a.flags[name] = *inline_value;
    } else {
      if (i + 1 >= words.size()) throw UsageError("--" + name + " needs a value");
      a.flags[name] = words[++i];
    }
  }
  return a;
}

void at_most_one_of(const Args& a, const std::vector<std::string>& flags) {
  std::string first;
  for (const auto& f : flags) {
    if (!a.has(f)) continue;
    if (!first.empty())
      throw UsageError("--" + first + " and --" + f + " select different things; give one of them");
    first = f;
  }
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

namespace {
// "transaction 0x.. failed in block 12: attestation_failed (device_exists): the device attestation
// failed: the device is already registered" (the node words the receipt's codes), with what to do when
// the reason has a known remedy.
std::string failure_message(const json& out) {
  std::string m = "transaction " + out["hash"].get<std::string>() + " failed in block " +
                  out["height"].dump() + ": " + out.value("reason", std::string("unknown"));
  const std::string detail = out.value("detail", std::string());
  if (!detail.empty()) m += " (" + detail + ")";
  if (out.contains("message")) m += ": " + out["message"].get<std::string>();
  if (detail == "stale_reference" || detail == "wrong_ref_hash" || detail == "future_reference")
    m += "; the evidence is bound to a block outside the reference window: run `physis-cli device "
         "make-evidence` again and register the new file";
  return m;
}
}  // namespace

json send_tx(const std::string& url, const crypto::PrivateKey& key, pb::TxBody body, const Args& a) {
  Address from = crypto::address_of(*crypto::public_key_of(key));
  std::string chain_id = a.has("chain-id")
                             ? a.get("chain-id")
                             : call(url, "chain_status", json::object())["chain_id"].get<std::string>();
  uint64_t nonce = 0;
  if (a.has("nonce")) {
    nonce = parse_u64(a.get("nonce"), "--nonce");
  } else {
    // The next free nonce: transactions of this account still in the mempool count, so commands sent
    // back to back without --wait each take the next one instead of colliding (issue 6).
    json acc = call(url, "state_getAccount", {{"address", crypto::address_to_string(from)}});
    const json& n = acc.contains("pending_nonce") ? acc["pending_nonce"] : acc["nonce"];
    if (!n.is_number_unsigned()) throw CommandError("state_getAccount reply has no valid nonce", acc);
    nonce = n.get<uint64_t>();
  }
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
      if (out["status"] != "success") throw TxFailedError(failure_message(out), out);
      return out;
    }
    if (r.error().code == "rpc_transport") throw CommandError(r.error().message);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  throw CommandError("transaction " + hash + " was not included within " + std::to_string(timeout_s) + " s");
}

}  // namespace physis::cli
