// physis-cli: keys and a JSON-RPC client for physisd. Every command prints one JSON object on stdout;
// errors print {"error": ...} on stderr and exit with status 1 (2 for usage errors).
#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <thread>
#include <vector>

#include "cli/cli_common.h"
#include "cli/depin_commands.h"
#include "crypto/secp256k1.h"
#include "node/keyfile.h"
#include "primitives/transaction.h"
#include "rpc/rpc_client.h"
#include "util/amount.h"

using namespace physis;
using namespace physis::cli;

namespace {

const std::vector<std::string> kBoolFlags = {"wait", "dry-run", "deactivate"};

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

Transactions take --gas-price (default: the node's min_gas_price) and --gas-limit (default: the
intrinsic gas of the payload), both from the node's chain_getParams unless given.

Every command prints one JSON object on stdout and exits 0. Errors go to stderr as {"error": "..."}:
exit status 1 when the command ran and failed (node error, rejected transaction, unreadable file),
exit status 2 for usage errors (unknown command, missing or malformed argument).
)";

json cmd_key(const std::string& url, const Args& a) {
  if (a.positional.empty()) throw UsageError("key needs a subcommand: new or address");
  const std::string& sub = a.positional[0];
  if (sub == "new") {
    crypto::PrivateKey key = crypto::generate_private_key();
    if (auto st = node::write_key_file(a.get("out"), key); !st) throw CommandError(st.error().message);
    return {{"address", crypto::address_to_string(crypto::address_of(*crypto::public_key_of(key)))},
            {"file", a.get("out")}};
  }
  if (sub == "address") {
    crypto::PrivateKey key = load_key(a);
    return {{"address", crypto::address_to_string(crypto::address_of(*crypto::public_key_of(key)))}};
  }
  if (sub == "revoke") return cmd_key_revoke(url, a);
  throw UsageError("unknown key subcommand '" + sub + "'");
}

json cmd_transfer(const std::string& url, const Args& a) {
  crypto::PrivateKey key = load_key(a);
  Address to = parse_addr(a.get("to"));
  auto amount = parse_amount(a.get("amount"));
  if (!amount) throw UsageError("--amount must be a whole number of base units");
  return send_tx(url, key, make_transfer_body("", 0, 0, 0, to, *amount), a);
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
  Args a = parse_args({words.begin() + 1, words.end()}, kBoolFlags);
  if (auto out = run_depin_command(command, url, a)) return *out;
  auto need = [&](size_t n) {
    if (a.positional.size() < n) throw UsageError(command + " needs " + std::to_string(n) + " argument(s)");
  };
  if (command == "key") return cmd_key(url, a);
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
    if (tx.value("status", "") == "included")
      tx["receipt"] = call(url, "chain_getReceipt", {{"hash", a.positional[0]}});
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
      std::cout << kUsage << kDepinUsage;
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
