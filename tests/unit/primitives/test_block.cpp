// Blocks (DESIGN §4): the block hash is keccak256 of the canonical header bytes, roots are
// domain-separated Merkle roots, and decode_block checks encoding and the sizes of hash fields.
#include <gtest/gtest.h>

#include <functional>

#include "crypto/keccak.h"
#include "crypto/merkle.h"
#include "primitives/block.h"
#include "primitives/codec.h"

using namespace physis;

namespace {

std::string filled(size_t n, char c) { return std::string(n, c); }

// A header with every field set to a fixed, distinct value.
pb::Header fixed_header() {
  pb::Header h;
  h.set_chain_id("physis-test-1");
  h.set_height(42);
  h.set_time_ms(1735689600123);
  h.set_prev_hash(filled(32, '\x01'));
  h.set_tx_root(filled(32, '\x02'));
  h.set_state_root(filled(32, '\x03'));
  h.set_receipts_root(filled(32, '\x04'));
  h.set_proposer(filled(20, '\x05'));
  h.set_validators_hash(filled(32, '\x06'));
  h.set_next_validators_hash(filled(32, '\x07'));
  h.set_last_commit_hash(filled(32, '\x08'));
  return h;
}

pb::Block fixed_block() {
  pb::Block b;
  *b.mutable_header() = fixed_header();
  b.add_txs("tx-one");
  b.add_txs("tx-two");
  pb::Commit* c = b.mutable_last_commit();
  c->set_height(41);
  c->set_block_hash(filled(32, '\x09'));
  auto* s = c->add_signatures();
  s->set_validator(filled(20, '\x05'));
  s->set_signature(filled(65, '\x0a'));
  return b;
}

void expect_rejected(const pb::Block& block, std::string_view fragment) {
  pb::Block out;
  Status st = decode_block(encode_canonical(block), out);
  ASSERT_FALSE(st.ok()) << "accepted: " << fragment;
  EXPECT_EQ(st.error().code, "malformed");
  EXPECT_NE(st.error().message.find(fragment), std::string::npos) << st.error().message;
}

}  // namespace

// Golden vector: the block hash is the chain's identity for every block. If this fails, the header
// encoding changed (field numbers, types, hashing): every existing chain breaks. It must fail loudly and
// be changed only on purpose, with the protocol document.
TEST(Block, GoldenHeaderHash) {
  EXPECT_EQ(hash_to_string(block_hash(fixed_header())),
            "0x9efa3c716398a5cea4361d549ba9185aa390b7be0e1643e8538e357e27c4117c");
}

TEST(Block, HashIsKeccakOfCanonicalHeaderBytes) {
  EXPECT_EQ(block_hash(fixed_header()), crypto::keccak256(encode_canonical(fixed_header())));
}

TEST(Block, HashChangesWhenAnyHeaderFieldChanges) {
  const Hash32 base = block_hash(fixed_header());
  std::vector<std::function<void(pb::Header&)>> mutations = {
      [](pb::Header& h) { h.set_chain_id("physis-test-2"); },
      [](pb::Header& h) { h.set_height(43); },
      [](pb::Header& h) { h.set_time_ms(h.time_ms() + 1); },
      [](pb::Header& h) { (*h.mutable_prev_hash())[0] ^= 1; },
      [](pb::Header& h) { (*h.mutable_tx_root())[0] ^= 1; },
      [](pb::Header& h) { (*h.mutable_state_root())[0] ^= 1; },
      [](pb::Header& h) { (*h.mutable_receipts_root())[0] ^= 1; },
      [](pb::Header& h) { (*h.mutable_proposer())[0] ^= 1; },
      [](pb::Header& h) { (*h.mutable_validators_hash())[0] ^= 1; },
      [](pb::Header& h) { (*h.mutable_next_validators_hash())[0] ^= 1; },
      [](pb::Header& h) { (*h.mutable_last_commit_hash())[0] ^= 1; },
  };
  for (size_t i = 0; i < mutations.size(); ++i) {
    pb::Header h = fixed_header();
    mutations[i](h);
    EXPECT_NE(block_hash(h), base) << "mutation " << i << " did not change the hash";
  }
}

TEST(Block, CommitHashIsKeccakOfCanonicalCommitBytes) {
  pb::Block b = fixed_block();
  EXPECT_EQ(commit_hash(b.last_commit()), crypto::keccak256(encode_canonical(b.last_commit())));
  pb::Commit other = b.last_commit();
  other.set_round(1);
  EXPECT_NE(commit_hash(other), commit_hash(b.last_commit()));
}

TEST(Block, TxRootOfNoTransactionsIsKeccakOfEmpty) {
  google::protobuf::RepeatedPtrField<std::string> none;
  EXPECT_EQ(compute_tx_root(none), crypto::keccak256(ByteSpan{}));
}

TEST(Block, TxRootOfOneTransactionIsItsLeafHash) {
  google::protobuf::RepeatedPtrField<std::string> one;
  one.Add("tx-one");
  Bytes leaf{0x00};
  append(leaf, std::string_view("tx-one"));
  EXPECT_EQ(compute_tx_root(one), crypto::keccak256(leaf));
}

TEST(Block, TxRootDependsOnOrder) {
  pb::Block b = fixed_block();
  Hash32 forward = compute_tx_root(b.txs());
  b.mutable_txs()->SwapElements(0, 1);
  EXPECT_NE(compute_tx_root(b.txs()), forward);
  // Two leaves: inner(leaf(a), leaf(b)).
  EXPECT_EQ(forward, crypto::merkle_inner_hash(crypto::merkle_leaf_hash(as_span("tx-one")),
                                               crypto::merkle_leaf_hash(as_span("tx-two"))));
}

TEST(Block, ReceiptsRootCoversEveryReceiptField) {
  pb::Receipt r;
  r.set_tx_hash(filled(32, '\x01'));
  r.set_gas_used(21000);
  Hash32 base = compute_receipts_root({r});
  EXPECT_EQ(base, crypto::merkle_leaf_hash(encode_canonical(r)));
  pb::Receipt failed = r;
  failed.set_status(1);
  EXPECT_NE(compute_receipts_root({failed}), base);
  EXPECT_EQ(compute_receipts_root({}), crypto::keccak256(ByteSpan{}));
}

TEST(Block, DecodeAcceptsWellFormedBlock) {
  Bytes bytes = encode_canonical(fixed_block());
  pb::Block out;
  Status st = decode_block(bytes, out);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(out.header().height(), 42u);
  EXPECT_EQ(out.txs_size(), 2);
  EXPECT_EQ(encode_canonical(out), bytes);
  Hash32 ones;
  ones.fill(0x01);
  EXPECT_EQ(to_hash32(out.header().prev_hash()), ones);
}

TEST(Block, DecodeAcceptsBlockWithoutLastCommit) {
  pb::Block b = fixed_block();
  b.clear_last_commit();
  pb::Block out;
  EXPECT_TRUE(decode_block(encode_canonical(b), out).ok());
  EXPECT_FALSE(out.has_last_commit());
}

TEST(Block, DecodeRejectsNonCanonicalBytes) {
  Bytes bytes = encode_canonical(fixed_block());
  bytes.push_back(0x20);  // field 4 (unknown in Block), varint 1
  bytes.push_back(0x01);
  pb::Block out;
  Status st = decode_block(bytes, out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "malformed");
}

TEST(Block, DecodeRejectsOversize) {
  Bytes bytes(kMaxBlockBytes + 1, 0);
  pb::Block out;
  Status st = decode_block(bytes, out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "oversize");
}

TEST(Block, DecodeRejectsShortPrevHash) {
  pb::Block b = fixed_block();
  b.mutable_header()->mutable_prev_hash()->pop_back();
  expect_rejected(b, "32 bytes");
}

TEST(Block, DecodeRejectsMissingStateRoot) {
  pb::Block b = fixed_block();
  b.mutable_header()->clear_state_root();
  expect_rejected(b, "32 bytes");
}

TEST(Block, DecodeRejectsLongTxRoot) {
  pb::Block b = fixed_block();
  b.mutable_header()->mutable_tx_root()->push_back('x');
  expect_rejected(b, "32 bytes");
}

TEST(Block, DecodeRejects19ByteProposer) {
  pb::Block b = fixed_block();
  b.mutable_header()->mutable_proposer()->pop_back();
  expect_rejected(b, "20-byte");
}

TEST(Block, DecodeRejectsShortLastCommitBlockHash) {
  pb::Block b = fixed_block();
  b.mutable_last_commit()->mutable_block_hash()->pop_back();
  expect_rejected(b, "32 bytes");
}

// last_commit_hash is a 32-byte hash field like the others (the header comment in block.h promises
// "32-byte hash fields"), but decode_block does not check its size. Known bug: see the test report.
TEST(Block, DecodeRejectsShortLastCommitHash) {
  pb::Block b = fixed_block();
  b.mutable_header()->mutable_last_commit_hash()->pop_back();
  expect_rejected(b, "32 bytes");
}

TEST(Block, DecodeRejectsMalformedCommitSignatures) {
  pb::Block b = fixed_block();
  b.mutable_last_commit()->mutable_signatures(0)->mutable_validator()->push_back('x');
  expect_rejected(b, "20-byte validator");
  b = fixed_block();
  b.mutable_last_commit()->mutable_signatures(0)->set_signature(filled(64 * 1024, '\x01'));
  expect_rejected(b, "65-byte signature");
}

TEST(Block, DecodeRejectsEmptyOrOversizeTransactions) {
  pb::Block b = fixed_block();
  b.add_txs("");
  expect_rejected(b, "empty or larger");
  b = fixed_block();
  b.add_txs(filled(kMaxTxBytes + 1, '\x01'));
  expect_rejected(b, "empty or larger");
}

// The block byte limit (doc/protocol.md "Blocks"): a genesis parameter, checked on every block.
TEST(BlockLimits, EncodedSizeAtMostMaxBlockBytes) {
  ChainParams params;
  pb::Block b = fixed_block();
  params.max_block_bytes = b.ByteSizeLong();
  EXPECT_TRUE(check_block_limits(b, params).ok());
  b.add_txs("x");
  Status st = check_block_limits(b, params);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "block_too_large");
  EXPECT_NE(st.error().message.find(std::to_string(params.max_block_bytes)), std::string::npos)
      << st.error().message;
  EXPECT_NE(st.error().message.find(std::to_string(b.ByteSizeLong())), std::string::npos) << st.error().message;
}

TEST(BlockLimits, AtMostMaxBlockTxs) {
  ChainParams params;
  pb::Block b = fixed_block();
  params.max_block_txs = 2;
  EXPECT_TRUE(check_block_limits(b, params).ok());
  b.add_txs("three");
  Status st = check_block_limits(b, params);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "too_many_txs");
}

TEST(BlockLimits, BlockTxBytesIsWhatATransactionAddsToTheEncodedBlock) {
  for (size_t n : {1u, 127u, 128u, 16383u, 16384u, 131072u}) {
    pb::Block b = fixed_block();
    const size_t before = b.ByteSizeLong();
    b.add_txs(filled(n, '\x01'));
    EXPECT_EQ(b.ByteSizeLong() - before, block_tx_bytes(n)) << n;
  }
  // The smallest legal limit holds the largest transaction beside a header and a commit.
  EXPECT_GE(kMinBlockBytes, block_tx_bytes(kMaxTxBytes) + fixed_block().ByteSizeLong());
}
