#include "devsim/cheaters.h"

#include <stdexcept>

#include "crypto/sha256.h"
#include "primitives/transaction.h"
#include "rpc/rpc_client.h"
#include "vm/attestation.h"
#include "vm/depin.h"
#include "vm/geo.h"

namespace physis::devsim {

namespace {
// The cheaters' site: about 300 km north of the honest fleet (Lisbon), beyond the devnet's
// witness_max_distance_m of 100 km, so nothing there can hear the fleet's beacons.
constexpr int64_t kSiteLatE7 = 415000000;
constexpr int64_t kSiteLonE7 = -86000000;
constexpr int64_t kJumpLatE7 = 3000000;  // a move of 0.3° (≈ 33 km), back and forth
constexpr uint64_t kJumpEveryRounds = 5;
constexpr uint64_t kUnpaidMiB = 64;
constexpr uint64_t kCheaterKeyBase = uint64_t{1} << 40;  // device key indices of the cheaters

constexpr CheatKind kAllKinds[] = {CheatKind::kSpamUptime,     CheatKind::kUnpaidData,
                                   CheatKind::kUnheardWitness, CheatKind::kSameOwnerWitness,
                                   CheatKind::kLocationJump,   CheatKind::kReplay};

uint64_t distance(const Device& a, const Device& b) {
  return vm::distance_m(a.lat_e7, a.lon_e7, b.lat_e7, b.lon_e7);
}
uint64_t link_id(const Device& d) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = v << 8 | d.id[i];
  return v;
}
}  // namespace

std::string_view cheat_kind_name(CheatKind kind) {
  switch (kind) {
    case CheatKind::kSpamUptime: return "spam_uptime";
    case CheatKind::kUnpaidData: return "unpaid_data";
    case CheatKind::kUnheardWitness: return "unheard_witness";
    case CheatKind::kSameOwnerWitness: return "same_owner_witness";
    case CheatKind::kLocationJump: return "location_jump";
    case CheatKind::kReplay: return "replay";
  }
  return "unknown";
}

std::set<CheatKind> parse_cheat_kinds(const std::string& list) {
  std::set<CheatKind> out;
  for (size_t start = 0; start <= list.size();) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string word = list.substr(start, comma - start);
    start = comma + 1;
    if (word.empty()) continue;
    bool known = false;
    for (CheatKind k : kAllKinds)
      if (word == "all" || word == cheat_kind_name(k)) {
        out.insert(k);
        known = true;
      }
    if (!known) throw std::runtime_error("unknown cheat kind '" + word + "'");
  }
  return out;
}

void make_cheater(Device& d, uint64_t seed, uint64_t index) {
  d.key = derive_key(seed, kCheaterKeyBase + index);
  d.pub = *crypto::p256_public_key(d.key);
  d.id = vm::device_id_of(pb::SE_P256, d.pub);
  d.owner = 0;
  d.lat_e7 = kSiteLatE7 + static_cast<int64_t>(index % 5) * 180000;
  d.lon_e7 = kSiteLonE7 + static_cast<int64_t>(index / 5) * 230000;
}

CheaterFleet::CheaterFleet(std::vector<Device>& fleet, size_t honest, std::set<CheatKind> kinds,
                           RadioModel radio, std::string chain_id, uint64_t epoch_blocks)
    : fleet_(fleet),
      honest_(honest),
      kinds_(std::move(kinds)),
      radio_(radio),
      chain_id_(std::move(chain_id)),
      epoch_blocks_(epoch_blocks),
      cycle_(fleet.size() - honest, 0),
      accepted_(fleet.size() - honest) {
  for (CheatKind k : kinds_) tally_[k];  // every chosen kind shows in the summary, even if never sent
}

std::optional<size_t> CheaterFleet::unheard_target(size_t c) const {
  // A device of another owner that `c` cannot hear, the choice rotating over the fleet.
  for (size_t o = 0; o < fleet_.size(); ++o) {
    const size_t j = (cycle_[c - honest_] * 7 + o) % fleet_.size();
    if (j == c || fleet_[j].owner == fleet_[c].owner) continue;
    if (!radio_.hear(distance(fleet_[c], fleet_[j]), link_id(fleet_[c]), link_id(fleet_[j]))) return j;
  }
  return std::nullopt;
}

std::optional<size_t> CheaterFleet::same_owner_target(size_t c) const {
  // Another cheater of the same owner first (in radio range, so only the owner rule stands against
  // it); otherwise any device of the same owner.
  std::optional<size_t> any;
  for (size_t o = 1; o < fleet_.size(); ++o) {
    const size_t j = (c + o) % fleet_.size();
    if (fleet_[j].owner != fleet_[c].owner) continue;
    if (j >= honest_) return j;
    if (!any) any = j;
  }
  return any;
}

CheatKind CheaterFleet::next_fresh_kind(size_t c) {
  // Spam uptime every other round, the other proof kinds in turn in between.
  std::vector<CheatKind> others;
  for (CheatKind k : {CheatKind::kUnpaidData, CheatKind::kUnheardWitness, CheatKind::kSameOwnerWitness})
    if (kinds_.count(k)) others.push_back(k);
  const bool spam = kinds_.count(CheatKind::kSpamUptime) > 0;
  const uint64_t step = cycle_[c - honest_]++;
  if (others.empty()) return CheatKind::kSpamUptime;
  if (!spam) return others[step % others.size()];
  return step % 2 == 0 ? CheatKind::kSpamUptime : others[(step / 2) % others.size()];
}

void CheaterFleet::add_proofs(pb::SubmitProofs& batch, uint64_t height, const std::string& ref_hash) {
  pending_.clear();
  const bool fresh_kinds = kinds_.count(CheatKind::kSpamUptime) || kinds_.count(CheatKind::kUnpaidData) ||
                           kinds_.count(CheatKind::kUnheardWitness) ||
                           kinds_.count(CheatKind::kSameOwnerWitness);
  for (size_t c = honest_; c < fleet_.size(); ++c) {
    Device& d = fleet_[c];
    if (kinds_.count(CheatKind::kReplay) && accepted_[c - honest_]) {
      *batch.add_proofs() = *accepted_[c - honest_];
      pending_.push_back({c, CheatKind::kReplay, std::nullopt});
    }
    if (!fresh_kinds) continue;
    pb::Proof p;
    p.set_device_id(to_string(d.id));
    p.set_seq(d.seq + 1);
    p.set_ref_height(height);
    p.set_ref_block_hash(ref_hash);
    p.set_epoch(height / epoch_blocks_);
    auto* pl = p.mutable_payload();
    CheatKind kind = next_fresh_kind(c);
    std::optional<size_t> target;
    if (kind == CheatKind::kUnheardWitness) target = unheard_target(c);
    if (kind == CheatKind::kSameOwnerWitness) target = same_owner_target(c);
    if ((kind == CheatKind::kUnheardWitness || kind == CheatKind::kSameOwnerWitness) && !target) {
      if (!kinds_.count(CheatKind::kSpamUptime)) continue;  // nothing to witness and no spam to send
      kind = CheatKind::kSpamUptime;
    }
    switch (kind) {
      case CheatKind::kSpamUptime:
        pl->set_kind(pb::UPTIME);
        pl->set_uptime_seconds(60);
        break;
      case CheatKind::kUnpaidData:
        pl->set_kind(pb::DATA_CONTRIBUTION);
        pl->set_data_bytes(kUnpaidMiB << 20);
        break;
      case CheatKind::kUnheardWitness:
      case CheatKind::kSameOwnerWitness: {
        pl->set_kind(pb::COVERAGE_WITNESS);
        pl->set_beaconer(to_string(fleet_[*target].id));
        // What the device would report had it heard the beacon; a made-up weak signal when it could not.
        auto rx = radio_.hear(distance(d, fleet_[*target]), link_id(d), link_id(fleet_[*target]));
        pl->set_rssi_dbm(rx ? rx->rssi_dbm : -118);
        pl->set_snr_db_x10(rx ? rx->snr_db_x10 : -20);
        // It never heard the secret: it names a recent height and makes up a receipt. The chain
        // refuses it on the distance or owner rules before it looks for the beacon.
        pl->set_challenge_height(height);
        Bytes junk(d.id.begin(), d.id.end());
        append_u64_be(junk, height);
        const Hash32 receipt = crypto::sha256(junk);
        pl->set_beacon_receipt(to_string(receipt));
        break;
      }
      case CheatKind::kLocationJump:
      case CheatKind::kReplay: continue;  // not fresh proofs
    }
    p.set_signature(to_string(*crypto::p256_sign(d.key, vm::proof_digest(chain_id_, p))));
    *batch.add_proofs() = p;
    pending_.push_back({c, kind, std::move(p)});
  }
}

void CheaterFleet::take_results(const json& proof_results, size_t first_index) {
  for (const auto& pr : proof_results) {
    const size_t index = pr["index"].get<size_t>();
    if (index < first_index || index - first_index >= pending_.size()) continue;
    Pending& p = pending_[index - first_index];
    const bool ok = pr["accepted"].get<bool>();
    count(p.kind, ok, pr.value("reason", std::string("?")));
    if (ok && p.proof) {
      fleet_[p.device].seq = p.proof->seq();
      accepted_[p.device - honest_] = std::move(p.proof);
    }
  }
  pending_.clear();
}

void CheaterFleet::count(CheatKind kind, bool accepted, const std::string& reason) {
  Tally& t = tally_[kind];
  ++t.sent;
  if (accepted)
    ++t.accepted;
  else
    ++t.rejected[reason];
}

void CheaterFleet::jump_locations(std::vector<Sender>& owner_tx, uint64_t round) {
  if (!kinds_.count(CheatKind::kLocationJump) || round % kJumpEveryRounds != kJumpEveryRounds - 1) return;
  for (size_t c = honest_; c < fleet_.size(); ++c) {
    Device& d = fleet_[c];
    d.lat_e7 += (round / kJumpEveryRounds) % 2 == 0 ? kJumpLatE7 : -kJumpLatE7;
    pb::TxBody body;
    auto* u = body.mutable_update_device();
    u->set_device_id(to_string(d.id));
    u->mutable_location()->mutable_latlon()->set_lat_e7(static_cast<int32_t>(d.lat_e7));
    u->mutable_location()->mutable_latlon()->set_lon_e7(static_cast<int32_t>(d.lon_e7));
    auto hash = owner_tx[d.owner].try_send(body);
    if (hash) {
      jumps_.emplace_back(*hash, CheatKind::kLocationJump);
    } else {
      count(CheatKind::kLocationJump, false, "refused: " + hash.error().message.substr(0, 60));
      owner_tx[d.owner].resync();
    }
  }
}

void CheaterFleet::poll_jumps(const std::string& url) {
  while (!jumps_.empty()) {
    auto r = rpc::rpc_call(url, "chain_getReceipt", {{"hash", jumps_.front().first}});
    if (!r) return;  // not included yet; the later ones are not either (one sender, nonce order)
    const bool ok = (*r)["status"] == "success";
    count(jumps_.front().second, ok, ok ? "" : (*r).value("reason", std::string("?")));
    jumps_.pop_front();
  }
}

json CheaterFleet::summary() const {
  json kinds = json::object();
  for (const auto& [kind, t] : tally_)
    kinds[std::string(cheat_kind_name(kind))] = {
        {"sent", t.sent}, {"accepted", t.accepted}, {"rejected", t.rejected}};
  json ids = json::array();
  for (size_t c = honest_; c < fleet_.size(); ++c) ids.push_back(to_hex0x(fleet_[c].id));
  return {{"by_kind", kinds}, {"device_ids", ids}};
}

}  // namespace physis::devsim
