// Bad input over P2P (issue 7): four validator Nodes in one process over real CurveZMQ sockets on
// 127.0.0.1, as in test_network.cpp, and an attacker that is a bare p2p::Host with its own node key
// dialling node 0. Each test sends one kind of hostile message and checks that the honest chain goes on
// and stays identical on every node, that nothing the attacker sent reaches a block, and how node 0
// scores the attacker (p2p/peer_score.h: 100 to start, 25 per refused message, dropped and banned at 0):
// messages the driver refuses cost score until the attacker is banned; messages it merely ignores
// (parts of a block no signed proposal named, a BlockResponse nobody asked for) cost nothing. A second
// fixture adds a fifth validator that never runs, whose key the test holds, so that the attacker can send
// a correctly signed proposal and then parts that do not hash to it.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

#include "consensus/sign_bytes.h"
#include "crypto/keccak.h"
#include "node_test_fixture.h"
#include "p2p/host.h"
#include "p2p/node_key.h"

namespace physis::node_test {
namespace {

using namespace std::chrono_literals;

constexpr int kRunning = 4;  // validator Nodes that run; a fixture may add validators that never run

Hash32 random_hash() {
  Hash32 h{};
  const crypto::PrivateKey k = crypto::generate_private_key();
  const Address a = address_of_key(k);
  std::copy(a.begin(), a.end(), h.begin());
  return h;
}

class P2pHostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    genesis_ = devnet();
    genesis_.params.block_time_ms = 200;
    genesis_.validators.clear();
    for (int i = 0; i < validators_; ++i) {
      keys_.push_back(crypto::generate_private_key());
      genesis_.validators.push_back({"v" + std::to_string(i), address_of_key(keys_.back()), 10});
    }
    std::sort(genesis_.validators.begin(), genesis_.validators.end(),
              [](const auto& a, const auto& b) { return a.address < b.address; });
    for (int i = 0; i < kRunning + 1; ++i) {
      auto k = p2p::generate_node_key();
      ASSERT_TRUE(k.ok());
      node_keys_.push_back(*k);
    }
    // Below the ephemeral range and apart from test_network.cpp's ports (20000 + (pid % 2500) * 5), so
    // both binaries can run at once.
    base_port_ = 10000 + static_cast<int>(::getpid() % 2000) * 5;
    for (int i = 0; i < kRunning; ++i) start(i);
    ASSERT_TRUE(wait_height(2));
  }
  void TearDown() override {
    attacker_.reset();
    for (auto& n : nodes_)
      if (n) n->stop();
  }

  std::string endpoint(int i) const { return "tcp://127.0.0.1:" + std::to_string(base_port_ + i); }
  const std::string& node_id(int i) const { return node_keys_[static_cast<size_t>(i)].node_id(); }

  void start(int i) {
    NodeOptions o;
    o.datadir = dir_.str() + "/n" + std::to_string(i);
    o.genesis = genesis_;
    o.validator_key = keys_[static_cast<size_t>(i)];
    o.node_key = node_keys_[static_cast<size_t>(i)];
    o.p2p.listen_address = endpoint(i);
    for (int j = 0; j < kRunning; ++j)
      if (j != i) o.p2p.persistent_peers.push_back({node_id(j), endpoint(j)});
    o.engine.propose_base_ms = 1000;
    o.engine.prevote_base_ms = 300;
    o.engine.precommit_base_ms = 300;
    auto n = Node::open(o);
    ASSERT_TRUE(n.ok()) << n.error().message;
    nodes_.push_back(std::move(*n));
    auto st = nodes_.back()->start();
    ASSERT_TRUE(st.ok()) << st.error().code << ": " << st.error().message;
  }

  // Starts a bare host with `key` that dials node 0; the handler ignores what node 0 sends.
  std::unique_ptr<p2p::Host> start_attacker(const p2p::NodeKey& key, const std::string& chain_id,
                                            size_t max_message_bytes = 4u << 20) {
    p2p::HostOptions o;
    o.chain_id = chain_id;
    o.max_message_bytes = max_message_bytes;
    o.persistent_peers.push_back({node_id(0), endpoint(0)});
    auto h = p2p::Host::start(key, o, [](const std::string&, const p2p::Envelope&) {});
    EXPECT_TRUE(h.ok()) << h.error().message;
    return h.ok() ? std::move(*h) : nullptr;
  }

  // The attacker's score as node 0 sees it; nullopt if node 0 does not list it (not yet connected,
  // or dropped and banned).
  std::optional<int32_t> score_at_node0(const std::string& id) const {
    for (const auto& p : nodes_[0]->net_status().peers)
      if (p.node_id == id) return p.score;
    return std::nullopt;
  }

  bool wait_listed(const std::string& id, std::chrono::milliseconds limit = 20s) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (score_at_node0(id)) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  // The attacker with the devnet's chain id, connected and listed by node 0 at the initial score.
  void connect_attacker() {
    attacker_ = start_attacker(attacker_key(), genesis_.chain_id);
    ASSERT_TRUE(attacker_);
    ASSERT_TRUE(wait_listed(attacker_key().node_id()));
    EXPECT_EQ(*score_at_node0(attacker_key().node_id()), 100);
  }
  const p2p::NodeKey& attacker_key() const { return node_keys_.back(); }

  // Sends make() (built afresh each time: votes and proposals carry the current height) until node 0
  // drops the attacker. Every score node 0 reports on the way must be a multiple of the invalid
  // message cost below the start; returns false if the attacker is still listed after 40 messages.
  template <typename Make>
  bool hammer_until_banned(Make make) {
    const std::string id = attacker_key().node_id();
    for (int sent = 0; sent < 40; ++sent) {
      EXPECT_TRUE(attacker_->send(node_id(0), make()).ok());
      const auto deadline = std::chrono::steady_clock::now() + 600ms;
      while (std::chrono::steady_clock::now() < deadline) {
        auto s = score_at_node0(id);
        if (!s) return true;
        EXPECT_TRUE(*s == 100 || *s == 75 || *s == 50 || *s == 25) << *s;
        std::this_thread::sleep_for(20ms);
      }
    }
    return false;
  }

  bool wait_height(uint64_t height, std::chrono::milliseconds limit = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      bool all = true;
      for (auto& n : nodes_) all = all && n->tip().height >= height;
      if (all) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  // The chain goes on three more heights and every node holds the same verified blocks; none of them
  // is one of `foreign` (hashes the attacker named).
  void expect_chain_goes_on(const std::vector<Hash32>& foreign = {}) {
    uint64_t top = 0;
    for (auto& n : nodes_) top = std::max(top, n->tip().height);
    ASSERT_TRUE(wait_height(top + 3, 60s));
    const uint64_t up_to = top + 3;
    const auto set = consensus::ValidatorSet::from_genesis(genesis_);
    for (uint64_t h = 1; h <= up_to; ++h) {
      auto first = nodes_[0]->block_at(h);
      ASSERT_TRUE(first.ok()) << "height " << h;
      for (const Hash32& f : foreign) EXPECT_NE(first->hash, f) << "height " << h;
      for (auto& n : nodes_) {
        auto b = n->block_at(h);
        ASSERT_TRUE(b.ok()) << "height " << h;
        EXPECT_EQ(b->hash, first->hash) << "height " << h;
        EXPECT_EQ(b->block.header().state_root(), first->block.header().state_root());
        auto c = n->commit_at(h);
        ASSERT_TRUE(c.ok());
        EXPECT_TRUE(consensus::verify_commit(*c, set, genesis_.chain_id, h, b->hash).ok());
      }
    }
  }

  p2p::Envelope vote_envelope(const std::string& raw) const {
    p2p::Envelope env;
    env.mutable_vote()->set_raw(raw);
    return env;
  }
  p2p::Envelope proposal_envelope(const std::string& raw) const {
    p2p::Envelope env;
    env.mutable_proposal()->set_raw(raw);
    return env;
  }

  // A prevote for `block` at node 0's current height and round, naming `validator` and signed by `key`.
  p2p::Envelope vote(const Address& validator, const crypto::PrivateKey& key, const Hash32& block) const {
    const ConsensusStatus st = nodes_[0]->consensus_status();
    p2p::SignedVote v;
    v.set_type(1);
    v.set_height(st.height);
    v.set_round(st.round);
    v.set_block_hash(to_string(block));
    v.set_validator(to_string(validator));
    const crypto::Signature sig = crypto::sign_digest(
        key,
        consensus::vote_digest(genesis_.chain_id, consensus::VoteType::kPrevote, st.height, st.round, block));
    v.set_signature(to_string(sig));
    return vote_envelope(to_string(encode_canonical(v)));
  }

  // A proposal of `block` at node 0's current height and round, naming `proposer`, signed by `key`.
  p2p::Envelope proposal(const Address& proposer, const crypto::PrivateKey& key, const Hash32& block) const {
    const ConsensusStatus st = nodes_[0]->consensus_status();
    p2p::SignedProposal p;
    p.set_height(st.height);
    p.set_round(st.round);
    p.set_block_hash(to_string(block));
    p.set_proposer(to_string(proposer));
    const crypto::Signature sig = crypto::sign_digest(
        key, consensus::proposal_digest(genesis_.chain_id, st.height, st.round, std::nullopt, block));
    p.set_signature(to_string(sig));
    return proposal_envelope(to_string(encode_canonical(p)));
  }

  int validators_ = kRunning;
  TempDir dir_;
  Genesis genesis_;
  std::vector<crypto::PrivateKey> keys_;
  std::vector<p2p::NodeKey> node_keys_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::unique_ptr<p2p::Host> attacker_;
  int base_port_ = 0;
};

TEST_F(P2pHostileTest, VoteWithABadSignatureCostsScoreUntilBanned) {
  connect_attacker();
  const crypto::PrivateKey forger = crypto::generate_private_key();
  std::vector<Hash32> named;
  // Names validator 1 but is signed by another key.
  ASSERT_TRUE(hammer_until_banned([&] {
    named.push_back(random_hash());
    return vote(address_of_key(keys_[1]), forger, named.back());
  }));
  expect_chain_goes_on(named);
}

TEST_F(P2pHostileTest, VoteSignedByANonValidatorCostsScoreUntilBanned) {
  connect_attacker();
  const crypto::PrivateKey outsider = crypto::generate_private_key();
  std::vector<Hash32> named;
  ASSERT_TRUE(hammer_until_banned([&] {
    named.push_back(random_hash());
    return vote(address_of_key(outsider), outsider, named.back());
  }));
  expect_chain_goes_on(named);
}

TEST_F(P2pHostileTest, ProposalSignedByANonValidatorCostsScoreUntilBanned) {
  connect_attacker();
  const crypto::PrivateKey outsider = crypto::generate_private_key();
  std::vector<Hash32> named;
  ASSERT_TRUE(hammer_until_banned([&] {
    named.push_back(random_hash());
    return proposal(address_of_key(outsider), outsider, named.back());
  }));
  expect_chain_goes_on(named);
}

TEST_F(P2pHostileTest, ProposalWithABadSignatureCostsScoreUntilBanned) {
  connect_attacker();
  const crypto::PrivateKey forger = crypto::generate_private_key();
  std::vector<Hash32> named;
  ASSERT_TRUE(hammer_until_banned([&] {
    const ConsensusStatus st = nodes_[0]->consensus_status();
    const Address proposer = st.proposer.value_or(address_of_key(keys_[0]));
    named.push_back(random_hash());
    return proposal(proposer, forger, named.back());
  }));
  expect_chain_goes_on(named);
}

TEST_F(P2pHostileTest, ProposalSignedByAValidatorThatIsNotTheProposerCostsScoreUntilBanned) {
  connect_attacker();
  std::vector<Hash32> named;
  ASSERT_TRUE(hammer_until_banned([&] {
    const ConsensusStatus st = nodes_[0]->consensus_status();
    // A validator key (held by the test, as a byzantine validator would) that is not this round's
    // proposer: a correct signature, but not the proposer's.
    size_t k = 0;
    while (k + 1 < keys_.size() && st.proposer && address_of_key(keys_[k]) == *st.proposer) ++k;
    named.push_back(random_hash());
    return proposal(address_of_key(keys_[k]), keys_[k], named.back());
  }));
  expect_chain_goes_on(named);
}

TEST_F(P2pHostileTest, MalformedAndNonCanonicalVoteAndProposalBytesCostScoreUntilBanned) {
  connect_attacker();
  int sent = 0;
  ASSERT_TRUE(hammer_until_banned([&] {
    const uint64_t height = nodes_[0]->consensus_status().height;
    // A SignedVote with the height field before the type field: it parses, but re-encoding puts the
    // fields in number order, so it is not canonical. The height is a varint below 2^7 here.
    std::string reordered;
    reordered.push_back(static_cast<char>(0x10));
    reordered.push_back(static_cast<char>(height & 0x7f));
    reordered.push_back(static_cast<char>(0x08));
    reordered.push_back(static_cast<char>(0x01));
    const std::string garbage("\xff\xff\xff\xff\x0f", 5);  // a truncated field: does not parse
    switch (sent++ % 4) {
      case 0: return vote_envelope(garbage);
      case 1: return proposal_envelope(garbage);
      case 2: return vote_envelope(reordered);
      default: return proposal_envelope(reordered);
    }
  }));
  expect_chain_goes_on();
}

TEST_F(P2pHostileTest, MalformedGossipedTransactionsCostScoreUntilBanned) {
  connect_attacker();
  int sent = 0;
  std::vector<Hash32> hashes;
  ASSERT_TRUE(hammer_until_banned([&] {
    // Different bytes each time, so no duplicate filter can hide the later ones.
    std::string raw = "not a transaction " + std::to_string(sent++);
    hashes.push_back(crypto::keccak256(as_span(raw)));
    p2p::Envelope env;
    env.mutable_tx()->set_raw(raw);
    return env;
  }));
  expect_chain_goes_on();
  for (const Hash32& h : hashes)
    for (auto& n : nodes_) EXPECT_FALSE(n->in_mempool(h));
}

// A sync peer that serves real blocks with their real commits but states wrong senders (block sync's
// hints, doc/p2p.md): the syncing node applies the block with them, finds the committed roots do not
// follow, verifies the block in full, stores it all the same, and scores the liar.
TEST_F(P2pHostileTest, SyncPeerStatingWrongSendersIsScoredAndTheBlocksStillApply) {
  const Address to = address_of_key(devnet_key("validator"));
  Hash32 last{};
  // Different amounts per sender: senders swapped between two otherwise equal transfers would give the
  // same state, so such a "lie" would change nothing (and pass, rightly).
  for (uint64_t n = 0; n < 4; ++n)
    for (const char* who : {"dev0", "dev1"}) {
      const Amount amount = std::string(who) == "dev0" ? 3 + n : 1000 + n;
      const Bytes tx =
          sign_tx(make_transfer_body(genesis_.chain_id, n, genesis_.params.transfer_gas, 1, to, amount), devnet_key(who));
      auto hash = nodes_[0]->submit_tx(ByteSpan(tx));
      ASSERT_TRUE(hash.ok()) << hash.error().message;
      last = *hash;
    }
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline && !nodes_[0]->find_tx(last).ok())
    std::this_thread::sleep_for(50ms);
  auto where = nodes_[0]->find_tx(last);
  ASSERT_TRUE(where.ok());
  const uint64_t target = nodes_[0]->tip().height;
  // The liar listens on the fifth port and serves node 0's blocks up to `target`, each block's senders
  // rotated by one (every hint wrong when a block has two senders).
  auto liar_key = p2p::generate_node_key();
  ASSERT_TRUE(liar_key.ok());
  std::atomic<int> lies{0};
  p2p::Host* liar_host = nullptr;
  std::mutex liar_mu;
  p2p::HostOptions lo;
  lo.chain_id = genesis_.chain_id;
  lo.listen_address = endpoint(kRunning);
  auto liar = p2p::Host::start(*liar_key, lo, [&](const std::string& peer, const p2p::Envelope& env) {
    std::lock_guard lock(liar_mu);
    if (!liar_host) return;
    p2p::Envelope status;
    status.mutable_status()->set_height(target + 1);
    (void)liar_host->send(peer, status);
    if (!env.has_block_request()) return;
    const uint64_t h = env.block_request().height();
    if (h == 0 || h > target) return;
    auto block = nodes_[0]->block_at(h);
    auto commit = nodes_[0]->commit_at(h);
    if (!block.ok() || !commit.ok()) return;
    p2p::Envelope r;
    r.mutable_block_response()->set_height(h);
    r.mutable_block_response()->set_block(to_string(encode_canonical(block->block)));
    r.mutable_block_response()->set_commit(to_string(encode_canonical(*commit)));
    if (auto senders = nodes_[0]->stored_senders(h); senders && senders->size() >= 40) {
      std::rotate(senders->begin(), senders->begin() + 20, senders->end());
      r.mutable_block_response()->set_senders(to_string(*senders));
      ++lies;
    }
    (void)liar_host->send(peer, r);
  });
  ASSERT_TRUE(liar.ok()) << liar.error().message;
  {
    std::lock_guard lock(liar_mu);
    liar_host = liar->get();
  }
  // A full node whose only peer is the liar.
  NodeOptions fo;
  fo.datadir = dir_.str() + "/full";
  fo.genesis = genesis_;
  auto fkey = p2p::generate_node_key();
  ASSERT_TRUE(fkey.ok());
  fo.node_key = *fkey;
  fo.p2p.persistent_peers.push_back({(*liar_key).node_id(), endpoint(kRunning)});
  auto full = Node::open(fo);
  ASSERT_TRUE(full.ok()) << full.error().message;
  ASSERT_TRUE((*full)->start().ok());
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < until && (*full)->tip().height < where->height)
    std::this_thread::sleep_for(50ms);
  ASSERT_GE((*full)->tip().height, where->height);
  EXPECT_GE(lies.load(), 1);
  auto mine = (*full)->block_at(where->height);
  auto theirs = nodes_[0]->block_at(where->height);
  ASSERT_TRUE(mine.ok() && theirs.ok());
  EXPECT_EQ(mine->hash, theirs->hash);
  EXPECT_EQ(mine->block.header().state_root(), theirs->block.header().state_root());
  EXPECT_TRUE((*full)->find_tx(last).ok());
  const SyncStatus sync = (*full)->sync_status();
  EXPECT_GE(sync.blocks_verified_in_full, 1u);
  EXPECT_EQ(sync.blocks_with_hints, 0u);
  // Scored: 25 a lie, so below the initial 100 (or already banned and no longer listed).
  std::optional<int32_t> score;
  for (const auto& p : (*full)->net_status().peers)
    if (p.node_id == (*liar_key).node_id()) score = p.score;
  EXPECT_TRUE(!score || *score < 100) << *score;
  (*full)->stop();
  {
    std::lock_guard lock(liar_mu);
    liar_host = nullptr;
  }
  liar->reset();
}

TEST_F(P2pHostileTest, BlockPartsNobodyProposedAndUnaskedBlockResponsesAreIgnored) {
  connect_attacker();
  const std::string id = attacker_key().node_id();
  std::vector<Hash32> named;
  for (int i = 0; i < 20; ++i) {
    const uint64_t height = nodes_[0]->consensus_status().height;
    named.push_back(random_hash());
    p2p::Envelope part;
    p2p::BlockPart* p = part.mutable_block_part();
    p->set_height(height);
    p->set_index(0);
    p->set_total(1);
    p->set_data("no block at all");
    p->set_block_hash(to_string(named.back()));
    ASSERT_TRUE(attacker_->send(node_id(0), part).ok());
    // A block and commit node 0 never requested, for the height it is deciding.
    p2p::Envelope resp;
    p2p::BlockResponse* r = resp.mutable_block_response();
    r->set_height(height);
    r->set_block("not a block");
    r->set_commit("not a commit");
    ASSERT_TRUE(attacker_->send(node_id(0), resp).ok());
    std::this_thread::sleep_for(50ms);
  }
  expect_chain_goes_on(named);
  // Ignored, not refused: parts count only for a block a signed proposal named, responses only from
  // the peer a height was asked of, so neither costs score (an honest peer's late answer looks alike).
  EXPECT_EQ(score_at_node0(id), std::optional<int32_t>(100));
}

TEST_F(P2pHostileTest, WrongChainIdBansAtOnce) {
  // Its Hello already carries another chain id: a wrong chain costs the whole score (peer_score.h).
  attacker_ = start_attacker(attacker_key(), genesis_.chain_id + "-other");
  ASSERT_TRUE(attacker_);
  std::this_thread::sleep_for(2s);
  EXPECT_FALSE(score_at_node0(attacker_key().node_id()));
  attacker_.reset();
  // The key is banned: with the right chain id it is still refused, while a fresh key is accepted.
  attacker_ = start_attacker(attacker_key(), genesis_.chain_id);
  auto fresh_key = p2p::generate_node_key();
  ASSERT_TRUE(fresh_key.ok());
  auto fresh = start_attacker(*fresh_key, genesis_.chain_id);
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(wait_listed(fresh_key->node_id()));
  EXPECT_FALSE(score_at_node0(attacker_key().node_id()));
  fresh.reset();
  expect_chain_goes_on();
}

TEST_F(P2pHostileTest, OversizeEnvelopeIsDroppedAndNothingOfItIsApplied) {
  // The attacker's own limit is raised so that it sends a frame over node 0's (ZMQ_MAXMSGSIZE: the
  // largest block response, max_block_bytes + 20 bytes per transaction + 1 MiB, about 5.2 MiB here):
  // libzmq drops the link before the frame is delivered.
  attacker_ = start_attacker(attacker_key(), genesis_.chain_id, 16u << 20);
  ASSERT_TRUE(attacker_);
  ASSERT_TRUE(wait_listed(attacker_key().node_id()));
  const std::string raw(8u << 20, 'x');
  p2p::Envelope env;
  env.mutable_tx()->set_raw(raw);
  ASSERT_TRUE(attacker_->send(node_id(0), env).ok());
  std::this_thread::sleep_for(1s);
  expect_chain_goes_on();
  for (auto& n : nodes_) EXPECT_FALSE(n->in_mempool(crypto::keccak256(as_span(raw))));
  // No frame was delivered, so nothing was refused above the transport: the score is untouched if the
  // attacker reconnected, and it is not listed otherwise.
  const auto s = score_at_node0(attacker_key().node_id());
  EXPECT_TRUE(!s || *s == 100);
}

// Five validators of which four run; the test holds the fifth key, as a byzantine validator would. When
// that validator is the proposer, the attacker sends a correctly signed proposal of a block hash and then
// block parts for that hash that do not decode, or decode to another block: the proposal is accepted (it
// is the proposer's), each bad part set costs score, and the round ends without the block.
class P2pHostileByzantineProposerTest : public P2pHostileTest {
 protected:
  P2pHostileByzantineProposerTest() { validators_ = kRunning + 1; }
};

TEST_F(P2pHostileByzantineProposerTest, BlockPartsThatDoNotHashToTheProposedBlockCostScoreUntilBanned) {
  connect_attacker();
  const std::string id = attacker_key().node_id();
  const crypto::PrivateKey& byzantine = keys_.back();
  const Address byzantine_address = address_of_key(byzantine);
  auto other_block = nodes_[0]->block_at(1);
  ASSERT_TRUE(other_block.ok());
  const std::string other_bytes = to_string(encode_canonical(other_block->block));
  std::vector<Hash32> named;
  bool banned = false;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!banned && std::chrono::steady_clock::now() < deadline) {
    const ConsensusStatus st = nodes_[0]->consensus_status();
    if (!st.proposer || *st.proposer != byzantine_address || st.step != "propose") {
      std::this_thread::sleep_for(20ms);
      continue;
    }
    named.push_back(random_hash());
    ASSERT_TRUE(attacker_->send(node_id(0), proposal(byzantine_address, byzantine, named.back())).ok());
    for (int i = 0; i < 6 && !banned; ++i) {
      p2p::Envelope env;
      p2p::BlockPart* part = env.mutable_block_part();
      part->set_height(st.height);
      part->set_index(0);
      part->set_total(1);
      part->set_data(i % 2 == 0 ? std::string("not a block") : other_bytes);
      part->set_block_hash(to_string(named.back()));
      ASSERT_TRUE(attacker_->send(node_id(0), env).ok());
      std::this_thread::sleep_for(100ms);
      banned = !score_at_node0(id);
    }
    // Let the round end before trying again (the byzantine validator proposes once per round).
    while (nodes_[0]->consensus_status().round == st.round &&
           nodes_[0]->consensus_status().height == st.height && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(banned);
  expect_chain_goes_on(named);
}

}  // namespace
}  // namespace physis::node_test
