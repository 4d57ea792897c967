// The validator set and commit rules (DESIGN §6): a deterministic set hash, weighted round-robin
// proposers, and commits that need precommits from distinct validators holding more than 2/3 of the
// voting power. One test per rejection reason of verify_commit (all code "bad_commit").
#include <gtest/gtest.h>

#include <map>

#include "consensus/validator_set.h"
#include "crypto/keccak.h"
#include "primitives/block.h"
#include "tests/unit/test_support.h"

using namespace physis;
using namespace physis::consensus;

namespace {

const std::string kChain = "physis-test-1";

using physis::test::address_of_key;
using physis::test::key_n;

std::vector<crypto::PrivateKey> keys(std::initializer_list<uint8_t> ns) {
  std::vector<crypto::PrivateKey> out;
  for (uint8_t n : ns) out.push_back(key_n(n));
  return out;
}

// Equal-power validators for keys 1..n.
ValidatorSet equal_set(uint8_t n, uint64_t power = 10) {
  std::vector<Validator> vs;
  for (uint8_t i = 1; i <= n; ++i) vs.push_back({address_of_key(key_n(i)), power});
  return ValidatorSet(vs);
}

Hash32 block_hash_of(uint8_t b) {
  Hash32 h;
  h.fill(b);
  return h;
}

void expect_bad_commit(const Status& st, std::string_view fragment) {
  ASSERT_FALSE(st.ok()) << "commit accepted";
  EXPECT_EQ(st.error().code, "bad_commit");
  EXPECT_NE(st.error().message.find(fragment), std::string::npos) << st.error().message;
}

}  // namespace

// ---- the set ----

TEST(ValidatorSet, SortsByAddressAndSumsPower) {
  std::vector<Validator> vs = {
      {address_of_key(key_n(1)), 5}, {address_of_key(key_n(2)), 7}, {address_of_key(key_n(3)), 11}};
  ValidatorSet set(vs);
  EXPECT_EQ(set.total_power(), 23u);
  ASSERT_EQ(set.validators().size(), 3u);
  for (size_t i = 1; i < set.validators().size(); ++i)
    EXPECT_LT(set.validators()[i - 1].address, set.validators()[i].address);
  const Validator* v = set.find(address_of_key(key_n(2)));
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->power, 7u);
  EXPECT_EQ(set.find(address_of_key(key_n(4))), nullptr);
}

TEST(ValidatorSet, HashIsIndependentOfInputOrder) {
  std::vector<Validator> vs = {
      {address_of_key(key_n(1)), 5}, {address_of_key(key_n(2)), 7}, {address_of_key(key_n(3)), 11}};
  std::vector<Validator> reversed(vs.rbegin(), vs.rend());
  EXPECT_EQ(ValidatorSet(vs).hash(), ValidatorSet(reversed).hash());
}

TEST(ValidatorSet, HashIsTheDocumentedPreimage) {
  ValidatorSet set = equal_set(2, 3);
  Bytes preimage = to_bytes("PHYSIS/VALSET/v1");
  for (const auto& v : set.validators()) {
    append(preimage, v.address);
    append_u64_be(preimage, v.power);
  }
  EXPECT_EQ(set.hash(), crypto::keccak256(preimage));
}

// Golden vector: the validator-set hash goes into every header. A change must fail loudly.
TEST(ValidatorSet, HashIsPinned) {
  EXPECT_EQ(hash_to_string(equal_set(3, 10).hash()),
            "0xdf2178ef60c57cb72aa315954e1e24d8fffa25734ab6bc01e387fa54b409594a");
}

TEST(ValidatorSet, HashChangesWithPowerOrMembership) {
  const Hash32 base = equal_set(3, 10).hash();
  EXPECT_NE(equal_set(3, 11).hash(), base);
  EXPECT_NE(equal_set(2, 10).hash(), base);
  EXPECT_NE(equal_set(4, 10).hash(), base);
}

TEST(ValidatorSet, FromGenesisKeepsAddressesAndPowers) {
  Genesis g;
  g.validators.push_back({"a", address_of_key(key_n(1)), 4});
  g.validators.push_back({"b", address_of_key(key_n(2)), 6});
  ValidatorSet set = ValidatorSet::from_genesis(g);
  EXPECT_EQ(set.total_power(), 10u);
  ASSERT_NE(set.find(address_of_key(key_n(2))), nullptr);
  EXPECT_EQ(set.find(address_of_key(key_n(2)))->power, 6u);
}

// ---- proposer ----

TEST(ValidatorSet, SingleValidatorAlwaysProposes) {
  ValidatorSet set = equal_set(1, 10);
  for (uint64_t h = 0; h < 50; ++h)
    for (uint32_t r = 0; r < 3; ++r) EXPECT_EQ(set.proposer(h, r).address, address_of_key(key_n(1)));
}

// The priority schedule of a fixed set starting from zero repeats every total-power steps, so any
// window of that length holds each validator exactly `power` times (consensus/proposer.h).
TEST(ValidatorSet, WeightedProposerSlotsAreProportionalToPower) {
  std::vector<Validator> vs = {{address_of_key(key_n(1)), 1},
                               {address_of_key(key_n(2)), 2},
                               {address_of_key(key_n(3)), 3},
                               {address_of_key(key_n(4)), 4}};
  ValidatorSet set(vs);
  ASSERT_EQ(set.total_power(), 10u);
  // Over any window of total_power consecutive heights, each validator proposes exactly `power` times.
  for (uint64_t start : {uint64_t{0}, uint64_t{1}, uint64_t{7}, uint64_t{10'007}}) {
    std::map<Address, uint64_t> count;
    for (uint64_t h = start; h < start + set.total_power(); ++h) count[set.proposer(h, 0).address]++;
    for (const auto& v : vs) EXPECT_EQ(count[v.address], v.power) << "window starting at " << start;
  }
}

TEST(ValidatorSet, ProposerIsDeterministicAndAdvancesWithRound) {
  ValidatorSet set = equal_set(4, 1);
  EXPECT_EQ(set.proposer(9, 0).address, set.proposer(9, 0).address);
  // With equal powers of 1, the next round moves to the next validator in address order.
  EXPECT_NE(set.proposer(9, 0).address, set.proposer(9, 1).address);
  EXPECT_EQ(set.proposer(9, 1).address, set.proposer(10, 0).address);
}

// ---- vote digest ----

TEST(VoteDigest, CoversEveryField) {
  const Hash32 base = vote_digest(kChain, VoteType::kPrecommit, 5, 0, block_hash_of(1));
  EXPECT_NE(vote_digest("physis-test-2", VoteType::kPrecommit, 5, 0, block_hash_of(1)), base);
  EXPECT_NE(vote_digest(kChain, VoteType::kPrevote, 5, 0, block_hash_of(1)), base);
  EXPECT_NE(vote_digest(kChain, VoteType::kPrecommit, 6, 0, block_hash_of(1)), base);
  EXPECT_NE(vote_digest(kChain, VoteType::kPrecommit, 5, 1, block_hash_of(1)), base);
  EXPECT_NE(vote_digest(kChain, VoteType::kPrecommit, 5, 0, block_hash_of(2)), base);
}

TEST(VoteDigest, IsTheDocumentedPreimage) {
  Bytes m = to_bytes("PHYSIS/VOTE/v1");
  append_u32_be(m, static_cast<uint32_t>(kChain.size()));
  append(m, kChain);
  m.push_back(2);  // precommit
  append_u64_be(m, 5);
  append_u32_be(m, 1);
  append(m, block_hash_of(7));
  EXPECT_EQ(vote_digest(kChain, VoteType::kPrecommit, 5, 1, block_hash_of(7)), crypto::keccak256(m));
}

// ---- commits that verify ----

TEST(Commit, SingleValidatorCommitVerifies) {
  ValidatorSet set = equal_set(1);
  pb::Commit c = make_commit(kChain, 7, 0, block_hash_of(1), keys({1}));
  EXPECT_EQ(c.height(), 7u);
  EXPECT_EQ(c.round(), 0u);
  EXPECT_EQ(c.block_hash(), to_string(block_hash_of(1)));
  ASSERT_EQ(c.signatures_size(), 1);
  EXPECT_EQ(c.signatures(0).validator(), to_string(address_of_key(key_n(1))));
  EXPECT_EQ(c.signatures(0).signature().size(), 65u);
  Status st = verify_commit(c, set, kChain, 7, block_hash_of(1));
  EXPECT_TRUE(st.ok()) << st.error().message;
}

TEST(Commit, SignaturesAreSortedByValidatorAddress) {
  pb::Commit c = make_commit(kChain, 1, 0, block_hash_of(1), keys({4, 3, 2, 1}));
  ASSERT_EQ(c.signatures_size(), 4);
  for (int i = 1; i < c.signatures_size(); ++i)
    EXPECT_LT(c.signatures(i - 1).validator(), c.signatures(i).validator());
}

TEST(Commit, ThreeOfFourEqualValidatorsVerifies) {
  ValidatorSet set = equal_set(4);
  Status st = verify_commit(make_commit(kChain, 3, 0, block_hash_of(1), keys({1, 2, 4})), set, kChain, 3,
                            block_hash_of(1));
  EXPECT_TRUE(st.ok()) << st.error().message;
}

TEST(Commit, LaterRoundCommitVerifies) {
  ValidatorSet set = equal_set(1);
  Status st =
      verify_commit(make_commit(kChain, 3, 2, block_hash_of(1), keys({1})), set, kChain, 3, block_hash_of(1));
  EXPECT_TRUE(st.ok()) << st.error().message;
}

TEST(Commit, OneHeavyValidatorAloneVerifies) {
  // 7 of 10: 21 > 20.
  std::vector<Validator> vs = {{address_of_key(key_n(1)), 7}, {address_of_key(key_n(2)), 3}};
  Status st = verify_commit(make_commit(kChain, 1, 0, block_hash_of(1), keys({1})), ValidatorSet(vs), kChain,
                            1, block_hash_of(1));
  EXPECT_TRUE(st.ok()) << st.error().message;
}

// ---- commits that are rejected ----

TEST(Commit, RejectsWrongHeight) {
  ValidatorSet set = equal_set(1);
  expect_bad_commit(
      verify_commit(make_commit(kChain, 7, 0, block_hash_of(1), keys({1})), set, kChain, 8, block_hash_of(1)),
      "height");
}

TEST(Commit, RejectsWrongBlockHash) {
  ValidatorSet set = equal_set(1);
  expect_bad_commit(
      verify_commit(make_commit(kChain, 7, 0, block_hash_of(1), keys({1})), set, kChain, 7, block_hash_of(2)),
      "block hash");
}

TEST(Commit, RejectsNonValidatorSigner) {
  ValidatorSet set = equal_set(3);
  // Keys 1, 2 and 9: key 9 is not in the set, even though 1 and 2 alone would not be enough anyway.
  expect_bad_commit(verify_commit(make_commit(kChain, 7, 0, block_hash_of(1), keys({1, 2, 9})), set, kChain,
                                  7, block_hash_of(1)),
                    "non-validator");
}

TEST(Commit, RejectsDuplicateSigner) {
  // Validator 1 holds 60 of 100: signing twice must not count as 120.
  std::vector<Validator> vs = {{address_of_key(key_n(1)), 60}, {address_of_key(key_n(2)), 40}};
  expect_bad_commit(verify_commit(make_commit(kChain, 7, 0, block_hash_of(1), keys({1, 1})), ValidatorSet(vs),
                                  kChain, 7, block_hash_of(1)),
                    "twice");
}

TEST(Commit, RejectsBadSignature) {
  ValidatorSet set = equal_set(1);
  pb::Commit c = make_commit(kChain, 7, 0, block_hash_of(1), keys({1}));
  (*c.mutable_signatures(0)->mutable_signature())[5] ^= 0x01;
  expect_bad_commit(verify_commit(c, set, kChain, 7, block_hash_of(1)), "signature");
}

TEST(Commit, RejectsSignatureByAnotherValidatorsKey) {
  // Validator 2 signs, but the entry claims validator 1.
  ValidatorSet set = equal_set(2);
  pb::Commit c = make_commit(kChain, 7, 0, block_hash_of(1), keys({1, 2}));
  pb::Commit forged = make_commit(kChain, 7, 0, block_hash_of(1), keys({2}));
  for (auto& s : *c.mutable_signatures()) s.set_signature(forged.signatures(0).signature());
  expect_bad_commit(verify_commit(c, set, kChain, 7, block_hash_of(1)), "signature");
}

TEST(Commit, RejectsPrevoteSignaturesPassedAsPrecommits) {
  ValidatorSet set = equal_set(1);
  pb::Commit c = make_commit(kChain, 7, 0, block_hash_of(1), keys({1}));
  crypto::Signature prevote =
      crypto::sign_digest(key_n(1), vote_digest(kChain, VoteType::kPrevote, 7, 0, block_hash_of(1)));
  c.mutable_signatures(0)->set_signature(to_string(prevote));
  expect_bad_commit(verify_commit(c, set, kChain, 7, block_hash_of(1)), "signature");
}

TEST(Commit, RejectsChangedRound) {
  // Signatures are over the round, so relabelling a round-0 commit as round 1 breaks them.
  ValidatorSet set = equal_set(1);
  pb::Commit c = make_commit(kChain, 7, 0, block_hash_of(1), keys({1}));
  c.set_round(1);
  expect_bad_commit(verify_commit(c, set, kChain, 7, block_hash_of(1)), "signature");
}

TEST(Commit, RejectsMalformedValidatorAddress) {
  ValidatorSet set = equal_set(1);
  pb::Commit c = make_commit(kChain, 7, 0, block_hash_of(1), keys({1}));
  c.mutable_signatures(0)->mutable_validator()->pop_back();
  expect_bad_commit(verify_commit(c, set, kChain, 7, block_hash_of(1)), "malformed");
}

TEST(Commit, RejectsEmptyCommit) {
  ValidatorSet set = equal_set(1);
  pb::Commit c = make_commit(kChain, 7, 0, block_hash_of(1), {});
  expect_bad_commit(verify_commit(c, set, kChain, 7, block_hash_of(1)), "2/3");
}

TEST(Commit, RejectsExactlyTwoThirdsOfPower) {
  // 2 of 3 equal validators hold exactly 2/3, which is not more than 2/3.
  ValidatorSet set = equal_set(3);
  expect_bad_commit(verify_commit(make_commit(kChain, 7, 0, block_hash_of(1), keys({1, 2})), set, kChain, 7,
                                  block_hash_of(1)),
                    "2/3");
}

TEST(Commit, RejectsHalfOfFour) {
  ValidatorSet set = equal_set(4);
  expect_bad_commit(verify_commit(make_commit(kChain, 7, 0, block_hash_of(1), keys({2, 3})), set, kChain, 7,
                                  block_hash_of(1)),
                    "2/3");
}

TEST(Commit, RejectsWeightedPowerOfExactlyTwoThirds) {
  // 6 of 9 by weight.
  std::vector<Validator> vs = {{address_of_key(key_n(1)), 6}, {address_of_key(key_n(2)), 3}};
  expect_bad_commit(verify_commit(make_commit(kChain, 7, 0, block_hash_of(1), keys({1})), ValidatorSet(vs),
                                  kChain, 7, block_hash_of(1)),
                    "2/3");
}

TEST(Commit, RejectsWrongChainId) {
  // Signed for another chain: the digest differs, so the signature recovers someone else.
  ValidatorSet set = equal_set(1);
  expect_bad_commit(verify_commit(make_commit("physis-other-1", 7, 0, block_hash_of(1), keys({1})), set,
                                  kChain, 7, block_hash_of(1)),
                    "signature");
}
