// consensus_state, net_info, net_peers (rpc/net_methods.h) and the sync fields of chain_status: the JSON
// views of the node's snapshots, on a real node (no P2P, producer not started) and on hand-made snapshots
// with the fields only a running network fills.
#include <gtest/gtest.h>

#include "rpc/net_methods.h"
#include "rpc/node_methods.h"
#include "tests/unit/node/node_test_fixture.h"

namespace physis::rpc {
namespace {

using nlohmann::json;

class NetMethodsTest : public node_test::NodeTest {
 protected:
  void SetUp() override {
    node_ = open_node(validator_);
    ASSERT_TRUE(node_);
    register_node_methods(dispatcher_, *node_);
    register_net_methods(dispatcher_, *node_);
  }
  json call(const std::string& method, const json& params) const {
    json req = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", params}};
    return json::parse(dispatcher_.handle(req.dump()));
  }
  json result(const std::string& method, const json& params = json::object()) const {
    json r = call(method, params);
    EXPECT_TRUE(r.contains("result")) << method << " " << params.dump() << " -> " << r.dump();
    return r.value("result", json());
  }

  std::unique_ptr<node::Node> node_;
  RpcDispatcher dispatcher_;
};

TEST_F(NetMethodsTest, ConsensusStateOfANodeThatDecidesNothingYet) {
  ASSERT_TRUE(node_->produce_block(block_time(1)).ok());
  const json s = result("consensus_state");
  EXPECT_EQ(s["running"], false) << s.dump();
  EXPECT_EQ(s["validator"], false) << "no producer runs, so nothing is signed";
  EXPECT_EQ(s["height"], 2) << "the height being decided is tip + 1";
  EXPECT_EQ(s["round"], 0);
  EXPECT_EQ(s["step"], "");
  EXPECT_TRUE(s["proposer"].is_null());
  EXPECT_TRUE(s["locked_block"].is_null());
  EXPECT_EQ(s["locked_round"], -1);
  EXPECT_TRUE(s["valid_block"].is_null());
  EXPECT_EQ(s["valid_round"], -1);
  EXPECT_EQ(s["total_power"], node_->validators_at(2).total_power());
  EXPECT_EQ(s["votes"], json::array());
}

TEST_F(NetMethodsTest, WithoutP2pNetInfoAndPeersSayDisabled) {
  const json info = result("net_info");
  EXPECT_EQ(info["enabled"], false) << info.dump();
  EXPECT_TRUE(info["node_id"].is_null());
  EXPECT_TRUE(info["listen_address"].is_null());
  EXPECT_EQ(info["peer_count"], 0);
  const json peers = result("net_peers");
  EXPECT_EQ(peers["enabled"], false);
  EXPECT_EQ(peers["count"], 0);
  EXPECT_EQ(peers["peers"], json::array());
}

TEST_F(NetMethodsTest, ChainStatusReportsSyncFields) {
  const json s = result("chain_status");
  EXPECT_EQ(s["syncing"], false) << s.dump();
  EXPECT_EQ(s["sync_target"], 0);
  // The older fields stay (names are a fixed interface).
  for (const char* field :
       {"chain_id", "genesis_hash", "height", "latest_hash", "latest_time", "latest_state_root"})
    EXPECT_TRUE(s.contains(field)) << field;
}

TEST_F(NetMethodsTest, ExtraParamsAreRefused) {
  for (const char* method : {"consensus_state", "net_info", "net_peers"}) {
    json r = call(method, {{"verbose", true}});
    ASSERT_TRUE(r.contains("error")) << method << " -> " << r.dump();
    EXPECT_EQ(r["error"]["code"], kInvalidParams) << method;
    r = call(method, json::array({1}));
    ASSERT_TRUE(r.contains("error")) << method << " -> " << r.dump();
  }
}

TEST(NetMethodsJson, ConsensusStateCarriesRoundLocksAndVotes) {
  node::ConsensusStatus s;
  s.running = true;
  s.validator = true;
  s.height = 17;
  s.round = 2;
  s.step = "precommit";
  s.proposer = node_test::address_of_key(node_test::devnet_key("validator"));
  Hash32 locked{};
  locked[0] = 0xab;
  Hash32 valid{};
  valid[31] = 0x01;
  s.locked_block = locked;
  s.locked_round = 1;
  s.valid_block = valid;
  s.valid_round = 2;
  s.total_power = 40;
  s.votes = {{1, "prevote", 3, 30}, {2, "precommit", 2, 20}};
  const json j = consensus_state_to_json(s);
  EXPECT_EQ(j["running"], true);
  EXPECT_EQ(j["validator"], true);
  EXPECT_EQ(j["height"], 17);
  EXPECT_EQ(j["round"], 2);
  EXPECT_EQ(j["step"], "precommit");
  EXPECT_EQ(j["proposer"], crypto::address_to_string(*s.proposer));
  EXPECT_EQ(j["locked_block"], hash_to_string(locked));
  EXPECT_EQ(j["locked_round"], 1);
  EXPECT_EQ(j["valid_block"], hash_to_string(valid));
  EXPECT_EQ(j["valid_round"], 2);
  EXPECT_EQ(j["total_power"], 40);
  ASSERT_EQ(j["votes"].size(), 2u);
  EXPECT_EQ(j["votes"][0], (json{{"round", 1}, {"type", "prevote"}, {"votes", 3}, {"power", 30}}));
  EXPECT_EQ(j["votes"][1], (json{{"round", 2}, {"type", "precommit"}, {"votes", 2}, {"power", 20}}));
}

TEST(NetMethodsJson, NetInfoAndPeersCountDirections) {
  node::NetStatus s;
  s.enabled = true;
  s.node_id = std::string(40, 'a');
  s.listen_address = "tcp://127.0.0.1:26656";
  p2p::PeerInfo in;
  in.node_id = std::string(40, 'b');
  in.address = "127.0.0.1";
  in.direction = p2p::PeerDirection::kInbound;
  in.score = 75;
  in.height = 9;
  p2p::PeerInfo out = in;
  out.node_id = std::string(40, 'c');
  out.address = "tcp://127.0.0.1:26657";
  out.direction = p2p::PeerDirection::kOutbound;
  out.score = 100;
  out.height = 10;
  s.peers = {in, out, out};
  s.peers[2].node_id = std::string(40, 'd');

  const json info = net_info_to_json(s);
  EXPECT_EQ(info["enabled"], true);
  EXPECT_EQ(info["node_id"], s.node_id);
  EXPECT_EQ(info["listen_address"], s.listen_address);
  EXPECT_EQ(info["peer_count"], 3);
  EXPECT_EQ(info["inbound"], 1);
  EXPECT_EQ(info["outbound"], 2);

  const json peers = net_peers_to_json(s);
  EXPECT_EQ(peers["count"], 3);
  ASSERT_EQ(peers["peers"].size(), 3u);
  EXPECT_EQ(peers["peers"][0], (json{{"id", in.node_id},
                                     {"address", "127.0.0.1"},
                                     {"direction", p2p::direction_name(p2p::PeerDirection::kInbound)},
                                     {"score", 75},
                                     {"height", 9}}));
  EXPECT_EQ(peers["peers"][1]["direction"], p2p::direction_name(p2p::PeerDirection::kOutbound));
  EXPECT_NE(peers["peers"][0]["direction"], peers["peers"][1]["direction"]);
  EXPECT_EQ(peers["peers"][2]["id"], std::string(40, 'd'));

  // An outbound-only node (no listener) has no listen address: null, not "".
  s.listen_address.clear();
  EXPECT_TRUE(net_info_to_json(s)["listen_address"].is_null());
}

}  // namespace
}  // namespace physis::rpc
