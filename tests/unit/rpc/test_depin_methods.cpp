// DePIN query methods (rpc/depin_methods.h) on a query-only node over the devnet genesis (two trust
// anchors, no devices): paging, cursor checks, parameter errors, and corrupt stored records. Paging
// over devices and rewards is covered on a live chain by tests/functional/test_depin_rpc.py.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "node/explorer_index.h"
#include "node/node.h"
#include "primitives/codec.h"
#include "rpc/chain_params.h"
#include "rpc/depin_methods.h"
#include "storage/block_store.h"
#include "tests/unit/test_support.h"
#include "vm/depin_state.h"

namespace physis::rpc {
namespace {

using nlohmann::json;

Genesis devnet() {
  std::ifstream in(std::string(PHYSIS_SOURCE_DIR) + "/genesis/devnet.json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto g = parse_genesis(ss.str());
  EXPECT_TRUE(g.ok()) << g.error().message;
  return std::move(g).value();
}

class DepinMethodsTest : public ::testing::Test {
 protected:
  // Opens the node; `tamper` may change the genesis state written to the fresh datadir first.
  // `index` may add explorer index entries (node/explorer_index.h) beside it.
  using IndexWrites = std::vector<std::pair<Bytes, Bytes>>;
  void open(const std::function<void(std::map<Bytes, Bytes>&)>& tamper = {},
            const std::function<void(IndexWrites&)>& index = {}) {
    node::NodeOptions o;
    o.datadir = dir_.str() + "/data";
    o.genesis = devnet();
    if (tamper) {
      node::GenesisBlock g = node::make_genesis_block(o.genesis);
      storage::BlockWrite w = node::genesis_block_write(g, o.genesis.genesis_time_ms);
      tamper(w.state_writes);
      if (index) index(w.index_writes);
      std::filesystem::create_directories(o.datadir);
      auto store = storage::BlockStore::open(o.datadir + "/chain");
      ASSERT_TRUE(store.ok()) << store.error().message;
      ASSERT_TRUE((*store)->init_genesis(g.hash, w).ok());
    }
    auto n = node::Node::open(std::move(o));
    ASSERT_TRUE(n.ok()) << n.error().message;
    node_ = std::move(n).value();
    register_depin_methods(dispatcher_, *node_);
  }

  json call(const std::string& method, const json& params) const {
    json req = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", params}};
    return json::parse(dispatcher_.handle(req.dump()));
  }
  json result(const std::string& method, const json& params) const {
    json r = call(method, params);
    EXPECT_TRUE(r.contains("result")) << method << " " << params.dump() << " -> " << r.dump();
    return r.value("result", json());
  }
  // The error message, after checking the code.
  std::string error(const std::string& method, const json& params, int code) const {
    json r = call(method, params);
    EXPECT_TRUE(r.contains("error")) << method << " " << params.dump() << " -> " << r.dump();
    if (!r.contains("error")) return "";
    EXPECT_EQ(r["error"]["code"], code) << method << " " << params.dump() << " -> " << r.dump();
    return r["error"]["message"].get<std::string>();
  }

  test::TempDir dir_;
  std::unique_ptr<node::Node> node_;
  RpcDispatcher dispatcher_;
};

const std::string kDevice = "0x" + std::string(40, 'a');
const std::string kOwner = "0x368Ee712e3D0D7517cCE4909124Aa8d2A766e078";

TEST_F(DepinMethodsTest, ListAnchorsPagesOneByOneToTheSameSet) {
  open();
  json all = result("depin_listAnchors", {{"limit", 1000}});
  ASSERT_EQ(all["items"].size(), 2u);
  EXPECT_TRUE(all["next_cursor"].is_null());
  json first = result("depin_listAnchors", {{"limit", 1}});
  ASSERT_EQ(first["items"].size(), 1u);
  ASSERT_TRUE(first["next_cursor"].is_string());
  json second = result("depin_listAnchors", {{"limit", 1}, {"cursor", first["next_cursor"]}});
  ASSERT_EQ(second["items"].size(), 1u);
  EXPECT_TRUE(second["next_cursor"].is_null());
  EXPECT_EQ(json::array({first["items"][0], second["items"][0]}), all["items"]);
}

TEST_F(DepinMethodsTest, CursorOfAnotherQueryIsInvalidParams) {
  open();
  const std::string anchor_cursor = result("depin_listAnchors", {{"limit", 1}})["next_cursor"];
  const std::string device_key = "0x64" + std::string(40, '1');  // 'd' ‖ 20 bytes
  struct Case {
    std::string method;
    json params;
  };
  const std::vector<Case> cases = {
      {"depin_listAnchors", {{"cursor", "zz"}}},
      {"depin_listAnchors", {{"cursor", "0x6e01"}}},  // anchor prefix, wrong length
      {"depin_listAnchors", {{"cursor", device_key}}},
      {"depin_listDevices", {{"cursor", anchor_cursor}}},
      {"depin_listDevices", {{"owner", kOwner}, {"cursor", device_key}}},
      {"depin_listDevices", {{"anchor", anchor_cursor.substr(4)}, {"cursor", anchor_cursor}}},
      {"depin_listDevices", {{"h3_parent", "872830828ffffff"}, {"cursor", anchor_cursor}}},
      {"depin_getProofs", {{"epoch", 0}, {"cursor", anchor_cursor}}},
      {"depin_getProofs", {{"device", kDevice}, {"cursor", device_key}}},
      {"depin_getRewards", {{"device", kDevice}, {"cursor", device_key}}},
      {"depin_getRewards", {{"owner", kOwner}, {"cursor", anchor_cursor}}},
      {"depin_getRewards", {{"epoch", 0}, {"cursor", anchor_cursor}}},
  };
  for (const auto& c : cases) {
    const std::string m = error(c.method, c.params, kInvalidParams);
    EXPECT_NE(m.find("cursor"), std::string::npos) << c.method << ": " << m;
  }
  // A cursor of the same query with another filter value does not belong either.
  Bytes other = node::epoch_earner_index_key(1, Address{0x11});
  EXPECT_NE(
      error("depin_getRewards", {{"epoch", 0}, {"cursor", to_hex0x(other)}}, kInvalidParams).find("cursor"),
      std::string::npos);
  // The right shape for the query is accepted (an empty page here).
  Bytes own = node::epoch_earner_index_key(0, Address{0x11});
  EXPECT_EQ(result("depin_getRewards", {{"epoch", 0}, {"cursor", to_hex0x(own)}})["items"], json::array());
}

TEST_F(DepinMethodsTest, LimitOutOfRangeAndUnknownDevice) {
  open();
  EXPECT_EQ(error("depin_listAnchors", {{"limit", 0}}, kInvalidParams), "limit must be 1..1000");
  EXPECT_EQ(error("depin_getRewards", {{"owner", kOwner}, {"limit", 1001}}, kInvalidParams),
            "limit must be 1..1000");
  EXPECT_NE(error("depin_getRewards", {{"device", kDevice}}, kNotFound).find("no device"), std::string::npos);
  EXPECT_NE(error("depin_getDevice", {{"id", kDevice}}, kNotFound).find("no device"), std::string::npos);
  EXPECT_EQ(result("depin_getRewards", {{"owner", kOwner}})["items"], json::array());
}

TEST_F(DepinMethodsTest, H3ParentTakesTheStandardFormAndRejectsInvalidCells) {
  open();
  json r = result("depin_listDevices", {{"h3_parent", "872830828ffffff"}});
  EXPECT_EQ(r["items"], json::array());
  EXPECT_TRUE(r["next_cursor"].is_null());
  EXPECT_TRUE(call("depin_listDevices", {{"h3_parent", 0x0872830828ffffffULL}}).contains("result"));
  const std::string m = error("depin_listDevices", {{"h3_parent", "0872830828fffff0"}}, kInvalidParams);
  EXPECT_NE(m.find("valid H3 cell"), std::string::npos) << m;
  error("depin_listDevices", {{"h3_parent", "8728308"}}, kInvalidParams);
}

TEST_F(DepinMethodsTest, CorruptStoredRecordIsAnInternalErrorNamingTheKey) {
  Bytes corrupt_key;
  open([&](std::map<Bytes, Bytes>& writes) {
    for (auto& [k, v] : writes)
      if (!k.empty() && k[0] == vm::kAnchorPrefix) {
        corrupt_key = k;
        v.push_back(0xf8);  // an unknown field 127 = 1: parses, but is not canonical
        v.push_back(0x07);
        v.push_back(0x01);
        break;
      }
  });
  ASSERT_FALSE(corrupt_key.empty());
  const std::string id = to_hex0x(ByteSpan(corrupt_key).subspan(1));
  std::string m = error("depin_getAnchor", {{"id", id}}, kInternalError);
  EXPECT_NE(m.find("corrupt Anchor record at key " + to_hex0x(corrupt_key)), std::string::npos) << m;
  m = error("depin_listAnchors", json::object(), kInternalError);
  EXPECT_NE(m.find("corrupt Anchor"), std::string::npos) << m;
}

// doc/depin.md "Rewards": a device transferred during an epoch pays each owner its part. The records
// are written into the genesis state (and the settled RewardRecord into the explorer index) directly: the
// device, now owned by `owner`, earned 40 in epoch 1, 25 of it under `earlier`; epoch 1 is closed with a
// device pool of 700002 and a total weight of 45.
TEST_F(DepinMethodsTest, RewardsShowEachOwnersPartOfADeviceTransferredMidEpoch) {
  Address dev{}, owner{}, earlier{};
  dev.fill(0xaa);
  owner.fill(0x0c);
  earlier.fill(0x0b);
  auto amount = [](Amount a) { return to_string(encode_amount(a)); };
  open(
      [&](std::map<Bytes, Bytes>& writes) {
        pb::Device d;
        d.set_owner(to_string(owner));
        d.set_accrued_epoch(1);
        d.set_accrued_weight(40);
        pb::OwnerShare* s = d.add_earlier_owners();
        s->set_owner(to_string(earlier));
        s->set_weight(25);
        writes[vm::device_key(dev)] = encode_canonical(d);
        writes[vm::prefixed_key(vm::kOwnerIndexPrefix, owner, dev)] = vm::kIndexMarker;
        pb::EpochRecord e;
        e.set_total_weight(45);
        e.set_closed(true);
        e.set_device_pool(amount(700'002));
        writes[vm::epoch_key(1)] = encode_canonical(e);
      },
      [&](IndexWrites& index) {
        pb::RewardRecord rr;  // epoch 0, settled: 100 for weight 10, 30 of it to `earlier` for its 3
        rr.set_device_id(to_string(dev));
        rr.set_epoch(0);
        rr.set_weight(10);
        rr.set_amount(amount(100));
        rr.set_owner(to_string(owner));
        rr.set_settled_at(7);
        pb::OwnerShare* paid = rr.add_earlier_owners();
        paid->set_owner(to_string(earlier));
        paid->set_weight(3);
        paid->set_amount(amount(30));
        index.emplace_back(node::reward_index_key(dev, 0), encode_canonical(rr));
      });
  // R = ⌊40 × 700002 / 45⌋ = 622224; the earlier owner ⌊25 × R / 40⌋ = 388890, the owner the rest.
  const json device = result("depin_getDevice", {{"id", to_hex0x(dev)}});
  EXPECT_EQ(device["pending_reward"], "622224") << device.dump();
  EXPECT_EQ(device["pending_owner_reward"], "233334") << device.dump();
  ASSERT_EQ(device["pending_earlier_owners"].size(), 1u) << device.dump();
  EXPECT_EQ(device["pending_earlier_owners"][0]["owner"], addr_str(to_string(earlier)));
  EXPECT_EQ(device["pending_earlier_owners"][0]["weight"], 25);
  EXPECT_EQ(device["pending_earlier_owners"][0]["amount"], "388890");
  for (const json& params : {json{{"device", to_hex0x(dev)}}, json{{"owner", to_hex0x(owner)}}}) {
    const json items = result("depin_getRewards", params)["items"];
    ASSERT_EQ(items.size(), 2u) << items.dump();
    EXPECT_EQ(items[0]["settled"], true);
    EXPECT_EQ(items[0]["amount"], "100");
    EXPECT_EQ(items[0]["owner_weight"], 7);
    EXPECT_EQ(items[0]["owner_amount"], "70");
    EXPECT_EQ(items[0]["earlier_owners"][0]["amount"], "30") << items.dump();
    EXPECT_EQ(items[1]["settled"], false);
    EXPECT_EQ(items[1]["amount"], "622224");
    EXPECT_EQ(items[1]["owner"], addr_str(to_string(owner)));
    EXPECT_EQ(items[1]["owner_weight"], 15);
    EXPECT_EQ(items[1]["owner_amount"], "233334");
    EXPECT_EQ(items[1]["earlier_owners"][0]["owner"], addr_str(to_string(earlier)));
    EXPECT_EQ(items[1]["earlier_owners"][0]["amount"], "388890") << items.dump();
  }
}

// Issue 6, finding 7: filters that select different things are not resolved silently by precedence.
TEST_F(DepinMethodsTest, ConflictingFiltersAreInvalidParamsNamingBoth) {
  open();
  const std::string anchor = "0x" + std::string(64, 'b');
  struct Case {
    std::string method;
    json params;
    std::string first, second;
  };
  const std::vector<Case> cases = {
      {"depin_listDevices", {{"owner", kOwner}, {"anchor", anchor}}, "owner", "anchor"},
      {"depin_listDevices", {{"owner", kOwner}, {"h3_parent", "872830828ffffff"}}, "owner", "h3_parent"},
      {"depin_listDevices", {{"anchor", anchor}, {"h3_parent", "872830828ffffff"}}, "anchor", "h3_parent"},
      {"depin_getRewards", {{"owner", kOwner}, {"epoch", 0}}, "owner", "epoch"},
      {"depin_getRewards", {{"device", kDevice}, {"owner", kOwner}}, "device", "owner"},
      {"depin_getRewards", {{"device", kDevice}, {"epoch", 0}}, "device", "epoch"},
      {"depin_getProofs", {{"device", kDevice}, {"epoch", 0}}, "device", "epoch"},
  };
  for (const auto& c : cases) {
    const std::string m = error(c.method, c.params, kInvalidParams);
    EXPECT_NE(m.find("'" + c.first + "'"), std::string::npos) << c.method << ": " << m;
    EXPECT_NE(m.find("'" + c.second + "'"), std::string::npos) << c.method << ": " << m;
    EXPECT_NE(m.find("not both"), std::string::npos) << c.method << ": " << m;
  }
  // One filter alone, or a null second one (null counts as absent), is still a query.
  EXPECT_EQ(result("depin_getRewards", {{"owner", kOwner}, {"epoch", nullptr}})["items"], json::array());
  EXPECT_EQ(result("depin_listDevices", {{"owner", kOwner}})["items"], json::array());
}

// Issue 6, finding 7: an epoch whose heights do not fit in u64 is refused with the range, never wrapped.
TEST_F(DepinMethodsTest, EpochBeyondU64HeightsIsInvalidParamsWithTheRange) {
  open();
  const uint64_t blocks = node_->genesis().depin.epoch_blocks;
  ASSERT_GT(blocks, 1u);
  const uint64_t max = (UINT64_MAX - (blocks - 1)) / blocks;
  const json last = result("depin_getEpoch", {{"epoch", max}});
  EXPECT_EQ(last["first_height"].get<uint64_t>(), max * blocks);
  EXPECT_EQ(last["last_height"].get<uint64_t>(), max * blocks + blocks - 1);
  EXPECT_GT(last["last_height"].get<uint64_t>(), last["first_height"].get<uint64_t>());
  for (const uint64_t epoch : {max + 1, UINT64_MAX}) {
    const std::string m = error("depin_getEpoch", {{"epoch", epoch}}, kInvalidParams);
    EXPECT_NE(m.find("0.." + std::to_string(max)), std::string::npos) << m;
  }
  const json first = result("depin_getEpoch", {{"epoch", 0}});
  EXPECT_EQ(first["first_height"], 0);
  EXPECT_EQ(first["last_height"].get<uint64_t>(), blocks - 1);
}

}  // namespace
}  // namespace physis::rpc
