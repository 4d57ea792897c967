// Genesis document (genesis/devnet.json): chain id, parameters, validators and initial balances.
// The format is documented in doc/protocol.md.
#pragma once

#include <string>
#include <vector>

#include "util/amount.h"
#include "util/bytes.h"
#include "util/result.h"

namespace physis {

// Consensus parameters fixed at genesis.
struct ChainParams {
  uint64_t block_time_ms = 1000;
  uint64_t min_gas_price = 1;
  uint64_t transfer_gas = 21000;
  uint64_t block_gas_limit = 100'000'000;
  uint32_t max_block_txs = 10'000;
};

struct GenesisValidator {
  std::string name;
  Address address{};
  uint64_t power = 0;
};

struct GenesisAccount {
  std::string name;
  Address address{};
  Amount balance = 0;
};

struct Genesis {
  std::string chain_id;
  uint64_t genesis_time_ms = 0;
  ChainParams params;
  std::vector<GenesisValidator> validators;  // sorted by address, unique
  std::vector<GenesisAccount> accounts;      // sorted by address, unique
};

// Parses and validates a genesis JSON document. Errors (code "bad_genesis") name the offending field.
Result<Genesis> parse_genesis(std::string_view json_text);

}  // namespace physis
