// A receipt as RPC shows it (rpc/node_methods.h receipt_to_json): the committed codes and numbers, and
// the English message derived from them at query time (vm/reason_text.h). The JSON names are the ones
// clients have always read; the text is no longer in the receipt itself.
#include <gtest/gtest.h>

#include "rpc/node_methods.h"
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

}  // namespace
}  // namespace physis::rpc
