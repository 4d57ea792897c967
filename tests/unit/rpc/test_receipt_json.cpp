// A receipt as RPC shows it (rpc/node_methods.h receipt_to_json): the committed codes and numbers, and
// the English message derived from them at query time (vm/reason_text.h). The JSON names are the ones
// clients have always read; the text is no longer in the receipt itself.
#include <gtest/gtest.h>

#include "rpc/depin_methods.h"
#include "rpc/node_methods.h"
#include "vm/depin.h"
#include "vm/attestation.h"
#include "vm/reason_text.h"
#include "vm/tx_fail_reason.h"

namespace physis::rpc {
namespace {

pb::Receipt failed_registration() {
  pb::Receipt r;
  r.set_tx_hash(std::string(32, '\x11'));
  r.set_status(1);
  r.set_reason(static_cast<uint32_t>(vm::TxFailReason::kAttestationFailed));
  r.set_detail(static_cast<uint32_t>(vm::AttestReject::kDeviceExists));
  r.set_gas_used(150000);
  r.set_fee(std::string("\x02\x49\xf0", 3));
  return r;
}

TEST(ReceiptJson, FailedReceiptShowsCodesNamesAndDerivedMessage) {
  const nlohmann::json j = receipt_to_json(failed_registration());
  EXPECT_EQ(j["status"], "failed");
  EXPECT_EQ(j["reason_code"], 7);
  EXPECT_EQ(j["reason"], "attestation_failed");
  EXPECT_EQ(j["detail"], "device_exists");
  EXPECT_EQ(j["detail_code"], 30);
  EXPECT_EQ(j["message"], "the device attestation failed: the device is already registered");
  EXPECT_EQ(j["message"], vm::receipt_message(failed_registration()));
  EXPECT_EQ(j["gas_used"], 150000);
  EXPECT_EQ(j["fee"], "150000");
  EXPECT_EQ(j["tx_hash"], "0x" + std::string(64, '1'));
}

TEST(ReceiptJson, SuccessHasAnEmptyMessage) {
  pb::Receipt r;
  r.set_tx_hash(std::string(32, '\x22'));
  r.set_gas_used(21000);
  r.set_fee(std::string("\x52\x08", 2));
  const nlohmann::json j = receipt_to_json(r);
  EXPECT_EQ(j["status"], "success");
  EXPECT_EQ(j["reason"], "none");
  EXPECT_EQ(j["message"], "");
  EXPECT_FALSE(j.contains("detail"));
}

// A reveal's verdicts on its beacon's witnesses (doc/depin.md "Beacons"): codes in the result, names
// and text derived at query time.
TEST(ReceiptJson, RevealShowsEveryWitnessVerdict) {
  pb::ProofResult r;
  r.set_device_id(std::string(20, '\x01'));
  r.set_kind(pb::BEACON_REVEAL);
  r.set_weight(10);
  pb::WitnessVerdict* ok = r.add_witnesses();
  ok->set_witness(std::string(20, '\x02'));
  ok->set_weight(20);
  pb::WitnessVerdict* junk = r.add_witnesses();
  junk->set_witness(std::string(20, '\x03'));
  junk->set_reason(static_cast<uint32_t>(vm::ProofReject::kWrongBeaconSecret));
  const nlohmann::json j = proof_result_to_json(r);
  EXPECT_EQ(j["kind"], "beacon_reveal");
  ASSERT_EQ(j["witnesses"].size(), 2u);
  EXPECT_EQ(j["witnesses"][0]["witness"], "0x0202020202020202020202020202020202020202");
  EXPECT_EQ(j["witnesses"][0]["rewarded"], true);
  EXPECT_EQ(j["witnesses"][0]["weight"], 20);
  EXPECT_EQ(j["witnesses"][0]["message"], "");
  EXPECT_EQ(j["witnesses"][1]["rewarded"], false);
  EXPECT_EQ(j["witnesses"][1]["reason"], "wrong_beacon_secret");
  EXPECT_EQ(j["witnesses"][1]["reason_code"], 44);
  EXPECT_EQ(j["witnesses"][1]["message"], vm::proof_reject_message(44));
  // Other kinds carry no verdict list.
  r.set_kind(pb::UPTIME);
  EXPECT_FALSE(proof_result_to_json(r).contains("witnesses"));
}

}  // namespace
}  // namespace physis::rpc
