// physis-cli: keys and a JSON-RPC client for physisd. Every command prints one JSON object on stdout;
// errors print {"error": ...} on stderr and exit with status 1 (2 for usage errors).
#include <algorithm>
#include <iostream>
#include <vector>

#include "cli/cli_common.h"
#include "cli/depin_commands.h"
#include "crypto/secp256k1.h"
#include "node/keyfile.h"
#include "primitives/transaction.h"
#include "util/amount.h"

using namespace physis;
using namespace physis::cli;

namespace {

constexpr const char* kIntro = R"(physis-cli — keys and JSON-RPC client for physisd

Usage: physis-cli [--rpc URL] COMMAND [ARGS]      (default URL http://127.0.0.1:8545)
       physis-cli COMMAND --help                  the usage of one command

Commands:
)";

constexpr const char* kOutro = R"(
Transactions take --gas-price (default: the node's min_gas_price) and --gas-limit (default: the
intrinsic gas of the payload), both from the node's chain_getParams unless given, and --nonce (default:
the node's pending_nonce for the key, which counts its transactions still in the mempool, so commands
sent back to back without --wait each take the next nonce). With --wait a transaction that fails on
chain is an error: exit status 1, the receipt's reason on stderr, and no id of anything it did not create.

Every command prints one JSON object on stdout and exits 0. Errors go to stderr as {"error": "..."}:
exit status 1 when the command ran and failed (node error, rejected or failed transaction, unreadable
file), exit status 2 for usage errors (unknown command, unknown or repeated flag, missing or malformed
argument).
)";

const std::vector<CommandSpec>& core_commands() {
  static const std::vector<CommandSpec> specs = {
      {"key new",
       {"out"},
       {},
       "  key new --out FILE                 create a secp256k1 key file (mode 0600); prints {\"address\"}\n",
       ""},
      {"key address",
       {"key"},
       {},
       "  key address --key FILE             prints {\"address\"} of a key file\n",
       ""},
      {"status",
       {},
       {},
       "  status                             chain status: chain id, genesis hash, height, latest block,\n"
       "                                     syncing and sync target\n",
       ""},
      {"balance",
       {},
       {},
       "  balance ADDRESS                    prints {\"address\",\"balance\",\"nonce\",\"pending_nonce\"}\n",
       ""},
      tx_command({"transfer",
                  {"key", "to", "amount"},
                  {},
                  "  transfer --key FILE --to ADDRESS --amount N [--wait] [--timeout SECONDS]\n"
                  "           [--nonce N] [--gas-price N] [--gas-limit N] [--chain-id ID] [--dry-run]\n"
                  "                                     sign and send a transfer; prints {\"hash\"}, or with "
                  "--wait\n"
                  "                                     {\"hash\",\"status\",\"height\"} once included; "
                  "--dry-run prints\n"
                  "                                     {\"hash\",\"raw\"} without sending\n",
                  ""}),
      {"block", {}, {}, "  block HEIGHT|HASH                  a block\n", ""},
      {"tx",
       {},
       {},
       "  tx HASH                            a transaction, with its receipt once included\n",
       ""},
      {"validators",
       {"height"},
       {},
       "  validators [--height H]            the validator set (addresses, powers, hash) at a height\n",
       ""},
      {"commit", {}, {}, "  commit HEIGHT                      the precommit signatures that committed a block\n", ""},
      {"consensus",
       {},
       {},
       "  consensus                          the height being decided: round, step, proposer, locks, votes\n",
       ""},
      {"net", {}, {}, "  net                                P2P: node id, listen address, peer count\n", ""},
      {"peers", {}, {}, "  peers                              P2P peers: id, address, direction, score, height\n", ""},
      {"rpc", {}, {}, "  rpc METHOD [PARAMS_JSON]           any JSON-RPC method, e.g. rpc rpc_methods\n", ""},
  };
  return specs;
}

// Every command, core then DePIN, in help order.
std::vector<const CommandSpec*> all_commands() {
  std::vector<const CommandSpec*> out;
  for (const auto& s : core_commands()) out.push_back(&s);
  for (const auto& s : depin_commands()) out.push_back(&s);
  return out;
}

std::string global_usage() {
  std::string u = kIntro;
  for (const auto& s : core_commands()) u += s.usage;
  u += kOutro;
  u += kDepinUsageHeader;
  for (const auto& s : depin_commands()) u += s.usage;
  return u;
}

bool is_flag(const std::string& w) { return w.rfind("--", 0) == 0; }

// The spec of `words` (COMMAND [SUBCOMMAND] ...): "device register" before "device". Null when the
// command is unknown; `family` receives every spec of the command (for a missing or unknown subcommand).
const CommandSpec* find_spec(const std::vector<std::string>& words, std::vector<const CommandSpec*>& family) {
  const std::string& command = words[0];
  const CommandSpec* plain = nullptr;
  for (const CommandSpec* s : all_commands()) {
    if (s->name == command) plain = s;
    if (s->name.rfind(command + " ", 0) == 0) family.push_back(s);
  }
  if (words.size() > 1 && !is_flag(words[1]))
    for (const CommandSpec* s : family)
      if (s->name == command + " " + words[1]) return s;
  return plain;
}

std::string command_usage(const CommandSpec& s) {
  std::string u = "Usage: physis-cli [--rpc URL] " + s.name + " ...\n\n" + s.usage + s.details;
  if (std::find(s.bool_flags.begin(), s.bool_flags.end(), "wait") != s.bool_flags.end())
    u += "\n  Sends a transaction: --wait [--timeout SECONDS] waits for the receipt (a failed one exits 1\n"
         "  with its reason); --nonce N (default: the node's pending_nonce), --gas-price N, --gas-limit N,\n"
         "  --chain-id ID; --dry-run prints the signed transaction without sending it.\n";
  return u;
}

// `physis-cli COMMAND [SUBCOMMAND] --help`: that command's usage (every subcommand's when none is
// named). UsageError for an unknown command.
std::string help_for(const std::vector<std::string>& words) {
  std::vector<const CommandSpec*> family;
  const CommandSpec* spec = find_spec(words, family);
  if (spec) return command_usage(*spec);
  if (family.empty()) throw UsageError("unknown command '" + words[0] + "'");
  std::string u = "Usage: physis-cli [--rpc URL] " + words[0] + " SUBCOMMAND ...\n\n";
  for (const CommandSpec* s : family) u += s->usage;
  return u;
}

json cmd_key(const std::string& url, const Args& a) {
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
  return cmd_key_revoke(url, a);  // the only other key spec
}

json cmd_transfer(const std::string& url, const Args& a) {
  crypto::PrivateKey key = load_key(a);
  Address to = parse_addr(a.get("to"));
  auto amount = parse_amount(a.get("amount"));
  if (!amount) throw UsageError("--amount must be a whole number of base units");
  return send_tx(url, key, make_transfer_body("", 0, 0, 0, to, *amount), a);
}

json run_command(const std::string& url, const CommandSpec& spec, const Args& a);

// Finds the command's spec, parses its flags and runs it. A usage error names the command's --help.
json run(const std::string& url, const std::vector<std::string>& words) {
  std::vector<const CommandSpec*> family;
  const CommandSpec* spec = find_spec(words, family);
  const std::string& command = words[0];
  if (!spec) {
    if (family.empty()) throw UsageError("unknown command '" + command + "'");
    std::string subs;
    for (const CommandSpec* s : family)
      subs += (subs.empty() ? "" : ", ") + s->name.substr(command.size() + 1);
    if (words.size() < 2 || is_flag(words[1])) throw UsageError(command + " needs a subcommand: " + subs);
    throw UsageError("unknown " + command + " subcommand '" + words[1] + "' (have: " + subs + ")");
  }
  try {
    return run_command(url, *spec, parse_args({words.begin() + 1, words.end()}, *spec));
  } catch (const UsageError& e) {
    throw UsageError(std::string(e.what()) + "; see physis-cli " + spec->name + " --help");
  }
}

json run_command(const std::string& url, const CommandSpec& spec, const Args& a) {
  const std::string command = spec.name.substr(0, spec.name.find(' '));
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
  if (command == "validators") {
    json params = json::object();
    if (a.has("height")) params["height"] = parse_u64(a.get("height"), "--height");
    return call(url, "consensus_validators", params);
  }
  if (command == "commit") {
    need(1);
    return call(url, "consensus_getCommit", {{"height", parse_u64(a.positional[0], "HEIGHT")}});
  }
  if (command == "consensus") return call(url, "consensus_state", json::object());
  if (command == "net") return call(url, "net_info", json::object());
  if (command == "peers") return call(url, "net_peers", json::object());
  if (command == "tx") {
    need(1);
    json tx = call(url, "chain_getTransaction", {{"hash", a.positional[0]}});
    if (tx.value("status", "") == "included")
      tx["receipt"] = call(url, "chain_getReceipt", {{"hash", a.positional[0]}});
    return tx;
  }
  // rpc: the only core spec left.
  need(1);
  json params = json::array();
  if (a.positional.size() > 1) {
    params = json::parse(a.positional[1], nullptr, false);
    if (params.is_discarded()) throw UsageError("PARAMS_JSON is not valid JSON");
  }
  return call(url, a.positional[0], params);
}

// Splits off the global --rpc URL; UsageError when it lacks its value or is given twice.
std::vector<std::string> global_flags(const std::vector<std::string>& argv, std::string& url) {
  std::vector<std::string> words;
  bool have_url = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] != "--rpc") {
      words.push_back(argv[i]);
      continue;
    }
    if (i + 1 >= argv.size()) throw UsageError("--rpc needs a URL");
    if (have_url) throw UsageError("--rpc is given twice");
    have_url = true;
    url = argv[++i];
  }
  return words;
}

bool is_help(const std::string& w) { return w == "--help" || w == "-h"; }

int fail(int status, json err) {
  std::cerr << err.dump() << std::endl;
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string url = "http://127.0.0.1:8545";
    std::vector<std::string> words = global_flags(std::vector<std::string>(argv + 1, argv + argc), url);
    if (!words.empty() && (is_help(words[0]) || words[0] == "help")) {
      if (words[0] == "help" && words.size() > 1)
        std::cout << help_for({words.begin() + 1, words.end()});
      else
        std::cout << global_usage();
      return 0;
    }
    if (words.empty()) throw UsageError("no command given");
    if (std::any_of(words.begin(), words.end(), is_help)) {
      std::cout << help_for(words);
      return 0;
    }
    std::cout << run(url, words).dump(2) << std::endl;
    return 0;
  } catch (const UsageError& e) {
    std::string m = e.what();
    if (m.find("; see physis-cli ") == std::string::npos) m += "; see physis-cli --help";
    return fail(2, {{"error", m}});
  } catch (const CommandError& e) {
    json err = {{"error", e.what()}};
    if (!e.data().is_null()) err["data"] = e.data();
    return fail(1, err);
  } catch (const std::exception& e) {
    return fail(1, {{"error", e.what()}});
  }
}
