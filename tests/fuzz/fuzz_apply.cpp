// Fuzz harness: execution of a decoded transaction, every payload (transfers, anchors, device
// registration, proofs, rewards), on the devnet genesis state (vm/apply.h). The input is a raw
// transaction as tx_send and peers deliver it; its signature is not checked: the sender is taken to be
// the first funded genesis account, and device signatures are all accepted, so that the fuzzer reaches the
// payload rules rather than stopping at signatures (fuzz_tx and fuzz_attestation cover those).
// Invariants: execution is deterministic (the same input gives the same state root, gas and receipts
// twice), and an applied block has one receipt per transaction.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "primitives/genesis.h"
#include "primitives/transaction.h"
#include "vm/apply.h"

namespace {
using namespace physis;

class AcceptAll final : public vm::SignatureVerifier {
 public:
  bool verify(uint32_t, ByteSpan, const Hash32&, ByteSpan) const override { return true; }
};

struct Chain {
  Genesis genesis;
  vm::MemoryState state;
  Hash32 root{};
  vm::BlockContext ctx;

  Chain() {
    std::ifstream in(std::string(PHYSIS_SOURCE_DIR) + "/genesis/devnet.json");
    std::stringstream ss;
    ss << in.rdbuf();
    auto g = parse_genesis(ss.str());
    if (!g || g->accounts.empty() || g->validators.empty()) std::abort();
    genesis = std::move(*g);
    auto gs = vm::genesis_state(genesis);
    state.apply(gs.writes);
    root = gs.state_root;
    ctx.chain_id = genesis.chain_id;
    ctx.height = 1;
    ctx.proposer = genesis.validators.front().address;
    for (const auto& v : genesis.validators) ctx.validators.emplace_back(v.address, v.power);
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Chain chain;
  auto decoded = decode_tx(ByteSpan(data, size));
  if (!decoded) return 0;
  std::vector<VerifiedTx> txs{VerifiedTx{std::move(*decoded), chain.genesis.accounts.front().address}};
  AcceptAll accept;
  auto run = [&] {
    return vm::apply_block(chain.state, chain.root, chain.genesis.params, chain.genesis.depin, chain.ctx, txs,
                           accept);
  };
  auto first = run();
  auto second = run();
  if (first.ok() != second.ok()) std::abort();
  if (!first.ok()) return 0;
  if (first->state_root != second->state_root || first->gas_used != second->gas_used) std::abort();
  if (first->receipts.size() != 1 || second->receipts.size() != 1) std::abort();
  if (first->receipts[0].SerializeAsString() != second->receipts[0].SerializeAsString()) std::abort();
  return 0;
}
