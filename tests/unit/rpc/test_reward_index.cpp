// Consensus state stays bounded (issue 8 item 9; doc/depin.md "State layout", "Indexes"): a device that
// earns in every epoch leaves one RewardRecord per epoch in the explorer index, not in state, so the
// number of state keys that name the device does not grow with the epochs; and depin_getRewards still
// returns every epoch's payout, by device and by epoch, read from the index.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "crypto/p256.h"
#include "crypto/pem.h"
#include "crypto/sha256.h"
#include "crypto/x509_builder.h"
#include "crypto/x509_chain.h"
#include "node/explorer_index.h"
#include "node/keyfile.h"
#include "node/node.h"
#include "primitives/codec.h"
#include "primitives/transaction.h"
#include "rpc/depin_methods.h"
#include "tests/unit/test_support.h"
#include "vm/apply.h"
#include "vm/attestation.h"
#include "vm/depin.h"
#include "vm/depin_state.h"

namespace physis::rpc {
namespace {

using nlohmann::json;
const std::string kSource = PHYSIS_SOURCE_DIR;

Genesis devnet() {
  std::ifstream in(kSource + "/genesis/devnet.json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto g = parse_genesis(ss.str());
  EXPECT_TRUE(g.ok()) << g.error().message;
  return std::move(g).value();
}

crypto::PrivateKey devnet_key(const std::string& name) {
  auto k = node::read_key_file(kSource + "/genesis/devnet-keys/" + name + ".key");
  EXPECT_TRUE(k.ok()) << k.error().message;
  return k.ok() ? *k : crypto::PrivateKey{};
}

class RewardIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node::NodeOptions o;
    o.datadir = dir_.str() + "/data";
    o.genesis = genesis_;
    o.validator_key = devnet_key("validator");
    auto n = node::Node::open(std::move(o));
    ASSERT_TRUE(n.ok()) << n.error().message;
    node_ = std::move(n).value();
    register_depin_methods(dispatcher_, *node_);
    produce();
  }

  void produce() {
    ++height_;
    auto r = node_->produce_block(genesis_.genesis_time_ms + height_ * 1000);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->height, height_);
  }
  uint64_t epoch() const { return height_ / genesis_.depin.epoch_blocks; }

  void submit(pb::TxBody body) {
    body.set_chain_id(genesis_.chain_id);
    body.set_nonce(nonce_++);
    body.set_gas_price(genesis_.params.min_gas_price);
    body.set_gas_limit(vm::intrinsic_gas(genesis_.params, body));
    auto r = node_->submit_tx(sign_tx(body, owner_));
    ASSERT_TRUE(r.ok()) << r.error().code << ": " << r.error().message;
  }

  // Registers one SE_P256 device under the devnet manufacturer root, owned by dev0.
  void register_device() {
    auto root =
        crypto::p256_private_key_from_pem_file(kSource + "/genesis/devnet-keys/manufacturer-root.key.pem");
    ASSERT_TRUE(root.ok()) << root.error().message;
    device_key_ = crypto::p256_generate();
    const crypto::P256PublicKey pub = *crypto::p256_public_key(device_key_);
    device_ = vm::device_id_of(pb::SE_P256, pub);
    crypto::CertSpec spec;
    spec.issuer_cn = "devnet root";
    spec.subject_cn = "device";
    spec.subject_key = pub;
    auto cert = crypto::build_certificate(spec, *root);
    ASSERT_TRUE(cert.ok()) << cert.error().message;
    const auto tip = node_->tip();
    pb::TxBody body;
    auto* ev = body.mutable_register_device()->mutable_evidence();
    ev->set_kind(pb::SE_P256);
    ev->set_device_class(1);
    ev->set_key_type(pb::KEY_P256);
    ev->set_device_key(to_string(pub));
    ev->set_anchor_id(to_string(crypto::spki_id(crypto::p256_spki_der(*crypto::p256_public_key(*root)))));
    ev->add_cert_chain(to_string(*cert));
    ev->set_ref_height(tip.height);
    ev->set_ref_block_hash(to_string(tip.hash));
    ev->set_pop_signature(to_string(*crypto::p256_sign(
        device_key_, crypto::sha256(vm::registration_message(genesis_.chain_id, *ev, owner_address())))));
    submit(body);
    produce();
    ASSERT_TRUE(node_->state_get(vm::device_key(device_)).value().has_value()) << "registration did not land";
  }

  // An uptime proof by the device on the current tip (one per epoch: the epoch is longer than the
  // uptime interval), in its own block.
  void prove() {
    const auto tip = node_->tip();
    pb::TxBody body;
    pb::Proof* p = body.mutable_submit_proofs()->add_proofs();
    p->set_device_id(to_string(device_));
    p->set_seq(++seq_);
    p->set_ref_height(tip.height);
    p->set_ref_block_hash(to_string(tip.hash));
    p->set_epoch(tip.height / genesis_.depin.epoch_blocks);
    p->mutable_payload()->set_kind(pb::UPTIME);
    p->mutable_payload()->set_uptime_seconds(60);
    p->set_signature(to_string(*crypto::p256_sign(device_key_, vm::proof_digest(genesis_.chain_id, *p))));
    submit(body);
    produce();
  }

  // Registers the device, earns in `epochs` consecutive epochs (one uptime proof in the first block of
  // each, which settles the epoch before) and settles the last one with ClaimRewards. Returns the number
  // of state keys naming the device after each epoch's proof and after the claim.
  std::vector<size_t> earn(uint64_t epochs) {
    std::vector<size_t> keys;
    register_device();
    const uint64_t first_epoch = epoch();
    for (uint64_t e = first_epoch; e < first_epoch + epochs; ++e) {
      // The proof goes into the first block of epoch e: proofs an epoch apart are never too frequent.
      while ((height_ + 1) / genesis_.depin.epoch_blocks < e) produce();
      prove();
      keys.push_back(device_state_keys());
    }
    // Settle the last epoch too, once the first block of the next one has closed it.
    while (epoch() < first_epoch + epochs) produce();
    pb::TxBody claim;
    claim.mutable_claim_rewards()->add_device_ids(to_string(device_));
    submit(claim);
    produce();
    keys.push_back(device_state_keys());
    return keys;
  }

  // Every committed state key that names the device (any prefix, the device id anywhere in the key).
  size_t device_state_keys() const {
    auto rows = node_->scan_state({}, {}, 1'000'000);
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    size_t n = 0;
    for (const auto& [k, v] : *rows)
      if (!v.empty() && std::search(k.begin(), k.end(), device_.begin(), device_.end()) != k.end()) ++n;
    return n;
  }

  json result(const std::string& method, const json& params) const {
    json req = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", params}};
    json r = json::parse(dispatcher_.handle(req.dump()));
    EXPECT_TRUE(r.contains("result")) << method << " " << params.dump() << " -> " << r.dump();
    return r.contains("result") ? r["result"] : json();
  }

  Address owner_address() const { return crypto::address_of(*crypto::public_key_of(owner_)); }

  test::TempDir dir_;
  Genesis genesis_ = devnet();
  crypto::PrivateKey owner_ = devnet_key("dev0");
  std::unique_ptr<node::Node> node_;
  RpcDispatcher dispatcher_;
  uint64_t height_ = 0;
  uint64_t nonce_ = 0;
  uint64_t seq_ = 0;
  crypto::P256PrivateKey device_key_{};
  Address device_{};
};

constexpr uint64_t kEpochs = 6;

TEST_F(RewardIndexTest, StateKeysOfAnEarningDeviceDoNotGrowAndEveryPayoutIsListed) {
  const uint64_t first_epoch = epoch();
  const std::vector<size_t> keys_per_epoch = earn(kEpochs);
  // O(1) per device: the same keys after the first epoch as after the last settlement (the device
  // record, its owner and anchor index markers, its key index). Before, each epoch added 'x' ‖ epoch ‖
  // device and 'r' ‖ device ‖ epoch.
  for (size_t i = 1; i < keys_per_epoch.size(); ++i)
    EXPECT_EQ(keys_per_epoch[i], keys_per_epoch[0]) << "after epoch " << first_epoch + i;
  EXPECT_LE(keys_per_epoch.back(), 4u);

  // Every epoch's payout is in the index and listed by RPC, by device and by epoch.
  const json items = result("depin_getRewards", {{"device", to_hex0x(device_)}})["items"];
  ASSERT_EQ(items.size(), kEpochs) << items.dump();
  for (uint64_t i = 0; i < kEpochs; ++i) {
    const uint64_t e = first_epoch + i;
    EXPECT_EQ(items[i]["epoch"], e) << items.dump();
    EXPECT_EQ(items[i]["settled"], true) << items[i].dump();
    EXPECT_NE(items[i]["amount"], "0") << items[i].dump();
    EXPECT_EQ(items[i]["weight"], genesis_.depin.weight_uptime) << items[i].dump();
    auto indexed = node_->index_get(node::reward_index_key(device_, e));
    ASSERT_TRUE(indexed.ok() && indexed->has_value()) << "no RewardRecord in the index for epoch " << e;
    const json by_epoch = result("depin_getRewards", {{"epoch", e}})["items"];
    ASSERT_EQ(by_epoch.size(), 1u) << by_epoch.dump();
    EXPECT_EQ(by_epoch[0], items[i]);
  }
  // Paging by device still works with index cursors.
  const json first = result("depin_getRewards", {{"device", to_hex0x(device_)}, {"limit", 2}});
  ASSERT_EQ(first["items"].size(), 2u);
  const json rest = result(
      "depin_getRewards", {{"device", to_hex0x(device_)}, {"limit", 1000}, {"cursor", first["next_cursor"]}});
  EXPECT_EQ(rest["items"].size(), kEpochs - 2) << rest.dump();
}

}  // namespace
}  // namespace physis::rpc

namespace physis::rpc {
namespace {

// Block sync goes through BlockExecutor::validate and commit like every other path: a node that imports
// the chain block by block (no validator key, its own datadir) ends with the same explorer index, and
// answers depin_getRewards the same.
TEST_F(RewardIndexTest, ASyncedNodeWritesTheSameIndex) {
  const uint64_t first_epoch = epoch();
  earn(3);
  node::NodeOptions o;
  o.datadir = dir_.str() + "/synced";
  o.genesis = genesis_;
  auto opened = node::Node::open(std::move(o));
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  node::Node& synced = **opened;
  for (uint64_t h = 1; h <= height_; ++h) {
    auto block = node_->block_at(h);
    auto commit = node_->commit_at(h);
    ASSERT_TRUE(block.ok() && commit.ok()) << h;
    auto vals = synced.height_validators(h);
    auto parent_vals = synced.height_validators(h > 1 ? h - 1 : 1);
    ASSERT_TRUE(vals.ok() && parent_vals.ok()) << h;
    auto executed = synced.executor().validate(block->block, synced.tip(), *vals, parent_vals->set,
                                               std::nullopt, block->block.header().time_ms());
    ASSERT_TRUE(executed.ok()) << h << ": " << executed.error().code << " " << executed.error().message;
    ASSERT_TRUE(synced.executor().commit(*executed, *commit).ok()) << h;
  }
  ASSERT_EQ(synced.tip().hash, node_->tip().hash);
  for (const uint8_t prefix : {node::kRewardIndex, node::kEpochEarnerIndex, node::kProofsByDeviceIndex}) {
    auto mine = node_->scan_index(Bytes{prefix}, {}, 1000);
    auto theirs = synced.scan_index(Bytes{prefix}, {}, 1000);
    ASSERT_TRUE(mine.ok() && theirs.ok());
    EXPECT_FALSE(mine->empty()) << prefix;
    EXPECT_EQ(*theirs, *mine) << "index " << prefix;
  }
  EXPECT_EQ(node_->scan_index(Bytes{node::kRewardIndex}, {}, 1000)->size(), 3u);
  RpcDispatcher synced_rpc;
  register_depin_methods(synced_rpc, synced);
  for (const json& params : {json{{"device", to_hex0x(device_)}}, json{{"epoch", first_epoch + 1}}}) {
    json req = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "depin_getRewards"}, {"params", params}};
    EXPECT_EQ(json::parse(synced_rpc.handle(req.dump())), json::parse(dispatcher_.handle(req.dump())));
  }
}

}  // namespace
}  // namespace physis::rpc
