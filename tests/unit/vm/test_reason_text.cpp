// The English text of receipt codes (vm/reason_text.h): every code has its own non-empty text, success
// has none, and a code this build does not know is named rather than dropped. The text is derived at
// query time and never committed, so these tests pin meaning, not wording.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "vm/attestation.h"
#include "vm/depin.h"
#include "vm/reason_text.h"
#include "vm/tx_fail_reason.h"

using namespace physis;
using namespace physis::vm;

TEST(ReasonText, EveryFailReasonHasItsOwnText) {
  EXPECT_EQ(tx_fail_message(TxFailReason::kNone), "");
  std::set<std::string> texts;
  for (uint32_t v = 1; v < kTxFailReasonCount; ++v) {
    const auto reason = static_cast<TxFailReason>(v);
    ASSERT_NE(tx_fail_reason_name(reason), "unknown") << v << ": kTxFailReasonCount is too large";
    const std::string text = tx_fail_message(reason);
    EXPECT_FALSE(text.empty()) << tx_fail_reason_name(reason);
    EXPECT_EQ(text.find("unknown reason"), std::string::npos) << tx_fail_reason_name(reason);
    EXPECT_TRUE(texts.insert(text).second) << tx_fail_reason_name(reason) << " shares its text";
  }
  // The count is exact: the next value is not a reason.
  EXPECT_EQ(tx_fail_reason_name(static_cast<TxFailReason>(kTxFailReasonCount)), "unknown");
  EXPECT_EQ(tx_fail_message(static_cast<TxFailReason>(kTxFailReasonCount)),
            "unknown reason " + std::to_string(kTxFailReasonCount));
}

TEST(ReasonText, EveryAttestRejectHasItsOwnText) {
  EXPECT_EQ(attest_reject_message(AttestReject::kOk), "");
  std::set<std::string> texts;
  for (uint32_t v = 1; v < kAttestRejectCount; ++v) {
    const auto reason = static_cast<AttestReject>(v);
    const std::string text = attest_reject_message(reason);
    EXPECT_FALSE(text.empty()) << attest_reject_name(reason);
    EXPECT_EQ(text.find("unknown attestation reason"), std::string::npos) << attest_reject_name(reason);
    EXPECT_TRUE(texts.insert(text).second) << attest_reject_name(reason) << " shares its text";
  }
  EXPECT_EQ(attest_reject_message(static_cast<AttestReject>(kAttestRejectCount)),
            "unknown attestation reason " + std::to_string(kAttestRejectCount));
}

TEST(ReasonText, EveryProofRejectHasItsOwnText) {
  EXPECT_EQ(proof_reject_message(0), "");
  std::set<std::string> texts;
  for (uint32_t v = 1; v < kProofRejectCount; ++v) {
    const std::string text = proof_reject_message(v);
    EXPECT_FALSE(text.empty()) << proof_reject_name(static_cast<ProofReject>(v));
    EXPECT_EQ(text.find("unknown proof reason"), std::string::npos) << v;
    EXPECT_TRUE(texts.insert(text).second) << proof_reject_name(static_cast<ProofReject>(v)) << " shares its text";
  }
  EXPECT_EQ(proof_reject_message(kProofRejectCount), "unknown proof reason " + std::to_string(kProofRejectCount));
}

TEST(ReasonText, ReceiptMessageComesFromReasonAndDetail) {
  pb::Receipt ok;
  ok.set_gas_used(21000);
  EXPECT_EQ(receipt_message(ok), "");

  pb::Receipt funds;
  funds.set_status(1);
  funds.set_reason(static_cast<uint32_t>(TxFailReason::kInsufficientFunds));
  EXPECT_EQ(receipt_message(funds), tx_fail_message(TxFailReason::kInsufficientFunds));

  pb::Receipt attest;
  attest.set_status(1);
  attest.set_reason(static_cast<uint32_t>(TxFailReason::kAttestationFailed));
  attest.set_detail(static_cast<uint32_t>(AttestReject::kStatementExpired));
  EXPECT_EQ(receipt_message(attest), "the device attestation failed: the registrar statement has expired");

  // A code from a newer build is still reported, by number.
  pb::Receipt future;
  future.set_status(1);
  future.set_reason(999);
  EXPECT_EQ(receipt_message(future), "unknown reason 999");
}
