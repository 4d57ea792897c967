#include "p2p/host.h"

#include <sys/eventfd.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "util/log.h"

namespace physis::p2p {
namespace {

constexpr const char* kLog = "p2p";
constexpr uint32_t kProtocolVersion = 1;
constexpr int kPollMs = 100;          // upper bound on timer latency (ban expiry, reopen)
constexpr int kMaxFramesPerTurn = 256;  // per socket per turn, so one busy peer cannot starve others

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string zmq_error_text() { return zmq_strerror(zmq_errno()); }

bool set_common_options(void* socket, const HostOptions& o) {
  const int64_t max_size = static_cast<int64_t>(o.max_message_bytes);
  const int linger = 0;
  return zmq_setsockopt(socket, ZMQ_MAXMSGSIZE, &max_size, sizeof max_size) == 0 &&
         zmq_setsockopt(socket, ZMQ_SNDHWM, &o.send_hwm, sizeof o.send_hwm) == 0 &&
         zmq_setsockopt(socket, ZMQ_RCVHWM, &o.receive_hwm, sizeof o.receive_hwm) == 0 &&
         zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger) == 0;
}

// Receives every remaining part of a multi-part message; returns how many were discarded.
int drain_parts(void* socket) {
  int n = 0;
  int more = 0;
  size_t more_size = sizeof more;
  while (zmq_getsockopt(socket, ZMQ_RCVMORE, &more, &more_size) == 0 && more) {
    zmq_msg_t part;
    zmq_msg_init(&part);
    zmq_msg_recv(&part, socket, 0);
    zmq_msg_close(&part);
    ++n;
  }
  return n;
}

}  // namespace

Result<PeerAddress> parse_peer_address(const std::string& text) {
  // Z85 itself contains '@' and ':', so the id is the first 40 characters, not "up to the '@'".
  const size_t at = 40;
  if (text.size() <= at || text[at] != '@')
    return make_error("peer_address", "peer '" + text + "' must be <node-id>@host:port");
  PeerAddress out;
  out.node_id = text.substr(0, at);
  if (!is_valid_node_id(out.node_id))
    return make_error("peer_address", "peer '" + text + "': node id must be 40 characters of Z85");
  const std::string hostport = text.substr(at + 1);
  const auto colon = hostport.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == hostport.size() ||
      hostport.find_first_not_of("0123456789", colon + 1) != std::string::npos)
    return make_error("peer_address", "peer '" + text + "': address must be host:port");
  out.endpoint = "tcp://" + hostport;
  return out;
}

const char* direction_name(PeerDirection direction) {
  switch (direction) {
    case PeerDirection::kInbound: return "inbound";
    case PeerDirection::kOutbound: return "outbound";
  }
  return "unknown";
}

class Host::Impl {
 public:
  Impl(NodeKey key, HostOptions options, Handler handler)
      : key_(std::move(key)), opt_(std::move(options)), handler_(std::move(handler)) {}

  ~Impl() {
    if (thread_.joinable()) {
      stop_.store(true);
      wake();
      thread_.join();
    } else {
      close_sockets();
    }
    if (ctx_) zmq_ctx_term(ctx_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

  Status open() {
    ctx_ = zmq_ctx_new();
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!ctx_ || wake_fd_ < 0) return make_error("p2p_socket", "cannot create ZeroMQ context or eventfd");
    if (!opt_.listen_address.empty()) {
      // The ZAP handler must be bound before the listener accepts its first handshake.
      zap_ = zmq_socket(ctx_, ZMQ_REP);
      const int linger = 0;
      if (!zap_ || zmq_setsockopt(zap_, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
          zmq_bind(zap_, "inproc://zeromq.zap.01") != 0)
        return make_error("p2p_socket", "cannot bind the ZAP handler: " + zmq_error_text());
      router_ = zmq_socket(ctx_, ZMQ_ROUTER);
      const int one = 1;
      if (!router_ || !set_common_options(router_, opt_) ||
          zmq_setsockopt(router_, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
          zmq_setsockopt(router_, ZMQ_CURVE_SECRETKEY, key_.secret_z85.c_str(), 41) != 0 ||
          zmq_setsockopt(router_, ZMQ_ZAP_DOMAIN, "physis", 6) != 0 ||
          zmq_setsockopt(router_, ZMQ_ROUTER_MANDATORY, &one, sizeof one) != 0)
        return make_error("p2p_socket", "cannot configure the listener: " + zmq_error_text());
      if (zmq_bind(router_, opt_.listen_address.c_str()) != 0)
        return make_error("p2p_bind", "cannot listen on " + opt_.listen_address + ": " + zmq_error_text());
      std::array<char, 256> endpoint{};
      size_t size = endpoint.size();
      if (zmq_getsockopt(router_, ZMQ_LAST_ENDPOINT, endpoint.data(), &size) == 0)
        listen_endpoint_ = endpoint.data();
    }
    const int64_t now = now_ms();
    for (const PeerAddress& peer : opt_.persistent_peers) {
      outbound_.push_back(Outbound{peer, nullptr, now});
      if (auto s = open_outbound(outbound_.back(), now); !s) return s;
    }
    return ok_status();
  }

  void run() { thread_ = std::thread([this] { loop(); }); }

  Status enqueue(std::optional<std::string> peer, Envelope envelope) {
    envelope.set_chain_id(opt_.chain_id);
    Bytes frame = encode_envelope(envelope);
    if (frame.size() > opt_.max_message_bytes)
      return make_error("oversize", "envelope of " + std::to_string(frame.size()) + " bytes exceeds the " +
                                        std::to_string(opt_.max_message_bytes) + "-byte limit");
    if (stop_.load()) return make_error("stopped", "host is stopped");
    {
      std::lock_guard lock(out_mu_);
      outbox_.push_back(Outgoing{std::move(peer), std::move(frame)});
    }
    wake();
    return ok_status();
  }

  void penalize(std::string peer, RejectReason reason, std::string detail) {
    {
      std::lock_guard lock(out_mu_);
      if (penalties_.size() >= kMaxPendingPenalties) return;  // the peer is being dropped already
      penalties_.push_back(Penalty{std::move(peer), reason, std::move(detail)});
    }
    wake();
  }

  std::vector<PeerInfo> peers() const {
    std::lock_guard lock(mu_);
    std::vector<PeerInfo> out;
    for (const auto& [id, p] : peers_)
      out.push_back(PeerInfo{id, p.address, p.direction, p.score.score(), p.height});
    return out;
  }

  const std::string& node_id() const { return key_.node_id(); }
  const std::string& listen_endpoint() const { return listen_endpoint_; }
  uint64_t rejected() const { return rejected_.load(); }
  uint64_t banned() const { return banned_.load(); }

 private:
  struct Outbound {
    PeerAddress address;
    void* socket = nullptr;
    int64_t reopen_at_ms = 0;
  };
  struct Peer {
    std::string address;
    PeerDirection direction;
    PeerScore score;
    uint64_t height = 0;
    std::string routing_id;  // inbound only: the ROUTER's id of the latest connection
    int64_t last_seen_ms = 0;
  };
  struct Penalty {
    std::string peer;
    RejectReason reason;
    std::string detail;
  };
  static constexpr size_t kMaxPendingPenalties = 4096;
  struct Outgoing {
    std::optional<std::string> peer;  // nullopt: broadcast
    Bytes frame;
  };

  void wake() {
    const uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);  // EAGAIN: already signalled
  }

  Status open_outbound(Outbound& out, int64_t now) {
    void* s = zmq_socket(ctx_, ZMQ_DEALER);
    if (!s || !set_common_options(s, opt_) ||
        zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, out.address.node_id.c_str(), 41) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, key_.public_z85.c_str(), 41) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, key_.secret_z85.c_str(), 41) != 0 ||
        zmq_connect(s, out.address.endpoint.c_str()) != 0) {
      if (s) zmq_close(s);
      return make_error("p2p_socket", "cannot dial " + out.address.node_id + "@" + out.address.endpoint +
                                          ": " + zmq_error_text());
    }
    out.socket = s;
    {
      std::lock_guard lock(mu_);
      peers_.insert_or_assign(out.address.node_id,
                              Peer{out.address.endpoint, PeerDirection::kOutbound, PeerScore(opt_.score, now), 0, "", now});
    }
    // Queued until the CURVE handshake completes; never sent if the listener's key is not the pinned one.
    Envelope hello;
    hello.set_chain_id(opt_.chain_id);
    hello.mutable_hello()->set_protocol_version(kProtocolVersion);
    const Bytes frame = encode_envelope(hello);
    zmq_send(s, frame.data(), frame.size(), ZMQ_DONTWAIT);
    LOG_DEBUG(kLog, "dialling " << out.address.node_id << " at " << out.address.endpoint);
    return ok_status();
  }

  void close_sockets() {
    for (Outbound& out : outbound_)
      if (out.socket) zmq_close(std::exchange(out.socket, nullptr));
    if (router_) zmq_close(std::exchange(router_, nullptr));
    if (zap_) zmq_close(std::exchange(zap_, nullptr));
  }

  void loop() {
    while (!stop_.load()) {
      std::vector<zmq_pollitem_t> items;
      items.push_back({nullptr, wake_fd_, ZMQ_POLLIN, 0});
      if (zap_) items.push_back({zap_, 0, ZMQ_POLLIN, 0});
      if (router_) items.push_back({router_, 0, ZMQ_POLLIN, 0});
      std::vector<Outbound*> polled;
      for (Outbound& out : outbound_)
        if (out.socket) {
          items.push_back({out.socket, 0, ZMQ_POLLIN, 0});
          polled.push_back(&out);
        }
      if (zmq_poll(items.data(), static_cast<int>(items.size()), kPollMs) < 0 && zmq_errno() != EINTR) {
        LOG_ERROR(kLog, "zmq_poll failed: " << zmq_error_text());
        break;
      }
      size_t i = 0;
      if (items[i++].revents & ZMQ_POLLIN) {
        uint64_t counter = 0;
        [[maybe_unused]] auto n = ::read(wake_fd_, &counter, sizeof counter);
      }
      if (zap_ && (items[i++].revents & ZMQ_POLLIN)) serve_zap();
      if (router_ && (items[i++].revents & ZMQ_POLLIN)) receive_inbound();
      for (Outbound* out : polled)
        if ((items[i++].revents & ZMQ_POLLIN) && out->socket) receive_outbound(*out);
      flush_outbox();
      reopen_due();
    }
    close_sockets();
  }

  bool is_banned(const std::string& id, int64_t now) {
    auto it = bans_.find(id);
    if (it == bans_.end()) return false;
    if (it->second > now) return true;
    bans_.erase(it);
    return false;
  }

  // ZAP (RFC 27): authenticate one inbound CURVE handshake. Frames: version, request id, domain,
  // address, routing id, mechanism, client public key (32 bytes).
  void serve_zap() {
    std::vector<std::string> frames;
    do {
      zmq_msg_t m;
      zmq_msg_init(&m);
      if (zmq_msg_recv(&m, zap_, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&m);
        return;
      }
      frames.emplace_back(static_cast<const char*>(zmq_msg_data(&m)), zmq_msg_size(&m));
      const bool more = zmq_msg_more(&m);
      zmq_msg_close(&m);
      if (!more) break;
    } while (true);
    std::string status = "400", text = "bad request", user_id;
    if (frames.size() >= 7 && frames[5] == "CURVE" && frames[6].size() == 32) {
      std::array<char, 41> z85{};
      zmq_z85_encode(z85.data(), reinterpret_cast<const uint8_t*>(frames[6].data()), 32);
      user_id = z85.data();
      std::lock_guard lock(mu_);
      if (is_banned(user_id, now_ms())) {
        text = "banned";
        LOG_DEBUG(kLog, "refused handshake from banned peer " << user_id);
      } else if (!peers_.count(user_id) && inbound_count() >= opt_.max_inbound_peers) {
        text = "too many peers";
        LOG_DEBUG(kLog, "refused handshake from " << user_id << ": " << opt_.max_inbound_peers
                                                  << " inbound peers already");
      } else {
        status = "200";
        text = "OK";
      }
    }
    const std::string request_id = frames.size() >= 2 ? frames[1] : "";
    const std::array<const std::string*, 6> reply{nullptr, &request_id, &status, &text, &user_id, nullptr};
    const std::string version = "1.0", empty;
    for (size_t k = 0; k < reply.size(); ++k) {
      const std::string& f = k == 0 ? version : (k == 5 ? empty : *reply[k]);
      zmq_send(zap_, f.data(), f.size(), k + 1 < reply.size() ? ZMQ_SNDMORE : 0);
    }
  }

  void receive_inbound() {
    for (int n = 0; n < kMaxFramesPerTurn; ++n) {
      zmq_msg_t rid, payload;
      zmq_msg_init(&rid);
      if (zmq_msg_recv(&rid, router_, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&rid);
        return;
      }
      zmq_msg_init(&payload);
      const bool got = zmq_msg_more(&rid) && zmq_msg_recv(&payload, router_, 0) >= 0;
      const int extra = got ? drain_parts(router_) : 0;
      // Set by libzmq from our ZAP reply: the CURVE-proven key of the sender (see host.h).
      const char* user = got ? zmq_msg_gets(&payload, "User-Id") : nullptr;
      const char* addr = got ? zmq_msg_gets(&payload, "Peer-Address") : nullptr;
      if (user && is_valid_node_id(user)) {
        const ByteSpan frame(static_cast<const uint8_t*>(zmq_msg_data(&payload)), zmq_msg_size(&payload));
        const std::string routing(static_cast<const char*>(zmq_msg_data(&rid)), zmq_msg_size(&rid));
        handle_frame(user, PeerDirection::kInbound, addr ? addr : "", routing, frame, extra > 0);
      }
      zmq_msg_close(&payload);
      zmq_msg_close(&rid);
    }
  }

  void receive_outbound(Outbound& out) {
    for (int n = 0; n < kMaxFramesPerTurn && out.socket; ++n) {
      zmq_msg_t payload;
      zmq_msg_init(&payload);
      if (zmq_msg_recv(&payload, out.socket, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&payload);
        return;
      }
      const int extra = zmq_msg_more(&payload) ? drain_parts(out.socket) : 0;
      const ByteSpan frame(static_cast<const uint8_t*>(zmq_msg_data(&payload)), zmq_msg_size(&payload));
      handle_frame(out.address.node_id, PeerDirection::kOutbound, out.address.endpoint, "", frame, extra > 0);
      zmq_msg_close(&payload);
    }
  }

  // Checks one frame from an authenticated peer, scores it, and delivers it if it is valid.
  void handle_frame(const std::string& id, PeerDirection direction, const std::string& address,
                    const std::string& routing_id, ByteSpan frame, bool multipart) {
    const int64_t now = now_ms();
    Envelope envelope;
    {
      std::lock_guard lock(mu_);
      if (is_banned(id, now)) return;  // see host.h: inbound links of banned peers are ignored
      auto it = peers_.find(id);
      if (it == peers_.end())
        it = peers_.emplace(id, Peer{address, direction, PeerScore(opt_.score, now), 0, "", now}).first;
      Peer& peer = it->second;
      if (!routing_id.empty()) peer.routing_id = routing_id;
      peer.last_seen_ms = now;
      RejectReason reason = RejectReason::kMalformed;
      bool ok = !multipart;
      if (ok && !peer.score.admit(frame.size(), now)) {
        reason = RejectReason::kRateLimited;
        ok = false;
      }
      if (ok) ok = decode_envelope(frame, opt_.chain_id, opt_.max_message_bytes, envelope, reason);
      if (!ok) {
        rejected_.fetch_add(1);
        LOG_DEBUG(kLog, "rejected " << frame.size() << "-byte frame from " << id << ": "
                                    << reject_reason_name(reason));
        if (peer.score.penalize(reason)) ban(id, peer, reason, now);
        return;
      }
      if (envelope.has_hello()) peer.height = envelope.hello().height();
      if (envelope.has_status()) peer.height = envelope.status().height();
    }
    handler_(id, envelope);
  }

  // Caller holds mu_.
  void ban(const std::string& id, const Peer& peer, RejectReason reason, int64_t now) {
    LOG_WARN(kLog, "disconnecting " << direction_name(peer.direction) << " peer " << id << " ("
                                    << peer.address << "): score " << peer.score.score() << " after "
                                    << reject_reason_name(reason) << "; banned for "
                                    << opt_.ban_duration.count() << " ms");
    banned_.fetch_add(1);
    bans_[id] = now + opt_.ban_duration.count();
    for (Outbound& out : outbound_)
      if (out.address.node_id == id && out.socket) {
        zmq_close(std::exchange(out.socket, nullptr));
        out.reopen_at_ms = now + opt_.ban_duration.count();
      }
    peers_.erase(id);
  }

  // Caller holds mu_.
  size_t inbound_count() const {
    size_t n = 0;
    for (const auto& [id, p] : peers_) n += p.direction == PeerDirection::kInbound ? 1 : 0;
    return n;
  }

  // Drops expired bans and inbound peers idle past opt_.inbound_idle.
  void prune(int64_t now) {
    if (now - last_prune_ms_ < 1000) return;  // once a second is plenty for minute-scale timers
    last_prune_ms_ = now;
    std::lock_guard lock(mu_);
    std::erase_if(bans_, [&](const auto& b) { return b.second <= now; });
    std::erase_if(peers_, [&](const auto& p) {
      return p.second.direction == PeerDirection::kInbound &&
             now - p.second.last_seen_ms > opt_.inbound_idle.count();
    });
  }

  void reopen_due() {
    const int64_t now = now_ms();
    prune(now);
    for (Outbound& out : outbound_)
      if (!out.socket && out.reopen_at_ms <= now) {
        if (auto s = open_outbound(out, now); !s) {
          LOG_WARN(kLog, s.error().message);
          out.reopen_at_ms = now + opt_.ban_duration.count();
        }
      }
  }

  void send_frame(const std::string& id, const Bytes& frame) {
    for (Outbound& out : outbound_)
      if (out.address.node_id == id && out.socket) {
        zmq_send(out.socket, frame.data(), frame.size(), ZMQ_DONTWAIT);  // HWM: dropped (host.h)
        return;
      }
    std::string routing;
    {
      std::lock_guard lock(mu_);
      auto it = peers_.find(id);
      if (it == peers_.end() || it->second.routing_id.empty() || !router_) return;
      routing = it->second.routing_id;
    }
    if (zmq_send(router_, routing.data(), routing.size(), ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
      zmq_send(router_, frame.data(), frame.size(), ZMQ_DONTWAIT);
  }

  void flush_outbox() {
    std::deque<Outgoing> batch;
    std::vector<Penalty> penalties;
    {
      std::lock_guard lock(out_mu_);
      batch.swap(outbox_);
      penalties.swap(penalties_);
    }
    if (!penalties.empty()) {
      const int64_t now = now_ms();
      std::lock_guard lock(mu_);
      for (const Penalty& p : penalties) {
        rejected_.fetch_add(1);
        auto it = peers_.find(p.peer);
        if (it == peers_.end()) continue;
        LOG_INFO(kLog, "peer " << p.peer << " sent a refused message: " << p.detail);
        if (it->second.score.penalize(p.reason)) ban(p.peer, it->second, p.reason, now);
      }
    }
    for (const Outgoing& o : batch) {
      if (o.peer) {
        send_frame(*o.peer, o.frame);
        continue;
      }
      std::vector<std::string> ids;
      {
        std::lock_guard lock(mu_);
        for (const auto& [id, p] : peers_) ids.push_back(id);
      }
      for (const std::string& id : ids) send_frame(id, o.frame);
    }
  }

  const NodeKey key_;
  const HostOptions opt_;
  const Handler handler_;
  void* ctx_ = nullptr;
  void* router_ = nullptr;
  void* zap_ = nullptr;
  int wake_fd_ = -1;
  std::string listen_endpoint_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> rejected_{0};
  std::atomic<uint64_t> banned_{0};

  std::mutex out_mu_;
  std::deque<Outgoing> outbox_;  // guarded by out_mu_
  std::vector<Penalty> penalties_;  // guarded by out_mu_

  // Written only by the host thread (and open() before it starts); read by peers() under mu_.
  mutable std::mutex mu_;
  std::map<std::string, Peer> peers_;
  std::map<std::string, int64_t> bans_;  // node id → steady-clock ms when the ban ends
  std::vector<Outbound> outbound_;       // host thread only
  int64_t last_prune_ms_ = 0;            // host thread only
};

Result<std::unique_ptr<Host>> Host::start(NodeKey key, HostOptions options, Handler handler) {
  if (auto s = require_curve(); !s) return s.error();
  if (!handler) return make_error("p2p_socket", "a handler is required");
  auto impl = std::make_unique<Impl>(std::move(key), std::move(options), std::move(handler));
  if (auto s = impl->open(); !s) return s.error();
  impl->run();
  return std::unique_ptr<Host>(new Host(std::move(impl)));
}

Host::Host(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Host::~Host() = default;

Status Host::send(const std::string& peer_id, Envelope envelope) {
  return impl_->enqueue(peer_id, std::move(envelope));
}
Status Host::broadcast(Envelope envelope) { return impl_->enqueue(std::nullopt, std::move(envelope)); }
void Host::penalize(const std::string& peer_id, RejectReason reason, std::string detail) {
  impl_->penalize(peer_id, reason, std::move(detail));
}
std::vector<PeerInfo> Host::peers() const { return impl_->peers(); }
const std::string& Host::node_id() const { return impl_->node_id(); }
const std::string& Host::listen_endpoint() const { return impl_->listen_endpoint(); }
uint64_t Host::rejected_count() const { return impl_->rejected(); }
uint64_t Host::banned_count() const { return impl_->banned(); }

}  // namespace physis::p2p
