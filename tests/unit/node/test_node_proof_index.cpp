// The explorer indexes of proof results (doc/depin.md "Indexes"): 'P' ‖ device only for 20-byte device
// ids, 'Q' ‖ epoch of the including block (not the epoch a proof claims).
#include "tests/unit/node/node_test_fixture.h"
#include "vm/gas.h"

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

TEST_F(NodeTest, ProofIndexesUseTheBlockEpochAndOnlyWellFormedDeviceIds) {
  auto node = open_node(validator_);
  ASSERT_TRUE(node);
  const std::string short_id = "\x01\x02\x03\x04\x05";
  const std::string device(20, '\x42');
  pb::TxBody body;
  body.set_chain_id(genesis_.chain_id);
  body.set_nonce(0);
  body.set_gas_limit(vm::gas::kSubmitProofsBase + 2 * vm::gas::kPerProof);
  body.set_gas_price(1);
  pb::Proof* bad = body.mutable_submit_proofs()->add_proofs();
  bad->set_device_id(short_id);  // a prefix of no real device, but it must not be indexed under 'P'
  bad->set_epoch(999);
  pb::Proof* unknown = body.mutable_submit_proofs()->add_proofs();
  unknown->set_device_id(device);
  unknown->set_epoch(777);
  auto submitted = node->submit_tx(sign_tx(body, dev0_));
  ASSERT_TRUE(submitted.ok()) << submitted.error().message;
  auto produced = node->produce_block(block_time(1));
  ASSERT_TRUE(produced.ok()) << produced.error().message;
  auto receipt = node->find_tx(*submitted);
  ASSERT_TRUE(receipt.ok()) << receipt.error().message;
  ASSERT_EQ(receipt->receipt.proofs_size(), 2);

  // By device: only the 20-byte id.
  auto scanned = node->scan_index(Bytes{'P'}, {}, 100);
  ASSERT_TRUE(scanned.ok()) << scanned.error().message;
  const storage::KeyValues& by_device = *scanned;
  ASSERT_EQ(by_device.size(), 1u);
  EXPECT_EQ(Bytes(by_device[0].first.begin() + 1, by_device[0].first.begin() + 21), to_bytes(device));
  // By epoch: both results, under the including block's epoch; nothing under the claimed epochs.
  const uint64_t block_epoch = 1 / genesis_.depin.epoch_blocks;
  EXPECT_EQ(node->scan_index(epoch_prefix(block_epoch), {}, 100)->size(), 2u);
  EXPECT_TRUE(node->scan_index(epoch_prefix(999), {}, 100)->empty());
  EXPECT_TRUE(node->scan_index(epoch_prefix(777), {}, 100)->empty());
}
