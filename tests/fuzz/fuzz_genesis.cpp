// Fuzz harness: genesis JSON (primitives/genesis.h), the file an operator is handed to join a chain.
// Invariants: an accepted genesis keeps the header's contract (validators and accounts sorted by
// address and unique, every anchor passes check_anchor) and its state can be built without trouble.
#include <cstdlib>
#include <string_view>

#include "primitives/genesis.h"
#include "vm/apply.h"

namespace {
template <typename T>
bool sorted_unique(const std::vector<T>& v) {
  for (size_t i = 1; i < v.size(); ++i)
    if (!(v[i - 1].address < v[i].address)) return false;
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto g = physis::parse_genesis(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!g) return 0;
  if (!sorted_unique(g->validators) || !sorted_unique(g->accounts)) std::abort();
  for (const auto& a : g->depin.anchors)
    if (!physis::check_anchor(physis::anchor_record(a)).ok()) std::abort();
  (void)physis::vm::genesis_state(*g);
  return 0;
}
