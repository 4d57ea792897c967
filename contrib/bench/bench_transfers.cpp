// Transfer throughput against the signature-verification bound, measured in one run (issue 2).
//
//   1. secp256k1 verifications/s on one core: recover_address over pre-signed digests — the check
//      every transaction needs, and the physical bound of DESIGN §8.
//   2. Admission/s: decode + signature recovery + mempool checks (Node::submit_tx), one thread.
//   3. Transfers applied + committed/s: Node::produce_block — apply_block over the block's transfers,
//      receipts, roots, the commit signature and ONE synced LevelDB batch — with signatures already
//      verified at admission (the cache of DESIGN §8).
//   4. End to end on one core: 2 and 3 together.
// Prints each figure and its ratio to (1). Target: (3) ≥ 50% of (1).
//
// Usage: bench_transfers [--txs N] [--senders N] [--block-txs N]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "crypto/keccak.h"
#include "crypto/secp256k1.h"
#include "node/node.h"
#include "primitives/transaction.h"
#include "util/log.h"

using namespace physis;
using Clock = std::chrono::steady_clock;

namespace {
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

uint64_t arg(int argc, char** argv, const std::string& name, uint64_t fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == "--" + name) return std::strtoull(argv[i + 1], nullptr, 10);
  return fallback;
}
}  // namespace

int main(int argc, char** argv) {
  set_log_level(LogLevel::kWarn);
  const uint64_t n_txs = arg(argc, argv, "txs", 40000);
  const uint64_t n_senders = arg(argc, argv, "senders", 4000);
  const uint64_t block_txs = arg(argc, argv, "block-txs", 5000);

  // 1. Raw verification rate.
  const int n_sig = 20000;
  crypto::PrivateKey k = crypto::generate_private_key();
  std::vector<Hash32> digests(n_sig);
  std::vector<crypto::Signature> sigs(n_sig);
  for (int i = 0; i < n_sig; ++i) {
    Bytes msg;
    append_u64_be(msg, static_cast<uint64_t>(i));
    digests[i] = crypto::keccak256(msg);
    sigs[i] = crypto::sign_digest(k, digests[i]);
  }
  auto t0 = Clock::now();
  int ok = 0;
  for (int i = 0; i < n_sig; ++i) ok += crypto::recover_address(digests[i], sigs[i]).ok();
  const double verify_rate = n_sig / seconds_since(t0);
  if (ok != n_sig) {
    std::fprintf(stderr, "verification failed\n");
    return 1;
  }

  // A chain whose genesis funds n_senders accounts.
  Genesis g;
  g.chain_id = "physis-bench";
  g.genesis_time_ms = 1;
  g.params.max_block_txs = static_cast<uint32_t>(block_txs);
  g.params.block_gas_limit = block_txs * g.params.transfer_gas;
  crypto::PrivateKey validator = crypto::generate_private_key();
  g.validators.push_back({"v", crypto::address_of(*crypto::public_key_of(validator)), 1});
  std::vector<crypto::PrivateKey> keys(n_senders);
  for (auto& key : keys) {
    key = crypto::generate_private_key();
    g.accounts.push_back(
        {"", crypto::address_of(*crypto::public_key_of(key)), static_cast<Amount>(1) << 100});
  }
  std::sort(g.accounts.begin(), g.accounts.end(), [](auto& a, auto& b) { return a.address < b.address; });
  std::vector<Bytes> raws;
  raws.reserve(n_txs);
  for (uint64_t i = 0; i < n_txs; ++i) {
    uint64_t s = i % n_senders;
    Address to = g.accounts[(s + 1) % n_senders].address;
    raws.push_back(sign_tx(make_transfer_body(g.chain_id, i / n_senders, 21000, 1, to, 1 + i), keys[s]));
  }

  auto dir = std::filesystem::temp_directory_path() / ("physis-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  node::NodeOptions opts;
  opts.datadir = dir.string();
  opts.genesis = g;
  opts.validator_key = validator;
  opts.mempool.max_txs = n_txs + 1;
  opts.mempool.max_bytes = 1ull << 32;
  auto node = node::Node::open(opts);
  if (!node) {
    std::fprintf(stderr, "%s\n", node.error().message.c_str());
    return 1;
  }

  // 2. Admission.
  t0 = Clock::now();
  for (const auto& raw : raws) {
    auto r = (*node)->submit_tx(raw);
    if (!r) {
      std::fprintf(stderr, "admission failed: %s\n", r.error().message.c_str());
      return 1;
    }
  }
  const double admit_s = seconds_since(t0);

  // 3. Apply + commit.
  uint64_t blocks = 0;
  t0 = Clock::now();
  uint64_t now_ms = 1000;
  while ((*node)->mempool_status().txs > 0) {
    auto tip = (*node)->produce_block(now_ms += 1000);
    if (!tip) {
      std::fprintf(stderr, "block failed: %s\n", tip.error().message.c_str());
      return 1;
    }
    ++blocks;
  }
  const double commit_s = seconds_since(t0);
  const double apply_rate = n_txs / commit_s;
  const double admit_rate = n_txs / admit_s;
  const double e2e_rate = n_txs / (admit_s + commit_s);
  node->reset();
  std::filesystem::remove_all(dir);

  std::printf("secp256k1 verifications/s (1 core):        %10.0f\n", verify_rate);
  std::printf("tx admissions/s (decode+verify+mempool):   %10.0f  (%.2f x verify)\n", admit_rate,
              admit_rate / verify_rate);
  std::printf(
      "transfers applied+committed/s (%llu blocks of <=%llu, synced LevelDB batch): %10.0f  (%.2f x "
      "verify)\n",
      static_cast<unsigned long long>(blocks), static_cast<unsigned long long>(block_txs), apply_rate,
      apply_rate / verify_rate);
  std::printf("end to end on one core (admit + apply + commit): %10.0f  (%.2f x verify)\n", e2e_rate,
              e2e_rate / verify_rate);
  std::printf("target: applied+committed >= 0.50 x verify: %s\n",
              apply_rate >= 0.5 * verify_rate ? "MET" : "NOT MET");
  return 0;
}
