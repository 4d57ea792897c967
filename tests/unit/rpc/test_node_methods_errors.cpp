// Node methods (rpc/node_methods.h) under inputs that must be refused with a clear error rather than
// resolved silently, and the pending nonce a client signs with (issue 6, findings 7 and 8). A query-only
// node over the devnet genesis; transactions are admitted to the mempool but no block is produced.
#include <gtest/gtest.h>

#include "rpc/node_methods.h"
#include "tests/unit/node/node_test_fixture.h"

namespace physis::rpc {
namespace {

using nlohmann::json;

class NodeMethodsErrorsTest : public node_test::NodeTest {
 protected:
  void SetUp() override {
    node_ = open_node(std::nullopt);
    ASSERT_TRUE(node_);
    register_node_methods(dispatcher_, *node_);
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

  std::unique_ptr<node::Node> node_;
  RpcDispatcher dispatcher_;
};

TEST_F(NodeMethodsErrorsTest, BlockByHeightAndHashIsInvalidParamsNamingBoth) {
  const json genesis = result("chain_getBlock", {{"height", 0}});
  ASSERT_TRUE(genesis["hash"].is_string());
  // Even when both name the same block: two selectors are a client bug, not a query.
  for (const json& params :
       {json{{"height", 0}, {"hash", genesis["hash"]}}, json{{"height", 5}, {"hash", genesis["hash"]}},
        json{{"hash", genesis["hash"]}, {"height", 0}, {"raw", true}}}) {
    json r = call("chain_getBlock", params);
    ASSERT_TRUE(r.contains("error")) << params.dump() << " -> " << r.dump();
    EXPECT_EQ(r["error"]["code"], kInvalidParams);
    const std::string m = r["error"]["message"];
    EXPECT_NE(m.find("'height'"), std::string::npos) << m;
    EXPECT_NE(m.find("'hash'"), std::string::npos) << m;
  }
  // Each alone still works, and so does a null second selector (null is absent).
  EXPECT_EQ(result("chain_getBlock", {{"hash", genesis["hash"]}})["height"], 0);
  EXPECT_EQ(result("chain_getBlock", {{"height", 0}, {"hash", nullptr}})["hash"], genesis["hash"]);
  EXPECT_EQ(result("chain_getBlock", json::array({0}))["hash"], genesis["hash"]);
}

TEST_F(NodeMethodsErrorsTest, AccountReportsThePendingNonceCountingTheMempool) {
  const Address from = node_test::address_of_key(dev0_);
  const std::string addr = crypto::address_to_string(from);
  json acc = result("state_getAccount", {{"address", addr}});
  EXPECT_EQ(acc["nonce"], 0);
  EXPECT_EQ(acc["pending_nonce"], 0);
  for (uint64_t n = 0; n < 3; ++n) {
    auto h = node_->submit_tx(transfer(dev0_, n, node_test::address_of_key(dev1_), 1));
    ASSERT_TRUE(h.ok()) << h.error().message;
  }
  acc = result("state_getAccount", {{"address", addr}});
  EXPECT_EQ(acc["nonce"], 0) << "nothing is committed yet";
  EXPECT_EQ(acc["pending_nonce"], 3) << acc.dump();
  // Another account's pending transactions are not this one's.
  EXPECT_EQ(
      result("state_getAccount",
             {{"address", crypto::address_to_string(node_test::address_of_key(dev1_))}})["pending_nonce"],
      0);
}

}  // namespace
}  // namespace physis::rpc
