// BlockExecutor::validate with the sender hints of block sync (TrustedHints, doc/p2p.md "Catching up"):
// a block applied with the right senders gives exactly what full validation gives; wrong senders can never
// give the committed roots, so they fail as a block fault and full validation still accepts the block.
#include "node/block_executor.h"

#include "node_test_fixture.h"

namespace physis::node_test {
namespace {

class BlockExecutorHintsTest : public NodeTest {
 protected:
  // Node A (the validator) makes block 1 with transfers from two senders; node B (no key, its own
  // datadir) has only genesis and checks that block.
  void SetUp() override {
    a_ = open_node_in("a", validator_);
    ASSERT_TRUE(a_);
    b_ = open_node_in("b", std::nullopt);
    ASSERT_TRUE(b_);
    const Address to = address_of_key(validator_);
    for (uint64_t n = 0; n < 3; ++n) {
      ASSERT_TRUE(a_->submit_tx(transfer(dev0_, n, to, 5 + n)).ok());
      ASSERT_TRUE(a_->submit_tx(transfer(dev1_, n, to, 7 + n)).ok());
    }
    auto tip = a_->produce_block(block_time(1));
    ASSERT_TRUE(tip.ok()) << tip.error().message;
    auto stored = a_->block_at(1);
    ASSERT_TRUE(stored.ok());
    block_ = stored->block;
    ASSERT_EQ(block_.txs_size(), 6);
    for (int i = 0; i < block_.txs_size(); ++i) {
      auto v = decode_and_verify_tx(as_span(block_.txs(i)));
      ASSERT_TRUE(v.ok());
      senders_.push_back(v->sender);
    }
  }

  Result<ExecutedBlock> validate_at_b(const TrustedHints* hints) {
    auto vals = b_->height_validators(1);
    EXPECT_TRUE(vals.ok());
    return b_->executor().validate(block_, b_->tip(), *vals, vals->set, std::nullopt, block_time(1), hints);
  }

  std::unique_ptr<Node> a_;
  std::unique_ptr<Node> b_;
  pb::Block block_;
  std::vector<Address> senders_;
};

TEST_F(BlockExecutorHintsTest, TheProducerStoresTheSendersOfEveryBlockInOrder) {
  auto stored = a_->stored_senders(1);
  ASSERT_TRUE(stored.has_value());
  auto parsed = parse_senders(*stored, static_cast<size_t>(block_.txs_size()));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, senders_);
  EXPECT_FALSE(parse_senders(*stored, static_cast<size_t>(block_.txs_size()) + 1).has_value());
  EXPECT_FALSE(a_->stored_senders(2).has_value());  // no such block
}

TEST_F(BlockExecutorHintsTest, RightHintsGiveWhatFullValidationGives) {
  auto full = validate_at_b(nullptr);
  ASSERT_TRUE(full.ok()) << full.error().message;
  TrustedHints hints{senders_};
  auto hinted = validate_at_b(&hints);
  ASSERT_TRUE(hinted.ok()) << hinted.error().message;
  EXPECT_EQ(hinted->hash, full->hash);
  EXPECT_EQ(hinted->result.state_root, full->result.state_root);
  EXPECT_EQ(hinted->senders, full->senders);
  EXPECT_EQ(hinted->result.writes, full->result.writes);
}

TEST_F(BlockExecutorHintsTest, SwappedSendersAreABlockFaultAndFullValidationStillAccepts) {
  // dev0's and dev1's transfers swapped: each now has the other's nonce sequence and amounts.
  TrustedHints hints{senders_};
  std::swap(hints.senders[0], hints.senders[1]);
  auto hinted = validate_at_b(&hints);
  ASSERT_FALSE(hinted.ok());
  EXPECT_TRUE(is_block_fault(hinted.error())) << hinted.error().code;
  EXPECT_TRUE(hinted.error().code == kRejectWrongStateRoot || hinted.error().code == kRejectWrongReceiptsRoot ||
              hinted.error().code == kRejectInvalidBlock)
      << hinted.error().code;
  EXPECT_TRUE(validate_at_b(nullptr).ok());
}

TEST_F(BlockExecutorHintsTest, AStrangerNamedAsSenderCannotGiveTheCommittedRoots) {
  // A sender with no balance in genesis: its transfer cannot be paid, so the receipts or the state differ.
  TrustedHints hints{senders_};
  Address stranger{};
  stranger.fill(0x5a);
  hints.senders[2] = stranger;
  auto hinted = validate_at_b(&hints);
  ASSERT_FALSE(hinted.ok());
  EXPECT_TRUE(is_block_fault(hinted.error())) << hinted.error().code;
}

TEST_F(BlockExecutorHintsTest, HintsOfTheWrongCountAreRefused) {
  TrustedHints hints{senders_};
  hints.senders.pop_back();
  auto hinted = validate_at_b(&hints);
  ASSERT_FALSE(hinted.ok());
  EXPECT_EQ(hinted.error().code, kRejectBadTx);
}

TEST_F(BlockExecutorHintsTest, HintsNeverExcuseAWrongHeader) {
  // Hints replace signature recovery only: the header rules still run (here: a tx root that does not
  // match the transactions).
  block_.mutable_header()->set_tx_root(std::string(32, '\x01'));
  TrustedHints hints{senders_};
  auto hinted = validate_at_b(&hints);
  ASSERT_FALSE(hinted.ok());
  EXPECT_TRUE(is_block_fault(hinted.error()));
  EXPECT_NE(hinted.error().code, kRejectWrongStateRoot);
}

// Block sync holds a run of blocks and writes them in one synced batch (commit with durable false):
// the store shows none of them until then, while the executor validates the next block on their state.
TEST_F(BlockExecutorHintsTest, HeldBlocksAreSeenByTheNextBlockAndWrittenTogether) {
  const Address to = address_of_key(validator_);
  ASSERT_TRUE(a_->submit_tx(transfer(dev0_, 3, to, 11)).ok());  // spends what block 1 left dev0
  ASSERT_TRUE(a_->produce_block(block_time(2)).ok());
  auto second = a_->block_at(2);
  ASSERT_TRUE(second.ok());
  auto c1 = a_->commit_at(1);
  auto c2 = a_->commit_at(2);
  ASSERT_TRUE(c1.ok() && c2.ok());

  auto first = validate_at_b(nullptr);
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto held = b_->executor().commit(*first, *c1, /*durable=*/false);
  ASSERT_TRUE(held.ok()) << held.error().message;
  EXPECT_EQ(held->height, 1u);
  EXPECT_EQ(b_->tip().height, 0u);  // nothing written yet
  EXPECT_EQ(b_->executor().held_blocks(), 1u);
  EXPECT_FALSE(b_->block_at(1).ok());

  // Block 2 validates on the held state of block 1 (dev0's nonce 3 follows block 1's nonces 0..2).
  auto vals = b_->height_validators(2);
  ASSERT_TRUE(vals.ok());
  auto next = b_->executor().validate(second->block, *held, *vals, vals->set, std::nullopt, block_time(2));
  ASSERT_TRUE(next.ok()) << next.error().message;
  // A block on the stored tip (0) instead of the held one is stale.
  EXPECT_EQ(b_->executor().commit(*first, *c1).error().code, "stale_block");
  auto written = b_->executor().commit(*next, *c2);  // durable: writes both in one batch
  ASSERT_TRUE(written.ok()) << written.error().message;
  EXPECT_EQ(b_->executor().held_blocks(), 0u);
  EXPECT_EQ(b_->tip().height, 2u);
  EXPECT_EQ(b_->tip().state_root, a_->tip().state_root);
  EXPECT_EQ(b_->account(to)->balance, a_->account(to)->balance);
  EXPECT_TRUE(b_->block_at(1).ok());
  EXPECT_TRUE(b_->commit_at(2).ok());
}

TEST_F(BlockExecutorHintsTest, FlushWritesHeldBlocks) {
  auto first = validate_at_b(nullptr);
  ASSERT_TRUE(first.ok());
  auto c1 = a_->commit_at(1);
  ASSERT_TRUE(c1.ok());
  ASSERT_TRUE(b_->executor().commit(*first, *c1, /*durable=*/false).ok());
  EXPECT_EQ(b_->tip().height, 0u);
  ASSERT_TRUE(b_->executor().flush().ok());
  EXPECT_EQ(b_->tip().height, 1u);
  EXPECT_EQ(b_->tip().state_root, a_->tip().state_root);
  EXPECT_TRUE(b_->executor().flush().ok());  // nothing held: a no-op
  EXPECT_EQ(b_->tip().height, 1u);
}

}  // namespace
}  // namespace physis::node_test
