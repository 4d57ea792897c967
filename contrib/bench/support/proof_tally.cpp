#include "proof_tally.h"

#include <cstdio>

#include "vm/depin.h"
#include "vm/tx_fail_reason.h"

namespace physis::bench {

void ProofTally::read(const node::Node& node, const std::vector<Hash32>& hashes) {
  for (const Hash32& h : hashes) {
    auto found = node.find_receipt(h);
    if (!found) {
      ++rejected["tx not included: " + found.error().message];
      continue;
    }
    const pb::Receipt& rc = found->receipt;
    if (rc.status() != 0)
      ++rejected[std::string("tx failed: ") +
                 std::string(vm::tx_fail_reason_name(static_cast<vm::TxFailReason>(rc.reason())))];
    for (const auto& pr : rc.proofs()) {
      const std::string kind = pb::ProofKind_Name(pr.kind());
      if (pr.reason() != 0) {
        ++rejected[kind + ": " +
                   std::string(vm::proof_reject_name(static_cast<vm::ProofReject>(pr.reason())))];
        continue;
      }
      ++accepted[kind];
      for (const auto& v : pr.witnesses()) {
        if (v.reason() == 0)
          ++witnesses_rewarded;
        else
          ++verdicts_not_rewarded[std::string(
              vm::proof_reject_name(static_cast<vm::ProofReject>(v.reason())))];
      }
    }
  }
}

bool ProofTally::check(const char* label, const std::vector<std::string>& required) const {
  std::string text;
  for (const auto& [kind, n] : accepted) text += " " + kind + " " + std::to_string(n);
  uint64_t n_rejected = 0, n_unrewarded = 0;
  for (const auto& [reason, n] : rejected) n_rejected += n;
  for (const auto& [reason, n] : verdicts_not_rewarded) n_unrewarded += n;
  std::printf("  %s receipts: accepted%s; rejected %llu; judged witnesses rewarded %llu, not rewarded %llu\n",
              label, text.c_str(), static_cast<unsigned long long>(n_rejected),
              static_cast<unsigned long long>(witnesses_rewarded),
              static_cast<unsigned long long>(n_unrewarded));
  bool ok = rejected.empty() && verdicts_not_rewarded.empty();
  for (const auto& [reason, n] : rejected)
    std::fprintf(stderr, "%s: rejected %s x %llu\n", label, reason.c_str(),
                 static_cast<unsigned long long>(n));
  for (const auto& [reason, n] : verdicts_not_rewarded)
    std::fprintf(stderr, "%s: witness not rewarded: %s x %llu\n", label, reason.c_str(),
                 static_cast<unsigned long long>(n));
  for (const auto& kind : required)
    if (!accepted.count(kind)) {
      std::fprintf(stderr, "%s: no %s proof accepted\n", label, kind.c_str());
      ok = false;
    }
  return ok;
}

}  // namespace physis::bench
