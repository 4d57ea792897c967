// The chain's identity covers every rule (issue 7): every genesis parameter is committed in the genesis
// state (primitives/genesis.h params_record, stored under 'p'; validators, balances and anchors in their
// own records), so the genesis hash changes when any one of them changes.
//
// The tests keep that true as parameters are added. A new member of ChainParams or DepinParams fails
// RecordHasAFieldForEveryMember until physis.proto has a field for it; a new field fails
// EveryFieldHasAMutation until kMutations below changes it; and EachRuleChangesTheGenesisHash fails
// until params_record stores it. So adding a parameter means: the member, the proto field, one line in
// params_record, one line in kMutations.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "node/node.h"
#include "primitives/codec.h"
#include "primitives/genesis.h"
#include "tests/unit/node/node_test_fixture.h"
#include "vm/apply.h"

using namespace physis;
using physis::node_test::devnet;

namespace {

// The number of members of an aggregate: the most initialisers T{...} accepts, each convertible to any
// member type. Only used in unevaluated requires-expressions, so the conversion is never defined.
struct AnyMember {
  template <class T>
  operator T() const;  // NOLINT(google-explicit-constructor): must convert implicitly
};
template <class T, class... Members>
constexpr size_t member_count() {
  if constexpr (requires { T{Members{}..., AnyMember{}}; })
    return member_count<T, Members..., AnyMember>();
  else
    return sizeof...(Members);
}

int field_count(const google::protobuf::Descriptor* d) { return d->field_count(); }

struct Mutation {
  // "Params.<field>" or "DepinParams.<field>": the field of the stored record it changes. Otherwise
  // "<record>.<member>" of a genesis entry stored as its own record.
  std::string field;
  std::function<void(Genesis&)> apply;
};

// One mutation per committed value: a new parameter gets its line here.
const std::vector<Mutation>& mutations() {
  static const std::vector<Mutation> kMutations = {
      // ChainParams and the chain's name and time (pb::Params).
      {"Params.block_time_ms", [](Genesis& g) { g.params.block_time_ms += 1; }},
      {"Params.min_gas_price", [](Genesis& g) { g.params.min_gas_price += 1; }},
      {"Params.transfer_gas", [](Genesis& g) { g.params.transfer_gas += 1; }},
      {"Params.block_gas_limit", [](Genesis& g) { g.params.block_gas_limit += 1; }},
      {"Params.max_block_txs", [](Genesis& g) { g.params.max_block_txs += 1; }},
      {"Params.chain_id", [](Genesis& g) { g.chain_id += "x"; }},
      {"Params.genesis_time_ms", [](Genesis& g) { g.genesis_time_ms += 1; }},
      {"Params.max_block_bytes", [](Genesis& g) { g.params.max_block_bytes += 1; }},
      {"Params.max_clock_drift_ms", [](Genesis& g) { g.params.max_clock_drift_ms += 1; }},
      // DepinParams (pb::DepinParams).
      {"DepinParams.governance", [](Genesis& g) { g.depin.governance[19] ^= 1; }},
      {"DepinParams.treasury", [](Genesis& g) { g.depin.treasury[19] ^= 1; }},
      {"DepinParams.epoch_blocks", [](Genesis& g) { g.depin.epoch_blocks += 1; }},
      {"DepinParams.emission_per_epoch", [](Genesis& g) { g.depin.emission_per_epoch += 1; }},
      {"DepinParams.halving_interval_epochs", [](Genesis& g) { g.depin.halving_interval_epochs += 1; }},
      {"DepinParams.supply_cap", [](Genesis& g) { g.depin.supply_cap += 1; }},
      {"DepinParams.device_share_bps", [](Genesis& g) { g.depin.device_share_bps -= 1; }},
      {"DepinParams.validator_share_bps", [](Genesis& g) { g.depin.validator_share_bps -= 1; }},
      {"DepinParams.weight_uptime", [](Genesis& g) { g.depin.weight_uptime += 1; }},
      {"DepinParams.weight_witness", [](Genesis& g) { g.depin.weight_witness += 1; }},
      {"DepinParams.weight_data_per_mib", [](Genesis& g) { g.depin.weight_data_per_mib += 1; }},
      {"DepinParams.device_epoch_cap", [](Genesis& g) { g.depin.device_epoch_cap += 1; }},
      {"DepinParams.ref_window", [](Genesis& g) { g.depin.ref_window += 1; }},
      {"DepinParams.uptime_interval_blocks", [](Genesis& g) { g.depin.uptime_interval_blocks += 1; }},
      {"DepinParams.witness_min_distance_m", [](Genesis& g) { g.depin.witness_min_distance_m += 1; }},
      {"DepinParams.witness_max_distance_m", [](Genesis& g) { g.depin.witness_max_distance_m += 1; }},
      {"DepinParams.witness_rssi_at_1m_dbm", [](Genesis& g) { g.depin.witness_rssi_at_1m_dbm -= 1; }},
      {"DepinParams.witness_min_rssi_dbm", [](Genesis& g) { g.depin.witness_min_rssi_dbm += 1; }},
      {"DepinParams.witness_min_snr_db_x10", [](Genesis& g) { g.depin.witness_min_snr_db_x10 += 1; }},
      {"DepinParams.witness_max_snr_db_x10", [](Genesis& g) { g.depin.witness_max_snr_db_x10 -= 1; }},
      {"DepinParams.max_proofs_per_tx", [](Genesis& g) { g.depin.max_proofs_per_tx -= 1; }},
      {"DepinParams.max_witnesses_per_beacon", [](Genesis& g) { g.depin.max_witnesses_per_beacon -= 1; }},
      {"DepinParams.location_cooldown_blocks", [](Genesis& g) { g.depin.location_cooldown_blocks += 1; }},
      {"DepinParams.relocation_settle_blocks", [](Genesis& g) { g.depin.relocation_settle_blocks += 1; }},
      {"DepinParams.density_cell_e7", [](Genesis& g) { g.depin.density_cell_e7 += 1; }},
      {"DepinParams.target_devices_per_cell", [](Genesis& g) { g.depin.target_devices_per_cell += 1; }},
      {"DepinParams.usage_price_per_mib", [](Genesis& g) { g.depin.usage_price_per_mib += 1; }},
      {"DepinParams.beacons_per_device_per_epoch",
       [](Genesis& g) { g.depin.beacons_per_device_per_epoch += 1; }},
      {"DepinParams.beacon_window_blocks", [](Genesis& g) { g.depin.beacon_window_blocks += 1; }},
      // Validators ('v' ‖ address → ValidatorRecord).
      {"GenesisValidator.address", [](Genesis& g) { g.validators.at(0).address[19] ^= 1; }},
      {"GenesisValidator.power", [](Genesis& g) { g.validators.at(0).power += 1; }},
      {"GenesisValidator.name", [](Genesis& g) { g.validators.at(0).name += "x"; }},
      // Accounts ('a' ‖ address → Account); the name is a label for tools, not a rule.
      {"GenesisAccount.address", [](Genesis& g) { g.accounts.at(0).address[19] ^= 1; }},
      {"GenesisAccount.balance", [](Genesis& g) { g.accounts.at(0).balance += 1; }},
      // Trust anchors ('n' ‖ anchor id → Anchor).
      {"GenesisAnchor.spki", [](Genesis& g) { g.depin.anchors.at(0).spki.back() ^= 1; }},
      {"GenesisAnchor.name", [](Genesis& g) { g.depin.anchors.at(0).name += "x"; }},
      {"GenesisAnchor.role", [](Genesis& g) { g.depin.anchors.at(0).role = pb::TPM_AK_CA; }},
      {"GenesisAnchor.kinds", [](Genesis& g) { g.depin.anchors.at(0).kinds.push_back(pb::TPM2_QUOTE); }},
      {"GenesisAnchor.classes", [](Genesis& g) { g.depin.anchors.at(0).classes.push_back(7); }},
      {"GenesisAnchor.max_chain_len", [](Genesis& g) { g.depin.anchors.at(0).max_chain_len -= 1; }},
  };
  return kMutations;
}

size_t mutations_of(const std::string& record) {
  size_t n = 0;
  for (const auto& m : mutations()) n += m.field.rfind(record + ".", 0) == 0;
  return n;
}

Hash32 genesis_hash(const Genesis& g) { return node::make_genesis_block(g).hash; }

// The record with one field cleared: "Params.<field>" or "DepinParams.<field>" (of the nested record).
pb::Params without(pb::Params record, const std::string& field) {
  const size_t dot = field.find('.');
  google::protobuf::Message* m = field.substr(0, dot) == "Params"
                                     ? static_cast<google::protobuf::Message*>(&record)
                                     : record.mutable_depin();
  const auto* f = m->GetDescriptor()->FindFieldByName(field.substr(dot + 1));
  EXPECT_NE(f, nullptr) << field;
  if (f) m->GetReflection()->ClearField(m, f);
  return record;
}

}  // namespace

// A member added to a genesis struct must reach the state: ChainParams and DepinParams through a field of
// the Params record, the others through their own records (and so a mutation each).
TEST(GenesisIdentity, RecordHasAFieldForEveryMember) {
  const int params_fields = field_count(pb::Params::descriptor());
  const int depin_fields = field_count(pb::DepinParams::descriptor());
  // pb::Params: the ChainParams members, chain_id, genesis_time_ms and the nested depin record.
  EXPECT_EQ(member_count<ChainParams>() + 3, static_cast<size_t>(params_fields))
      << "a ChainParams member without a pb::Params field (or the reverse): add the field to physis.proto "
         "and a line to params_record (primitives/genesis.cpp)";
  // pb::DepinParams: every DepinParams member but `anchors`, which are Anchor records of their own.
  EXPECT_EQ(member_count<DepinParams>(), static_cast<size_t>(depin_fields) + 1)
      << "a DepinParams member without a pb::DepinParams field (or the reverse): add the field to "
         "physis.proto and a line to params_record (primitives/genesis.cpp)";
  // Genesis: chain_id, genesis_time_ms, params, depin (all in Params), validators, accounts.
  EXPECT_EQ(member_count<Genesis>(), 6u) << "a new Genesis member must be committed in genesis_state";
  EXPECT_EQ(member_count<GenesisValidator>(), mutations_of("GenesisValidator"));
  EXPECT_EQ(member_count<GenesisAccount>(), mutations_of("GenesisAccount") + 1);  // + the name, a label
  EXPECT_EQ(member_count<GenesisAnchor>(), mutations_of("GenesisAnchor"));
}

// Every field of the stored record has exactly one mutation in the table, and the table names no field
// the record does not have.
TEST(GenesisIdentity, EveryFieldHasAMutation) {
  std::map<std::string, int> seen;
  for (const auto& m : mutations()) ++seen[m.field];
  for (const auto& [field, n] : seen) EXPECT_EQ(n, 1) << field << " is changed by more than one mutation";
  for (const auto* d : {pb::Params::descriptor(), pb::DepinParams::descriptor()}) {
    for (int i = 0; i < d->field_count(); ++i) {
      const auto* f = d->field(i);
      if (f->message_type() == pb::DepinParams::descriptor()) continue;  // its fields are listed themselves
      const std::string name = d->name() + "." + f->name();
      EXPECT_EQ(seen.count(name), 1u) << name << " has no mutation in kMutations";
    }
  }
  EXPECT_EQ(mutations_of("Params"), static_cast<size_t>(field_count(pb::Params::descriptor()) - 1));
  EXPECT_EQ(mutations_of("DepinParams"), static_cast<size_t>(field_count(pb::DepinParams::descriptor())));
}

// Changing any one committed value changes the genesis hash, and no two changes give the same hash.
TEST(GenesisIdentity, EachRuleChangesTheGenesisHash) {
  const Genesis base = devnet();
  ASSERT_FALSE(base.validators.empty());
  ASSERT_FALSE(base.accounts.empty());
  ASSERT_FALSE(base.depin.anchors.empty());
  const Hash32 base_hash = genesis_hash(base);
  std::map<Hash32, std::string> hashes{{base_hash, "base"}};
  for (const auto& m : mutations()) {
    Genesis g = base;
    m.apply(g);
    const Hash32 h = genesis_hash(g);
    EXPECT_NE(h, base_hash) << m.field << " is not committed in the genesis state";
    auto [it, fresh] = hashes.emplace(h, m.field);
    EXPECT_TRUE(fresh) << m.field << " gives the same genesis hash as " << it->second;
  }
  EXPECT_EQ(hashes.size(), mutations().size() + 1);
}

// Each mutation changes exactly the field it names: the record differs, and differs nowhere else (so no
// member is stored in another member's field).
TEST(GenesisIdentity, EachMemberIsStoredInItsOwnField) {
  const Genesis base = devnet();
  const pb::Params base_record = params_record(base);
  for (const auto& m : mutations()) {
    const bool in_params = m.field.rfind("Params.", 0) == 0;
    if (!in_params && m.field.rfind("DepinParams.", 0) != 0) continue;
    Genesis g = base;
    m.apply(g);
    const pb::Params record = params_record(g);
    EXPECT_NE(encode_canonical(record), encode_canonical(base_record)) << m.field;
    EXPECT_EQ(encode_canonical(without(record, m.field)), encode_canonical(without(base_record, m.field)))
        << m.field << " changes another field of the record too";
  }
}

// The record is what genesis_state stores under 'p', and its encoding is canonical.
TEST(GenesisIdentity, GenesisStateStoresTheParamsRecord) {
  const Genesis g = devnet();
  const vm::BlockResult state = vm::genesis_state(g);
  const Bytes key{vm::kParamsKey};
  const auto stored = state.writes.find(key);
  ASSERT_NE(stored, state.writes.end());
  EXPECT_EQ(stored->second, encode_canonical(params_record(g)));
  pb::Params p;
  ASSERT_TRUE(decode_canonical(stored->second, p, "params").ok());
  EXPECT_EQ(p.depin().governance(), to_string(g.depin.governance));
  EXPECT_EQ(p.depin().emission_per_epoch(), to_string(encode_amount(g.depin.emission_per_epoch)));
  EXPECT_EQ(p.depin().witness_rssi_at_1m_dbm(), g.depin.witness_rssi_at_1m_dbm);
}
