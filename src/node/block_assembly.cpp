#include "node/block_assembly.h"

#include <set>

namespace physis::node {

Result<AssembledBlock> assemble_block(const FallibleStateReader& state, const Hash32& prev_state_root,
                                      const ChainParams& params, const DepinParams& depin,
                                      const vm::BlockContext& ctx, std::vector<VerifiedTx> selection,
                                      const vm::SignatureVerifier& signatures) {
  AssembledBlock out;
  for (int attempt = 0;; ++attempt) {
    vm::ApplyFailure failure;
    auto applied =
        vm::apply_block(state, prev_state_root, params, depin, ctx, selection, signatures, &failure);
    // A storage failure makes any result, success or rejection, untrustworthy.
    if (auto st = state.status(); !st) return st.error();
    if (applied) {
      out.txs = std::move(selection);
      out.result = std::move(*applied);
      return out;
    }
    // A corrupt record or an overflowing supply is no transaction's fault: build nothing on such state.
    if (failure.state_fault || selection.empty()) return applied.error();
    const bool one_tx = failure.tx_index && *failure.tx_index < selection.size();
    if (!one_tx || attempt + 1 >= kMaxAssemblyAttempts) {
      for (const auto& t : selection) {
        out.rejected.push_back(t.tx.hash);
        out.reasons.push_back(applied.error().message);
      }
      selection.clear();
      continue;
    }
    const VerifiedTx bad = selection[*failure.tx_index];
    out.rejected.push_back(bad.tx.hash);
    out.reasons.push_back(applied.error().message);
    // The sender's later transactions have higher nonces: without `bad` they would leave a gap.
    std::vector<VerifiedTx> rest;
    rest.reserve(selection.size());
    for (size_t i = 0; i < selection.size(); ++i)
      if (i < *failure.tx_index || selection[i].sender != bad.sender) rest.push_back(std::move(selection[i]));
    selection = std::move(rest);
  }
}

}  // namespace physis::node
