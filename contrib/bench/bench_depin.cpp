// DePIN benchmarks (issue 3), one run, figures printed with their bounds:
//   1. raw P-256 verifications/s on 1 thread and on 2 threads (the physical bound, DESIGN §8), beside
//      the CPU time of a secp256k1 recovery (a transfer's signature check), with the ratio and the
//      per-proof gas it implies (transfer_gas × ratio; vm/gas.h kPerProof states the figures used);
//   2. device registrations/s (SE_P256: certificate chain + proof of possession), admitted on 2
//      threads and applied + committed through Node::produce_block;
//   3. proofs verified + applied + committed/s under the service rules, batched (500 per tx),
//      signatures verified on 2 admission threads (cached for the producer), against the 2-thread raw
//      rate. Target ≥ 60%. The proofs are a mix (build_proof): uptime, usage-paid data contributions,
//      location assertions (challenged beacons not yet); every one must be accepted;
//   4. epoch close with 1,000,000 devices holding accrued weight (apply_block of the boundary block
//      on an in-memory state). Target < 1 s;
//   5. the deferred per-device settlement the O(1) close leaves behind: after that close, a sample of
//      the devices is settled through apply_block with ClaimRewards transactions (the VM's settle(),
//      the same path a device's next proof, transfer or deactivation takes), printing settlements/s
//      and the projected time to settle every device.
//
// Usage: bench_depin [--devices N] [--close-devices M] [--settle-devices S]
//                    [--verbose 1] [--raw-only 1]
// --raw-only 1 prints figure 1 and stops (contrib/bench/bench_live_load.sh measures the raw rate beside
// a live node with it).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <set>
#include <thread>

#include "crypto/keccak.h"
#include "crypto/p256.h"
#include "crypto/secp256k1.h"
#include "crypto/sha256.h"
#include "crypto/x509_builder.h"
#include "crypto/x509_chain.h"
#include "node/node.h"
#include "primitives/codec.h"
#include "primitives/transaction.h"
#include "util/log.h"
#include "vm/apply.h"
#include "vm/attestation.h"
#include "vm/depin.h"
#include "vm/depin_state.h"
#include "vm/gas.h"
#include "vm/reason_text.h"
#include "vm/tx_fail_reason.h"

using namespace physis;
using Clock = std::chrono::steady_clock;

namespace {
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
uint64_t arg(int argc, char** argv, const std::string& name, uint64_t fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == "--" + name) return std::strtoull(argv[i + 1], nullptr, 10);
  return fallback;
}

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

// Verifications per second of wall time; `cpu_seconds`, if given, receives the process CPU time the
// verifications took (all threads).
double p256_rate(int threads, double* cpu_seconds = nullptr) {
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
  std::atomic<size_t> ok{0};
  auto t0 = Clock::now();
  const std::clock_t c0 = std::clock();
  parallel_for(n, threads, [&](size_t i) {
    ok += crypto::p256_verify(pubs[i % pubs.size()], digests[i], sigs[i], true);
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
  const crypto::PrivateKey key = crypto::generate_private_key();
  std::vector<Hash32> digests(n);
  std::vector<crypto::Signature> sigs(n);
  for (size_t i = 0; i < n; ++i) {
    Bytes m;
    append_u64_be(m, i);
    digests[i] = crypto::sha256(m);
    sigs[i] = crypto::sign_digest(key, digests[i]);
  }
  std::atomic<size_t> ok{0};
  auto t0 = Clock::now();
  parallel_for(n, 2,
               [&](size_t i) { ok += static_cast<bool>(crypto::recover_address(digests[i], sigs[i])); });
  const double rate = n / since(t0);
  if (ok != n) std::fprintf(stderr, "secp256k1 recovery failed\n");
  return rate;
}

// CPU time of one secp256k1 recovery on 1 thread (what a transfer's sender check costs: recover_address,
// as verify_tx does), in microseconds.
double secp256k1_recover_cpu_us() {
  const size_t n = 20000;
  std::vector<crypto::PrivateKey> keys(64);
  for (auto& k : keys) k = crypto::generate_private_key();
  std::vector<Hash32> digests(n);
  std::vector<crypto::Signature> sigs(n);
  for (size_t i = 0; i < n; ++i) {
    Bytes m;
    append_u64_be(m, i);
    digests[i] = crypto::sha256(m);
    sigs[i] = crypto::sign_digest(keys[i % keys.size()], digests[i]);
  }
  size_t ok = 0;
  const std::clock_t c0 = std::clock();
  for (size_t i = 0; i < n; ++i) ok += crypto::recover_address(digests[i], sigs[i]).ok();
  const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  if (ok != n) std::fprintf(stderr, "secp256k1 recovery failed\n");
  return cpu / n * 1e6;
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

struct Fleet {
  std::vector<crypto::P256PrivateKey> keys;
  std::vector<Address> ids;
};

// The id of synthetic device i (bench_epoch_close).
Address synthetic_device_id(uint64_t i) {
  Address id{};
  for (int b = 0; b < 8; ++b) id[12 + b] = static_cast<uint8_t>(i >> (8 * (7 - b)));
  return id;
}

// The proof mix of part 3: what the VM rewards without a challenge (doc/depin.md "Proofs", "Usage",
// "Locations"), in the proportions of a fleet in service. Each device sends kRounds proofs, one per
// round, of the kind kind_of(round, device) gives:
//   uptime   rounds 1 and 5 (one per uptime_interval_blocks: the rounds' references are that far apart)
//   location round 8 for one device in 10 (a device re-asserting where it is; not a move)
//   data     the other rounds: a usage receipt signed by its relayer's consumer account, paid and burned
// so 2 uptime : 0.1 location : 5.9 data in 8 proofs. Witnesses now answer challenged beacons (commit,
// witness receipts, reveal: doc/depin.md "Beacons"), which need a challenge from a block hash; they are
// not in the mix yet. Everything that makes a proof is in build_proof, so the beacon kinds are added
// there (and in kind_of).
constexpr uint64_t kRounds = 8;
// Room for the transaction around its proofs: chain id, nonce, gas fields, payload tags, signature.
constexpr size_t kTxEnvelopeBytes = 512;
enum class MixKind { kUptime, kLocation, kData };

MixKind kind_of(uint64_t round, uint64_t device) {
  if (round == 1 || round == 5) return MixKind::kUptime;
  if (round == 8 && device % 10 == 0) return MixKind::kLocation;
  return MixKind::kData;
}

const char* kind_name(MixKind k) {
  switch (k) {
    case MixKind::kUptime: return "uptime";
    case MixKind::kLocation: return "location";
    case MixKind::kData: return "data";
  }
  return "?";
}

// Device i of the fleet sits on a grid of 2 km × 2.3 km (10 rows), owned by owner i % 2.
pb::Location grid_location(uint64_t i) {
  pb::Location loc;
  loc.mutable_latlon()->set_lat_e7(387000000 + static_cast<int32_t>(i % 10) * 180000);
  loc.mutable_latlon()->set_lon_e7(-91000000 + static_cast<int32_t>(i / 10) * 230000);
  return loc;
}

struct MixContext {
  const std::string& chain_id;
  const std::vector<crypto::P256PrivateKey>& keys;
  const std::vector<Address>& ids;
  uint64_t epoch_blocks;
};

// Proof `round` (its seq) of device i, referencing `ref`, signed by the device; a data proof takes the
// next receipt seq of `consumer`.
pb::Proof build_proof(const MixContext& m, uint64_t i, uint64_t round, const storage::ChainTip& ref,
                      const crypto::PrivateKey& consumer, uint64_t& consumer_seq) {
  pb::Proof p;
  p.set_device_id(to_string(m.ids[i]));
  p.set_seq(round);
  p.set_ref_height(ref.height);
  p.set_ref_block_hash(to_string(ref.hash));
  p.set_epoch(ref.height / m.epoch_blocks);
  pb::ProofPayload* pl = p.mutable_payload();
  switch (kind_of(round, i)) {
    case MixKind::kUptime:
      pl->set_kind(pb::UPTIME);
      pl->set_uptime_seconds(60);
      break;
    case MixKind::kLocation:
      pl->set_kind(pb::LOCATION_ASSERTION);
      *pl->mutable_location() = grid_location(i);
      break;
    case MixKind::kData:
      pl->set_kind(pb::DATA_CONTRIBUTION);
      pl->set_data_bytes(static_cast<uint64_t>(1 + i % 5) << 20);
      {
        pb::UsageReceipt* u = pl->mutable_usage();
        u->set_consumer(to_string(crypto::address_of(*crypto::public_key_of(consumer))));
        u->set_data_bytes(pl->data_bytes());
        u->set_seq(++consumer_seq);
        u->set_ref_height(ref.height);
        u->set_ref_block_hash(to_string(ref.hash));
        u->set_signature(
            to_string(crypto::sign_digest(consumer, vm::usage_digest(m.chain_id, m.ids[i], *u))));
      }
      break;
  }
  p.set_signature(to_string(*crypto::p256_sign(m.keys[i], vm::proof_digest(m.chain_id, p))));
  return p;
}

// Part 5: settles `sample` of the devices bench_epoch_close left with unsettled epoch-0 weight, in
// ClaimRewards transactions of max_proofs_per_tx ids, through apply_block (execution) and the in-memory
// commit. Transactions are built and signed before the clock starts.
void bench_settlement(vm::MemoryState& state, const Genesis& g, const crypto::PrivateKey& claimant,
                      Hash32 root, uint64_t sample) {
  if (sample == 0) return;
  const Address from = crypto::address_of(*crypto::public_key_of(claimant));
  const uint64_t per_tx = g.depin.max_proofs_per_tx;
  std::vector<VerifiedTx> txs;
  uint64_t nonce = vm::load_account(state, from).nonce;
  for (uint64_t first = 0; first < sample; first += per_tx) {
    pb::TxBody body;
    for (uint64_t i = first; i < std::min(sample, first + per_tx); ++i)
      body.mutable_claim_rewards()->add_device_ids(to_string(synthetic_device_id(i)));
    body.set_chain_id(g.chain_id);
    body.set_nonce(nonce++);
    body.set_gas_price(1);
    body.set_gas_limit(vm::intrinsic_gas(g.params, body));
    auto vtx = decode_and_verify_tx(sign_tx(body, claimant));
    if (!vtx) {
      std::fprintf(stderr, "claim tx: %s\n", vtx.error().message.c_str());
      return;
    }
    txs.push_back(std::move(vtx).value());
  }
  // Blocks as a producer would cut them: up to the block gas limit.
  std::vector<std::vector<VerifiedTx>> blocks(1);
  uint64_t gas = 0;
  for (auto& tx : txs) {
    const uint64_t tx_gas = vm::intrinsic_gas(g.params, tx.tx.body);
    if (gas + tx_gas > g.params.block_gas_limit) {
      blocks.emplace_back();
      gas = 0;
    }
    gas += tx_gas;
    blocks.back().push_back(std::move(tx));
  }
  vm::DirectSignatureVerifier direct;
  uint64_t height = g.depin.epoch_blocks;  // the close was at the first block of epoch 1
  double exec_s = 0, commit_s = 0;
  std::set<Address> rewarded;  // devices with a RewardRecord (handed out for the explorer index)
  for (const auto& block : blocks) {
    vm::BlockContext ctx{g.chain_id, ++height, from, Hash32{}, {{from, 1}}};
    auto t0 = Clock::now();
    auto r = vm::apply_block(state, root, g.params, g.depin, ctx, block, direct);
    exec_s += since(t0);
    if (!r) {
      std::fprintf(stderr, "settlement block failed: %s\n", r.error().message.c_str());
      return;
    }
    for (const auto& rc : r->receipts)
      if (rc.status() != 0) std::fprintf(stderr, "claim failed: %s\n", vm::receipt_message(rc).c_str());
    t0 = Clock::now();
    state.apply(r->writes);
    commit_s += since(t0);
    root = r->state_root;
    for (const auto& rr : r->explorer.rewards)
      if (!rr.amount().empty()) rewarded.insert(bytes_to_address(rr.device_id()));
  }
  // Every sampled device was paid once: weight cleared, one RewardRecord.
  for (uint64_t i : {uint64_t{0}, sample - 1}) {
    auto dev = vm::load_record<pb::Device>(state, vm::device_key(synthetic_device_id(i)));
    if (!dev || dev->accrued_weight() != 0 || !rewarded.count(synthetic_device_id(i))) {
      std::fprintf(stderr, "device %llu was not settled\n", static_cast<unsigned long long>(i));
      return;
    }
  }
  const double total_s = exec_s + commit_s;
  const double rate = sample / total_s;
  const uint64_t all = vm::load_record<pb::EpochRecord>(state, vm::epoch_key(0))->devices();
  std::printf(
      "deferred settlement (ClaimRewards, %llu ids per tx, %zu blocks): %llu devices in %.3f s "
      "(apply %.3f s, in-memory commit %.3f s) = %.0f settlements/s; settling all %llu devices: %.1f s\n",
      static_cast<unsigned long long>(per_tx), blocks.size(), static_cast<unsigned long long>(sample),
      total_s, exec_s, commit_s, rate, static_cast<unsigned long long>(all), all / rate);
}

void bench_epoch_close(uint64_t devices, uint64_t settle_devices) {
  Genesis g;
  g.chain_id = "physis-bench";
  g.genesis_time_ms = 1;
  g.depin.epoch_blocks = 100;
  g.depin.emission_per_epoch = static_cast<Amount>(1000000000000000000ULL) * 1000;
  crypto::PrivateKey v = crypto::generate_private_key();
  Address validator = crypto::address_of(*crypto::public_key_of(v));
  g.accounts.push_back({"claimant", validator, static_cast<Amount>(1) << 100});  // pays the claims' gas
  vm::MemoryState state;
  state.apply(vm::genesis_state(g).writes);
  // 1M devices that each earned weight in epoch 0, and the epoch's running total (what proofs leave).
  vm::WriteSet seed;
  pb::Device d;
  d.set_owner(to_string(validator));
  d.set_kind(pb::SE_P256);
  d.set_key_type(pb::KEY_P256);
  d.set_device_key(std::string(65, '\x04'));
  d.set_accrued_epoch(0);
  uint64_t total = 0;
  for (uint64_t i = 0; i < devices; ++i) {
    const Address id = synthetic_device_id(i);
    d.set_accrued_weight(1 + i % 50);
    total += d.accrued_weight();
    seed[vm::device_key(id)] = encode_canonical(d);
  }
  pb::EpochRecord rec;
  rec.set_total_weight(total);
  rec.set_devices(devices);
  seed[vm::epoch_key(0)] = encode_canonical(rec);
  state.apply(seed);
  seed.clear();

  vm::BlockContext ctx{g.chain_id, g.depin.epoch_blocks, validator, Hash32{}, {{validator, 1}}};
  vm::DirectSignatureVerifier direct;
  auto t0 = Clock::now();
  auto r = vm::apply_block(state, Hash32{}, g.params, g.depin, ctx, {}, direct);
  double close_s = since(t0);
  if (!r) {
    std::fprintf(stderr, "close failed: %s\n", r.error().message.c_str());
    return;
  }
  std::printf(
      "epoch close, %llu devices with accrued weight: %.3f ms = %.4f x the 1 s bound (target < 1: %s); %zu "
      "state writes\n",
      static_cast<unsigned long long>(devices), close_s * 1000, close_s, close_s < 1.0 ? "MET" : "NOT MET",
      r->writes.size());
  state.apply(r->writes);
  bench_settlement(state, g, v, r->state_root, std::min(settle_devices, devices));
}
}  // namespace

int main(int argc, char** argv) {
  set_log_level(arg(argc, argv, "verbose", 0) ? LogLevel::kDebug : LogLevel::kWarn);
  const uint64_t n_dev = std::max<uint64_t>(2, arg(argc, argv, "devices", 5000));
  const uint64_t close_devices = arg(argc, argv, "close-devices", 1000000);
  const uint64_t settle_devices = arg(argc, argv, "settle-devices", 100000);

  const double raw1 = p256_rate(1);
  double raw2_cpu_s = 0;
  const double raw2 = p256_rate(2, &raw2_cpu_s);
  std::printf("P-256 verifications/s: 1 thread %.0f, 2 threads %.0f\n", raw1, raw2);
  print_gas_ratio(static_cast<double>(ChainParams{}.transfer_gas));
  if (arg(argc, argv, "raw-only", 0)) {
    // Per CPU-second as well: a figure that other work on a shared machine does not change much.
    double cpu = 0;
    p256_rate(2, &cpu);
    std::printf("P-256 verifications per CPU-second (2 threads): %.0f\n", cpu > 0 ? 20000 / cpu : 0.0);
    return 0;
  }

  // Chain with a manufacturer root, funded owners and relayers.
  crypto::P256PrivateKey root = crypto::p256_generate();
  Bytes root_spki = crypto::p256_spki_der(*crypto::p256_public_key(root));
  Genesis g;
  g.chain_id = "physis-bench";
  g.genesis_time_ms = 1;
  // Blocks of 20 full proof batches (10,000 proofs; a proof of the mix is at most 400 bytes), as a
  // producer would cut them.
  g.params.block_gas_limit =
      20 * (vm::gas::kSubmitProofsBase + 500 * (vm::gas::kPerProof + 400 * vm::gas::kPerPayloadByte));
  g.params.max_block_txs = 100000;
  g.depin.epoch_blocks = 1000000;
  g.depin.ref_window = 100000;
  g.depin.device_epoch_cap = 1'000'000;
  // The mix's rounds reference blocks kRefSpacing apart: uptime rounds 1 and 5 are an interval apart,
  // and round 8's location assertions are past the cooldown since registration.
  constexpr uint64_t kRefSpacing = 2;
  g.depin.uptime_interval_blocks = kRefSpacing;
  g.depin.location_cooldown_blocks = kRefSpacing;
  g.depin.usage_price_per_mib = 1'000'000'000'000'000ULL;  // the devnet's 0.001 token
  g.depin.anchors.push_back({"root", root_spki, pb::MANUFACTURER_ROOT, {pb::SE_P256}, {}, 3});
  crypto::PrivateKey validator = crypto::generate_private_key();
  g.validators.push_back({"v", crypto::address_of(*crypto::public_key_of(validator)), 1});
  const int kOwners = 2;                                                // one per admission thread
  std::vector<crypto::PrivateKey> owners(kOwners), consumers(kOwners);  // consumer o pays relayer o's data
  for (auto* keys : {&owners, &consumers})
    for (auto& k : *keys) {
      k = crypto::generate_private_key();
      g.accounts.push_back(
          {"", crypto::address_of(*crypto::public_key_of(k)), static_cast<Amount>(1) << 100});
    }
  std::sort(g.accounts.begin(), g.accounts.end(), [](auto& a, auto& b) { return a.address < b.address; });

  auto dir = std::filesystem::temp_directory_path() / ("physis-bench-depin-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  node::NodeOptions opts;
  opts.datadir = dir.string();
  opts.genesis = g;
  opts.validator_key = validator;
  opts.mempool.max_txs = 1'000'000;
  opts.mempool.max_bytes = 1ull << 33;
  opts.mempool.max_per_sender = 1'000'000;
  auto node = node::Node::open(opts);
  if (!node) {
    std::fprintf(stderr, "%s\n", node.error().message.c_str());
    return 1;
  }
  uint64_t now_ms = 1000;
  if (!(*node)->produce_block(now_ms += 1000)) return 1;
  const auto ref = (*node)->tip();
  const Hash32 anchor_id = crypto::spki_id(root_spki);

  // Registrations: build (not timed), admit on 2 threads, apply + commit.
  Fleet fleet;
  fleet.keys.resize(n_dev);
  fleet.ids.resize(n_dev);
  std::vector<std::vector<Bytes>> reg_txs(kOwners);
  for (uint64_t i = 0; i < n_dev; ++i) {
    fleet.keys[i] = crypto::p256_generate();
    auto pub = *crypto::p256_public_key(fleet.keys[i]);
    fleet.ids[i] = vm::device_id_of(pb::SE_P256, pub);
    crypto::CertSpec spec;
    spec.serial = i + 1;
    spec.issuer_cn = "root";
    spec.subject_cn = "dev" + std::to_string(i);
    spec.subject_key = pub;
    int o = static_cast<int>(i % kOwners);
    Address owner = crypto::address_of(*crypto::public_key_of(owners[o]));
    pb::TxBody body;
    auto* ev = body.mutable_register_device()->mutable_evidence();
    ev->set_kind(pb::SE_P256);
    ev->set_device_class(1);
    ev->set_key_type(pb::KEY_P256);
    ev->set_device_key(to_string(pub));
    ev->set_anchor_id(to_string(anchor_id));
    ev->add_cert_chain(to_string(*crypto::build_certificate(spec, root)));
    ev->set_ref_height(ref.height);
    ev->set_ref_block_hash(to_string(ref.hash));
    ev->set_pop_signature(to_string(
        *crypto::p256_sign(fleet.keys[i], crypto::sha256(vm::registration_message(g.chain_id, *ev, owner)))));
    // The device signs where it is (doc/depin.md "Locations").
    auto* reg = body.mutable_register_device();
    *reg->mutable_location() = grid_location(i);
    reg->set_location_signature(to_string(*crypto::p256_sign(
        fleet.keys[i], vm::location_digest(g.chain_id, fleet.ids[i], reg->location(), ref.height,
                                           ByteSpan(ref.hash.data(), ref.hash.size())))));
    body.set_chain_id(g.chain_id);
    body.set_nonce(reg_txs[o].size());
    body.set_gas_price(1);
    body.set_gas_limit(vm::intrinsic_gas(g.params, body));
    reg_txs[o].push_back(sign_tx(body, owners[o]));
  }
  auto t0 = Clock::now();
  parallel_for(kOwners, kOwners, [&](size_t o) {
    for (const auto& raw : reg_txs[o])
      if (auto r = (*node)->submit_tx(raw); !r)
        std::fprintf(stderr, "registration rejected: %s\n", r.error().message.c_str());
  });
  const double reg_admit = since(t0);
  t0 = Clock::now();
  while ((*node)->mempool_status().txs > 0)
    if (auto r = (*node)->produce_block(now_ms += 1000); !r) {
      std::fprintf(stderr, "block failed: %s\n", r.error().message.c_str());
      return 1;
    }
  const double reg_apply = since(t0);
  auto dev0 = vm::load_record<pb::Device>((*node)->state(), vm::device_key(fleet.ids[0]));
  if (!dev0) {
    std::fprintf(stderr, "registration did not land\n");
    return 1;
  }
  std::printf(
      "device registrations/s (SE_P256, 1-cert chain + PoP): %.0f  (admission on 2 threads %.2f s, "
      "apply+commit %.2f s, %llu devices)\n",
      n_dev / (reg_admit + reg_apply), reg_admit, reg_apply, static_cast<unsigned long long>(n_dev));

  // Proofs: kRounds rounds of the mix (build_proof); device i is served by relayer i % 2 (its own nonce
  // sequence, and its own consumer, whose receipt seqs then rise in inclusion order). Round r references
  // the block kRefSpacing × r after the registrations, so empty blocks are made first (not timed).
  std::vector<storage::ChainTip> refs{(*node)->tip()};
  for (uint64_t b = 0; b < kRefSpacing * kRounds; ++b) {
    auto t = (*node)->produce_block(now_ms += 1000);
    if (!t) return 1;
    refs.push_back(*t);
  }
  const MixContext mix{g.chain_id, fleet.keys, fleet.ids, g.depin.epoch_blocks};
  std::map<MixKind, uint64_t> mix_counts;
  std::vector<std::vector<Bytes>> proof_txs(kOwners);
  std::vector<Hash32> proof_tx_hashes;
  const uint64_t batch = 500;
  for (int o = 0; o < kOwners; ++o) {
    uint64_t nonce = (*node)->account(crypto::address_of(*crypto::public_key_of(owners[o])))->nonce;
    uint64_t consumer_seq = 0;
    for (uint64_t round = 1; round <= kRounds; ++round) {
      pb::TxBody body;
      size_t body_bytes = 0;  // the proofs' encoded size so far
      auto flush = [&] {
        body_bytes = 0;
        if (body.submit_proofs().proofs_size() == 0) return;
        body.set_chain_id(g.chain_id);
        body.set_nonce(nonce++);
        body.set_gas_price(1);
        body.set_gas_limit(vm::intrinsic_gas(g.params, body));
        proof_txs[o].push_back(sign_tx(body, owners[o]));
        proof_tx_hashes.push_back(crypto::keccak256(proof_txs[o].back()));
        body.Clear();
      };
      for (uint64_t i = o; i < n_dev; i += kOwners) {
        ++mix_counts[kind_of(round, i)];
        pb::Proof p = build_proof(mix, i, round, refs[kRefSpacing * round], consumers[o], consumer_seq);
        // A batch is cut at 500 proofs or before it would pass the transaction size limit (500 data
        // proofs with their receipts do not fit in kMaxTxBytes).
        const size_t p_bytes = p.ByteSizeLong() + 4;  // the field tag and length
        if (body_bytes + p_bytes + kTxEnvelopeBytes > kMaxTxBytes) flush();
        body_bytes += p_bytes;
        *body.mutable_submit_proofs()->add_proofs() = std::move(p);
        if (static_cast<uint64_t>(body.submit_proofs().proofs_size()) == batch) flush();
      }
      flush();
    }
  }
  const uint64_t n_proofs = n_dev * kRounds;
  const std::clock_t proof_cpu0 = std::clock();
  t0 = Clock::now();
  parallel_for(kOwners, kOwners, [&](size_t o) {
    for (const auto& raw : proof_txs[o])
      if (auto r = (*node)->submit_tx(raw); !r)
        std::fprintf(stderr, "proof tx rejected: %s\n", r.error().message.c_str());
  });
  const double proof_admit = since(t0);
  t0 = Clock::now();
  uint64_t blocks = 0;
  while ((*node)->mempool_status().txs > 0) {
    if (auto r = (*node)->produce_block(now_ms += 1000); !r) {
      std::fprintf(stderr, "block failed: %s\n", r.error().message.c_str());
      return 1;
    }
    ++blocks;
  }
  const double proof_apply = since(t0);
  const double proof_cpu_s = static_cast<double>(std::clock() - proof_cpu0) / CLOCKS_PER_SEC;
  // Every proof must have been accepted, or the figure would count rejections: the receipts say.
  std::map<std::string, uint64_t> rejected;
  for (const Hash32& h : proof_tx_hashes) {
    auto tx = (*node)->find_tx(h);
    if (!tx) {
      ++rejected["tx not included: " + tx.error().message];
      continue;
    }
    if (tx->receipt.status() != 0)
      ++rejected[std::string("tx failed: ") +
                 std::string(vm::tx_fail_reason_name(static_cast<vm::TxFailReason>(tx->receipt.reason())))];
    for (const auto& pr : tx->receipt.proofs())
      if (pr.reason() != 0)
        ++rejected[std::string(vm::proof_reject_name(static_cast<vm::ProofReject>(pr.reason())))];
  }
  if (!rejected.empty()) {
    for (const auto& [reason, n] : rejected)
      std::fprintf(stderr, "rejected: %s x %llu\n", reason.c_str(), static_cast<unsigned long long>(n));
    return 1;
  }
  std::string mix_text;
  for (const auto& [kind, n] : mix_counts)
    mix_text += std::string(mix_text.empty() ? "" : ", ") + kind_name(kind) + " " + std::to_string(n);
  const double proof_rate = n_proofs / (proof_admit + proof_apply);
  // The signature work alone bounds the figure: one P-256 verification per proof, plus one secp256k1
  // recovery per data proof (its usage receipt), each done once (the signature cache).
  const double recover2 = secp256k1_recover_rate();
  const double data_share = static_cast<double>(mix_counts[MixKind::kData]) / static_cast<double>(n_proofs);
  const double ceiling = 1.0 / (1.0 + data_share * raw2 / recover2);
  std::printf(
      "proofs verified+applied+committed/s: %.0f  (%llu proofs, all accepted: %s; in %llu blocks; "
      "admission/verify on 2 threads %.2f s, apply+commit %.2f s)\n",
      proof_rate, static_cast<unsigned long long>(n_proofs), mix_text.c_str(),
      static_cast<unsigned long long>(blocks), proof_admit, proof_apply);
  std::printf("  = %.2f x the 2-thread raw P-256 rate (target >= 0.60: %s)\n", proof_rate / raw2,
              proof_rate >= 0.6 * raw2 ? "MET" : "NOT MET");
  std::printf(
      "  signature work alone allows at most %.2f x: secp256k1 recoveries/s on 2 threads %.0f (%.2f P-256 "
      "verifications each), one per data proof (%.0f%% of the mix)\n",
      ceiling, recover2, raw2 / recover2, data_share * 100);
  // The same per CPU-second (proofs per CPU-second of admission + apply against verifications per
  // CPU-second), which other work on a shared machine skews less than wall time.
  const double raw_per_cpu = raw2_cpu_s > 0 ? 20000 / raw2_cpu_s : 0;
  const double proofs_per_cpu = proof_cpu_s > 0 ? n_proofs / proof_cpu_s : 0;
  std::printf(
      "  per CPU-second: %.0f proofs against %.0f raw verifications = %.2f (%.1f CPU-s for the proofs)\n",
      proofs_per_cpu, raw_per_cpu, raw_per_cpu > 0 ? proofs_per_cpu / raw_per_cpu : 0.0, proof_cpu_s);
  node->reset();
  std::filesystem::remove_all(dir);

  bench_epoch_close(close_devices, settle_devices);
  return 0;
}
