// A damaged datadir: a stored record that does not decode is reported as corruption ("corrupt_datadir",
// naming the record and what to do), never read as absent or as a default-constructed value.
#include "tests/unit/node/node_test_fixture.h"
#include "vm/accounts.h"

using namespace physis;
using namespace physis::node;
using namespace physis::node_test;

namespace {
// Not a protobuf message: a length-delimited field 1 whose length runs past the end.
const Bytes kGarbage{0x0a, 0x05, 0x01};

class NodeCorruptionTest : public NodeTest {
 protected:
  // Commits block 1 with a real transfer, then, behind the node's back, a block 2 whose block, receipts
  // and one account record are garbage, with a tx index entry pointing into it.
  void SetUp() override {
    {
      auto node = open_node(validator_);
      ASSERT_TRUE(node);
      auto submitted = node->submit_tx(transfer(dev0_, 0, address_of_key(dev1_), 5));
      ASSERT_TRUE(submitted.ok()) << submitted.error().message;
      good_tx_ = *submitted;
      ASSERT_TRUE(node->produce_block(block_time(1)).ok());
      tip_ = node->tip();
    }
    auto store = storage::BlockStore::open(options(std::nullopt).datadir + "/chain");
    ASSERT_TRUE(store.ok()) << store.error().message;
    storage::BlockWrite w;
    w.tip = {2, Hash32{0x22}, tip_.state_root, tip_.time_ms + 1};
    w.block = kGarbage;
    w.receipts = kGarbage;
    w.txs = {bad_tx_};
    w.state_writes[vm::account_key(address_of_key(dev1_))] = kGarbage;
    ASSERT_TRUE((*store)->commit_block(w).ok());
  }
  static void expect_corrupt(const Error& e, const std::string& names) {
    EXPECT_EQ(e.code, "corrupt_datadir") << e.message;
    EXPECT_NE(e.message.find(names), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("restore"), std::string::npos) << e.message;
  }

  storage::ChainTip tip_;
  Hash32 good_tx_{};
  const Hash32 bad_tx_{0xbb};
};
}  // namespace

TEST_F(NodeCorruptionTest, UndecodableBlockIsAnErrorNotAMissingBlock) {
  auto node = open_node(std::nullopt);
  ASSERT_TRUE(node);
  auto b2 = node->block_at(2);
  ASSERT_FALSE(b2.ok());
  expect_corrupt(b2.error(), "block 2");
  auto by_hash = node->block_by_hash(Hash32{0x22});
  ASSERT_FALSE(by_hash.ok());
  expect_corrupt(by_hash.error(), "block 2");
  // Absent is still absent, and intact records still read.
  auto b3 = node->block_at(3);
  ASSERT_FALSE(b3.ok());
  EXPECT_EQ(b3.error().code, "not_found");
  EXPECT_TRUE(node->block_at(1).ok());
}

TEST_F(NodeCorruptionTest, TransactionInAnUndecodableBlockIsAnError) {
  auto node = open_node(std::nullopt);
  ASSERT_TRUE(node);
  auto bad = node->find_tx(bad_tx_);
  ASSERT_FALSE(bad.ok());
  expect_corrupt(bad.error(), "block 2");
  auto unknown = node->find_tx(Hash32{0xcc});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "not_found");
  auto good = node->find_tx(good_tx_);
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_EQ(good->receipt.tx_hash(), to_string(good_tx_));
}

TEST_F(NodeCorruptionTest, ReceiptInAnUndecodableBlockIsAnError) {
  auto node = open_node(std::nullopt);
  ASSERT_TRUE(node);
  // Block 2 has garbage receipts and no commit of its own: either is corruption, never "not found".
  auto bad = node->find_receipt(bad_tx_);
  ASSERT_FALSE(bad.ok());
  expect_corrupt(bad.error(), "block 2");
  auto good = node->find_receipt(good_tx_);
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_EQ(good->receipt.tx_hash(), to_string(good_tx_));
  EXPECT_EQ(good->height, 1u);
}

TEST_F(NodeCorruptionTest, UndecodableAccountIsAnErrorNotAZeroBalance) {
  auto node = open_node(std::nullopt);
  ASSERT_TRUE(node);
  auto acc = node->account(address_of_key(dev1_));
  ASSERT_FALSE(acc.ok());
  expect_corrupt(acc.error(), crypto::address_to_string(address_of_key(dev1_)));
  auto audit = node->supply_audit();
  ASSERT_FALSE(audit.ok());
  expect_corrupt(audit.error(), "account record");
  // Other accounts still read.
  EXPECT_TRUE(node->account(address_of_key(dev0_)).ok());
}
