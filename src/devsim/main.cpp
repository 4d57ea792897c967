// physis-devsim: a fleet of simulated devices for a devnet. With the devnet's test manufacturer key it
// makes N P-256 device keys and certificates, registers the devices (SE_P256 evidence), then submits
// device-signed proofs at a given rate through a relayer account, printing progress, until the given
// number of epochs has closed (or Ctrl-C). It follows the service rules of doc/depin.md "Proofs": an
// uptime proof only once per uptime_interval_blocks; a device the chain challenges beacons (commits,
// then reveals after the window, beacons.h) and neighbours of another owner that hear it witness it, at
// most max_witnesses_per_beacon per beacon; its other proofs are data contributions paid by a consumer
// account (usage receipts, burned), and the devices sign their registration locations. Witnesses follow
// a radio model (radio.h): a device only witnesses a beacon it could hear, and reports the signal it
// would have received. --cheaters K adds K cheating
// devices (cheaters.h); --load turns the proof phase into a load generator that saturates the node
// (load.h). Test tool: it holds device keys in memory, which real devices never reveal.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "cli/cli_common.h"
#include "crypto/p256.h"
#include "crypto/pem.h"
#include "crypto/secp256k1.h"
#include "crypto/sha256.h"
#include "crypto/x509_builder.h"
#include "crypto/x509_chain.h"
#include "devsim/beacons.h"
#include "devsim/cheaters.h"
#include "devsim/devsim.h"
#include "devsim/load.h"
#include "devsim/radio.h"
#include "node/keyfile.h"
#include "primitives/depin_json.h"
#include "primitives/transaction.h"
#include "rpc/rpc_client.h"
#include "vm/apply.h"
#include "vm/attestation.h"
#include "vm/depin.h"
#include "vm/geo.h"

using namespace physis;
using namespace physis::devsim;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

using devsim::rpc;  // the helper, where physis::rpc is the client's namespace

void on_signal(int) { g_stop = true; }

constexpr const char* kUsage = R"(physis-devsim — simulated devices that register and earn rewards on a devnet

Usage: physis-devsim [options]
  --rpc URL                 node (default http://127.0.0.1:8545)
  --devices N               fleet size (default 10)
  --rate R                  proofs per second to submit (default 20)
  --epochs E                stop after E full epochs have closed after registration (default 3; 0 = run until Ctrl-C)
  --owner-key FILE[,FILE]   secp256k1 key files of the devices' owners, device i owned by the (i mod k)-th
                            (default genesis/devnet-keys/dev0.key; witnesses need two owners)
  --relayer-key FILE        secp256k1 key file that pays for proofs (default genesis/devnet-keys/dev1.key)
  --consumer-key FILE       secp256k1 key file of the account that uses the devices' data and pays for it
                            (usage receipts, burned; must own no device; default genesis/devnet-keys/dev2.key;
                            load mode uses consumer accounts of its own, one per relayer)
  --manufacturer-key FILE   P-256 PEM of the manufacturer root anchor (default genesis/devnet-keys/manufacturer-root.key.pem)
  --class N                 device class (default 1)
  --seed S                  device keys are derived from S, so a rerun finds the same devices (default 1)
  --witness-every K         0: no beacons and no witnesses; otherwise (default 4) the devices the chain
                            challenges beacon (commit, reveal after the window) and neighbours with
                            another owner that the radio model lets hear the beacon witness it
  --cheaters K              K more devices that cheat (default 0), at a site of their own far from the
                            fleet, owned by the first owner: each round one spam uptime or unpaid data
                            claim or witness of an unheard or same-owner beacon, a replay of an old
                            proof, and every 5 rounds a location jump; the summary tallies per kind what
                            was sent and the reject reasons the receipts gave
  --cheats LIST             the kinds the cheaters use, comma-separated (default all): spam_uptime,
                            unpaid_data, unheard_witness, same_owner_witness, location_jump, replay
Load mode (instead of the paced proofs; registration as above):
  --load                    saturate the node: relayers with their own accounts (funded from
                            --relayer-key), each with several batches in flight; prints accepted proofs/s
  --relayers R              relayer threads and accounts (default 2)
  --in-flight K             batches each relayer keeps pending (default 16)
  --batch B                 proofs per batch (default max_proofs_per_tx)
  --duration S              seconds of load (default 60; 0 = until Ctrl-C)
  --presign N               sign N data proofs before the load starts (default 0), so that the
                            generator's signing does not compete with the node during the window;
                            batches whose reference would be too old when included are dropped
Prints progress lines on stderr and a JSON summary on stdout.
)";

// A location is the device's word (doc/depin.md "Locations"): the device key signs the registration's
// location over the evidence's reference block.
void sign_registration_location(pb::RegisterDevice* reg, const crypto::P256PrivateKey& key,
                                const std::string& chain_id) {
  const auto& ev = reg->evidence();
  const Hash32 digest = vm::location_digest(chain_id, vm::device_id_of(ev.kind(), as_span(ev.device_key())),
                                            reg->location(), ev.ref_height(), as_span(ev.ref_block_hash()));
  reg->set_location_signature(to_string(*crypto::p256_sign(key, digest)));
}

int run(const cli::Args& a) {
  const std::string url = a.has("rpc") ? a.get("rpc") : "http://127.0.0.1:8545";
  const uint64_t n = a.has("devices") ? cli::parse_u64(a.get("devices"), "--devices") : 10;
  const uint64_t rate = std::max<uint64_t>(1, a.has("rate") ? cli::parse_u64(a.get("rate"), "--rate") : 20);
  const uint64_t epochs = a.has("epochs") ? cli::parse_u64(a.get("epochs"), "--epochs") : 3;
  const uint64_t seed = a.has("seed") ? cli::parse_u64(a.get("seed"), "--seed") : 1;
  const uint64_t witness_every =
      a.has("witness-every") ? cli::parse_u64(a.get("witness-every"), "--witness-every") : 4;
  const uint32_t device_class =
      static_cast<uint32_t>(a.has("class") ? cli::parse_u64(a.get("class"), "--class") : 1);
  const uint64_t cheaters = a.has("cheaters") ? cli::parse_u64(a.get("cheaters"), "--cheaters") : 0;
  std::set<CheatKind> cheat_kinds;
  try {
    cheat_kinds = parse_cheat_kinds(a.has("cheats") ? a.get("cheats") : "all");
  } catch (const std::runtime_error& e) {
    throw cli::UsageError(std::string("--cheats: ") + e.what());
  }
  const bool load = a.has("load");
  if (load && cheaters > 0) throw cli::UsageError("--cheaters does not combine with --load");
  if (load && n == 0) throw cli::UsageError("--load needs devices (--devices N, N > 0)");
  std::vector<crypto::PrivateKey> owner_keys;
  std::vector<Address> owners;
  const std::string owner_files = a.has("owner-key") ? a.get("owner-key") : "genesis/devnet-keys/dev0.key";
  for (size_t start = 0; start <= owner_files.size();) {
    const size_t comma = std::min(owner_files.find(',', start), owner_files.size());
    auto key = node::read_key_file(owner_files.substr(start, comma - start));
    if (!key) throw std::runtime_error(key.error().message);
    owner_keys.push_back(*key);
    owners.push_back(crypto::address_of(*crypto::public_key_of(*key)));
    start = comma + 1;
  }
  auto relayer_key =
      node::read_key_file(a.has("relayer-key") ? a.get("relayer-key") : "genesis/devnet-keys/dev1.key");
  auto maker_key = crypto::p256_private_key_from_pem_file(
      a.has("manufacturer-key") ? a.get("manufacturer-key")
                                : "genesis/devnet-keys/manufacturer-root.key.pem");
  auto consumer_key =
      node::read_key_file(a.has("consumer-key") ? a.get("consumer-key") : "genesis/devnet-keys/dev2.key");
  // Load mode pays with consumer accounts of its own (load.h); only the paced proofs need this one.
  if (!consumer_key && !load) throw std::runtime_error(consumer_key.error().message);
  if (!relayer_key) throw std::runtime_error(relayer_key.error().message);
  if (!maker_key) throw std::runtime_error(maker_key.error().message);

  json status = rpc(url, "chain_status", json::object());
  json params = rpc(url, "depin_getParams", json::object());
  const std::string chain_id = status["chain_id"].get<std::string>();
  const uint64_t epoch_blocks = params["epoch_blocks"].get<uint64_t>();
  if (epoch_blocks == 0) throw std::runtime_error("depin_getParams: epoch_blocks is 0");
  const uint64_t uptime_interval = params.value("uptime_interval_blocks", uint64_t{1});
  BeaconOptions beacon_options;
  beacon_options.url = url;
  beacon_options.seed = seed;
  beacon_options.epoch_blocks = epoch_blocks;
  beacon_options.max_witnesses = params.value("max_witnesses_per_beacon", uint32_t{1});
  beacon_options.beacons_per_device_per_epoch = params.value("beacons_per_device_per_epoch", uint64_t{1});
  beacon_options.window = params.value("beacon_window_blocks", uint64_t{1});
  RadioParams radio_params;
  radio_params.rssi_at_1m_dbm = params.value("witness_rssi_at_1m_dbm", -10);
  radio_params.chain_min_rssi_dbm = params.value("witness_min_rssi_dbm", radio_params.chain_min_rssi_dbm);
  radio_params.chain_min_snr_db_x10 =
      params.value("witness_min_snr_db_x10", radio_params.chain_min_snr_db_x10);
  radio_params.chain_max_snr_db_x10 =
      params.value("witness_max_snr_db_x10", radio_params.chain_max_snr_db_x10);
  const RadioModel radio(radio_params);
  const Bytes anchor_spki = crypto::p256_spki_der(*crypto::p256_public_key(*maker_key));
  const Hash32 anchor_id = crypto::spki_id(anchor_spki);
  std::fprintf(stderr,
               "devsim: chain %s, anchor %s, %llu devices, %llu cheaters, radio range up to %.1f km\n",
               chain_id.c_str(), to_hex0x(anchor_id).c_str(), static_cast<unsigned long long>(n),
               static_cast<unsigned long long>(cheaters), radio.max_range_m() / 1000);

  // 1. Devices: keys, certificates, registration.
  std::vector<Device> fleet(n + cheaters);  // the honest devices, then the cheaters
  std::vector<Sender> owner_tx;
  for (const auto& k : owner_keys) owner_tx.emplace_back(url, k, chain_id);
  std::vector<std::string> pending;
  uint64_t registered = 0;
  // Waits for the registrations sent so far; called every few hundred, as the mempool holds at most
  // 1,000 pending transactions per sender.
  auto wait_registrations = [&] {
    for (size_t i = registered; i < pending.size(); ++i) {
      json r = wait_receipt(url, pending[i]);
      if (r["status"] != "success") throw std::runtime_error("registration failed: " + r.dump());
      if (++registered % 100 == 0 || registered == pending.size())
        std::fprintf(stderr, "devsim: registered %llu/%zu new devices\n",
                     static_cast<unsigned long long>(registered), pending.size());
    }
  };
  for (uint64_t i = 0; i < fleet.size(); ++i) {
    Device& d = fleet[i];
    d.owner = i % owners.size();
    d.key = derive_key(seed, i);
    d.pub = *crypto::p256_public_key(d.key);
    d.id = vm::device_id_of(pb::SE_P256, d.pub);
    // A grid with 2 km spacing around Lisbon: neighbours are plausible witnesses.
    d.lat_e7 = 387000000 + static_cast<int64_t>(i % 10) * 180000;
    d.lon_e7 = -91000000 + static_cast<int64_t>(i / 10) * 230000;
    if (i >= n) make_cheater(d, seed, i - n);
    if (auto existing = rpc::rpc_call(url, "depin_getDevice", {{"id", to_hex0x(d.id)}})) {
      d.seq = (*existing)["seq"].get<uint64_t>();
      continue;
    }
    crypto::CertSpec spec;
    spec.serial = 1000 + i;
    spec.issuer_cn = "Physis Devnet Test Manufacturer";
    spec.subject_cn = "devsim-" + std::to_string(seed) + "-" + std::to_string(i);
    spec.subject_key = d.pub;
    auto cert = crypto::build_certificate(spec, *maker_key);
    if (!cert) throw std::runtime_error("certificate: " + cert.error().message);
    json tip = rpc(url, "chain_status", json::object());
    pb::TxBody body;
    auto* reg = body.mutable_register_device();
    auto* ev = reg->mutable_evidence();
    ev->set_kind(pb::SE_P256);
    ev->set_device_class(device_class);
    ev->set_key_type(pb::KEY_P256);
    ev->set_device_key(to_string(d.pub));
    ev->set_anchor_id(to_string(anchor_id));
    ev->add_cert_chain(to_string(*cert));
    ev->set_ref_height(tip["height"].get<uint64_t>());
    ev->set_ref_block_hash(to_string(*from_hex(tip["latest_hash"].get<std::string>())));
    auto pop =
        crypto::p256_sign(d.key, crypto::sha256(vm::registration_message(chain_id, *ev, owners[d.owner])));
    ev->set_pop_signature(to_string(*pop));
    reg->mutable_location()->mutable_latlon()->set_lat_e7(static_cast<int32_t>(d.lat_e7));
    reg->mutable_location()->mutable_latlon()->set_lon_e7(static_cast<int32_t>(d.lon_e7));
    sign_registration_location(reg, d.key, chain_id);
    pending.push_back(owner_tx[d.owner].send(body));
    if (pending.size() - registered >= 400 * owners.size()) wait_registrations();
  }
  wait_registrations();
  json owner_list = json::array();
  for (const auto& o : owners) owner_list.push_back(crypto::address_to_string(o));

  if (load) {  // 2'. Load mode instead of paced proofs.
    LoadOptions lo;
    lo.url = url;
    lo.chain_id = chain_id;
    lo.seed = seed;
    lo.relayers = a.has("relayers") ? cli::parse_u64(a.get("relayers"), "--relayers") : 2;
    lo.in_flight =
        std::max<uint64_t>(1, a.has("in-flight") ? cli::parse_u64(a.get("in-flight"), "--in-flight") : 16);
    const uint64_t max_batch = params["max_proofs_per_tx"].get<uint64_t>();
    lo.batch = std::clamp<uint64_t>(a.has("batch") ? cli::parse_u64(a.get("batch"), "--batch") : max_batch, 1,
                                    max_batch);
    lo.duration_s = a.has("duration") ? cli::parse_u64(a.get("duration"), "--duration") : 60;
    lo.epoch_blocks = epoch_blocks;
    lo.uptime_interval = uptime_interval;
    lo.ref_window = params["ref_window"].get<uint64_t>();
    lo.presign = a.has("presign") ? cli::parse_u64(a.get("presign"), "--presign") : 0;
    lo.funder = *relayer_key;
    json result = run_load(lo, fleet);
    json summary = {{"devices", n}, {"registered", registered}, {"owners", owner_list}, {"load", result}};
    std::cout << summary.dump(2) << std::endl;
    return 0;
  }

  // 2. Proofs at the given rate until `epochs` epochs have closed.
  Sender relayer(url, *relayer_key, chain_id);
  const uint64_t start_epoch =
      rpc(url, "chain_status", json::object())["height"].get<uint64_t>() / epoch_blocks;
  const uint64_t stop_epoch =
      start_epoch + epochs + 1;  // epochs start..start+epochs-1 closed when stop_epoch begins
  uint64_t sent = 0, accepted = 0, rejected = 0, next_device = 0;
  std::map<std::string, uint64_t> rejected_by_reason;
  uint64_t consumer_seq = consumer_last_seq(url, *consumer_key);
  beacon_options.chain_id = chain_id;
  HonestBeacons beacons(fleet, n, radio, beacon_options);
  CheaterFleet cheater_fleet(fleet, n, cheat_kinds, radio, chain_id, epoch_blocks);
  uint64_t round = 0;
  auto last_report = Clock::now();
  while (!g_stop) {
    auto round_start = Clock::now();
    json tip = rpc(url, "chain_status", json::object());
    const uint64_t height = tip["height"].get<uint64_t>();
    if (epochs > 0 && height / epoch_blocks >= stop_epoch) break;
    const std::string ref_hash = to_string(*from_hex(tip["latest_hash"].get<std::string>()));
    pb::TxBody body;
    // Room for the cheaters' proofs (at most 2 each) in the batch.
    const uint64_t batch = std::min<uint64_t>(
        rate, params["max_proofs_per_tx"].get<uint64_t>() - std::min<uint64_t>(2 * cheaters, 250));
    std::vector<size_t> in_batch;
    // Beacons, witnesses and reveals first (their results come back at the start of the receipt),
    // then one proof per other device, so that every device's seqs in the batch are in order.
    std::set<size_t> busy;
    if (witness_every > 0) {
      beacons.observe(height);
      beacons.add_proofs(*body.mutable_submit_proofs(), height, ref_hash, busy);
    }
    const size_t first = static_cast<size_t>(body.submit_proofs().proofs_size());
    for (uint64_t k = 0; k < batch && k < n; ++k) {
      size_t i = next_device++ % n;
      if (busy.count(i)) continue;
      Device& d = fleet[i];
      pb::Proof p;
      p.set_device_id(to_string(d.id));
      p.set_seq(d.seq + 1);
      p.set_ref_height(height);
      p.set_ref_block_hash(ref_hash);
      p.set_epoch(height / epoch_blocks);
      auto* pl = p.mutable_payload();
      if (height >= d.next_uptime_ref) {  // uptime is time served: one per uptime_interval_blocks
        pl->set_kind(pb::UPTIME);
        pl->set_uptime_seconds(60);
        d.next_uptime_ref = height + uptime_interval;
      } else {
        pl->set_kind(pb::DATA_CONTRIBUTION);
        pl->set_data_bytes(static_cast<uint64_t>(1 + i % 5) << 20);
        attach_usage_receipt(p, *consumer_key, consumer_seq, chain_id);
      }
      p.set_signature(to_string(*crypto::p256_sign(d.key, vm::proof_digest(chain_id, p))));
      *body.mutable_submit_proofs()->add_proofs() = std::move(p);
      in_batch.push_back(i);
    }
    cheater_fleet.add_proofs(*body.mutable_submit_proofs(), height, ref_hash);
    cheater_fleet.jump_locations(owner_tx, round++);
    json r;
    try {
      r = wait_receipt(url, relayer.send(body));
    } catch (const Interrupted&) {
      break;
    }
    const json results = r.value("proofs", json::array());
    for (const std::string& reason : beacons.take_results(results)) {
      ++rejected;
      ++rejected_by_reason[reason];
    }
    cheater_fleet.take_results(results, first + in_batch.size());
    cheater_fleet.poll_jumps(url);
    for (const auto& pr : results) {
      const size_t index = pr["index"].get<size_t>();
      if (index < first) {  // a beacon, witness or reveal
        accepted += pr["accepted"].get<bool>();
        continue;
      }
      if (index - first >= in_batch.size()) continue;  // a cheater's
      Device& d = fleet[in_batch[index - first]];
      if (pr["accepted"].get<bool>()) {
        ++accepted;
        d.seq = pr["seq"].get<uint64_t>();
      } else {
        ++rejected;
        ++rejected_by_reason[pr.value("reason", std::string("?"))];
        // An uptime proof included later than expected may count at the epoch start: try again soon.
        if (pr.value("reason", std::string()) == "too_frequent") d.next_uptime_ref = height + 1;
        d.seq = rpc(url, "depin_getDevice", {{"id", to_hex0x(d.id)}})["seq"].get<uint64_t>();
      }
    }
    sent += in_batch.size() + first;
    if (Clock::now() - last_report > std::chrono::seconds(3)) {
      json ep = rpc(url, "depin_getEpoch", json::object());
      std::fprintf(
          stderr,
          "devsim: height %llu epoch %llu: proofs sent %llu accepted %llu rejected %llu; epoch weight %llu\n",
          static_cast<unsigned long long>(height),
          static_cast<unsigned long long>(ep["epoch"].get<uint64_t>()), static_cast<unsigned long long>(sent),
          static_cast<unsigned long long>(accepted), static_cast<unsigned long long>(rejected),
          static_cast<unsigned long long>(ep["total_weight"].get<uint64_t>()));
      last_report = Clock::now();
    }
    // One batch per second at `rate` proofs; the wait for inclusion already took most of it.
    auto elapsed = Clock::now() - round_start;
    if (elapsed < std::chrono::seconds(1)) std::this_thread::sleep_for(std::chrono::seconds(1) - elapsed);
  }
  json ids = json::array();
  for (uint64_t i = 0; i < n; ++i) ids.push_back(to_hex0x(fleet[i].id));
  json summary = {{"devices", n},
                  {"registered", registered},
                  {"proofs_sent", sent},
                  {"proofs_accepted", accepted},
                  {"proofs_rejected", rejected},
                  {"rejected_by_reason", rejected_by_reason},
                  {"beacons", beacons.summary()},
                  {"start_epoch", start_epoch},
                  {"owner", owner_list[0]},
                  {"owners", owner_list},
                  {"device_ids", ids}};
  if (cheaters > 0) {
    std::this_thread::sleep_for(std::chrono::seconds(2));  // the last location jumps get included
    cheater_fleet.poll_jumps(url);
    summary["cheaters"] = cheater_fleet.summary();
    std::fprintf(stderr, "devsim: cheaters: %s\n", summary["cheaters"]["by_kind"].dump().c_str());
  }
  std::cout << summary.dump(2) << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  for (const auto& w : words)
    if (w == "--help" || w == "-h") {
      std::cout << kUsage;
      return 0;
    }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  try {
    const cli::CommandSpec spec{"physis-devsim",
                                {"rpc", "devices", "rate", "epochs", "seed", "witness-every", "class",
                                 "cheaters", "cheats", "relayers", "in-flight", "batch", "duration",
                                 "presign", "owner-key", "relayer-key", "consumer-key", "manufacturer-key"},
                                {"load"},
                                kUsage,
                                ""};
    return run(cli::parse_args(words, spec));
  } catch (const Interrupted&) {
    std::cerr << "physis-devsim: interrupted\n";
    return 130;
  } catch (const cli::UsageError& e) {
    std::cerr << "physis-devsim: " << e.what() << "; see --help\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "physis-devsim: " << e.what() << "\n";
    return 1;
  }
}
