#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "bench_support.h"
#include "crypto/p256.h"
#include "crypto/secp256k1.h"
#include "crypto/sha256.h"
#include "vm/gas.h"

namespace physis::bench {

namespace {
// `n` digests signed with secp256k1 by `keys` keys in turn.
void secp256k1_signed(size_t n, size_t keys, std::vector<Hash32>& digests,
                      std::vector<crypto::Signature>& sigs) {
  std::vector<crypto::PrivateKey> signers(keys);
  for (auto& k : signers) k = crypto::generate_private_key();
  digests.resize(n);
  sigs.resize(n);
  for (size_t i = 0; i < n; ++i) {
    Bytes m;
    append_u64_be(m, i);
    digests[i] = crypto::sha256(m);
    sigs[i] = crypto::sign_digest(signers[i % keys], digests[i]);
  }
}

// CPU time of one secp256k1 recovery on 1 thread (what a transfer's sender check costs: recover_address,
// as verify_tx does), in microseconds.
double secp256k1_recover_cpu_us() {
  const size_t n = 20000;
  std::vector<Hash32> digests;
  std::vector<crypto::Signature> sigs;
  secp256k1_signed(n, 64, digests, sigs);
  size_t ok = 0;
  const std::clock_t c0 = std::clock();
  for (size_t i = 0; i < n; ++i) ok += crypto::recover_address(digests[i], sigs[i]).ok();
  const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  if (ok != n) std::fprintf(stderr, "secp256k1 recovery failed\n");
  return cpu / n * 1e6;
}

}  // namespace

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

uint64_t arg(int argc, char** argv, const std::string& name, uint64_t fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == "--" + name) return std::strtoull(argv[i + 1], nullptr, 10);
  return fallback;
}

// Verifications per second of wall time; `cpu_seconds`, if given, receives the process CPU time the
// verifications took (all threads).
double p256_rate(int threads, double* cpu_seconds, bool parsed_keys) {
  const size_t n = 20000;
  std::vector<crypto::P256PublicKey> pubs(64);
  std::vector<crypto::P256PrivateKey> keys(64);
  for (size_t i = 0; i < keys.size(); ++i) {
    keys[i] = crypto::p256_generate();
    pubs[i] = *crypto::p256_public_key(keys[i]);
  }
  std::vector<Hash32> digests(n);
  std::vector<crypto::P256Signature> sigs(n);
  for (size_t i = 0; i < n; ++i) {
    Bytes m;
    append_u64_be(m, i);
    digests[i] = crypto::sha256(m);
    sigs[i] = *crypto::p256_sign(keys[i % keys.size()], digests[i]);
  }
  std::vector<crypto::P256VerifyKey> parsed;
  if (parsed_keys)
    for (const auto& pub : pubs) parsed.push_back(*crypto::P256VerifyKey::parse(pub));
  std::atomic<size_t> ok{0};
  auto t0 = Clock::now();
  const std::clock_t c0 = std::clock();
  parallel_for(n, threads, [&](size_t i) {
    ok += parsed_keys ? parsed[i % parsed.size()].verify(digests[i], sigs[i], true)
                      : crypto::p256_verify(pubs[i % pubs.size()], digests[i], sigs[i], true);
  });
  double rate = n / since(t0);
  if (cpu_seconds) *cpu_seconds = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  if (ok != n) std::fprintf(stderr, "p256 verification failed\n");
  return rate;
}

// secp256k1 public-key recoveries per second on 2 threads: what a usage receipt's consumer signature
// costs (vm check_usage recovers the signer), beside the P-256 rate.
double secp256k1_recover_rate() {
  const size_t n = 10000;
  std::vector<Hash32> digests;
  std::vector<crypto::Signature> sigs;
  secp256k1_signed(n, 1, digests, sigs);
  std::atomic<size_t> ok{0};
  auto t0 = Clock::now();
  parallel_for(n, 2,
               [&](size_t i) { ok += static_cast<bool>(crypto::recover_address(digests[i], sigs[i])); });
  const double rate = n / since(t0);
  if (ok != n) std::fprintf(stderr, "secp256k1 recovery failed\n");
  return rate;
}

// Prints the CPU time of one P-256 verification and of one secp256k1 recovery (1 thread each; CPU time,
// not wall time, so that other work on a shared machine changes the figures less), their ratio and the
// per-proof gas the ratio implies: a transfer pays transfer_gas for one recovery, so a proof pays the
// same gas per unit of verification work (vm/gas.h kPerProof).
void print_gas_ratio(double transfer_gas) {
  double p256_cpu = 0;
  p256_rate(1, &p256_cpu);
  const double p256_us = p256_cpu / 20000 * 1e6;
  const double secp_us = secp256k1_recover_cpu_us();
  const double ratio = p256_us / secp_us;  // one P-256 verification in secp256k1 recoveries
  std::printf(
      "CPU per op (1 thread): P-256 verification %.1f us, secp256k1 recovery %.1f us; ratio %.2f; implied "
      "per-proof gas = %.0f x %.2f = %.0f (vm/gas.h kPerProof %llu)\n",
      p256_us, secp_us, ratio, transfer_gas, ratio, transfer_gas * ratio,
      static_cast<unsigned long long>(vm::gas::kPerProof));
}
}  // namespace physis::bench
