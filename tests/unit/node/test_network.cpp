// Several validators in one process, each a whole Node with its own LevelDB datadir, signer, WAL and P2P
// host, linked over real CurveZMQ sockets on 127.0.0.1. The functional tests do the same with physisd
// processes; this one checks the driver itself without a process per node.
#include <unistd.h>

#include <chrono>
#include <thread>

#include "node_test_fixture.h"
#include "p2p/node_key.h"

namespace physis::node_test {
namespace {

using namespace std::chrono_literals;

class NetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    genesis_ = devnet();
    genesis_.params.block_time_ms = 200;
    genesis_.validators.clear();
    for (int i = 0; i < 4; ++i) {
      keys_.push_back(crypto::generate_private_key());
      genesis_.validators.push_back({"v" + std::to_string(i), address_of_key(keys_.back()), 10});
    }
    std::sort(genesis_.validators.begin(), genesis_.validators.end(),
              [](const auto& a, const auto& b) { return a.address < b.address; });
    for (int i = 0; i < 5; ++i) {
      auto k = p2p::generate_node_key();
      ASSERT_TRUE(k.ok());
      node_keys_.push_back(*k);
    }
    // Five ports per test process, from its pid, so that concurrent test processes do not collide, and
    // below the ephemeral range (32768+) where other tests and outgoing connections get their ports.
    base_port_ = 20000 + static_cast<int>(::getpid() % 2500) * 5;
  }
  void TearDown() override {
    for (auto& n : nodes_)
      if (n) n->stop();
  }

  NodeOptions options_for(int i, bool validator) {
    NodeOptions o;
    o.datadir = dir_.str() + "/n" + std::to_string(i);
    o.genesis = genesis_;
    if (validator) o.validator_key = keys_[static_cast<size_t>(i)];
    o.node_key = node_keys_[static_cast<size_t>(i)];
    o.p2p.listen_address = "tcp://127.0.0.1:" + std::to_string(base_port_ + i);
    for (int j = 0; j < 5; ++j)
      if (j != i)
        o.p2p.persistent_peers.push_back(
            {node_keys_[static_cast<size_t>(j)].node_id(), "tcp://127.0.0.1:" + std::to_string(base_port_ + j)});
    o.engine.propose_base_ms = 1000;
    o.engine.prevote_base_ms = 300;
    o.engine.precommit_base_ms = 300;
    return o;
  }

  void start(int i, bool validator = true) {
    if (nodes_.size() <= static_cast<size_t>(i)) nodes_.resize(static_cast<size_t>(i) + 1);
    auto n = Node::open(options_for(i, validator));
    ASSERT_TRUE(n.ok()) << n.error().message;
    nodes_[static_cast<size_t>(i)] = std::move(*n);
    auto st = nodes_[static_cast<size_t>(i)]->start();
    ASSERT_TRUE(st.ok()) << st.error().code << ": " << st.error().message;
  }

  // Waits until every running node in `which` has committed `height`.
  bool wait_height(const std::vector<int>& which, uint64_t height, std::chrono::milliseconds limit = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      bool all = true;
      for (int i : which) all = all && nodes_[static_cast<size_t>(i)]->tip().height >= height;
      if (all) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  void expect_same_chain(const std::vector<int>& which, uint64_t up_to) {
    for (uint64_t h = 1; h <= up_to; ++h) {
      auto first = nodes_[static_cast<size_t>(which[0])]->block_at(h);
      ASSERT_TRUE(first.ok()) << "height " << h;
      for (int i : which) {
        auto b = nodes_[static_cast<size_t>(i)]->block_at(h);
        ASSERT_TRUE(b.ok()) << "node " << i << " height " << h;
        EXPECT_EQ(b->hash, first->hash) << "node " << i << " height " << h;
        EXPECT_EQ(b->block.header().state_root(), first->block.header().state_root());
        auto c = nodes_[static_cast<size_t>(i)]->commit_at(h);
        ASSERT_TRUE(c.ok());
        EXPECT_TRUE(consensus::verify_commit(*c, consensus::ValidatorSet::from_genesis(genesis_), genesis_.chain_id,
                                             h, b->hash)
                        .ok());
      }
    }
  }

  void fill_chain_with_transfers();
  void expect_full_node_syncs(bool verify_signatures);

  TempDir dir_;
  Genesis genesis_;
  std::vector<crypto::PrivateKey> keys_;
  std::vector<p2p::NodeKey> node_keys_;
  std::vector<std::unique_ptr<Node>> nodes_;
  int base_port_ = 0;
};

TEST_F(NetworkTest, FourValidatorsAgreeAndIncludeTransactions) {
  for (int i = 0; i < 4; ++i) start(i);
  ASSERT_TRUE(wait_height({0, 1, 2, 3}, 3));
  // A transfer sent to one validator is gossiped and lands in a block every node has.
  const crypto::PrivateKey dev0 = devnet_key("dev0");
  const Address to = address_of_key(devnet_key("dev1"));
  const Bytes tx = sign_tx(make_transfer_body(genesis_.chain_id, 0, genesis_.params.transfer_gas, 1, to, 777), dev0);
  auto hash = nodes_[2]->submit_tx(ByteSpan(tx));
  ASSERT_TRUE(hash.ok()) << hash.error().message;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline && !nodes_[0]->find_tx(*hash).ok())
    std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(nodes_[0]->find_tx(*hash).ok());
  const uint64_t h = nodes_[0]->tip().height + 1;
  ASSERT_TRUE(wait_height({0, 1, 2, 3}, h));
  expect_same_chain({0, 1, 2, 3}, h);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(nodes_[static_cast<size_t>(i)]->find_tx(*hash).ok()) << "node " << i;
  // Every block was proposed by a member, and more than one validator proposed.
  std::set<std::string> proposers;
  for (uint64_t k = 1; k <= h; ++k) proposers.insert(nodes_[0]->block_at(k)->block.header().proposer());
  EXPECT_GT(proposers.size(), 1u);
}

TEST_F(NetworkTest, OneValidatorDownTheOthersGoOnAndItCatchesUp) {
  for (int i = 0; i < 4; ++i) start(i);
  ASSERT_TRUE(wait_height({0, 1, 2, 3}, 2));
  nodes_[3]->stop();
  nodes_[3].reset();
  const uint64_t at = nodes_[0]->tip().height;
  // Three of four hold 30 of 40 power, > 2/3: the chain goes on (rounds of the missing proposer time out).
  ASSERT_TRUE(wait_height({0, 1, 2}, at + 6, 60s));
  // Restarted from its datadir, it catches up (block sync) and takes part again.
  start(3);
  const uint64_t target = nodes_[0]->tip().height + 2;
  ASSERT_TRUE(wait_height({0, 1, 2, 3}, target, 60s));
  expect_same_chain({0, 1, 2, 3}, target);
}

TEST_F(NetworkTest, TwoValidatorsDownTheChainHaltsWithoutForking) {
  for (int i = 0; i < 4; ++i) start(i);
  ASSERT_TRUE(wait_height({0, 1, 2, 3}, 2));
  nodes_[2]->stop();
  nodes_[3]->stop();
  std::this_thread::sleep_for(500ms);
  const uint64_t halted = std::max(nodes_[0]->tip().height, nodes_[1]->tip().height);
  std::this_thread::sleep_for(3s);
  // 20 of 40 is not > 2/3: nothing more is committed.
  EXPECT_LE(nodes_[0]->tip().height, halted);
  EXPECT_LE(nodes_[1]->tip().height, halted);
  nodes_[2].reset();
  nodes_[3].reset();
  start(2);
  start(3);
  ASSERT_TRUE(wait_height({0, 1, 2, 3}, halted + 3, 60s));
  expect_same_chain({0, 1, 2, 3}, halted + 3);
}

// Transfers from two senders land in the first blocks, so that block sync has senders to take from the
// serving peers' hints (or, with sync_verify_signatures, to recover).
void NetworkTest::fill_chain_with_transfers() {
  for (int i = 0; i < 4; ++i) start(i);
  ASSERT_TRUE(wait_height({0, 1, 2, 3}, 2));
  const Address to = address_of_key(devnet_key("validator"));
  Hash32 last{};
  for (uint64_t n = 0; n < 20; ++n)
    for (const char* who : {"dev0", "dev1"}) {
      const Bytes tx =
          sign_tx(make_transfer_body(genesis_.chain_id, n, genesis_.params.transfer_gas, 1, to, 10 + n), devnet_key(who));
      auto hash = nodes_[0]->submit_tx(ByteSpan(tx));  // one node: its mempool orders the nonces
      ASSERT_TRUE(hash.ok()) << hash.error().message;
      last = *hash;
    }
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline && !nodes_[0]->find_tx(last).ok())
    std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(nodes_[0]->find_tx(last).ok());
  ASSERT_TRUE(wait_height({0, 1, 2, 3}, nodes_[0]->tip().height + 2));
}

void NetworkTest::expect_full_node_syncs(bool verify_signatures) {
  ASSERT_NO_FATAL_FAILURE(fill_chain_with_transfers());
  if (nodes_.size() <= 4) nodes_.resize(5);
  NodeOptions o = options_for(4, /*validator=*/false);
  o.sync_verify_signatures = verify_signatures;
  // A node key the validators do not dial: otherwise ZeroMQ holds what they sent node 4 since the start
  // (proposals and votes of the first heights) and delivers it on connection, and the first blocks
  // arrive through consensus instead of block sync.
  auto fresh = p2p::generate_node_key();
  ASSERT_TRUE(fresh.ok());
  o.node_key = *fresh;
  auto n = Node::open(o);
  ASSERT_TRUE(n.ok()) << n.error().message;
  nodes_[4] = std::move(*n);
  ASSERT_TRUE(nodes_[4]->start().ok());
  const uint64_t target = nodes_[0]->tip().height;
  ASSERT_TRUE(wait_height({4}, target, 60s));
  expect_same_chain({0, 4}, target);
  const Address to = address_of_key(devnet_key("validator"));
  auto at_validator = nodes_[0]->account(to);
  auto at_full = nodes_[4]->account(to);
  ASSERT_TRUE(at_validator.ok() && at_full.ok());
  EXPECT_EQ(at_full->balance, at_validator->balance);
  EXPECT_FALSE(nodes_[4]->consensus_status().validator);
  EXPECT_TRUE(nodes_[4]->net_status().enabled);
  EXPECT_GE(nodes_[4]->net_status().peers.size(), 1u);
  const SyncStatus sync = nodes_[4]->sync_status();
  EXPECT_GT(verify_signatures ? sync.blocks_verified_in_full : sync.blocks_with_hints, 0u)
      << "with hints " << sync.blocks_with_hints << ", in full " << sync.blocks_verified_in_full;
  EXPECT_EQ(verify_signatures ? sync.blocks_with_hints : sync.blocks_verified_in_full, 0u);
  // Every block it synced has its senders stored, to serve them on in turn.
  for (uint64_t h = 1; h <= target; ++h) {
    auto b = nodes_[4]->block_at(h);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(nodes_[4]->stored_senders(h).has_value(), b->block.txs_size() > 0) << "height " << h;
  }
}

TEST_F(NetworkTest, AFullNodeWithoutAValidatorKeySyncsTheChain) { expect_full_node_syncs(false); }

TEST_F(NetworkTest, AFullNodeThatVerifiesEverySignatureSyncsTheSameChain) { expect_full_node_syncs(true); }

}  // namespace
}  // namespace physis::node_test
