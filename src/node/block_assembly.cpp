#include "node/block_assembly.h"

namespace physis::node {

Result<AssembledBlock> assemble_block(const FallibleStateReader& state, const Hash32& prev_state_root,
                                      const ChainParams& params, const DepinParams& depin,
                                      const vm::BlockContext& ctx, std::vector<VerifiedTx> selection,
                                      const vm::SignatureVerifier& signatures) {
  AssembledBlock out;
  vm::ApplyFailure failure;
  auto assembled =
      vm::assemble_txs(state, prev_state_root, params, depin, ctx, selection, signatures, &failure);
  // A storage failure makes any result, success or rejection, untrustworthy.
  if (auto st = state.status(); !st) return st.error();
  if (assembled) {
    for (const auto& bad : assembled->invalid) {
      out.rejected.push_back(selection[bad.index].tx.hash);
      out.reasons.push_back(bad.reason.code + ": " + bad.reason.message);
    }
    out.txs.reserve(assembled->included.size());
    for (size_t i : assembled->included) out.txs.push_back(std::move(selection[i]));
    out.result = std::move(assembled->block);
    out.deferred = assembled->deferred;
    return out;
  }
  // A corrupt record or an overflowing supply is no transaction's fault: build nothing on such state.
  if (failure.state_fault || selection.empty()) return assembled.error();
  for (const auto& t : selection) {
    out.rejected.push_back(t.tx.hash);
    out.reasons.push_back(assembled.error().message);
  }
  auto empty = vm::apply_block(state, prev_state_root, params, depin, ctx, {}, signatures, &failure);
  if (auto st = state.status(); !st) return st.error();
  if (!empty) return empty.error();
  out.result = std::move(*empty);
  return out;
}

}  // namespace physis::node
