// Consensus faults of the state the VM reads (vm/state.h StateOverlay::fault): a stored record that does
// not decode canonically is never read as a default value inside consensus, and a balance addition that
// would overflow is never saturated. Both leave a fault on the overlay, which fails the block.
#include <gtest/gtest.h>

#include "depin_test_chain.h"
#include "primitives/codec.h"
#include "primitives/physis.pb.h"
#include "util/amount.h"
#include "vm/accounts.h"
#include "vm/depin.h"
#include "vm/depin_state.h"
#include "vm/signatures.h"
#include "vm/state.h"

using namespace physis;
using namespace physis::vm;

namespace {
using namespace physis::vm::depin_test;

// A state whose records are written directly, corrupt ones included.
class RawState final : public StateReader {
 public:
  std::optional<Bytes> get(const Bytes& key) const override {
    if (auto it = data_.find(key); it != data_.end()) return it->second;
    return std::nullopt;
  }
  void set(Bytes key, Bytes value) { data_[std::move(key)] = std::move(value); }

 private:
  std::map<Bytes, Bytes> data_;
};

const Bytes kNotProtobuf{0xff, 0xff, 0xff};
// pb::Account with nonce 0 written explicitly (field 2, varint 0): parses, but is not canonical.
const Bytes kDefaultValuedField{0x10, 0x00};

TEST(DepinState, SoundRecordsLeaveNoFault) {
  RawState base;
  const Address a = fixed_address(0x11);
  base.set(account_key(a), encode_account({12345, 7}));
  StateOverlay overlay(base);
  AccountState acc = load_account(overlay, a);
  EXPECT_TRUE(acc.balance == 12345);
  EXPECT_EQ(acc.nonce, 7u);
  EXPECT_EQ(load_account(overlay, fixed_address(0x12)).nonce, 0u);  // absent: zero, not a fault
  EXPECT_FALSE(overlay.fault().has_value());
}

TEST(DepinState, CorruptAccountRecordFaultsTheOverlay) {
  for (const Bytes& bad : {kNotProtobuf, kDefaultValuedField}) {
    RawState base;
    const Address a = fixed_address(0x11);
    base.set(account_key(a), bad);
    StateOverlay overlay(base);
    (void)load_account(overlay, a);
    ASSERT_TRUE(overlay.fault().has_value()) << to_hex(bad);
    EXPECT_EQ(overlay.fault()->code, "corrupt_state");
    EXPECT_NE(overlay.fault()->message.find(to_hex(account_key(a))), std::string::npos);
  }
}

TEST(DepinState, NonCanonicalBalanceFaultsTheOverlay) {
  RawState base;
  const Address a = fixed_address(0x11);
  pb::Account acc;
  acc.set_balance(std::string("\x00\x05", 2));  // a leading zero byte: not a canonical amount
  base.set(account_key(a), encode_canonical(acc));
  StateOverlay overlay(base);
  (void)load_account(overlay, a);
  ASSERT_TRUE(overlay.fault().has_value());
  EXPECT_EQ(overlay.fault()->code, "corrupt_state");
}

TEST(DepinState, CorruptDeviceEpochAndRevocationRecordsFaultTheOverlay) {
  const Address dev = fixed_address(0x21);
  Hash32 key_id{};
  key_id.fill(0x33);
  struct Case {
    Bytes key;
    Bytes value;
  };
  for (const Case& c : {Case{device_key(dev), kNotProtobuf}, Case{epoch_key(4), kNotProtobuf},
                        Case{prefixed_key(kRevokedKeyPrefix, key_id), Bytes{1, 2, 3}}}) {
    RawState base;
    base.set(c.key, c.value);
    StateOverlay overlay(base);
    (void)load_record<pb::Device>(overlay, device_key(dev));
    (void)load_record<pb::EpochRecord>(overlay, epoch_key(4));
    (void)key_revoked_at(overlay, key_id);
    ASSERT_TRUE(overlay.fault().has_value()) << to_hex(c.key);
    EXPECT_EQ(overlay.fault()->code, "corrupt_state");
    EXPECT_NE(overlay.fault()->message.find(to_hex(c.key)), std::string::npos) << overlay.fault()->message;
  }
}

// Outside consensus (a plain reader), the loaders still answer "absent" rather than a half-parsed value.
TEST(DepinState, PlainReaderReadsCorruptRecordsAsAbsent) {
  RawState base;
  const Address dev = fixed_address(0x21);
  base.set(device_key(dev), kNotProtobuf);
  EXPECT_FALSE(load_record<pb::Device>(base, device_key(dev)).has_value());
}

// A corrupt device record reached by a SubmitProofs transaction faults the block's overlay.
TEST(DepinState, ExecutorReadingACorruptDeviceFaults) {
  RawState base;
  const Address dev = fixed_address(0x21);
  base.set(device_key(dev), kNotProtobuf);
  StateOverlay overlay(base);
  DepinParams params;
  DirectSignatureVerifier verifier;
  const std::vector<std::pair<Address, uint64_t>> validators;
  DepinExecutor ex(overlay, kChain, params, 3, validators, verifier);
  ex.begin_block(test_block_hash(2));
  EXPECT_FALSE(overlay.fault().has_value());
  pb::SubmitProofs tx;
  pb::Proof* p = tx.add_proofs();
  p->set_device_id(str(dev));
  p->set_seq(1);
  p->set_ref_height(2);
  p->set_ref_block_hash(str(test_block_hash(2)));
  p->set_signature(std::string(64, '\1'));
  p->mutable_payload()->set_kind(pb::UPTIME);
  (void)ex.submit_proofs(tx);
  ASSERT_TRUE(overlay.fault().has_value());
  EXPECT_EQ(overlay.fault()->code, "corrupt_state");
}

// An amount field that is not canonical inside a record that is (minted with a leading zero byte) is a
// corrupt record too: closing the epoch faults instead of reading the minted supply as 0.
TEST(DepinState, NonCanonicalAmountInsideARecordFaults) {
  RawState base;
  pb::SupplyRecord supply;
  supply.set_minted(std::string("\x00\x07", 2));
  base.set(Bytes{kSupplyKey}, encode_canonical(supply));
  StateOverlay overlay(base);
  DepinParams params;
  params.epoch_blocks = 10;
  params.emission_per_epoch = 100;
  DirectSignatureVerifier verifier;
  const std::vector<std::pair<Address, uint64_t>> validators;
  DepinExecutor ex(overlay, kChain, params, 10, validators, verifier);
  ex.begin_block(test_block_hash(9));
  ASSERT_TRUE(overlay.fault().has_value());
  EXPECT_EQ(overlay.fault()->code, "corrupt_state");
  EXPECT_NE(overlay.fault()->message.find("supply minted"), std::string::npos);
}

// A credit that would overflow a balance (only possible if the supply invariant is already broken) faults
// the block instead of saturating the balance.
TEST(DepinState, CreditOverflowFaultsInsteadOfSaturating) {
  RawState base;
  const Address treasury = fixed_address(0x7e);
  const Amount max = ~static_cast<Amount>(0);
  base.set(account_key(treasury), encode_account({max - 5, 0}));
  StateOverlay overlay(base);
  DepinParams params;
  params.treasury = treasury;
  params.epoch_blocks = 10;
  params.emission_per_epoch = 100;  // the supply record is absent: genesis + minted reads as 0
  DirectSignatureVerifier verifier;
  const std::vector<std::pair<Address, uint64_t>> validators;
  DepinExecutor ex(overlay, kChain, params, 10, validators, verifier);
  ex.begin_block(test_block_hash(9));  // height 10 closes epoch 0 and credits the treasury 100
  ASSERT_TRUE(overlay.fault().has_value());
  EXPECT_EQ(overlay.fault()->code, "supply_overflow");
  EXPECT_TRUE(load_account(overlay, treasury).balance == max - 5) << "the balance must not saturate";
}

}  // namespace
