// Gas per payload byte (issue 6 finding 5, vm/gas.h, doc/protocol.md "Gas"): every payload pays its
// table gas plus kPerPayloadByte for each payload byte beyond kFreePayloadBytes, so bytes cost what they
// cost a transfer whatever field carries them.
#include <gtest/gtest.h>

#include "crypto/secp256k1.h"
#include "primitives/transaction.h"
#include "vm/apply.h"
#include "vm/gas.h"

using namespace physis;
using namespace physis::vm;

namespace {

pb::TxBody claim_of(int ids) {
  pb::TxBody b;
  for (int i = 0; i < ids; ++i) b.mutable_claim_rewards()->add_device_ids(std::string(20, '\x01'));
  return b;
}

}  // namespace

TEST(GasPerByte, FreeBytesThenPerByte) {
  EXPECT_EQ(gas::payload_byte_gas(0), 0u);
  EXPECT_EQ(gas::payload_byte_gas(gas::kFreePayloadBytes), 0u);
  EXPECT_EQ(gas::payload_byte_gas(gas::kFreePayloadBytes + 1), gas::kPerPayloadByte);
  EXPECT_EQ(gas::payload_byte_gas(128 * 1024), (128 * 1024 - gas::kFreePayloadBytes) * gas::kPerPayloadByte);
  EXPECT_EQ(gas::payload_byte_gas(UINT64_MAX), UINT64_MAX);  // saturates, never wraps
}

TEST(GasPerByte, IntrinsicGasIsTableGasPlusPayloadBytes) {
  ChainParams params;
  for (int ids : {1, 2, 3, 10, 100, 1024}) {
    pb::TxBody b = claim_of(ids);
    const uint64_t table = gas::kClaimBase + gas::kPerClaim * static_cast<uint64_t>(ids);
    EXPECT_EQ(payload_bytes(b), 22u * static_cast<size_t>(ids));
    EXPECT_EQ(intrinsic_gas(params, b), table + gas::payload_byte_gas(22u * static_cast<uint64_t>(ids))) << ids;
  }
  // 100 ids: 2,200 payload bytes, 2,136 of them charged.
  EXPECT_EQ(intrinsic_gas(params, claim_of(100)), 21'000u + 500'000u + 2'136u * 180u);
}

TEST(GasPerByte, EveryExtraByteCostsKPerPayloadByte) {
  // A governance payload that grows one byte at a time (the anchor name): each byte costs the same.
  ChainParams params;
  pb::TxBody b;
  pb::Anchor* a = b.mutable_register_anchor()->mutable_anchor();
  a->set_spki(std::string(91, '\x30'));
  a->set_role(pb::MANUFACTURER_ROOT);
  a->add_allowed_kinds(pb::SE_P256);
  uint64_t previous = intrinsic_gas(params, b);
  size_t previous_bytes = payload_bytes(b);
  ASSERT_GT(previous_bytes, gas::kFreePayloadBytes);
  EXPECT_EQ(previous, gas::kRegisterAnchor + (previous_bytes - gas::kFreePayloadBytes) * gas::kPerPayloadByte);
  for (int len = 1; len <= 60; ++len) {
    a->set_name(std::string(static_cast<size_t>(len), 'n'));
    const uint64_t now = intrinsic_gas(params, b);
    const size_t bytes = payload_bytes(b);
    EXPECT_GE(bytes, previous_bytes + 1) << len;
    EXPECT_EQ(now - previous, (bytes - previous_bytes) * gas::kPerPayloadByte) << len;
    previous = now;
    previous_bytes = bytes;
  }
}

TEST(GasPerByte, TransfersCostTransferGasWhateverTheirAmount) {
  ChainParams params;
  for (Amount amount : {Amount{0}, Amount{1}, ~Amount{0}}) {
    pb::TxBody b = make_transfer_body("physis-devnet-1", 0, 0, 1, Address{}, amount);
    EXPECT_LE(payload_bytes(b), gas::kFreePayloadBytes);
    EXPECT_EQ(intrinsic_gas(params, b), params.transfer_gas);
  }
}

TEST(GasPerByte, DoesNotDependOnTheEnvelopeFields) {
  // A signer computes the gas limit before it is set: setting it, the price, nonce or chain id must not
  // change the result.
  ChainParams params;
  pb::TxBody b = claim_of(50);
  const uint64_t gas = intrinsic_gas(params, b);
  b.set_chain_id("physis-devnet-1");
  b.set_nonce(UINT64_MAX);
  b.set_gas_price(UINT64_MAX);
  b.set_gas_limit(gas);
  EXPECT_EQ(intrinsic_gas(params, b), gas);
}

// The arithmetic of vm/gas.h: the smallest devnet transfer pays at most kPerPayloadByte per byte, so no
// payload byte is cheaper than a transfer's byte.
TEST(GasPerByte, NoCheaperPerByteThanTheSmallestDevnetTransfer) {
  crypto::PrivateKey key;
  key.fill(0x05);
  ChainParams devnet;  // transfer_gas 21,000, as in genesis/devnet.json
  Bytes raw = sign_tx(make_transfer_body("physis-devnet-1", 0, devnet.transfer_gas, 1, Address{}, 1), key);
  EXPECT_EQ(raw.size(), 119u);
  EXPECT_GE(gas::kPerPayloadByte * raw.size(), devnet.transfer_gas);
  // The 128 KiB reference hash of the finding could never decode now; the same bytes as a payload pay
  // 23.6 M gas instead of 27,000.
  EXPECT_GT(gas::payload_byte_gas(128 * 1024), 23'000'000u);
}
