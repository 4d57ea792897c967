#include "devsim/load.h"

#include <chrono>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "primitives/transaction.h"
#include "rpc/rpc_client.h"
#include "util/amount.h"
#include "vm/apply.h"
#include "vm/depin.h"

namespace physis::devsim {

namespace {

using Clock = std::chrono::steady_clock;

constexpr Amount kToken = static_cast<Amount>(1'000'000'000'000'000'000ULL);  // 1 token of 18 decimals
constexpr Amount kRelayerFunds = kToken;  // gas of about 100,000 batches at the devnet's minimum price
// What the consumers pay for usage (burned): at most 5 MiB per proof at the devnet's 0.001 token per
// MiB, 0.005 token a proof, so 10,000 tokens pay for two million proofs.
constexpr Amount kConsumerFunds = kToken * 10'000;
// Room for the transaction around its proofs: chain id, nonce, gas fields, payload tags, signature.
constexpr size_t kTxEnvelopeBytes = 512;

// The chain tip, polled by one thread so that relayers do not each ask for it per batch.
class TipWatcher {
 public:
  explicit TipWatcher(std::string url) : url_(std::move(url)) { poll(); }
  ~TipWatcher() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  void start() {
    thread_ = std::thread([this] {
      while (!stop_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        poll();
      }
    });
  }
  std::pair<uint64_t, std::string> get() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return {height_, hash_};
  }

 private:
  void poll() {
    auto s = rpc::rpc_call(url_, "chain_status", json::object());
    if (!s) return;  // keep the last tip; a proof with an older reference is still in the window
    std::lock_guard<std::mutex> lock(mutex_);
    height_ = (*s)["height"].get<uint64_t>();
    hash_ = to_string(*from_hex((*s)["latest_hash"].get<std::string>()));
  }
  std::string url_;
  mutable std::mutex mutex_;
  uint64_t height_ = 0;
  std::string hash_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Totals of all relayers. Counts after the window closed go to the late_ fields.
struct Counters {
  std::atomic<uint64_t> sent{0}, accepted{0}, rejected{0}, late_accepted{0}, send_refusals{0},
      dropped_batches{0}, dropped_presigned{0}, gas_sent{0};
  std::mutex mutex;
  std::map<std::string, uint64_t> rejected_by_reason;  // guarded by mutex
  std::map<std::string, uint64_t> refusals_by_code;    // guarded by mutex
  std::atomic<int64_t> first_receipt_ms{-1};           // since the start of the window
};

struct Signed {
  size_t device;
  uint64_t prev_next_uptime;  // to undo if the node refuses the batch
  uint64_t seq;
  uint32_t generation;  // the device's generation when signed (see Relayer::generation_)
};

struct InFlight {
  std::string hash;
  uint64_t ref_height = 0;
  uint64_t sent_at_height = 0;  // the tip when it was sent (a presigned batch's reference is older)
  std::vector<Signed> proofs;
};

class Relayer {
 public:
  Relayer(const LoadOptions& o, crypto::PrivateKey key, crypto::PrivateKey consumer,
          std::vector<Device>& fleet, std::vector<size_t> mine, const TipWatcher& tip, Counters& c,
          const std::atomic<bool>& window_over, const Clock::time_point& start)
      : o_(o),
        sender_(o.url, key, o.chain_id),
        consumer_(consumer),
        consumer_seq_(consumer_last_seq(o.url, consumer)),
        fleet_(fleet),
        mine_(std::move(mine)),
        tip_(tip),
        c_(c),
        window_over_(window_over),
        start_(start),
        generation_(fleet.size(), 0),
        signers_(fleet.size()) {}

  void run() {
    while (!window_over_ && !g_stop) {
      bool progressed = false;
      if (q_.size() < o_.in_flight) progressed |= send_batch();
      if (!q_.empty()) progressed |= take_receipt();
      if (!progressed) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // Batches still in flight: their proofs are counted as late, for at most 20 s.
    auto deadline = Clock::now() + std::chrono::seconds(20);
    while (!q_.empty() && !g_stop && Clock::now() < deadline)
      if (!take_receipt()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  // Signs batches of data proofs ahead, until `count` proofs are ready (before the window: the
  // signing then does not compete with the node for the cores). They reference the tip of the moment
  // they are signed, so they are sent in that order and dropped if they get too old (send_batch).
  void presign(uint64_t count) {
    uint64_t n = 0;
    while (n < count && !g_stop) {
      ready_.push_back(sign_batch(/*live=*/false));
      n += ready_.back().proofs.size();
    }
  }
  uint64_t presigned() const {
    uint64_t n = 0;
    for (const Ready& b : ready_) n += b.proofs.size();
    return n;
  }

 private:
  // A signed batch not yet taken by the node.
  struct Ready {
    pb::TxBody body;
    std::vector<Signed> proofs;
    uint64_t ref_height = 0;
  };

  // Signs the next batch: up to o_.batch proofs of this relayer's devices in turn, as many as fit in a
  // transaction (kMaxTxBytes: 500 data proofs with their receipts do not). `live`: signed for sending
  // now, so uptime proofs are made where they earn; presigned batches hold data proofs only, since
  // when they will be included, and so whether an uptime proof would be too_frequent, is not known.
  Ready sign_batch(bool live) {
    auto [height, ref_hash] = tip_.get();
    Ready out;
    out.ref_height = height;
    auto* sp = out.body.mutable_submit_proofs();
    // Uptime only when the batch will surely be included in the reference's epoch: one included in
    // the next epoch counts at that epoch's start (doc/depin.md "Proofs"), which would make the
    // device's next uptime proof, already in flight, too_frequent.
    const bool uptime_safe = live && (height + latency_blocks_) / o_.epoch_blocks == height / o_.epoch_blocks;
    size_t bytes = kTxEnvelopeBytes;
    for (uint64_t k = 0; k < o_.batch && k < mine_.size(); ++k) {
      const size_t i = mine_[cursor_ % mine_.size()];
      Device& d = fleet_[i];
      const Signed s{i, d.next_uptime_ref, d.seq + 1, generation_[i]};
      pb::Proof p = next_proof(i, height, ref_hash, uptime_safe);
      const size_t p_bytes = p.ByteSizeLong() + 4;  // with its field tag and length
      if (bytes + p_bytes > kMaxTxBytes) {          // full: this proof is the next batch's
        --d.seq;
        d.next_uptime_ref = s.prev_next_uptime;
        break;
      }
      bytes += p_bytes;
      ++cursor_;
      out.proofs.push_back(s);
      *sp->add_proofs() = std::move(p);
    }
    return out;
  }

  // Forgets the ready batches, rewinding their devices' seqs (and uptime heights) to before them; a
  // device already rewound by a rejection (a newer generation) is left as it is.
  void drop_ready() {
    for (auto b = ready_.rbegin(); b != ready_.rend(); ++b)
      for (auto s = b->proofs.rbegin(); s != b->proofs.rend(); ++s) {
        if (s->generation != generation_[s->device]) continue;
        fleet_[s->device].seq = s->seq - 1;
        fleet_[s->device].next_uptime_ref = s->prev_next_uptime;
      }
    c_.dropped_presigned += presigned();
    ready_.clear();
  }

  bool send_batch() {
    // A batch whose reference would be past the window by the time it is included is not sent.
    const uint64_t tip = tip_.get().first;
    if (!ready_.empty() && tip + latency_blocks_ + 2 > ready_.front().ref_height + o_.ref_window)
      drop_ready();
    if (ready_.empty()) ready_.push_back(sign_batch(/*live=*/true));
    Ready& b = ready_.front();
    auto hash = sender_.try_send(b.body);
    if (!hash) {
      // Refused (mempool full, too many pending, a nonce taken by a dropped batch): kept, sent again.
      ++c_.send_refusals;
      {
        std::lock_guard<std::mutex> lock(c_.mutex);
        ++c_.refusals_by_code[hash.error().message.substr(0, 48)];
      }
      if (hash.error().message.find("nonce") != std::string::npos) sender_.resync();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      return false;
    }
    c_.sent += b.proofs.size();
    c_.gas_sent += vm::intrinsic_gas(sender_.params(), b.body);
    q_.push_back(InFlight{*hash, b.ref_height, tip, std::move(b.proofs)});
    ready_.pop_front();
    return true;
  }

  // The next proof of fleet device i, signed, referencing (height, ref_hash); advances the device's seq
  // (and its next uptime height when it is an uptime proof). The kinds follow the service rules of
  // doc/depin.md "Proofs": uptime when it earns (once per uptime_interval_blocks, and only if
  // `uptime_safe`), otherwise a data contribution paid by this relayer's consumer (a usage receipt
  // with the consumer's next seq; "Usage"). Witnesses are left to the paced mode, which tracks the
  // per-beacon rules.
  pb::Proof next_proof(size_t i, uint64_t height, const std::string& ref_hash, bool uptime_safe) {
    Device& d = fleet_[i];
    pb::Proof p;
    p.set_device_id(to_string(d.id));
    p.set_seq(d.seq + 1);
    p.set_ref_height(height);
    p.set_ref_block_hash(ref_hash);
    p.set_epoch(height / o_.epoch_blocks);
    auto* pl = p.mutable_payload();
    if (uptime_safe && height >= d.next_uptime_ref) {
      pl->set_kind(pb::UPTIME);
      pl->set_uptime_seconds(60);
      d.next_uptime_ref = height + o_.uptime_interval;
    } else {
      pl->set_kind(pb::DATA_CONTRIBUTION);
      pl->set_data_bytes(static_cast<uint64_t>(1 + i % 5) << 20);
      attach_usage_receipt(p, consumer_, consumer_seq_, o_.chain_id);
    }
    // Each device key imported once: signing is then a fraction of a verification, and the load
    // generator leaves the shared cores to the node.
    if (!signers_[i]) signers_[i] = crypto::P256SigningKey::create(d.key);
    p.set_signature(to_string(*signers_[i]->sign(vm::proof_digest(o_.chain_id, p))));
    ++d.seq;
    return p;
  }

  bool take_receipt() {
    auto r = rpc::rpc_call(o_.url, "chain_getReceipt", {{"hash", q_.front().hash}});
    if (!r) {
      // Not included yet; or, if the node no longer holds it either (for more than a few seconds, past
      // any race with the block that includes it), dropped: its proofs are lost and its nonce is free.
      if (r.error().code != "rpc_error" || r.error().message.find("pending") != std::string::npos) {
        missing_since_.reset();
        return false;
      }
      if (!missing_since_) missing_since_ = Clock::now();
      if (Clock::now() - *missing_since_ < std::chrono::seconds(3)) return false;
      missing_since_.reset();
      ++c_.dropped_batches;
      for (const Signed& s : q_.front().proofs) rejected(s, "dropped");
      q_.pop_front();
      sender_.resync();
      return true;
    }
    missing_since_.reset();
    const bool late = window_over_;
    if (!late && c_.first_receipt_ms < 0) {
      int64_t expected = -1;
      c_.first_receipt_ms.compare_exchange_strong(
          expected, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count());
    }
    const InFlight& f = q_.front();
    // The pipeline's depth in blocks, for the uptime and staleness rules above: how many blocks after
    // it is sent a batch is included (from the send, not the reference: a presigned batch's reference
    // is older by the time it waited, which says nothing about the pipeline).
    const uint64_t included = (*r).value("height", f.sent_at_height + 1);
    latency_blocks_ =
        std::max<uint64_t>(latency_blocks_ * 7 / 8, included - std::min(included, f.sent_at_height) + 1);
    uint64_t ok = 0, bad = 0;
    std::map<std::string, uint64_t> reasons;
    if ((*r)["status"] != "success") {
      bad = f.proofs.size();
      reasons["tx:" + (*r).value("reason", std::string("?"))] += bad;
      for (const Signed& s : f.proofs) rejected(s, "tx_failed");
    }
    for (const auto& pr : (*r).value("proofs", json::array())) {
      const size_t index = pr["index"].get<size_t>();
      if (index >= f.proofs.size()) continue;
      if (pr["accepted"].get<bool>()) {
        ++ok;
        continue;
      }
      ++bad;
      const std::string reason = pr.value("reason", std::string("?"));
      ++reasons[reason];
      rejected(f.proofs[index], reason);
    }
    if (late) {
      c_.late_accepted += ok;
    } else {
      c_.accepted += ok;
    }
    c_.rejected += bad;
    if (!reasons.empty()) {
      std::lock_guard<std::mutex> lock(c_.mutex);
      for (const auto& [k, v] : reasons) c_.rejected_by_reason[k] += v;
    }
    q_.pop_front();
    return true;
  }

  // A rejected proof leaves the device's seq on chain below it, so every later proof of the device
  // signed before this moment fails too (seq_gap). The first rejection of a generation rewinds the
  // device's seq and starts a new generation; the rejections of the older proofs then change nothing.
  void rejected(const Signed& s, const std::string& reason) {
    Device& d = fleet_[s.device];
    if (reason == "too_frequent") d.next_uptime_ref = tip_.get().first + o_.uptime_interval;
    if (s.generation != generation_[s.device]) return;
    ++generation_[s.device];
    if (reason == "replayed_seq") {  // the chain is ahead (an earlier run): ask it
      if (auto dev = rpc::rpc_call(o_.url, "depin_getDevice", {{"id", to_hex0x(d.id)}}))
        d.seq = (*dev)["seq"].get<uint64_t>();
      return;
    }
    d.seq = s.seq - 1;
  }

  const LoadOptions& o_;
  Sender sender_;
  crypto::PrivateKey consumer_;  // pays for the data this relayer's devices contribute
  uint64_t consumer_seq_;        // its last receipt seq signed (a refused batch leaves a gap: allowed)
  std::vector<Device>& fleet_;
  std::vector<size_t> mine_;
  const TipWatcher& tip_;
  Counters& c_;
  const std::atomic<bool>& window_over_;
  const Clock::time_point& start_;  // the window's start, set once presigning is done
  std::deque<InFlight> q_;
  std::deque<Ready> ready_;  // signed and not sent yet (presigned, or refused by the node), oldest first
  size_t cursor_ = 0;
  std::vector<uint32_t> generation_;  // per fleet index: bumped when the device's seq is rewound
  std::vector<std::optional<crypto::P256SigningKey>> signers_;  // per fleet index, made on first use
  std::optional<Clock::time_point> missing_since_;              // when the front batch was first seen nowhere
  uint64_t latency_blocks_ = 3;  // blocks from sending a batch to its inclusion, recent maximum
};

// Tops up each account that holds less than half of its amount to that amount, and waits for the
// transfers.
void fund_accounts(const LoadOptions& o, const std::vector<std::pair<crypto::PrivateKey, Amount>>& accounts) {
  Sender funder(o.url, o.funder, o.chain_id);
  std::vector<std::string> pending;
  for (const auto& [k, amount] : accounts) {
    const Address a = crypto::address_of(*crypto::public_key_of(k));
    json acc = rpc(o.url, "state_getAccount", {{"address", crypto::address_to_string(a)}});
    auto balance = parse_amount(acc["balance"].get<std::string>());
    if (balance && *balance >= amount / 2) continue;
    pending.push_back(funder.send(make_transfer_body(o.chain_id, 0, 0, 0, a, amount)));
  }
  for (const auto& h : pending) {
    json r = wait_receipt(o.url, h);
    if (r["status"] != "success") throw std::runtime_error("funding an account failed: " + r.dump());
  }
  std::fprintf(stderr, "devsim load: %zu relayer and consumer accounts funded (%zu transfers)\n",
               accounts.size(), pending.size());
}

}  // namespace

json run_load(const LoadOptions& o, std::vector<Device>& fleet) {
  const uint64_t r_count = std::max<uint64_t>(1, std::min<uint64_t>(o.relayers, fleet.size()));
  // One consumer per relayer: a consumer's receipt seqs must rise in inclusion order, which holds
  // within one relayer's batches (included in nonce order) but not across relayers. Consumers own no
  // device (usage_self_dealing otherwise): derived accounts nobody else uses.
  std::vector<crypto::PrivateKey> keys, consumers;
  std::vector<std::pair<crypto::PrivateKey, Amount>> funding;
  for (uint64_t r = 0; r < r_count; ++r) {
    keys.push_back(derive_account_key("physis-devsim-relayer", o.seed, r));
    consumers.push_back(derive_account_key("physis-devsim-consumer", o.seed, r));
    funding.emplace_back(keys.back(), kRelayerFunds);
    funding.emplace_back(consumers.back(), kConsumerFunds);
  }
  fund_accounts(o, funding);

  TipWatcher tip(o.url);
  tip.start();
  Counters c;
  std::atomic<bool> window_over{false};
  Clock::time_point start = Clock::now();
  std::vector<std::unique_ptr<Relayer>> relayers;
  for (uint64_t r = 0; r < r_count; ++r) {
    std::vector<size_t> mine;
    for (size_t i = r; i < fleet.size(); i += r_count) mine.push_back(i);
    relayers.push_back(std::make_unique<Relayer>(o, keys[r], consumers[r], fleet, std::move(mine), tip, c,
                                                 window_over, start));
  }
  uint64_t presigned = 0;
  double presign_s = 0;
  if (o.presign > 0) {  // each relayer signs its share on its own thread
    std::vector<std::thread> signers;
    for (auto& rel : relayers)
      signers.emplace_back([&rel, &o, r_count] { rel->presign(o.presign / r_count); });
    for (auto& t : signers) t.join();
    for (auto& rel : relayers) presigned += rel->presigned();
    presign_s = std::chrono::duration<double>(Clock::now() - start).count();
    std::fprintf(stderr, "devsim load: presigned %llu data proofs in %.1f s\n",
                 static_cast<unsigned long long>(presigned), presign_s);
  }
  start = Clock::now();
  const uint64_t start_height = tip.get().first;
  // A device of an earlier run may have had an uptime proof accepted up to now, which the chain does not
  // show; its next one then earns from at most start + interval (doc/depin.md "Proofs"). Waiting that
  // long once keeps the first uptime proofs from being too_frequent, and the rest of each device's
  // pipelined proofs from failing behind them.
  for (Device& d : fleet) d.next_uptime_ref = std::max(d.next_uptime_ref, start_height + o.uptime_interval);
  std::fprintf(stderr,
               "devsim load: %llu relayers, %llu batches of %llu proofs in flight each, %zu devices, from "
               "height %llu\n",
               static_cast<unsigned long long>(r_count), static_cast<unsigned long long>(o.in_flight),
               static_cast<unsigned long long>(o.batch), fleet.size(),
               static_cast<unsigned long long>(start_height));
  std::vector<std::thread> threads;
  for (auto& rel : relayers) threads.emplace_back([&rel] { rel->run(); });

  uint64_t last_accepted = 0;
  auto last = start;
  while (!g_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - start).count();
    if (o.duration_s > 0 && elapsed >= static_cast<double>(o.duration_s)) break;
    if (now - last < std::chrono::seconds(o.report_s)) continue;
    const uint64_t acc = c.accepted;
    const double dt = std::chrono::duration<double>(now - last).count();
    std::fprintf(
        stderr,
        "devsim load: %5.0f s height %llu: sent %llu accepted %llu (%.0f proofs/s) rejected %llu refused "
        "batches %llu\n",
        elapsed, static_cast<unsigned long long>(tip.get().first),
        static_cast<unsigned long long>(c.sent.load()), static_cast<unsigned long long>(acc),
        static_cast<double>(acc - last_accepted) / dt, static_cast<unsigned long long>(c.rejected.load()),
        static_cast<unsigned long long>(c.send_refusals.load()));
    last_accepted = acc;
    last = now;
  }
  window_over = true;
  const double window = std::chrono::duration<double>(Clock::now() - start).count();
  const uint64_t end_height = tip.get().first;
  for (auto& t : threads) t.join();

  const double rate = window > 0 ? static_cast<double>(c.accepted) / window : 0;
  // From the first receipt on, so the pipeline's fill time (about one block) is left out.
  const double first = c.first_receipt_ms >= 0 ? static_cast<double>(c.first_receipt_ms) / 1000 : 0;
  const double steady = window > first ? static_cast<double>(c.accepted) / (window - first) : 0;
  std::fprintf(
      stderr,
      "devsim load: summary: %.1f s, %llu relayers x %llu in flight x %llu proofs, %zu devices, heights "
      "%llu..%llu: sent %llu, accepted %llu (+%llu after the window), rejected %llu; sustained %.0f "
      "accepted proofs/s (%.0f from the first receipt)\n",
      window, static_cast<unsigned long long>(r_count), static_cast<unsigned long long>(o.in_flight),
      static_cast<unsigned long long>(o.batch), fleet.size(), static_cast<unsigned long long>(start_height),
      static_cast<unsigned long long>(end_height), static_cast<unsigned long long>(c.sent.load()),
      static_cast<unsigned long long>(c.accepted.load()),
      static_cast<unsigned long long>(c.late_accepted.load()),
      static_cast<unsigned long long>(c.rejected.load()), rate, steady);
  return {{"seconds", window},
          {"relayers", r_count},
          {"in_flight", o.in_flight},
          {"batch", o.batch},
          {"start_height", start_height},
          {"end_height", end_height},
          {"proofs_sent", c.sent.load()},
          {"proofs_accepted", c.accepted.load()},
          {"proofs_accepted_late", c.late_accepted.load()},
          {"proofs_rejected", c.rejected.load()},
          {"rejected_by_reason", c.rejected_by_reason},
          {"refused_batches", c.send_refusals.load()},
          {"refusals", c.refusals_by_code},
          {"dropped_batches", c.dropped_batches.load()},
          {"gas_per_proof", c.sent > 0 ? c.gas_sent.load() / c.sent.load() : 0},
          {"presigned", presigned},
          {"presign_seconds", presign_s},
          {"presigned_dropped_stale", c.dropped_presigned.load()},
          {"accepted_per_s", rate},
          {"accepted_per_s_from_first_receipt", steady}};
}

}  // namespace physis::devsim
