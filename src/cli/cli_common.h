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

// Arguments after the command: positional words and --flag [value] pairs.
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;
  bool has(const std::string& f) const { return flags.count(f) > 0; }
  // The flag's value; UsageError "missing --f" if absent.
  std::string get(const std::string& f) const;
};
// Flags that take no value.
Args parse_args(const std::vector<std::string>& words, const std::vector<std::string>& bool_flags);

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

// Fills chain id, nonce (from the node unless --nonce), gas limit (--gas-limit, else the payload's
// intrinsic gas under the node's chain_getParams) and gas price (--gas-price, else the node's
// min_gas_price), signs with `key`, sends it, and with --wait polls for the receipt. Returns {"hash"}
// or, with --wait, {"hash","status","height","reason",...receipt fields}.
json send_tx(const std::string& url, const crypto::PrivateKey& key, pb::TxBody body, const Args& a);

}  // namespace physis::cli
