// DePIN benchmarks (issue 3), one run, figures printed with their bounds:
//   1. raw P-256 verifications/s on 1 thread and on 2 threads (the physical bound, DESIGN §8), beside
//      the CPU time of a secp256k1 recovery (a transfer's signature check), with the ratio and the
//      per-proof gas it implies (transfer_gas × ratio; vm/gas.h kPerProof states the figures used);
//   2. device registrations/s (SE_P256: certificate chain + proof of possession), admitted on 2
//      threads and applied + committed through Node::produce_block;
//   3. proofs verified + applied + committed/s under the service rules, batched (500 per tx),
//      signatures verified on 2 admission threads (cached for the producer) while a producer thread
//      applies and commits blocks, as in a live node (--sequential 1: admit, then apply, in turn),
//      against the 2-thread raw rate measured before and after the run (their mean; both printed).
//      Target ≥ 60%. Beside it, the signature work the proofs carried (a usage receipt's recovery
//      counted in P-256 verifications at the measured rates) against the same raw rate. The proofs
//      are a mix (build_proof, BeaconPlan), kRounds rounds in which every device sends one proof
//      (2 uptime : 5.9 usage-paid data : 0.1 location per 8 rounds) and, beside it, about 2.5% of
//      the devices commit a challenged BEACON (3% chance per block by genesis, checked with the
//      chain's vm::is_challenged; one beacon per device in the run), 2.7% reveal an earlier beacon
//      (BEACON_REVEAL, which judges its witnesses) and 7.5% record a COVERAGE_WITNESS (3 per beacon,
//      neighbours of another owner in radio range). At 5,000 devices that is 22% uptime, 66% data,
//      1% location, 2% beacon, 6% witness, 2.4% reveal of the proofs; the run prints the exact
//      counts. Every proof must be accepted and every judged witness rewarded (receipts per kind,
//      with reject reasons), or the run fails;
//   4. epoch close with 1,000,000 devices holding accrued weight (apply_block of the boundary block
//      on an in-memory state). Target < 1 s;
//   5. the deferred per-device settlement the O(1) close leaves behind: after that close, a sample of
//      the devices is settled through apply_block with ClaimRewards transactions (the VM's settle(),
//      the same path a device's next proof, transfer or deactivation takes), printing settlements/s
//      and the projected time to settle every device.
//
// Usage: bench_depin [--devices N] [--close-devices M] [--settle-devices S]
//                    [--verbose 1] [--raw-only 1] [--sequential 1]
// PERF_CTL_FIFO=F with `perf record -D -1 --control=fifo:F` profiles the timed part of figure 3 alone.
// --raw-only 1 prints figure 1 and stops (contrib/bench/bench_live_load.sh measures the raw rate beside
// a live node with it).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
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
#include "support/bench_support.h"
#include "support/proof_tally.h"
#include "util/log.h"
#include "vm/apply.h"
#include "vm/attestation.h"
#include "vm/beacon.h"
#include "vm/depin.h"
#include "vm/depin_state.h"
#include "vm/gas.h"
#include "vm/geo.h"

using namespace physis;
using namespace physis::bench;

namespace {

struct Fleet {
  std::vector<crypto::P256PrivateKey> keys;
  std::vector<Address> ids;
};

// The proof mix of part 3 (doc/depin.md "Proofs", "Usage", "Locations", "Beacons"), in the proportions
// of a fleet in service. The run has kRounds rounds; round r references block refs[kRefSpacing × r]
// and is one reporting interval: every device sends one proof of the kind base_kind gives,
//   uptime   rounds 1 and 5 (one per uptime_interval_blocks: the rounds' references are that far apart)
//   location round 8 for one device in 10 (a device re-asserting where it is; not a move)
//   data     the other rounds: a usage receipt signed by its relayer's consumer account, paid and burned
// and, beside it, the challenged-beacon proofs of that interval (BeaconPlan), made by the chain's rules:
//   beacon   the devices the round's reference block challenges (vm::is_challenged; genesis
//            beacons_per_device_per_epoch / epoch_blocks = 3% per block) commit H(secret), at most
//            one beacon per device in the run (rounds 1..7; a round-8 beacon's witnesses would come
//            after the run);
//   witness  in the next round, kWitnessesPerBeacon neighbours of the beaconer of another owner within
//            kRadioRangeM record H(secret ‖ witness id) with an RSSI below the chain's free-space bound;
//   reveal   the devices challenged at one of kRounds blocks before the run (a warm-up, not timed,
//            committed those beacons and recorded their witnesses) reveal in the round of their
//            challenge block, after the window: each reveal judges its pending witnesses.
// So per round about 2.5% of the devices beacon (3% are challenged, less those that beaconed already),
// 2.7% reveal and 7.5% witness beside the round's proof; the run prints the counts. Every proof must be
// accepted and every judged witness rewarded; after the run (not timed) the run's beacons are revealed too,
// to check that the witnesses it recorded were right.
constexpr uint64_t kRounds = 8;
// Room for the transaction around its proofs: chain id, nonce, gas fields, payload tags, signature.
constexpr size_t kTxEnvelopeBytes = 512;
// Device i is owned (and its proofs relayed) by owner i % kOwners: one per admission thread.
constexpr int kOwners = 2;
constexpr size_t kWitnessesPerBeacon = 3;
// Beyond this distance a neighbour does not hear a beacon (LoRa at SF9 outdoors, a few km).
constexpr uint64_t kRadioRangeM = 5000;
// Thermal noise in 125 kHz plus a 6 dB noise figure: what a witness's SNR is measured against.
constexpr int32_t kNoiseFloorDbm = -117;
enum class MixKind { kUptime, kLocation, kData, kBeacon, kWitness, kReveal };

MixKind base_kind(uint64_t round, uint64_t device) {
  if (round == 1 || round == 5) return MixKind::kUptime;
  if (round == 8 && device % 10 == 0) return MixKind::kLocation;
  return MixKind::kData;
}

const char* kind_name(MixKind k) {
  switch (k) {
    case MixKind::kUptime: return "uptime";
    case MixKind::kLocation: return "location";
    case MixKind::kData: return "data";
    case MixKind::kBeacon: return "beacon";
    case MixKind::kWitness: return "witness";
    case MixKind::kReveal: return "reveal";
  }
  return "?";
}

// One proof a device sends: its kind, and for the beacon kinds the beacon's challenge height (and a
// witness's beaconer).
struct MixProof {
  MixKind kind = MixKind::kData;
  uint64_t challenge_height = 0;
  size_t beaconer = 0;
};

// Device i of the fleet sits on a grid of 2 km × 2.3 km (10 rows), owned by owner i % kOwners.
pb::Location grid_location(uint64_t i) {
  pb::Location loc;
  loc.mutable_latlon()->set_lat_e7(387000000 + static_cast<int32_t>(i % 10) * 180000);
  loc.mutable_latlon()->set_lon_e7(-91000000 + static_cast<int32_t>(i / 10) * 230000);
  return loc;
}

uint64_t grid_distance_m(uint64_t a, uint64_t b) {
  const pb::Location la = grid_location(a), lb = grid_location(b);
  return vm::distance_m(la.latlon().lat_e7(), la.latlon().lon_e7(), lb.latlon().lat_e7(),
                        lb.latlon().lon_e7());
}

// The secret the radio beacon of `device` for the challenge at `height` carries.
Hash32 beacon_secret(const Address& device, uint64_t height) {
  Bytes m(device.begin(), device.end());
  append_u64_be(m, height);
  return crypto::sha256(m);
}

// The beacon proofs of the mix beyond each device's one proof per round, per round and device, in
// the order the device sends them, and the (witness, beaconer) pairs used in the epoch (the chain
// rewards one per pair per epoch, so an honest device does not witness the same beaconer twice).
struct BeaconPlan {
  std::vector<std::map<size_t, std::vector<MixProof>>> extra =
      std::vector<std::map<size_t, std::vector<MixProof>>>(kRounds + 1);
  std::set<std::pair<size_t, size_t>> pairs;

  // Up to kWitnessesPerBeacon devices that hear beaconer j: of another owner, between the chain's
  // minimum distance and kRadioRangeM, in a pair not used yet (which it then takes).
  std::vector<size_t> witnesses_of(size_t j, uint64_t n_dev, const DepinParams& p) {
    std::vector<size_t> out;
    for (const int64_t off : {1, -1, 9, -9, 11, -11, 19, -19, 21, -21}) {
      const int64_t i = static_cast<int64_t>(j) + off;
      if (out.size() == kWitnessesPerBeacon) break;
      if (i < 0 || i >= static_cast<int64_t>(n_dev) || i % kOwners == static_cast<int64_t>(j % kOwners))
        continue;
      const uint64_t d = grid_distance_m(static_cast<size_t>(i), j);
      if (d < p.witness_min_distance_m || d > kRadioRangeM || !pairs.insert({i, j}).second) continue;
      out.push_back(static_cast<size_t>(i));
    }
    return out;
  }
};

struct MixContext {
  const std::string& chain_id;
  const std::vector<crypto::P256PrivateKey>& keys;
  const std::vector<Address>& ids;
  const DepinParams& params;
};

// Proof `what` of device i with sequence number `seq`, referencing `ref`, signed by the device; a
// data proof takes the next receipt seq of `consumer`.
pb::Proof build_proof(const MixContext& m, uint64_t i, uint64_t seq, const MixProof& what,
                      const storage::ChainTip& ref, const crypto::PrivateKey& consumer,
                      uint64_t& consumer_seq) {
  pb::Proof p;
  p.set_device_id(to_string(m.ids[i]));
  p.set_seq(seq);
  p.set_ref_height(ref.height);
  p.set_ref_block_hash(to_string(ref.hash));
  p.set_epoch(ref.height / m.params.epoch_blocks);
  pb::ProofPayload* pl = p.mutable_payload();
  switch (what.kind) {
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
    case MixKind::kBeacon:
      pl->set_kind(pb::BEACON);
      pl->set_challenge_height(what.challenge_height);
      pl->set_commitment(to_string(vm::beacon_commitment(beacon_secret(m.ids[i], what.challenge_height))));
      break;
    case MixKind::kReveal:
      pl->set_kind(pb::BEACON_REVEAL);
      pl->set_challenge_height(what.challenge_height);
      pl->set_secret(to_string(beacon_secret(m.ids[i], what.challenge_height)));
      break;
    case MixKind::kWitness: {
      // Reception: the chain's free-space bound at this distance less a fading margin of 6..13 dB,
      // and the SNR over the noise floor, inside the chain's plausible ranges.
      const uint64_t d = grid_distance_m(i, what.beaconer);
      const int32_t bound = m.params.witness_rssi_at_1m_dbm - 6 * vm::floor_log2(std::max<uint64_t>(d, 1));
      const int32_t rssi =
          std::max(bound - 6 - static_cast<int32_t>((i + what.beaconer) % 8), m.params.witness_min_rssi_dbm);
      pl->set_kind(pb::COVERAGE_WITNESS);
      pl->set_beaconer(to_string(m.ids[what.beaconer]));
      pl->set_challenge_height(what.challenge_height);
      pl->set_rssi_dbm(rssi);
      pl->set_snr_db_x10(std::clamp((rssi - kNoiseFloorDbm) * 10, m.params.witness_min_snr_db_x10,
                                    m.params.witness_max_snr_db_x10));
      pl->set_beacon_receipt(to_string(
          vm::beacon_receipt(beacon_secret(m.ids[what.beaconer], what.challenge_height), m.ids[i])));
      break;
    }
  }
  p.set_signature(to_string(*crypto::p256_sign(m.keys[i], vm::proof_digest(m.chain_id, p))));
  return p;
}

// A relayer: the owner account that signs and pays for its devices' proof batches.
struct Relayer {
  crypto::PrivateKey key;
  uint64_t nonce = 0;
};

// Packs `proofs` into SubmitProofs transactions of the relayer, in order, as a relayer would: 500 per
// batch, or fewer before a batch would pass the transaction size limit (500 data proofs with their
// receipts do not fit in kMaxTxBytes). Appends each transaction's hash to `hashes`.
std::vector<Bytes> pack_proofs(std::vector<pb::Proof> proofs, Relayer& r, const Genesis& g,
                               std::vector<Hash32>& hashes) {
  std::vector<Bytes> txs;
  pb::TxBody body;
  size_t body_bytes = 0;  // the proofs' encoded size so far
  auto flush = [&] {
    body_bytes = 0;
    if (body.submit_proofs().proofs_size() == 0) return;
    body.set_chain_id(g.chain_id);
    body.set_nonce(r.nonce++);
    body.set_gas_price(1);
    body.set_gas_limit(vm::intrinsic_gas(g.params, body));
    txs.push_back(sign_tx(body, r.key));
    hashes.push_back(crypto::keccak256(txs.back()));
    body.Clear();
  };
  for (auto& p : proofs) {
    const size_t p_bytes = p.ByteSizeLong() + 4;  // the field tag and length
    if (body_bytes + p_bytes + kTxEnvelopeBytes > kMaxTxBytes) flush();
    body_bytes += p_bytes;
    *body.mutable_submit_proofs()->add_proofs() = std::move(p);
    if (body.submit_proofs().proofs_size() == static_cast<int>(g.depin.max_proofs_per_tx)) flush();
  }
  flush();
  return txs;
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
  // The same with keys parsed once (the node keeps parsed keys; this raw rate parses with each
  // verification): the stricter bound, measured before and after the run too and printed beside it.
  const double raw2_parsed_before = p256_rate(2, nullptr, /*parsed_keys=*/true);
  std::printf("P-256 verifications/s: 1 thread %.0f, 2 threads %.0f\n", raw1, raw2);
  std::printf("  with keys parsed once (as the node keeps them), 2 threads: %.0f\n", raw2_parsed_before);
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
  // The whole run is in epoch 0 (no close in it). Challenges: a device is challenged at a block with
  // probability 30,000 / 1,000,000 = 3%, so each round's reference block challenges about 3% of the
  // fleet (doc/depin.md "Beacons"). A bench block stands for a reporting interval, not a second, so
  // the odds are high and the epoch long. The window W must outlast the run's k blocks (at least one
  // per round, about one per 9,000 proofs): the warm-up's beacons (challenged 7 blocks apart, the run
  // starting 16 reference blocks after their windows closed) are revealed in the run before their
  // deadline if W ≥ 23 + k, and the run's own beacons land within theirs if W ≥ 14 + k. The formula
  // leaves a margin of about 3 × k; were it short, the reveals' or beacons' receipts would say so.
  g.depin.epoch_blocks = 1000000;
  g.depin.ref_window = 100000;
  g.depin.beacons_per_device_per_epoch = 30000;
  g.depin.beacon_window_blocks = 40 + kRounds * (2 + n_dev / 2500);
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

  // Proofs (part 3, the mix above). Device i is served by relayer i % kOwners, its owner: its own
  // nonce sequence, and its own consumer, whose receipt seqs then rise in inclusion order. A device's
  // seq rises by one per proof, in the order its relayer sends them. Proofs are built off the clock.
  const MixContext mix{g.chain_id, fleet.keys, fleet.ids, g.depin};
  std::vector<Relayer> relayers;
  for (int o = 0; o < kOwners; ++o)
    relayers.push_back(
        {owners[o], (*node)->account(crypto::address_of(*crypto::public_key_of(owners[o])))->nonce});
  std::vector<uint64_t> consumer_seq(kOwners, 0);
  std::vector<uint64_t> seq(n_dev, 0);  // each device's last proof seq
  struct PhaseTime {
    double admit_s = 0, apply_s = 0;
    uint64_t blocks = 0;
  };
  // Admits each relayer's transactions on a thread of its own, then produces blocks until the mempool
  // is empty, adding the wall time of each step to `t`.
  auto run_phase = [&](const std::vector<std::vector<Bytes>>& txs, PhaseTime& t) {
    auto t0 = Clock::now();
    parallel_for(kOwners, kOwners, [&](size_t o) {
      for (const auto& raw : txs[o])
        if (auto r = (*node)->submit_tx(raw); !r)
          std::fprintf(stderr, "proof tx rejected: %s\n", r.error().message.c_str());
    });
    t.admit_s += since(t0);
    t0 = Clock::now();
    while ((*node)->mempool_status().txs > 0) {
      if (auto r = (*node)->produce_block(now_ms += 1000); !r) {
        std::fprintf(stderr, "block failed: %s\n", r.error().message.c_str());
        return false;
      }
      ++t.blocks;
    }
    t.apply_s += since(t0);
    return true;
  };
  // The proofs (device, what), in that order, referencing `ref`, as each relayer's transactions.
  auto build_txs = [&](const std::vector<std::pair<size_t, MixProof>>& list, const storage::ChainTip& ref,
                       std::vector<Hash32>& hashes) {
    std::vector<std::vector<pb::Proof>> proofs(kOwners);
    for (const auto& [i, what] : list)
      proofs[i % kOwners].push_back(
          build_proof(mix, i, ++seq[i], what, ref, consumers[i % kOwners], consumer_seq[i % kOwners]));
    std::vector<std::vector<Bytes>> txs(kOwners);
    for (int o = 0; o < kOwners; ++o) txs[o] = pack_proofs(std::move(proofs[o]), relayers[o], g, hashes);
    return txs;
  };
  auto produce_to = [&](uint64_t height) {
    while ((*node)->tip().height < height)
      if (!(*node)->produce_block(now_ms += 1000)) return false;
    return true;
  };
  const uint64_t threshold =
      vm::challenge_threshold(g.depin.beacons_per_device_per_epoch, g.depin.epoch_blocks);
  const uint64_t window = g.depin.beacon_window_blocks;
  BeaconPlan plan;

  // Warm-up (not timed): the beacons the run reveals. The devices challenged at block h1[r − 1] (one
  // block per round) commit their beacons and have them witnessed now, and reveal in round r.
  std::vector<storage::ChainTip> h1;
  for (uint64_t r = 1; r <= kRounds; ++r) {
    auto t = (*node)->produce_block(now_ms += 1000);
    if (!t) return 1;
    h1.push_back(*t);
  }
  std::vector<uint64_t> reveal_round(n_dev, 0);  // 0: no warm-up beacon
  std::vector<std::pair<size_t, MixProof>> warm_beacons, warm_witnesses;
  for (uint64_t r = 1; r <= kRounds; ++r)
    for (size_t i = 0; i < n_dev; ++i) {
      if (reveal_round[i] != 0 || !vm::is_challenged(h1[r - 1].hash, fleet.ids[i], threshold)) continue;
      const uint64_t h = h1[r - 1].height;
      reveal_round[i] = r;
      warm_beacons.push_back({i, {MixKind::kBeacon, h, 0}});
      for (const size_t w : plan.witnesses_of(i, n_dev, g.depin))
        warm_witnesses.push_back({w, {MixKind::kWitness, h, i}});
      plan.extra[r][i].push_back({MixKind::kReveal, h, 0});
    }
  {
    std::vector<Hash32> hashes;
    PhaseTime t;
    for (const auto* list : {&warm_beacons, &warm_witnesses})
      if (!run_phase(build_txs(*list, (*node)->tip(), hashes), t)) return 1;
    ProofTally tally;
    tally.read(**node, hashes);
    if (!tally.check("warm-up (not timed)", {"BEACON", "COVERAGE_WITNESS"})) return 1;
  }

  // The run's references, made after the warm-up beacons' windows closed (their reveals are due).
  if (!produce_to(h1.back().height + window)) return 1;
  std::vector<storage::ChainTip> refs{(*node)->tip()};
  for (uint64_t b = 0; b < kRefSpacing * kRounds; ++b) {
    auto t = (*node)->produce_block(now_ms += 1000);
    if (!t) return 1;
    refs.push_back(*t);
  }
  // The run's beacons: round r's reference block challenges them. One beacon per device in the run,
  // and none before the device's warm-up beacon is revealed (a new beacon would replace it); their
  // witnesses record in the next round.
  std::vector<std::pair<size_t, MixProof>> run_reveals;  // after the run
  std::vector<bool> beaconed(n_dev, false);
  for (uint64_t r = 1; r < kRounds; ++r) {
    const storage::ChainTip& ref = refs[kRefSpacing * r];
    for (size_t i = 0; i < n_dev; ++i) {
      if (beaconed[i] || reveal_round[i] > r || !vm::is_challenged(ref.hash, fleet.ids[i], threshold))
        continue;
      beaconed[i] = true;
      plan.extra[r][i].push_back({MixKind::kBeacon, ref.height, 0});
      run_reveals.push_back({i, {MixKind::kReveal, ref.height, 0}});
      for (const size_t w : plan.witnesses_of(i, n_dev, g.depin))
        plan.extra[r + 1][w].push_back({MixKind::kWitness, ref.height, i});
    }
  }
  std::map<MixKind, uint64_t> mix_counts;
  std::vector<std::vector<std::vector<Bytes>>> round_txs;
  std::vector<Hash32> proof_tx_hashes;
  for (uint64_t r = 1; r <= kRounds; ++r) {
    std::vector<std::pair<size_t, MixProof>> list;
    for (size_t i = 0; i < n_dev; ++i) {
      list.push_back({i, {base_kind(r, i), 0, 0}});
      if (auto it = plan.extra[r].find(i); it != plan.extra[r].end())
        for (const MixProof& what : it->second) list.push_back({i, what});
    }
    for (const auto& item : list) ++mix_counts[item.second.kind];
    round_txs.push_back(build_txs(list, refs[kRefSpacing * r], proof_tx_hashes));
  }
  uint64_t n_proofs = 0;
  for (const auto& [kind, n] : mix_counts) n_proofs += n;

  // The timed run, round by round (a round's witnesses hear the beacons of the round before). By default as a
  // live node runs: the relayers admit round after round (each round on 2 threads, one per relayer, and a
  // round starts when the last one's transactions are all in the mempool, so a round's witnesses arrive after
  // the beacons they heard), while a producer thread cuts blocks from the mempool (a block once a block's
  // worth of batches waits, or when admission is done) and applies and commits them. --sequential 1: admit a
  // round, then produce its blocks, then the next round (admission and apply one after the other, a core idle
  // during apply).
  const bool sequential = arg(argc, argv, "sequential", 0) != 0;
  const size_t batches_per_block = 20;  // g.params.block_gas_limit above
  // Profiling the timed part alone: perf record -D -1 --control=fifo:F, and PERF_CTL_FIFO=F here.
  auto perf_ctl = [](const char* what) {
    if (const char* path = std::getenv("PERF_CTL_FIFO"))
      if (FILE* fifo = std::fopen(path, "w")) {
        std::fputs(what, fifo);
        std::fclose(fifo);
      }
  };
  perf_ctl("enable\n");
  const std::clock_t proof_cpu0 = std::clock();
  const auto run_t0 = Clock::now();
  PhaseTime run;
  if (sequential) {
    for (const auto& txs : round_txs)
      if (!run_phase(txs, run)) return 1;
  } else {
    std::atomic<bool> admitted_all{false}, failed{false};
    std::thread producer([&] {
      for (;;) {
        const size_t waiting = (*node)->mempool_status().txs;
        const bool done = admitted_all.load();
        if (waiting == 0 && done) return;
        if (waiting < batches_per_block && !done) {
          std::this_thread::sleep_for(std::chrono::microseconds(200));
          continue;
        }
        if (auto r = (*node)->produce_block(now_ms += 1000); !r) {
          std::fprintf(stderr, "block failed: %s\n", r.error().message.c_str());
          failed = true;
          return;
        }
        ++run.blocks;
      }
    });
    for (const auto& txs : round_txs)
      parallel_for(kOwners, kOwners, [&](size_t o) {
        for (const auto& raw : txs[o])
          if (auto r = (*node)->submit_tx(raw); !r)
            std::fprintf(stderr, "proof tx rejected: %s\n", r.error().message.c_str());
      });
    run.admit_s = since(run_t0);
    admitted_all = true;
    producer.join();
    if (failed) return 1;
    run.apply_s = since(run_t0) - run.admit_s;  // the blocks left when admission ended
  }
  const double run_wall_s = since(run_t0);
  perf_ctl("disable\n");
  const double proof_cpu_s = static_cast<double>(std::clock() - proof_cpu0) / CLOCKS_PER_SEC;
  // Every proof must have been accepted and every judged witness rewarded, or the figure would count
  // rejections (cheaper): the receipts say.
  ProofTally tally;
  tally.read(**node, proof_tx_hashes);
  if (!tally.check("run", {"UPTIME", "DATA_CONTRIBUTION", "LOCATION_ASSERTION", "BEACON", "COVERAGE_WITNESS",
                           "BEACON_REVEAL"}))
    return 1;
  if (tally.witnesses_rewarded != warm_witnesses.size()) {
    std::fprintf(stderr, "run: %llu of %zu warm-up witnesses rewarded at the reveals\n",
                 static_cast<unsigned long long>(tally.witnesses_rewarded), warm_witnesses.size());
    return 1;
  }
  // After the run (not timed): reveal the run's beacons once their windows closed, so that the reveals
  // judge the witnesses the run recorded: each must have had the right receipt.
  {
    if (!produce_to(refs[kRefSpacing * (kRounds - 1)].height + window)) return 1;
    std::vector<Hash32> hashes;
    PhaseTime t;
    if (!run_phase(build_txs(run_reveals, (*node)->tip(), hashes), t)) return 1;
    ProofTally after;
    after.read(**node, hashes);
    if (!after.check("the run's beacons revealed after it (not timed)", {"BEACON_REVEAL"})) return 1;
    if (after.witnesses_rewarded != mix_counts[MixKind::kWitness]) {
      std::fprintf(stderr, "%llu of %llu run witnesses rewarded at the reveals\n",
                   static_cast<unsigned long long>(after.witnesses_rewarded),
                   static_cast<unsigned long long>(mix_counts[MixKind::kWitness]));
      return 1;
    }
  }
  std::string mix_text;
  for (const auto& [kind, n] : mix_counts)
    mix_text += std::string(mix_text.empty() ? "" : ", ") + kind_name(kind) + " " + std::to_string(n) + " (" +
                std::to_string((n * 1000 / n_proofs + 5) / 10) + "%)";
  const double proof_rate = static_cast<double>(n_proofs) / run_wall_s;
  // The signature work alone bounds the figure: one P-256 verification per proof, plus one secp256k1
  // recovery per data proof (its usage receipt), each done once (the signature cache).
  // The raw rate again, right after the run: on a shared machine the load moves between the two, so
  // the figure is taken against their mean and both are printed.
  double raw2_after_cpu_s = 0;
  const double raw2_before = raw2;
  const double raw2_after = p256_rate(2, &raw2_after_cpu_s);
  const double raw2_mean = (raw2_before + raw2_after) / 2;
  const double recover2 = secp256k1_recover_rate();
  const double raw2_parsed = (raw2_parsed_before + p256_rate(2, nullptr, /*parsed_keys=*/true)) / 2;
  const double data_share = static_cast<double>(mix_counts[MixKind::kData]) / static_cast<double>(n_proofs);
  const double ceiling = 1.0 / (1.0 + data_share * raw2_mean / recover2);
  const double per_round = static_cast<double>(n_dev) / 100.0;  // devices per percent of the fleet
  std::printf(
      "proofs verified+applied+committed/s: %.0f  (%llu proofs in %llu rounds of %llu devices, all accepted; "
      "in %llu blocks, %.2f s; %s)\n",
      proof_rate, static_cast<unsigned long long>(n_proofs), static_cast<unsigned long long>(kRounds),
      static_cast<unsigned long long>(n_dev), static_cast<unsigned long long>(run.blocks), run_wall_s,
      (sequential
           ? "sequential: admission/verify on 2 threads " + std::to_string(run.admit_s) +
                 " s, then apply+commit " + std::to_string(run.apply_s) + " s"
           : "pipelined: admission/verify on 2 threads beside the producer, " + std::to_string(run.admit_s) +
                 " s, then the last blocks " + std::to_string(run.apply_s) + " s")
          .c_str());
  std::printf("  mix: %s\n", mix_text.c_str());
  std::printf(
      "  per round: %.1f%% of the devices beacon, %.1f%% reveal, %.1f%% witness (%.2f witnesses per beacon; "
      "beacon window %llu blocks, challenge odds %llu/%llu per block)\n",
      static_cast<double>(mix_counts[MixKind::kBeacon]) / (kRounds - 1) / per_round,
      static_cast<double>(mix_counts[MixKind::kReveal]) / kRounds / per_round,
      static_cast<double>(mix_counts[MixKind::kWitness]) / (kRounds - 1) / per_round,
      static_cast<double>(mix_counts[MixKind::kWitness]) /
          static_cast<double>(std::max<uint64_t>(1, mix_counts[MixKind::kBeacon])),
      static_cast<unsigned long long>(window),
      static_cast<unsigned long long>(g.depin.beacons_per_device_per_epoch),
      static_cast<unsigned long long>(g.depin.epoch_blocks));
  std::printf(
      "  = %.2f x the 2-thread raw P-256 rate (target >= 0.60: %s; raw rate before the run %.0f, after %.0f, "
      "mean %.0f: %.2f x before, %.2f x after)\n",
      proof_rate / raw2_mean, proof_rate >= 0.6 * raw2_mean ? "MET" : "NOT MET", raw2_before, raw2_after,
      raw2_mean, proof_rate / raw2_before, proof_rate / raw2_after);
  std::printf(
      "  against the 2-thread rate with keys parsed once (%.0f/s, mean of before and after): %.2f x\n",
      raw2_parsed, proof_rate / raw2_parsed);
  std::printf(
      "  signature work alone allows at most %.2f x: secp256k1 recoveries/s on 2 threads %.0f (%.2f P-256 "
      "verifications each), one per data proof (%.0f%% of the mix)\n",
      ceiling, recover2, raw2_mean / recover2, data_share * 100);
  // In the terms of the target before usage receipts, when a proof carried one signature: the
  // signatures checked per second, a recovery counted as the P-256 verifications it costs.
  std::printf(
      "  signatures checked/s in P-256 verifications: %.0f = %.2f x the raw rate (the rest of the time goes "
      "to decoding, mempool, apply and commit)\n",
      proof_rate / ceiling, proof_rate / ceiling / raw2_mean);
  // The same per CPU-second (proofs per CPU-second of admission + apply against verifications per
  // CPU-second of both raw measurements), which other work on a shared machine skews less than wall time.
  const double raw_per_cpu = raw2_cpu_s + raw2_after_cpu_s > 0 ? 40000 / (raw2_cpu_s + raw2_after_cpu_s) : 0;
  const double proofs_per_cpu = proof_cpu_s > 0 ? static_cast<double>(n_proofs) / proof_cpu_s : 0;
  std::printf(
      "  per CPU-second: %.0f proofs against %.0f raw verifications = %.2f (%.1f CPU-s for the proofs)\n",
      proofs_per_cpu, raw_per_cpu, raw_per_cpu > 0 ? proofs_per_cpu / raw_per_cpu : 0.0, proof_cpu_s);
  node->reset();
  std::filesystem::remove_all(dir);

  bench_epoch_close(close_devices, settle_devices);
  return 0;
}
