// physis-cli: keys and a JSON-RPC client for physisd. Every command prints one JSON object on stdout;
// errors print {"error": ...} on stderr and exit with status 1 (2 for usage errors).
#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <thread>
#include <vector>

#include "cli/rpc_client.h"
#include "crypto/secp256k1.h"
#include "node/keyfile.h"
#include "primitives/transaction.h"
#include "util/amount.h"

using namespace physis;
using nlohmann::json;

namespace {

constexpr const char* kUsage = R"(physis-cli — keys and JSON-RPC client for physisd

Usage: physis-cli [--rpc URL] COMMAND [ARGS]      (default URL http://127.0.0.1:8545)

Commands:
  key new --out FILE                 create a secp256k1 key file (mode 0600); prints {"address"}
  key address --key FILE             prints {"address"} of a key file
  status                             chain status: chain id, genesis hash, height, latest block
  balance ADDRESS                    prints {"address","balance","nonce"}
  transfer --key FILE --to ADDRESS --amount N [--wait] [--timeout SECONDS]
           [--nonce N] [--gas-price N] [--gas-limit N] [--chain-id ID] [--dry-run]
                                     sign and send a transfer; prints {"hash"}, or with --wait
                                     {"hash","status","height"} once included; --dry-run prints
                                     {"hash","raw"} without sending
  block HEIGHT|HASH                  a block
  tx HASH                            a transaction, with its receipt once included
  rpc METHOD [PARAMS_JSON]           any JSON-RPC method, e.g. rpc rpc_methods

Every command prints one JSON object. Errors go to stderr as {"error": "..."} with exit status 1.
)";

class UsageError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};
class CommandError : public std::runtime_error {
 public:
  CommandError(const std::string& message, json data = nullptr) : std::runtime_error(message), data_(std::move(data)) {}
  const json& data() const { return data_; }

 private:
  json data_;
};

// Arguments after the command: positional words and --flag [value] pairs.
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;
  bool has(const std::string& f) const { return flags.count(f) > 0; }
  std::string get(const std::string& f) const {
    auto it = flags.find(f);
    if (it == flags.end() || it->second.empty()) throw UsageError("missing --" + f);
    return it->second;
  }
};

const std::vector<std::string> kBoolFlags = {"wait", "dry-run"};

Args parse_args(const std::vector<std::string>& words) {
  Args a;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.rfind("--", 0) == 0) {
      std::string name = w.substr(2);
      if (std::find(kBoolFlags.begin(), kBoolFlags.end(), name) != kBoolFlags.end()) {
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
  auto r = cli::rpc_call(url, method, params, &data);
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
  if (!a) throw UsageError("'" + text + "' is not a valid address (0x + 40 hex digits, EIP-55 if mixed case)");
  return *a;
}

crypto::PrivateKey load_key(const Args& a) {
  auto key = node::read_key_file(a.get("key"));
  if (!key) throw CommandError(key.error().message);
  return *key;
}

json cmd_key(const Args& a) {
  if (a.positional.empty()) throw UsageError("key needs a subcommand: new or address");
  const std::string& sub = a.positional[0];
  if (sub == "new") {
    crypto::PrivateKey key = crypto::generate_private_key();
    if (auto st = node::write_key_file(a.get("out"), key); !st) throw CommandError(st.error().message);
    return {{"address", crypto::address_to_string(crypto::address_of(*crypto::public_key_of(key)))}, {"file", a.get("out")}};
  }
  if (sub == "address") {
    crypto::PrivateKey key = load_key(a);
    return {{"address", crypto::address_to_string(crypto::address_of(*crypto::public_key_of(key)))}};
  }
  throw UsageError("unknown key subcommand '" + sub + "'");
}

json cmd_transfer(const std::string& url, const Args& a) {
  crypto::PrivateKey key = load_key(a);
  Address from = crypto::address_of(*crypto::public_key_of(key));
  Address to = parse_addr(a.get("to"));
  auto amount = parse_amount(a.get("amount"));
  if (!amount) throw UsageError("--amount must be a whole number of base units");
  std::string chain_id = a.has("chain-id") ? a.get("chain-id") : std::string();
  uint64_t nonce = 0;
  if (a.has("nonce")) nonce = parse_u64(a.get("nonce"), "--nonce");
  if (chain_id.empty()) chain_id = call(url, "chain_status", json::object())["chain_id"].get<std::string>();
  if (!a.has("nonce")) {
    json acc = call(url, "state_getAccount", {{"address", crypto::address_to_string(from)}});
    nonce = acc["nonce"].get<uint64_t>();
  }
  uint64_t gas_price = a.has("gas-price") ? parse_u64(a.get("gas-price"), "--gas-price") : 1;
  uint64_t gas_limit = a.has("gas-limit") ? parse_u64(a.get("gas-limit"), "--gas-limit") : 21000;
  Bytes raw = sign_tx(make_transfer_body(chain_id, nonce, gas_limit, gas_price, to, *amount), key);
  std::string hash = to_hex0x(decode_tx(raw)->hash);
  if (a.has("dry-run")) return {{"hash", hash}, {"raw", to_hex0x(raw)}, {"from", crypto::address_to_string(from)}};
  json sent = call(url, "tx_send", {{"raw", to_hex0x(raw)}});
  if (!a.has("wait")) return {{"hash", sent["hash"]}};
  uint64_t timeout_s = a.has("timeout") ? parse_u64(a.get("timeout"), "--timeout") : 60;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    json data;
    auto r = cli::rpc_call(url, "chain_getReceipt", {{"hash", hash}}, &data);
    if (r) return {{"hash", hash}, {"status", (*r)["status"]}, {"height", (*r)["height"]}, {"reason", (*r)["reason"]}};
    if (r.error().code == "rpc_transport") throw CommandError(r.error().message);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  throw CommandError("transaction " + hash + " was not included within " + std::to_string(timeout_s) + " s");
}

json run(const std::vector<std::string>& argv) {
  std::string url = "http://127.0.0.1:8545";
  std::vector<std::string> words;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] == "--rpc") {
      if (i + 1 >= argv.size()) throw UsageError("--rpc needs a URL");
      url = argv[++i];
    } else {
      words.push_back(argv[i]);
    }
  }
  if (words.empty()) throw UsageError("no command given");
  std::string command = words[0];
  Args a = parse_args({words.begin() + 1, words.end()});
  auto need = [&](size_t n) {
    if (a.positional.size() < n) throw UsageError(command + " needs " + std::to_string(n) + " argument(s)");
  };
  if (command == "key") return cmd_key(a);
  if (command == "status") return call(url, "chain_status", json::object());
  if (command == "balance") {
    need(1);
    return call(url, "state_getAccount", {{"address", a.positional[0]}});
  }
  if (command == "transfer") return cmd_transfer(url, a);
  if (command == "block") {
    need(1);
    const std::string& id = a.positional[0];
    if (id.size() == 66 && id.rfind("0x", 0) == 0) return call(url, "chain_getBlock", {{"hash", id}});
    return call(url, "chain_getBlock", {{"height", parse_u64(id, "HEIGHT")}});
  }
  if (command == "tx") {
    need(1);
    json tx = call(url, "chain_getTransaction", {{"hash", a.positional[0]}});
    if (tx.value("status", "") == "included") tx["receipt"] = call(url, "chain_getReceipt", {{"hash", a.positional[0]}});
    return tx;
  }
  if (command == "rpc") {
    need(1);
    json params = json::array();
    if (a.positional.size() > 1) {
      params = json::parse(a.positional[1], nullptr, false);
      if (params.is_discarded()) throw UsageError("PARAMS_JSON is not valid JSON");
    }
    return call(url, a.positional[0], params);
  }
  throw UsageError("unknown command '" + command + "'");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const auto& w : args)
    if (w == "--help" || w == "-h" || w == "help") {
      std::cout << kUsage;
      return 0;
    }
  try {
    std::cout << run(args).dump(2) << std::endl;
    return 0;
  } catch (const UsageError& e) {
    std::cerr << json{{"error", std::string(e.what()) + "; see physis-cli --help"}}.dump() << std::endl;
    return 2;
  } catch (const CommandError& e) {
    json err = {{"error", e.what()}};
    if (!e.data().is_null()) err["data"] = e.data();
    std::cerr << err.dump() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << json{{"error", e.what()}}.dump() << std::endl;
    return 1;
  }
}
