// Block sync's pipeline (src/node/sync_pipeline.h, doc/p2p.md "Sync pipeline"): what it prepares off the
// driver thread gives exactly what validate gives, and a bad next block is still refused, each with its
// reason: a bad commit or an undecodable block before any transaction is decoded, a tx root that does not
// match after the pipeline computed it.
#include <chrono>
#include <thread>

#include "consensus/validator_set.h"
#include "node/sync_pipeline.h"
#include "node_test_fixture.h"
#include "primitives/codec.h"

namespace physis::node_test {
namespace {

class SyncPipelineTest : public NodeTest {
 protected:
  // Node A (the validator) makes blocks 1 and 2 with transfers; node B (no key) has only genesis.
  void SetUp() override {
    a_ = open_node_in("a", validator_);
    ASSERT_TRUE(a_);
    b_ = open_node_in("b", std::nullopt);
    ASSERT_TRUE(b_);
    const Address to = address_of_key(validator_);
    for (uint64_t h = 1; h <= 2; ++h) {
      for (uint64_t n = 0; n < 2; ++n) {
        ASSERT_TRUE(a_->submit_tx(transfer(dev0_, (h - 1) * 2 + n, to, 5 + n)).ok());
        ASSERT_TRUE(a_->submit_tx(transfer(dev1_, (h - 1) * 2 + n, to, 7 + n)).ok());
      }
      ASSERT_TRUE(a_->produce_block(block_time(h)).ok());
    }
  }

  // The BlockResponse node A serves for `height` (block, commit, senders), as a job for node B.
  SyncJob job(uint64_t height) {
    auto block = a_->block_at(height);
    auto commit = a_->commit_at(height);
    auto senders = a_->stored_senders(height);
    EXPECT_TRUE(block.ok() && commit.ok());
    SyncJob j;
    j.height = height;
    j.response.set_height(height);
    j.response.set_block(to_string(encode_canonical(block->block)));
    j.response.set_commit(to_string(encode_canonical(*commit)));
    if (senders) j.response.set_senders(to_string(*senders));  // none for a block without transactions
    j.validators = consensus::ValidatorSet::from_genesis(genesis_);
    j.chain_id = genesis_.chain_id;
    return j;
  }

  // `block` re-signed by the validator (a block whose commit is real, as only > 2/3 of the validators
  // could make it), as a job for `height`.
  SyncJob signed_job(uint64_t height, const pb::Block& block) {
    SyncJob j = job(height);
    j.response.set_block(to_string(encode_canonical(block)));
    const Hash32 hash = block_hash(block.header());
    j.response.set_commit(to_string(
        encode_canonical(consensus::make_commit(genesis_.chain_id, height, 0, hash, {validator_}))));
    return j;
  }

  Result<ExecutedBlock> validate_prepared_at_b(PreparedSync& p,
                                               const Hash32* verified_parent_commit = nullptr) {
    auto vals = b_->height_validators(p.height);
    EXPECT_TRUE(vals.ok());
    EXPECT_TRUE(p.txs.has_value() && p.txs->ok());
    return b_->executor().validate_prepared(p.block, b_->tip(), *vals, vals->set, block_time(p.height),
                                            std::move(**p.txs), verified_parent_commit);
  }

  std::unique_ptr<Node> a_;
  std::unique_ptr<Node> b_;
};

TEST_F(SyncPipelineTest, APreparedBlockGivesWhatValidateWithHintsGives) {
  PreparedSync p = prepare_synced_block(job(1));
  ASSERT_TRUE(p.fault.empty()) << p.fault;
  ASSERT_TRUE(p.hints.has_value());
  ASSERT_TRUE(p.txs.has_value() && p.txs->ok());
  EXPECT_EQ((*p.txs)->tx_root, compute_tx_root(p.block.txs()));
  auto vals = b_->height_validators(1);
  ASSERT_TRUE(vals.ok());
  auto hinted =
      b_->executor().validate(p.block, b_->tip(), *vals, vals->set, std::nullopt, block_time(1), &*p.hints);
  ASSERT_TRUE(hinted.ok()) << hinted.error().message;
  auto prepared = validate_prepared_at_b(p);
  ASSERT_TRUE(prepared.ok()) << prepared.error().message;
  EXPECT_EQ(prepared->hash, hinted->hash);
  EXPECT_EQ(prepared->result.state_root, hinted->result.state_root);
  EXPECT_EQ(prepared->result.writes, hinted->result.writes);
  EXPECT_EQ(prepared->senders, hinted->senders);
  // Committed with the bytes as received, the stored block is the one A stores.
  prepared->encoded = p.encoded;
  ASSERT_TRUE(b_->executor().commit(*prepared, p.commit).ok());
  EXPECT_EQ(encode_canonical(b_->block_at(1)->block), encode_canonical(a_->block_at(1)->block));
  EXPECT_EQ(to_string(b_->tip().state_root), a_->block_at(1)->block.header().state_root());
}

TEST_F(SyncPipelineTest, ABadCommitIsRefusedBeforeAnyTransactionIsDecoded) {
  SyncJob j = job(1);
  j.response.set_commit(job(2).response.commit());  // a real commit, of another block
  PreparedSync p = prepare_synced_block(std::move(j));
  EXPECT_NE(p.fault.find("has a bad commit"), std::string::npos) << p.fault;
  EXPECT_FALSE(p.txs.has_value());
}

TEST_F(SyncPipelineTest, AResponseThatDoesNotDecodeOrIsOfAnotherHeightIsRefused) {
  SyncJob garbled = job(1);
  garbled.response.set_block("\xff\xff not a block");
  EXPECT_EQ(prepare_synced_block(std::move(garbled)).fault, "synced block does not decode");
  SyncJob bad_commit = job(1);
  bad_commit.response.set_commit("\xff\xff");
  EXPECT_EQ(prepare_synced_block(std::move(bad_commit)).fault, "synced commit does not decode");
  SyncJob other = job(2);
  other.height = 1;  // asked for 1, served 2
  EXPECT_EQ(prepare_synced_block(std::move(other)).fault, "synced block has another height");
}

TEST_F(SyncPipelineTest, HintsOfTheWrongLengthAreLeftOutAndOffTheyAreNotUsed) {
  SyncJob short_hints = job(1);
  short_hints.response.set_senders(short_hints.response.senders().substr(20));
  PreparedSync p = prepare_synced_block(std::move(short_hints));
  EXPECT_TRUE(p.fault.empty()) << p.fault;
  EXPECT_FALSE(p.hints.has_value());  // verified in full by the driver
  EXPECT_FALSE(p.txs.has_value());
  SyncJob off = job(1);
  off.use_hints = false;
  PreparedSync q = prepare_synced_block(std::move(off));
  EXPECT_TRUE(q.fault.empty());
  EXPECT_FALSE(q.hints.has_value());
}

// The pipeline computes the tx root; validate_prepared still refuses a block whose header names another
// (here a block with a real commit, as a byzantine supermajority could sign).
TEST_F(SyncPipelineTest, ABadNextBlockWithARealCommitIsRefusedWithItsReason) {
  pb::Block block = a_->block_at(1)->block;
  block.mutable_header()->set_tx_root(std::string(32, '\x01'));
  PreparedSync p = prepare_synced_block(signed_job(1, block));
  ASSERT_TRUE(p.fault.empty()) << p.fault;
  auto checked = validate_prepared_at_b(p);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().code, "wrong_tx_root");
  // A transaction that does not decode: the pipeline says so (the driver then validates in full).
  pb::Block garbled = a_->block_at(1)->block;
  garbled.set_txs(0, "\x0a\x01");
  garbled.mutable_header()->set_tx_root(to_string(compute_tx_root(garbled.txs())));
  PreparedSync g = prepare_synced_block(signed_job(1, garbled));
  ASSERT_TRUE(g.fault.empty()) << g.fault;
  ASSERT_TRUE(g.txs.has_value());
  ASSERT_FALSE(g.txs->ok());
  EXPECT_EQ(g.txs->error().code, kRejectBadTx);
}

TEST_F(SyncPipelineTest, TheNextBlocksParentCommitIsTakenAsVerifiedOnlyWhenItIsThatCommit) {
  PreparedSync first = prepare_synced_block(job(1));
  auto one = validate_prepared_at_b(first);
  ASSERT_TRUE(one.ok()) << one.error().message;
  ASSERT_TRUE(b_->executor().commit(*one, first.commit).ok());
  // Block 2 carries block 1's commit. Handing in its hash skips the check; another hash does not, and a
  // forged last_commit is then refused.
  PreparedSync second = prepare_synced_block(job(2));
  ASSERT_TRUE(second.fault.empty()) << second.fault;
  const Hash32 carried = commit_hash(second.block.last_commit());
  EXPECT_TRUE(validate_prepared_at_b(second, &carried).ok());
  pb::Block forged = a_->block_at(2)->block;
  forged.mutable_last_commit()->mutable_signatures(0)->set_signature(std::string(65, '\x02'));
  forged.mutable_header()->set_last_commit_hash(to_string(commit_hash(forged.last_commit())));
  PreparedSync f = prepare_synced_block(signed_job(2, forged));
  ASSERT_TRUE(f.fault.empty()) << f.fault;
  auto refused = validate_prepared_at_b(f, &carried);  // carried is the real commit's hash, not this one's
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "bad_last_commit");
}

TEST_F(SyncPipelineTest, ThePipelineThreadPreparesEveryJobItIsGiven) {
  SyncPipeline pipeline;
  std::future<PreparedSync> two = pipeline.submit(job(2));
  std::future<PreparedSync> one = pipeline.submit(job(1));
  PreparedSync p1 = one.get();
  PreparedSync p2 = two.get();
  EXPECT_EQ(p1.height, 1u);
  EXPECT_EQ(p2.height, 2u);
  EXPECT_TRUE(p1.fault.empty() && p2.fault.empty());
  SyncJob bad = job(2);
  bad.response.set_commit(job(1).response.commit());
  EXPECT_NE(pipeline.submit(std::move(bad)).get().fault.find("has a bad commit"), std::string::npos);
}

}  // namespace
}  // namespace physis::node_test

namespace physis::node_test {
namespace {

// Group writes in the background (BlockExecutor::commit with durable false): once kMaxHeldBlocks are held
// they are written on another thread while more blocks are validated on their state and held; a durable
// commit then writes the rest, and the store ends exactly as the producer's.
TEST_F(SyncPipelineTest, HeldBlocksAreWrittenInTheBackgroundWhileTheNextAreApplied) {
  const uint64_t last = BlockExecutor::kMaxHeldBlocks + 3;
  const Address to = address_of_key(validator_);
  for (uint64_t h = 3; h <= last; ++h) {
    if (h == last) {
      ASSERT_TRUE(a_->submit_tx(transfer(dev0_, 4, to, 3)).ok());  // on the state of them all
    }
    ASSERT_TRUE(a_->produce_block(block_time(h)).ok());
  }
  storage::ChainTip tip = b_->tip();
  for (uint64_t h = 1; h <= last; ++h) {
    SyncJob j = job(h);
    PreparedSync p = prepare_synced_block(std::move(j));
    ASSERT_TRUE(p.fault.empty()) << p.fault;
    auto vals = b_->height_validators(h);
    ASSERT_TRUE(vals.ok());
    Result<ExecutedBlock> checked = make_error("unset", "");
    if (p.txs)
      checked = b_->executor().validate_prepared(p.block, tip, *vals, vals->set, block_time(h),
                                                 std::move(**p.txs), nullptr);
    else
      checked = b_->executor().validate(p.block, tip, *vals, vals->set, std::nullopt, block_time(h));
    ASSERT_TRUE(checked.ok()) << h << ": " << checked.error().message;
    checked->encoded = p.encoded;
    auto held = b_->executor().commit(*checked, p.commit, /*durable=*/h == last);
    ASSERT_TRUE(held.ok()) << h << ": " << held.error().message;
    tip = *held;
    if (h == BlockExecutor::kMaxHeldBlocks) {
      // The held blocks went to the background write: the store shows them once it is done, with no
      // durable commit or flush; until the next commit they still count as held.
      for (int i = 0; i < 1000 && b_->tip().height < h; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      EXPECT_EQ(b_->tip().height, h);
      EXPECT_EQ(b_->executor().held_blocks(), BlockExecutor::kMaxHeldBlocks);
    }
    if (h == BlockExecutor::kMaxHeldBlocks + 1) {
      EXPECT_EQ(b_->executor().held_blocks(), 1u);  // the written ones left; this one is held
    }
  }
  EXPECT_EQ(b_->executor().held_blocks(), 0u);
  EXPECT_EQ(b_->tip().height, last);
  EXPECT_EQ(b_->tip().hash, a_->tip().hash);
  EXPECT_EQ(b_->tip().state_root, a_->tip().state_root);
  EXPECT_EQ(b_->account(to)->balance, a_->account(to)->balance);
  EXPECT_TRUE(b_->block_at(BlockExecutor::kMaxHeldBlocks).ok());
  EXPECT_TRUE(b_->commit_at(last).ok());
}

}  // namespace
}  // namespace physis::node_test
