// Shared pieces of physis-cli: argument parsing, errors, RPC calls and transaction sending.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/secp256k1.h"
#include "primitives/genesis.h"
#include "primitives/physis.pb.h"

namespace physis::cli {

using nlohmann::json;

// Wrong usage: exit status 2 with a pointer to --help.
class UsageError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};
// The command ran and failed (node error, file error): exit status 1.
class CommandError : public std::runtime_error {
 public:
  explicit CommandError(const std::string& message, json data = nullptr)
      : std::runtime_error(message), data_(std::move(data)) {}
  const json& data() const { return data_; }

 private:
  json data_;
};

// One command (or subcommand, e.g. "device register") as the parser and the help know it: the flags it
// takes and the help text. The parser refuses any other flag, so help and parser cannot disagree.
struct CommandSpec {
  std::string name;                      // "transfer", "device register"
  std::vector<std::string> value_flags;  // --flag VALUE
  std::vector<std::string> bool_flags;   // --flag
  std::string usage;                     // help lines, each indented two spaces, ending in a newline
  std::string details;                   // more, printed only by `physis-cli COMMAND --help`
};
// The flags every transaction-sending command takes (send_tx reads them).
extern const std::vector<std::string> kTxValueFlags;
extern const std::vector<std::string> kTxBoolFlags;
// `spec` with the transaction flags added.
CommandSpec tx_command(CommandSpec spec);

// Arguments after the command: positional words and --flag [value] pairs.
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;
  bool has(const std::string& f) const { return flags.count(f) > 0; }
  // The flag's value; UsageError "missing --f" if absent.
  std::string get(const std::string& f) const;
};
// Parses `words` for `spec`. UsageError (naming the flag) for a flag `spec` does not take, a flag given
// twice, or a value flag without its value.
Args parse_args(const std::vector<std::string>& words, const CommandSpec& spec);

// UsageError unless at most one of `flags` is given ("--a and --b select different things; give one").
void at_most_one_of(const Args& a, const std::vector<std::string>& flags);

// One JSON-RPC call; CommandError with the node's message (and data) on failure.
json call(const std::string& url, const std::string& method, const json& params);

uint64_t parse_u64(const std::string& text, const std::string& what);
Address parse_addr(const std::string& text);
crypto::PrivateKey load_key(const Args& a, const std::string& flag = "key");
std::string read_file(const std::string& path);
json read_json_file(const std::string& path);

// The node's genesis chain parameters (chain_getParams); CommandError if the call fails or the reply
// lacks a field.
ChainParams chain_params(const std::string& url);

// The command's transaction was included but failed on chain: exit status 1, the receipt in data().
class TxFailedError : public CommandError {
  using CommandError::CommandError;
};

// Fills chain id, nonce (the node's pending_nonce — committed plus this account's transactions waiting
// in the mempool — unless --nonce), gas limit (--gas-limit, else the payload's
// intrinsic gas under the node's chain_getParams) and gas price (--gas-price, else the node's
// min_gas_price), signs with `key`, sends it, and with --wait polls for the receipt. Returns {"hash"}
// or, with --wait, {"hash","status":"success","height",...receipt fields}. A failed receipt throws
// TxFailedError with the reason (and detail) in the message, so no caller prints the id of something
// the transaction did not create.
json send_tx(const std::string& url, const crypto::PrivateKey& key, pb::TxBody body, const Args& a);

}  // namespace physis::cli
