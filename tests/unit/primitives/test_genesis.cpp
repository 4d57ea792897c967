// Genesis documents (genesis/devnet.json): parse_genesis validates everything and names the offending
// field; every rejection is code "bad_genesis". One test per rejection reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crypto/p256.h"
#include "crypto/secp256k1.h"
#include "crypto/x509_builder.h"
#include "crypto/x509_chain.h"
#include "primitives/block.h"
#include "primitives/genesis.h"
#include "primitives/tx_fields.h"

using namespace physis;
using nlohmann::json;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string devnet_json() { return read_file(std::string(PHYSIS_SOURCE_DIR) + "/genesis/devnet.json"); }

// A small valid document; tests change one thing in it.
json base_doc() {
  return json{
      {"chain_id", "physis-test-1"},
      {"genesis_time_ms", 1000},
      {"params", {{"block_time_ms", 500}, {"min_gas_price", 2}, {"transfer_gas", 21000}}},
      {"validators",
       json::array(
           {{{"name", "v0"}, {"address", "0x1111111111111111111111111111111111111111"}, {"power", 10}}})},
      {"accounts",
       json::array(
           {{{"name", "b"}, {"address", "0x2222222222222222222222222222222222222222"}, {"balance", "500"}},
            {{"name", "a"},
             {"address", "0x0000000000000000000000000000000000000001"},
             {"balance", "1000000000000000000000000"}}})},
  };
}

void expect_bad(const json& doc, std::string_view fragment) {
  Result<Genesis> g = parse_genesis(doc.dump());
  ASSERT_FALSE(g.ok()) << "accepted: " << doc.dump();
  EXPECT_EQ(g.error().code, "bad_genesis");
  EXPECT_NE(g.error().message.find(fragment), std::string::npos) << g.error().message;
}

Address addr(std::string_view text) { return *crypto::parse_address(text); }

// The DER SPKI of the P-256 key with every private-key byte `seed`.
Bytes test_spki(uint8_t seed) {
  crypto::P256PrivateKey k{};
  k.fill(seed);
  return crypto::p256_spki_der(*crypto::p256_public_key(k));
}

json anchor_json(const Bytes& spki, std::string name) {
  return json{{"name", std::move(name)},
              {"spki", to_hex(spki)},
              {"role", "manufacturer_root"},
              {"kinds", json::array({"SE_P256"})},
              {"classes", json::array({1, 2})}};
}

// base_doc() with a depin section holding two distinct anchors.
json depin_doc() {
  json doc = base_doc();
  doc["depin"] =
      json{{"governance", "0x3333333333333333333333333333333333333333"},
           {"treasury", "0x4444444444444444444444444444444444444444"},
           {"anchors",
            json::array({anchor_json(test_spki(0x41), "maker A"), anchor_json(test_spki(0x42), "maker B")})}};
  return doc;
}

// Locations, density and usage price (doc/depin.md "Locations", "Density", "Usage"): devnet values and ranges.
TEST(Genesis, ParsesLocationDensityAndUsageParams) {
  auto g = parse_genesis(devnet_json());
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g->depin.location_cooldown_blocks, 20u);
  EXPECT_EQ(g->depin.relocation_settle_blocks, 10u);
  EXPECT_EQ(g->depin.density_cell_e7, 100000u);
  EXPECT_EQ(g->depin.target_devices_per_cell, 4u);
  EXPECT_TRUE(g->depin.usage_price_per_mib == static_cast<Amount>(1'000'000'000'000'000ULL));
  const std::vector<std::pair<const char*, json>> bad = {
      {"location_cooldown_blocks must be in 1..2^32", 0},
      {"location_cooldown_blocks must be in 1..2^32", (uint64_t{1} << 32) + 1},
      {"relocation_settle_blocks must be at most 2^32", (uint64_t{1} << 32) + 1},
      {"density_cell_e7 must be in 1..3600000000", 0},
      {"density_cell_e7 must be in 1..3600000000", 3600000001ULL},
      {"target_devices_per_cell must be in 1..2^32", 0},
      {"usage_price_per_mib must be in 1..2^64-1", "0"},
      {"usage_price_per_mib must be in 1..2^64-1", "18446744073709551616"},
  };
  for (const auto& [message, value] : bad) {
    json doc = depin_doc();
    const std::string m = message;
    doc["depin"][m.substr(0, m.find(' '))] = value;
    expect_bad(doc, message);
  }
  json doc = depin_doc();
  doc["depin"]["relocation_settle_blocks"] = 0;  // no settling at all is allowed
  doc["depin"]["usage_price_per_mib"] = "18446744073709551615";
  ASSERT_TRUE(parse_genesis(doc.dump()).ok());
}

}  // namespace

TEST(Genesis, ParsesDevnetJson) {
  auto g = parse_genesis(devnet_json());
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g->chain_id, "physis-devnet-1");
  EXPECT_EQ(g->genesis_time_ms, 1735689600000u);
  EXPECT_EQ(g->params.block_time_ms, 1000u);
  EXPECT_EQ(g->params.min_gas_price, 1u);
  EXPECT_EQ(g->params.transfer_gas, 21000u);
  EXPECT_EQ(g->params.block_gas_limit, 340000000u);
  EXPECT_EQ(g->params.max_block_txs, 10000u);
  EXPECT_EQ(g->params.max_block_bytes, 4u * 1024 * 1024);
  ASSERT_EQ(g->validators.size(), 1u);
  EXPECT_EQ(g->validators[0].name, "validator0");
  EXPECT_EQ(g->validators[0].address, addr("0x368Ee712e3D0D7517cCE4909124Aa8d2A766e078"));
  EXPECT_EQ(g->validators[0].power, 10u);
  // The funded dev accounts whose keys are in genesis/devnet-keys (others may follow).
  const Amount million_tokens = *parse_amount("1000000000000000000000000");
  const std::pair<const char*, const char*> dev[] = {{"dev0", "0x8706D1e218184ad14372Fa078D9d674B6E79961d"},
                                                     {"dev1", "0x5d5E9646438527607370033E46ac5073246ECCb3"},
                                                     {"dev2", "0xbca450CBA5Bf6bdBb745205576d993f52EE2976f"},
                                                     {"dev3", "0x98fB7011efA3533DA888c32EF81aB8D9853ecb36"},
                                                     {"dev4", "0x7417c023358083C148DC34ba83e2aa8BeC307746"}};
  for (const auto& [name, address] : dev) {
    auto it = std::find_if(g->accounts.begin(), g->accounts.end(), [&](auto& a) { return a.name == name; });
    ASSERT_NE(it, g->accounts.end()) << name;
    EXPECT_EQ(it->address, addr(address)) << name;
    EXPECT_TRUE(it->balance == million_tokens) << name;
  }
  for (size_t i = 1; i < g->accounts.size(); ++i)
    EXPECT_LT(g->accounts[i - 1].address, g->accounts[i].address);
}

TEST(Genesis, ParsesMinimalDocumentAndSortsAccountsByAddress) {
  auto g = parse_genesis(base_doc().dump());
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g->params.block_time_ms, 500u);
  EXPECT_EQ(g->params.min_gas_price, 2u);
  // Unset params keep their defaults.
  EXPECT_EQ(g->params.block_gas_limit, ChainParams{}.block_gas_limit);
  EXPECT_EQ(g->params.max_block_txs, ChainParams{}.max_block_txs);
  ASSERT_EQ(g->accounts.size(), 2u);
  EXPECT_EQ(g->accounts[0].name, "a");  // 0x00…01 sorts before 0x22…22
  EXPECT_EQ(g->accounts[1].name, "b");
  EXPECT_TRUE(g->accounts[1].balance == 500);
}

TEST(Genesis, AcceptsBalanceAsJsonNumber) {
  json doc = base_doc();
  doc["accounts"][0]["balance"] = 77;
  auto g = parse_genesis(doc.dump());
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_TRUE(g->accounts[1].balance == 77);
}

TEST(Genesis, AcceptsNoAccounts) {
  json doc = base_doc();
  doc.erase("accounts");
  auto g = parse_genesis(doc.dump());
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_TRUE(g->accounts.empty());
}

TEST(Genesis, RejectsNotJson) {
  auto g = parse_genesis("{\"chain_id\": ");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, "bad_genesis");
}

TEST(Genesis, RejectsJsonArray) {
  auto g = parse_genesis("[]");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, "bad_genesis");
}

TEST(Genesis, RejectsMissingChainId) {
  json doc = base_doc();
  doc.erase("chain_id");
  expect_bad(doc, "chain_id");
}

TEST(Genesis, RejectsEmptyChainId) {
  json doc = base_doc();
  doc["chain_id"] = "";
  expect_bad(doc, "chain_id");
}

TEST(Genesis, RejectsChainIdLongerThan64) {
  json doc = base_doc();
  doc["chain_id"] = std::string(65, 'c');
  expect_bad(doc, "chain_id");
}

TEST(Genesis, RejectsMissingGenesisTime) {
  json doc = base_doc();
  doc.erase("genesis_time_ms");
  expect_bad(doc, "genesis_time_ms");
}

TEST(Genesis, RejectsNonIntegerParam) {
  json doc = base_doc();
  doc["params"]["min_gas_price"] = -1;
  expect_bad(doc, "params.min_gas_price");
}

TEST(Genesis, RejectsZeroMaxBlockTxs) {
  json doc = base_doc();
  doc["params"]["max_block_txs"] = 0;
  expect_bad(doc, "max_block_txs");
}

TEST(Genesis, RejectsTooShortBlockTime) {
  json doc = base_doc();
  doc["params"]["block_time_ms"] = 9;
  expect_bad(doc, "block_time_ms");
}

TEST(Genesis, MaxBlockBytesDefaultsTo4MiBAndMustHoldTheLargestTransaction) {
  auto g = parse_genesis(base_doc().dump());
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g->params.max_block_bytes, 4u * 1024 * 1024);
  json doc = base_doc();
  doc["params"]["max_block_bytes"] = kMinBlockBytes;
  g = parse_genesis(doc.dump());
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g->params.max_block_bytes, kMinBlockBytes);
  doc["params"]["max_block_bytes"] = kMaxBlockBytes;
  EXPECT_TRUE(parse_genesis(doc.dump()).ok());
  // Below one maximal transaction plus the header and commit, or above what decode_block accepts.
  doc["params"]["max_block_bytes"] = kMinBlockBytes - 1;
  expect_bad(doc, "max_block_bytes");
  doc["params"]["max_block_bytes"] = kMaxBlockBytes + 1;
  expect_bad(doc, "max_block_bytes");
  doc["params"]["max_block_bytes"] = 0;
  expect_bad(doc, "max_block_bytes");
}

TEST(Genesis, RejectsMaxProofsPerTxAboveTheDecodeLimit) {
  json doc = depin_doc();
  doc["depin"]["max_proofs_per_tx"] = kMaxBatchEntries;
  EXPECT_TRUE(parse_genesis(doc.dump()).ok());
  doc["depin"]["max_proofs_per_tx"] = kMaxBatchEntries + 1;
  expect_bad(doc, "max_proofs_per_tx");
  doc["depin"]["max_proofs_per_tx"] = 0;
  expect_bad(doc, "max_proofs_per_tx");
}

TEST(Genesis, RejectsZeroTransferGas) {
  json doc = base_doc();
  doc["params"]["transfer_gas"] = 0;
  expect_bad(doc, "transfer_gas");
}

TEST(Genesis, RejectsNoValidators) {
  json doc = base_doc();
  doc["validators"] = json::array();
  expect_bad(doc, "validators");
}

TEST(Genesis, RejectsBadValidatorAddress) {
  json doc = base_doc();
  doc["validators"][0]["address"] = "0x11111111111111111111111111111111111111";  // 19 bytes
  expect_bad(doc, "validator address");
}

TEST(Genesis, RejectsValidatorAddressWithWrongChecksum) {
  json doc = base_doc();
  // The devnet validator's EIP-55 address with the case of one letter flipped.
  doc["validators"][0]["address"] = "0x368ee712e3D0D7517cCE4909124Aa8d2A766e078";
  expect_bad(doc, "validator address");
}

TEST(Genesis, RejectsZeroPower) {
  json doc = base_doc();
  doc["validators"][0]["power"] = 0;
  expect_bad(doc, "power");
}

TEST(Genesis, RejectsMissingPower) {
  json doc = base_doc();
  doc["validators"][0].erase("power");
  expect_bad(doc, "power");
}

TEST(Genesis, RejectsDuplicateValidator) {
  json doc = base_doc();
  doc["validators"].push_back(doc["validators"][0]);
  expect_bad(doc, "duplicate validator");
}

// The validators' total power must fit the uint64 that ValidatorSet::total_power() returns; otherwise it
// wraps (here to 0, and proposer() then divides by zero). parse_genesis does not check this today:
// known bug, see the test report.
TEST(Genesis, RejectsTotalPowerOverflow) {
  json doc = base_doc();
  doc["validators"][0]["power"] = "9223372036854775808";  // 2^63
  doc["validators"].push_back({{"name", "v1"},
                               {"address", "0x3333333333333333333333333333333333333333"},
                               {"power", "9223372036854775808"}});
  expect_bad(doc, "power");
}

TEST(Genesis, RejectsBadAccountAddress) {
  json doc = base_doc();
  doc["accounts"][0]["address"] = "0xZZ22222222222222222222222222222222222222";
  expect_bad(doc, "account address");
}

TEST(Genesis, RejectsDuplicateAccount) {
  json doc = base_doc();
  doc["accounts"][1]["address"] = doc["accounts"][0]["address"];
  expect_bad(doc, "duplicate account");
}

TEST(Genesis, RejectsDuplicateAccountSpelledInAnotherCase) {
  json doc = base_doc();
  doc["accounts"][0]["address"] = "0x8706D1e218184ad14372Fa078D9d674B6E79961d";
  doc["accounts"][1]["address"] = "0x8706d1e218184ad14372fa078d9d674b6e79961d";
  expect_bad(doc, "duplicate account");
}

TEST(Genesis, RejectsMissingBalance) {
  json doc = base_doc();
  doc["accounts"][0].erase("balance");
  expect_bad(doc, "balance");
}

TEST(Genesis, RejectsNonDecimalBalance) {
  json doc = base_doc();
  doc["accounts"][0]["balance"] = "12abc";
  expect_bad(doc, "balance");
}

TEST(Genesis, RejectsNegativeBalance) {
  json doc = base_doc();
  doc["accounts"][0]["balance"] = -5;
  expect_bad(doc, "balance");
}

TEST(Genesis, RejectsFractionalBalance) {
  json doc = base_doc();
  doc["accounts"][0]["balance"] = "1.5";
  expect_bad(doc, "balance");
}

TEST(Genesis, RejectsBalanceWithLeadingZero) {
  json doc = base_doc();
  doc["accounts"][0]["balance"] = "0100";
  expect_bad(doc, "balance");
}

TEST(Genesis, RejectsBalanceAbove128Bits) {
  json doc = base_doc();
  doc["accounts"][0]["balance"] = "340282366920938463463374607431768211456";  // 2^128
  expect_bad(doc, "balance");
}

TEST(Genesis, RejectsTotalSupplyOverflow) {
  json doc = base_doc();
  doc["accounts"][0]["balance"] = "340282366920938463463374607431768211455";  // 2^128 - 1
  doc["accounts"][1]["balance"] = "1";
  expect_bad(doc, "total supply");
}

// A wrong JSON type for an optional field must give an error value, never an exception across the
// library boundary (STYLE). parse_genesis reads "name" with json::value(), which throws type_error for a
// non-string: known bug, see the test report.
TEST(Genesis, RejectsNonStringValidatorNameWithoutThrowing) {
  json doc = base_doc();
  doc["validators"][0]["name"] = 5;
  bool threw = false;
  try {
    Result<Genesis> g = parse_genesis(doc.dump());
    ASSERT_FALSE(g.ok());
    EXPECT_EQ(g.error().code, "bad_genesis");
  } catch (const std::exception& e) {
    threw = true;
    ADD_FAILURE() << "parse_genesis threw: " << e.what();
  }
  EXPECT_FALSE(threw);
}

// ---------------------------------------------------------------- depin

TEST(Genesis, ParsesDepinAnchorsAndWitnessPlausibilityParams) {
  json doc = depin_doc();
  doc["depin"]["witness_min_rssi_dbm"] = -140;
  doc["depin"]["witness_min_snr_db_x10"] = -200;
  doc["depin"]["witness_max_snr_db_x10"] = 300;
  auto g = parse_genesis(doc.dump());
  ASSERT_TRUE(g.ok()) << g.error().message;
  ASSERT_EQ(g->depin.anchors.size(), 2u);
  EXPECT_EQ(g->depin.anchors[0].spki, test_spki(0x41));
  EXPECT_EQ(g->depin.anchors[0].classes, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(g->depin.witness_min_rssi_dbm, -140);
  EXPECT_EQ(g->depin.witness_min_snr_db_x10, -200);
  EXPECT_EQ(g->depin.witness_max_snr_db_x10, 300);
  // Unset: the documented defaults (doc/depin.md "Proofs").
  auto d = parse_genesis(depin_doc().dump());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->depin.witness_min_rssi_dbm, -150);
  EXPECT_EQ(d->depin.witness_min_snr_db_x10, -300);
  EXPECT_EQ(d->depin.witness_max_snr_db_x10, 500);
}

// The service rules' parameters (doc/depin.md "Proofs"): devnet values, defaults, and their ranges.
TEST(Genesis, ParsesUptimeIntervalAndMaxWitnessesPerBeacon) {
  auto g = parse_genesis(devnet_json());
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g->depin.uptime_interval_blocks, 5u);
  EXPECT_EQ(g->depin.max_witnesses_per_beacon, 10u);
  auto d = parse_genesis(depin_doc().dump());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->depin.uptime_interval_blocks, 10u);
  EXPECT_EQ(d->depin.max_witnesses_per_beacon, 10u);
  json doc = depin_doc();
  doc["depin"]["uptime_interval_blocks"] = 4294967296ULL;  // 2^32: the largest allowed
  doc["depin"]["max_witnesses_per_beacon"] = 32;
  ASSERT_TRUE(parse_genesis(doc.dump()).ok());
}

// Challenged beacons (doc/depin.md "Beacons"): devnet values, defaults, and their ranges.
TEST(Genesis, ParsesBeaconParameters) {
  auto g = parse_genesis(devnet_json());
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g->depin.beacons_per_device_per_epoch, 1u);
  EXPECT_EQ(g->depin.beacon_window_blocks, 6u);
  auto d = parse_genesis(depin_doc().dump());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->depin.beacons_per_device_per_epoch, 1u);
  EXPECT_EQ(d->depin.beacon_window_blocks, 5u);
  json doc = depin_doc();
  doc["depin"]["beacons_per_device_per_epoch"] = d->depin.epoch_blocks;  // every height: the largest
  doc["depin"]["beacon_window_blocks"] = d->depin.ref_window;
  ASSERT_TRUE(parse_genesis(doc.dump()).ok());
}

TEST(Genesis, RejectsBeaconParametersOutOfRange) {
  const Genesis d = parse_genesis(depin_doc().dump()).value();
  for (uint64_t v : {uint64_t{0}, d.depin.epoch_blocks + 1}) {
    json doc = depin_doc();
    doc["depin"]["beacons_per_device_per_epoch"] = v;
    expect_bad(doc, "beacons_per_device_per_epoch must be in 1..epoch_blocks");
  }
  for (uint64_t v : {uint64_t{0}, d.depin.ref_window + 1}) {
    json doc = depin_doc();
    doc["depin"]["beacon_window_blocks"] = v;
    expect_bad(doc, "beacon_window_blocks must be in 1..ref_window");
  }
  // Within a huge ref_window the window still stops at 2^32, so the reveal deadline cannot overflow.
  json doc = depin_doc();
  doc["depin"]["ref_window"] = uint64_t{1} << 40;
  doc["depin"]["beacon_window_blocks"] = (uint64_t{1} << 32) + 1;
  expect_bad(doc, "beacon_window_blocks must be in 1..ref_window (and at most 2^32)");
  doc["depin"]["beacon_window_blocks"] = uint64_t{1} << 32;
  ASSERT_TRUE(parse_genesis(doc.dump()).ok());
}

TEST(Genesis, RejectsUptimeIntervalOutOfRange) {
  for (uint64_t v : {uint64_t{0}, (uint64_t{1} << 32) + 1}) {
    json doc = depin_doc();
    doc["depin"]["uptime_interval_blocks"] = v;
    expect_bad(doc, "uptime_interval_blocks must be in 1..2^32");
  }
}

TEST(Genesis, RejectsMaxWitnessesPerBeaconOutOfRange) {
  for (uint64_t v : {uint64_t{0}, uint64_t{33}}) {
    json doc = depin_doc();
    doc["depin"]["max_witnesses_per_beacon"] = v;
    expect_bad(doc, "max_witnesses_per_beacon must be in 1..32");
  }
  json doc = depin_doc();
  doc["depin"]["max_witnesses_per_beacon"] = 4294967297ULL;
  expect_bad(doc, "max_witnesses_per_beacon must be an unsigned 32-bit integer");
}

TEST(Genesis, RejectsWitnessSnrRangeInverted) {
  json doc = depin_doc();
  doc["depin"]["witness_min_snr_db_x10"] = 10;
  doc["depin"]["witness_max_snr_db_x10"] = 9;
  expect_bad(doc, "witness_min_snr_db_x10 exceeds witness_max_snr_db_x10");
}

TEST(Genesis, RejectsWitnessSignalParamOutside32Bits) {
  for (const char* key : {"witness_min_rssi_dbm", "witness_rssi_at_1m_dbm", "witness_max_snr_db_x10"}) {
    SCOPED_TRACE(key);
    json doc = depin_doc();
    doc["depin"][key] = 4294967196LL;  // would truncate to −100
    expect_bad(doc, std::string(key) + " must be a signed 32-bit integer");
    doc["depin"][key] = -2147483649LL;
    expect_bad(doc, std::string(key) + " must be a signed 32-bit integer");
  }
}

// Genesis anchors pass the same check_anchor as RegisterAnchor.
TEST(Genesis, RejectsAnchorSpkiThatIsNotStrictP256) {
  json doc = depin_doc();
  Bytes trailing = test_spki(0x41);
  trailing.push_back(0x00);
  doc["depin"]["anchors"][0]["spki"] = to_hex(trailing);
  expect_bad(doc, "anchor 'maker A': anchor spki is not a strict P-256 SubjectPublicKeyInfo");
  Bytes off_curve = test_spki(0x41);
  off_curve.back() ^= 0x01;  // y no longer on the curve
  doc["depin"]["anchors"][0]["spki"] = to_hex(off_curve);
  expect_bad(doc, "not a strict P-256");
}

TEST(Genesis, RejectsAnchorWithNoKinds) {
  json doc = depin_doc();
  doc["depin"]["anchors"][1]["kinds"] = json::array();
  expect_bad(doc, "anchor 'maker B': anchor must allow at least one evidence kind");
}

TEST(Genesis, RejectsAnchorMaxChainLenOutOfRange) {
  for (uint64_t len : {uint64_t{0}, uint64_t{4}, uint64_t{4294967297ULL}}) {
    json doc = depin_doc();
    doc["depin"]["anchors"][0]["max_chain_len"] = len;
    expect_bad(doc, "max_chain_len must be 1..3");
  }
}

TEST(Genesis, RejectsDuplicateAnchor) {
  json doc = depin_doc();
  doc["depin"]["anchors"][1]["spki"] = to_hex(test_spki(0x41));
  expect_bad(doc, "anchor 'maker B' duplicates anchor 'maker A'");
}

TEST(Genesis, RejectsAnchorClassOrKindOutside32Bits) {
  json doc = depin_doc();
  doc["depin"]["anchors"][0]["classes"] = json::array({1, 4294967297ULL});  // would truncate to 1
  expect_bad(doc, "anchor 'maker A': classes must be unsigned 32-bit integers");
  doc = depin_doc();
  doc["depin"]["anchors"][0]["kinds"] = json::array({4294967297ULL});  // would truncate to SE_P256
  expect_bad(doc, "anchor kinds must be SE_P256, TPM2_QUOTE or REGISTRAR_STATEMENT");
}

TEST(Genesis, CheckAnchorIsTheRegisterAnchorRuleSet) {
  pb::Anchor a = anchor_record(GenesisAnchor{"m", test_spki(0x41), 1, {1}, {}, 3});
  EXPECT_TRUE(check_anchor(a).ok());
  a.set_registered_at(5);
  auto st = check_anchor(a);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "bad_anchor");
  EXPECT_NE(st.error().message.find("set by the chain"), std::string::npos);
}
