// The explorer indexes of proof results (doc/depin.md "Indexes"): 'P' ‖ device only for 20-byte device
// ids, 'Q' ‖ epoch of the including block (not the epoch a proof claims).
#include "tests/unit/node/node_test_fixture.h"
#include "vm/apply.h"

using namespace physis;
using namespace physis::node;
using namespace physis::node_test;

namespace {
Bytes epoch_prefix(uint64_t epoch) {
  Bytes p{'Q'};
  append_u64_be(p, epoch);
  return p;
}
}  // namespace

TEST_F(NodeTest, ProofIndexesUseTheBlockEpochAndWellFormedDeviceIds) {
  auto node = open_node(validator_);
  ASSERT_TRUE(node);
  const std::string short_id = "\x01\x02\x03\x04\x05";
  const std::string device(20, '\x42');
  const std::string other(20, '\x43');
  auto proofs_tx = [&](const std::string& first_id, uint64_t gas_limit) {
    pb::TxBody body;
    body.set_chain_id(genesis_.chain_id);
    body.set_nonce(0);
    body.set_gas_price(1);
    for (const auto& [id, epoch] : {std::pair{first_id, uint64_t{999}}, std::pair{device, uint64_t{777}}}) {
      pb::Proof* p = body.mutable_submit_proofs()->add_proofs();
      p->set_device_id(id);
      p->set_epoch(epoch);
      p->set_ref_block_hash(std::string(32, '\x01'));
      p->set_signature(std::string(64, '\x02'));
    }
    body.set_gas_limit(gas_limit ? gas_limit : vm::intrinsic_gas(genesis_.params, body));
    return sign_tx(body, dev0_);
  };
  // A device id of the wrong size never gets as far as an index: the transaction is malformed
  // (primitives/tx_fields.h), so nothing could be indexed under a prefix of another device's id.
  auto refused = node->submit_tx(proofs_tx(short_id, 10'000'000));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "malformed");
  auto submitted = node->submit_tx(proofs_tx(other, 0));
  ASSERT_TRUE(submitted.ok()) << submitted.error().message;
  auto produced = node->produce_block(block_time(1));
  ASSERT_TRUE(produced.ok()) << produced.error().message;
  auto receipt = node->find_tx(*submitted);
  ASSERT_TRUE(receipt.ok()) << receipt.error().message;
  ASSERT_EQ(receipt->receipt.proofs_size(), 2);

  // By device: each 20-byte id under its own prefix.
  auto scanned = node->scan_index(Bytes{'P'}, {}, 100);
  ASSERT_TRUE(scanned.ok()) << scanned.error().message;
  const storage::KeyValues& by_device = *scanned;
  ASSERT_EQ(by_device.size(), 2u);
  EXPECT_EQ(Bytes(by_device[0].first.begin() + 1, by_device[0].first.begin() + 21), to_bytes(device));
  EXPECT_EQ(Bytes(by_device[1].first.begin() + 1, by_device[1].first.begin() + 21), to_bytes(other));
  // By epoch: both results, under the including block's epoch; nothing under the claimed epochs.
  const uint64_t block_epoch = 1 / genesis_.depin.epoch_blocks;
  EXPECT_EQ(node->scan_index(epoch_prefix(block_epoch), {}, 100)->size(), 2u);
  EXPECT_TRUE(node->scan_index(epoch_prefix(999), {}, 100)->empty());
  EXPECT_TRUE(node->scan_index(epoch_prefix(777), {}, 100)->empty());
}
