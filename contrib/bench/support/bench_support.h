// Pieces the benchmarks share (contrib/bench/support, linked into every benchmark): timing, flags,
// work split over threads, the raw signature rates the figures are measured against, and the
// epoch-close part of bench_depin.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace physis::bench {

using Clock = std::chrono::steady_clock;

// Seconds of wall time since `t`.
double since(Clock::time_point t);

// The value of `--name N` in argv, or `fallback`.
uint64_t arg(int argc, char** argv, const std::string& name, uint64_t fallback);

// Runs fn(i) for i in [0, n) on `threads` threads.
template <typename F>
void parallel_for(size_t n, int threads, F fn) {
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (size_t i = t; i < n; i += threads) fn(i);
    });
  for (auto& th : pool) th.join();
}

// P-256 verifications per second of wall time on `threads` threads (20,000 of them); `cpu_seconds`, if
// given, receives the process CPU time the verifications took (all threads).
// `parsed_keys`: the keys are parsed once before timing (as the node's signature cache keeps them)
// instead of with every verification; the fastest rate the primitive allows.
double p256_rate(int threads, double* cpu_seconds = nullptr, bool parsed_keys = false);

// secp256k1 public-key recoveries per second on 2 threads: what a usage receipt's consumer signature
// costs (vm check_usage recovers the signer), beside the P-256 rate.
double secp256k1_recover_rate();

// Prints the CPU time of one P-256 verification and of one secp256k1 recovery (1 thread each; CPU time,
// not wall time, so that other work on a shared machine changes the figures less), their ratio and the
// per-proof gas the ratio implies: a transfer pays transfer_gas for one recovery, so a proof pays the
// same gas per unit of verification work (vm/gas.h kPerProof).
void print_gas_ratio(double transfer_gas);

// bench_depin parts 4 and 5: epoch close with `devices` devices holding accrued weight (apply_block of
// the boundary block on an in-memory state; target < 1 s), then `settle_devices` of them settled through
// ClaimRewards transactions (settlements/s and the projected time to settle every device).
void bench_epoch_close(uint64_t devices, uint64_t settle_devices);

}  // namespace physis::bench
