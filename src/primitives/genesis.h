// Genesis document (genesis/devnet.json): chain id, parameters, validators and initial balances.
// The format is documented in doc/protocol.md.
#pragma once

#include <string>
#include <vector>

#include "primitives/physis.pb.h"
#include "util/amount.h"
#include "util/bytes.h"
#include "util/result.h"

namespace physis {

// Consensus parameters fixed at genesis.
struct ChainParams {
  uint64_t block_time_ms = 1000;
  uint64_t min_gas_price = 1;
  uint64_t transfer_gas = 21000;
  // Any block within this limit and max_block_txs verifies its signatures in at most half of a 1 s
  // block on 2 cores (doc/depin.md "Block gas limit"); max_block_txs transfers fit (10,000 × 21,000).
  uint64_t block_gas_limit = 340'000'000;
  uint32_t max_block_txs = 10'000;
  // Consensus limit on a block's encoded size (doc/protocol.md "Blocks"): kMinBlockBytes ≤ it ≤
  // kMaxBlockBytes (primitives/block.h), checked by parse_genesis.
  uint64_t max_block_bytes = 4 * 1024 * 1024;
  // How far ahead of a validator's clock a block's time may be (consensus/header_rules.h rule 5).
  uint64_t max_clock_drift_ms = 10'000;
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

// A trust anchor listed in genesis (DESIGN §5). Values of role/kinds are the pb enums.
struct GenesisAnchor {
  std::string name;
  Bytes spki;  // P-256 SubjectPublicKeyInfo DER
  uint32_t role = 0;
  std::vector<uint32_t> kinds;
  std::vector<uint32_t> classes;  // empty: every class
  uint32_t max_chain_len = 3;
};

// Most rewarded witnesses per beacon a genesis may set (max_witnesses_per_beacon).
inline constexpr uint32_t kMaxBeaconWitnesses = 32;

// DePIN parameters (doc/depin.md). All reward arithmetic is integer; shares in basis points.
struct DepinParams {
  Address governance{};  // the only sender of anchor and key governance transactions
  Address treasury{};
  uint64_t epoch_blocks = 20;
  Amount emission_per_epoch = 0;
  uint64_t halving_interval_epochs = 0;  // 0: never halves
  Amount supply_cap = 0;                 // 0: no cap
  uint32_t device_share_bps = 7000;
  uint32_t validator_share_bps = 2000;  // the treasury gets the rest and every rounding remainder
  uint64_t weight_uptime = 10;
  uint64_t weight_witness = 20;
  uint64_t weight_data_per_mib = 5;
  uint64_t device_epoch_cap = 1000;  // most weight one device earns in one epoch
  uint64_t ref_window = 64;          // a reference block must be among the last ref_window blocks
  // Uptime is time served (doc/depin.md "Proofs"): an uptime proof earns only if its reference height
  // is at least this many blocks after the device's last accepted one. 1..2^32.
  uint64_t uptime_interval_blocks = 10;
  uint64_t witness_min_distance_m = 30;
  uint64_t witness_max_distance_m = 100'000;
  int32_t witness_rssi_at_1m_dbm = -10;  // strongest plausible signal at 1 m; it falls 6 dB per doubling
  // Receiver plausibility of a witness report (doc/depin.md "Proofs"): an RSSI below the best receiver
  // sensitivity, or an SNR outside what a demodulator reports, is not a real reception.
  int32_t witness_min_rssi_dbm = -150;
  int32_t witness_min_snr_db_x10 = -300;  // −30.0 dB
  int32_t witness_max_snr_db_x10 = 500;   // +50.0 dB
  uint32_t max_proofs_per_tx = 500;
  // Most coverage witnesses rewarded per beacon, and per beaconer per epoch, in inclusion order of the
  // matching receipts (doc/depin.md "Beacons"). 1..32 (kMaxBeaconWitnesses), half the pending slots of
  // a beacon, so that junk receipts cannot take every pending slot from the rewarded ones.
  uint32_t max_witnesses_per_beacon = 10;
  // Challenged beacons (doc/depin.md "Beacons"): a device is challenged at a height with probability
  // beacons_per_device_per_epoch / epoch_blocks (1..epoch_blocks); it records its BEACON within
  // beacon_window_blocks (1..ref_window) after the challenge and reveals in the next beacon_window_blocks.
  uint64_t beacons_per_device_per_epoch = 1;
  uint64_t beacon_window_blocks = 5;
  // Locations are the device's word (doc/depin.md "Locations"): at most one accepted assertion per
  // location_cooldown_blocks (1..2^32); after a move the device neither beacons nor witnesses for
  // relocation_settle_blocks (0..2^32).
  uint64_t location_cooldown_blocks = 100;
  uint64_t relocation_settle_blocks = 50;
  // Density (doc/depin.md "Density"): active devices are counted per cell of an integer lat/lon grid
  // with cells of density_cell_e7 × density_cell_e7 (degrees × 1e7; 1..3,600,000,000); in a cell with
  // n > target_devices_per_cell (1..2^32) devices a coverage weight is multiplied by target / n.
  uint64_t density_cell_e7 = 100'000;  // 0.01°: about 1.1 km of latitude
  uint64_t target_devices_per_cell = 10;
  // Usage is paid (doc/depin.md "Usage"): a consumer pays this per MiB of a usage receipt (per byte,
  // the total rounded up), and the payment is burned. 1..2^64.
  Amount usage_price_per_mib = 1;
  std::vector<GenesisAnchor> anchors;
};

struct Genesis {
  std::string chain_id;
  uint64_t genesis_time_ms = 0;
  ChainParams params;
  DepinParams depin;
  std::vector<GenesisValidator> validators;  // sorted by address, unique
  std::vector<GenesisAccount> accounts;      // sorted by address, unique
};

// The rules every trust anchor meets, registered on chain (RegisterAnchor) or listed in genesis alike
// (doc/depin.md "Anchors"): a strict P-256 SubjectPublicKeyInfo, a known role, at least one known
// evidence kind, max_chain_len 1..3, and registered_at / revoked_at left to the chain. Error code
// "bad_anchor"; the message names the rule that failed.
Status check_anchor(const pb::Anchor& anchor);
// The Anchor record of a genesis anchor (registered at height 0).
pb::Anchor anchor_record(const GenesisAnchor& anchor);

// The record of every genesis rule except validators, accounts and anchors (each has its own state
// record): ChainParams, chain_id and genesis_time_ms, and DepinParams in the nested pb::DepinParams.
// vm::genesis_state stores it under 'p', so the genesis state root and hash commit to every parameter.
// This is the one place a new ChainParams or DepinParams member is added to the chain's identity
// (with its field in physis.proto); tests/unit/node/test_genesis_identity.cpp counts the members and
// the fields and fails until both are there.
pb::Params params_record(const Genesis& genesis);

// Parses and validates a genesis JSON document. Errors (code "bad_genesis") name the offending field.
// Anchors must pass check_anchor and have distinct SPKIs (anchor ids).
Result<Genesis> parse_genesis(std::string_view json_text);

}  // namespace physis
