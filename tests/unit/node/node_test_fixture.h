// Shared fixture of the node tests: a temporary datadir with the devnet genesis and its public test keys
// (genesis/devnet-keys). Blocks are produced by calling produce_block directly, never by the timed
// producer thread, so nothing depends on the clock.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "consensus/validator_set.h"
#include "crypto/merkle.h"
#include "node/keyfile.h"
#include "node/node.h"
#include "primitives/block.h"
#include "primitives/codec.h"
#include "primitives/transaction.h"
#include "tests/unit/test_support.h"

namespace physis::node_test {
using namespace physis::node;
using physis::test::TempDir;

inline const std::string kSourceDir = PHYSIS_SOURCE_DIR;

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline Genesis devnet() {
  auto g = parse_genesis(read_file(kSourceDir + "/genesis/devnet.json"));
  EXPECT_TRUE(g.ok()) << g.error().message;
  return std::move(g).value();
}

inline crypto::PrivateKey devnet_key(const std::string& name) {
  auto k = read_key_file(kSourceDir + "/genesis/devnet-keys/" + name + ".key");
  EXPECT_TRUE(k.ok()) << k.error().message;
  return k.ok() ? *k : crypto::PrivateKey{};
}

inline Address address_of_key(const crypto::PrivateKey& k) {
  return crypto::address_of(*crypto::public_key_of(k));
}

class NodeTest : public ::testing::Test {
 protected:
  NodeOptions options(std::optional<crypto::PrivateKey> key) const {
    NodeOptions o;
    o.datadir = dir_.str() + "/data";
    o.genesis = genesis_;
    o.validator_key = key;
    return o;
  }
  std::unique_ptr<Node> open_node(std::optional<crypto::PrivateKey> key) {
    auto n = Node::open(options(key));
    EXPECT_TRUE(n.ok()) << n.error().code << ": " << n.error().message;
    return n.ok() ? std::move(n).value() : nullptr;
  }
  // A node of its own in the datadir `name` under the test's directory (several nodes in one test).
  std::unique_ptr<Node> open_node_in(const std::string& name, std::optional<crypto::PrivateKey> key) {
    NodeOptions o = options(key);
    o.datadir = dir_.str() + "/" + name;
    auto n = Node::open(o);
    EXPECT_TRUE(n.ok()) << n.error().code << ": " << n.error().message;
    return n.ok() ? std::move(n).value() : nullptr;
  }
  Bytes transfer(const crypto::PrivateKey& from, uint64_t nonce, const Address& to, Amount amount,
                 uint64_t gas_price = 1) const {
    return sign_tx(
        make_transfer_body(genesis_.chain_id, nonce, genesis_.params.transfer_gas, gas_price, to, amount),
        from);
  }
  uint64_t block_time(uint64_t height) const { return genesis_.genesis_time_ms + height * 1000; }

  TempDir dir_;
  Genesis genesis_ = devnet();
  crypto::PrivateKey validator_ = devnet_key("validator");
  crypto::PrivateKey dev0_ = devnet_key("dev0");
  crypto::PrivateKey dev1_ = devnet_key("dev1");
};

}  // namespace physis::node_test
