// Real CurveZMQ links between Hosts on 127.0.0.1. Every wait is "poll until the condition holds,
// fail after a bound"; nothing is timed.
#include "p2p/host.h"

#include <gtest/gtest.h>
#include <zmq.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace physis::p2p {
namespace {

constexpr auto kBound = std::chrono::seconds(15);

// Records every envelope a Host delivers.
struct Inbox {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<std::string, Envelope>> got;

  Host::Handler handler() {
    return [this](const std::string& peer, const Envelope& e) {
      std::lock_guard lock(mu);
      got.emplace_back(peer, e);
      cv.notify_all();
    };
  }
  size_t count(const std::function<bool(const std::string&, const Envelope&)>& pred) {
    std::lock_guard lock(mu);
    size_t n = 0;
    for (const auto& [p, e] : got) n += pred(p, e) ? 1 : 0;
    return n;
  }
  bool wait_for(const std::function<bool(const std::string&, const Envelope&)>& pred) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, kBound, [&] {
      for (const auto& [p, e] : got)
        if (pred(p, e)) return true;
      return false;
    });
  }
};

// Polls `cond` until it holds or the bound passes.
bool eventually(const std::function<bool()>& cond) {
  const auto deadline = std::chrono::steady_clock::now() + kBound;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

NodeKey fresh_key() {
  auto k = generate_node_key();
  EXPECT_TRUE(k.ok());
  return *k;
}

HostOptions listener_options(const std::string& chain = "physis-test") {
  HostOptions o;
  o.chain_id = chain;
  o.listen_address = "tcp://127.0.0.1:*";
  return o;
}

PeerAddress address_of(const Host& host) {
  const std::string endpoint = host.listen_endpoint();  // tcp://127.0.0.1:PORT
  auto p = parse_peer_address(host.node_id() + "@" + endpoint.substr(6));
  EXPECT_TRUE(p.ok()) << endpoint;
  return *p;
}

std::unique_ptr<Host> start_host(HostOptions o, Inbox& inbox, NodeKey key = fresh_key()) {
  auto h = Host::start(std::move(key), std::move(o), inbox.handler());
  EXPECT_TRUE(h.ok()) << h.error().message;
  return std::move(*h);
}

Envelope tx(const std::string& raw) {
  Envelope e;
  e.mutable_tx()->set_raw(raw);
  return e;
}

auto is_hello_from(const std::string& id) {
  return [id](const std::string& p, const Envelope& e) { return p == id && e.has_hello(); };
}
auto is_tx(const std::string& from, const std::string& raw) {
  return [from, raw](const std::string& p, const Envelope& e) { return p == from && e.tx().raw() == raw; };
}

bool has_peer(const Host& h, const std::string& id) {
  for (const PeerInfo& p : h.peers())
    if (p.node_id == id) return true;
  return false;
}

TEST(PeerAddress, ParsesAndRejects) {
  const std::string id = fresh_key().node_id();
  auto ok = parse_peer_address(id + "@127.0.0.1:26656");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->node_id, id);
  EXPECT_EQ(ok->endpoint, "tcp://127.0.0.1:26656");
  // Z85 contains '@' and ':'; the id is the first 40 characters.
  const std::string tricky = "@:@:@:@:@:@:@:@:@:@:@:@:@:@:@:@:@:@:@:@:";
  ASSERT_EQ(tricky.size(), 40u);
  auto t = parse_peer_address(tricky + "@node.example:1");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->node_id, tricky);
  EXPECT_EQ(t->endpoint, "tcp://node.example:1");
  for (const std::string& bad : std::vector<std::string>{"127.0.0.1:1", id + "@127.0.0.1", id + "@:1", id + "@h:x",
                                                         "short@127.0.0.1:1"})
    EXPECT_FALSE(parse_peer_address(bad).ok()) << bad;
}

TEST(Host, ThreeHostsExchangeAuthenticatedEnvelopes) {
  Inbox ia, ib, ic;
  auto b = start_host(listener_options(), ib);
  HostOptions oa = listener_options();
  oa.persistent_peers = {address_of(*b)};
  auto a = start_host(oa, ia);
  HostOptions oc;
  oc.chain_id = "physis-test";
  oc.persistent_peers = {address_of(*b), address_of(*a)};
  auto c = start_host(oc, ic);

  // The Hello each dialler sends arrives with its CURVE-proven key as the peer id.
  ASSERT_TRUE(ib.wait_for(is_hello_from(a->node_id())));
  ASSERT_TRUE(ib.wait_for(is_hello_from(c->node_id())));
  ASSERT_TRUE(ia.wait_for(is_hello_from(c->node_id())));

  // Listener → inbound peer, dialler → listener, and broadcast over both kinds of link.
  ASSERT_TRUE(b->send(a->node_id(), tx("b-to-a")).ok());
  ASSERT_TRUE(ia.wait_for(is_tx(b->node_id(), "b-to-a")));
  ASSERT_TRUE(a->send(b->node_id(), tx("a-to-b")).ok());
  ASSERT_TRUE(ib.wait_for(is_tx(a->node_id(), "a-to-b")));
  ASSERT_TRUE(b->broadcast(tx("from-b")).ok());
  ASSERT_TRUE(ia.wait_for(is_tx(b->node_id(), "from-b")));
  ASSERT_TRUE(ic.wait_for(is_tx(b->node_id(), "from-b")));
  ASSERT_TRUE(c->broadcast(tx("from-c")).ok());
  ASSERT_TRUE(ia.wait_for(is_tx(c->node_id(), "from-c")));
  ASSERT_TRUE(ib.wait_for(is_tx(c->node_id(), "from-c")));

  // Status updates the reported height; peers() lists direction and score.
  Envelope status;
  status.mutable_status()->set_height(42);
  status.mutable_status()->set_round(1);
  ASSERT_TRUE(a->send(b->node_id(), status).ok());
  ASSERT_TRUE(eventually([&] {
    for (const PeerInfo& p : b->peers())
      if (p.node_id == a->node_id()) return p.height == 42;
    return false;
  }));
  bool saw_a = false;
  for (const PeerInfo& p : b->peers())
    if (p.node_id == a->node_id()) {
      saw_a = true;
      EXPECT_EQ(p.direction, PeerDirection::kInbound);
      EXPECT_EQ(p.score, ScoreOptions{}.initial_score);
    }
  EXPECT_TRUE(saw_a);
  // A dialled B and was dialled by C.
  std::map<std::string, PeerDirection> of_a;
  for (const PeerInfo& p : a->peers()) of_a[p.node_id] = p.direction;
  EXPECT_EQ(of_a.size(), 2u);
  EXPECT_EQ(of_a[b->node_id()], PeerDirection::kOutbound);
  EXPECT_EQ(of_a[c->node_id()], PeerDirection::kInbound);
  EXPECT_EQ(b->rejected_count(), 0u);
}

TEST(Host, DiallerWithWrongServerKeyCannotConnect) {
  Inbox ia, ib, ic;
  auto a = start_host(listener_options(), ia);
  auto b = start_host(listener_options(), ib);
  // C dials B's address but pins a key that is not B's, and dials A correctly.
  PeerAddress wrong = address_of(*b);
  wrong.node_id = fresh_key().node_id();
  HostOptions oc;
  oc.chain_id = "physis-test";
  oc.persistent_peers = {wrong, address_of(*a)};
  auto c = start_host(oc, ic);
  ASSERT_TRUE(ia.wait_for(is_hello_from(c->node_id())));
  ASSERT_TRUE(c->send(wrong.node_id, tx("to-wrong")).ok());
  ASSERT_TRUE(c->send(a->node_id(), tx("marker")).ok());
  ASSERT_TRUE(ia.wait_for(is_tx(c->node_id(), "marker")));
  // C's Hello to B was queued before its Hello and marker to A, which both arrived: a link that
  // completed its handshake would have delivered by now. B has nothing at all from anyone.
  EXPECT_EQ(ib.count([](const std::string&, const Envelope&) { return true; }), 0u);
  EXPECT_FALSE(has_peer(*b, c->node_id()));
}

TEST(Host, OversizeFrameIsDroppedByMaxMsgSize) {
  Inbox ia, ib;
  HostOptions ob = listener_options();
  ob.max_message_bytes = 64 * 1024;
  auto b = start_host(ob, ib);
  HostOptions oa;
  oa.chain_id = "physis-test";
  oa.max_message_bytes = 1 << 20;
  oa.persistent_peers = {address_of(*b)};
  auto a = start_host(oa, ia);
  ASSERT_TRUE(ib.wait_for(is_hello_from(a->node_id())));
  // Our own limit is checked before queueing.
  EXPECT_EQ(a->send(b->node_id(), tx(std::string(2 << 20, 'x'))).error().code, "oversize");
  ASSERT_TRUE(a->send(b->node_id(), tx(std::string(200 * 1024, 'x'))).ok());
  // libzmq cuts the link on the oversize frame and the DEALER reconnects; keep sending small frames
  // until one lands, then the big one must never have been delivered.
  bool landed = false;
  for (int i = 0; i < 300 && !landed; ++i) {
    ASSERT_TRUE(a->send(b->node_id(), tx("small")).ok());
    std::unique_lock lock(ib.mu);
    landed = ib.cv.wait_for(lock, std::chrono::milliseconds(50), [&] {
      for (const auto& [p, e] : ib.got)
        if (e.tx().raw() == "small") return true;
      return false;
    });
  }
  ASSERT_TRUE(landed);
  EXPECT_EQ(ib.count([](const std::string&, const Envelope& e) { return e.tx().raw().size() > 1000; }), 0u);
}

// A raw CURVE client that can send arbitrary bytes to a Host's listener.
class RawClient {
 public:
  RawClient(const Host& server, const NodeKey& key) : ctx_(zmq_ctx_new()), s_(zmq_socket(ctx_, ZMQ_DEALER)) {
    const int linger = 0;
    zmq_setsockopt(s_, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s_, ZMQ_CURVE_SERVERKEY, server.node_id().c_str(), 41);
    zmq_setsockopt(s_, ZMQ_CURVE_PUBLICKEY, key.public_z85.c_str(), 41);
    zmq_setsockopt(s_, ZMQ_CURVE_SECRETKEY, key.secret_z85.c_str(), 41);
    EXPECT_EQ(zmq_connect(s_, server.listen_endpoint().c_str()), 0);
  }
  ~RawClient() {
    zmq_close(s_);
    zmq_ctx_term(ctx_);
  }
  void send(const std::string& bytes) { EXPECT_GE(zmq_send(s_, bytes.data(), bytes.size(), 0), 0); }

 private:
  void* ctx_;
  void* s_;
};

int32_t score_of(const Host& h, const std::string& id) {
  for (const PeerInfo& p : h.peers())
    if (p.node_id == id) return p.score;
  return INT32_MIN;
}

TEST(Host, GarbageIsScoredThenThePeerIsDisconnected) {
  Inbox ib;
  auto b = start_host(listener_options(), ib);
  const NodeKey rogue = fresh_key();
  RawClient raw(*b, rogue);
  const ScoreOptions s;
  raw.send("\xff\xff\xff garbage");
  ASSERT_TRUE(eventually([&] { return score_of(*b, rogue.node_id()) == s.initial_score - s.cost_malformed; }));
  EXPECT_EQ(b->banned_count(), 0u);
  for (int i = 0; i < 3; ++i) raw.send("\x0a\x05");  // truncated field
  ASSERT_TRUE(eventually([&] { return b->banned_count() == 1; }));
  EXPECT_FALSE(has_peer(*b, rogue.node_id()));
  // A valid envelope from the banned key is now discarded unread.
  Envelope e = tx("after-ban");
  e.set_chain_id("physis-test");
  raw.send(to_string(encode_envelope(e)));
  Inbox ia;
  HostOptions oa;
  oa.chain_id = "physis-test";
  oa.persistent_peers = {address_of(*b)};
  auto a = start_host(oa, ia);
  ASSERT_TRUE(a->send(b->node_id(), tx("marker")).ok());
  ASSERT_TRUE(ib.wait_for(is_tx(a->node_id(), "marker")));
  EXPECT_EQ(ib.count([&](const std::string& p, const Envelope&) { return p == rogue.node_id(); }), 0u);
}

TEST(Host, WrongChainIdDisconnectsAtOnce) {
  Inbox ib, id;
  auto b = start_host(listener_options("physis-test"), ib);
  HostOptions od;
  od.chain_id = "another-chain";
  od.persistent_peers = {address_of(*b)};
  auto d = start_host(od, id);
  ASSERT_TRUE(eventually([&] { return b->banned_count() == 1; }));
  EXPECT_GE(b->rejected_count(), 1u);
  EXPECT_EQ(ib.count([](const std::string&, const Envelope&) { return true; }), 0u);
  EXPECT_FALSE(has_peer(*b, d->node_id()));
}

TEST(Host, RateLimitViolationsCostScoreUntilDisconnect) {
  Inbox ia, ib;
  HostOptions ob = listener_options();
  ob.score.messages_per_second = 1;
  ob.score.message_burst = 5;
  auto b = start_host(ob, ib);
  HostOptions oa;
  oa.chain_id = "physis-test";
  oa.persistent_peers = {address_of(*b)};
  auto a = start_host(oa, ia);
  const int sent = 100;
  for (int i = 0; i < sent; ++i) ASSERT_TRUE(a->send(b->node_id(), tx("t" + std::to_string(i))).ok());
  ASSERT_TRUE(eventually([&] { return b->banned_count() == 1; }));
  const size_t delivered = ib.count([&](const std::string& p, const Envelope&) { return p == a->node_id(); });
  EXPECT_GE(delivered, 1u);
  EXPECT_LT(delivered, static_cast<size_t>(sent) / 2);
  EXPECT_GE(b->rejected_count(), 20u);  // 100 / cost 5
}

}  // namespace
}  // namespace physis::p2p

namespace physis::p2p {
namespace {

// A raw CURVE listener (no ZAP handler: accepts any client) that can answer with arbitrary bytes.
class RawServer {
 public:
  explicit RawServer(const NodeKey& key) : ctx_(zmq_ctx_new()), s_(zmq_socket(ctx_, ZMQ_ROUTER)) {
    const int one = 1, linger = 0, timeout_ms = 100;
    zmq_setsockopt(s_, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s_, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    zmq_setsockopt(s_, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt(s_, ZMQ_CURVE_SECRETKEY, key.secret_z85.c_str(), 41);
    EXPECT_EQ(zmq_bind(s_, "tcp://127.0.0.1:*"), 0);
    std::array<char, 256> ep{};
    size_t size = ep.size();
    zmq_getsockopt(s_, ZMQ_LAST_ENDPOINT, ep.data(), &size);
    endpoint_ = ep.data();
  }
  ~RawServer() {
    zmq_close(s_);
    zmq_ctx_term(ctx_);
  }
  const std::string& endpoint() const { return endpoint_; }
  // Waits (bounded) for the next frame; returns the sender's routing id, or "" on timeout.
  std::string receive() {
    const auto deadline = std::chrono::steady_clock::now() + kBound;
    while (std::chrono::steady_clock::now() < deadline) {
      std::array<char, 256> rid{};
      const int n = zmq_recv(s_, rid.data(), rid.size(), 0);
      if (n < 0) continue;
      std::array<char, 4096> body{};
      zmq_recv(s_, body.data(), body.size(), 0);
      return std::string(rid.data(), static_cast<size_t>(n));
    }
    return "";
  }
  void send(const std::string& rid, const std::string& bytes) {
    zmq_send(s_, rid.data(), rid.size(), ZMQ_SNDMORE);
    zmq_send(s_, bytes.data(), bytes.size(), 0);
  }

 private:
  void* ctx_;
  void* s_;
  std::string endpoint_;
};

TEST(Host, MisbehavingPersistentPeerIsRedialledOnlyAfterTheBan) {
  const NodeKey server_key = fresh_key();
  RawServer server(server_key);
  Inbox ia;
  HostOptions oa;
  oa.chain_id = "physis-test";
  oa.ban_duration = std::chrono::milliseconds(300);
  auto peer = parse_peer_address(server_key.node_id() + "@" + server.endpoint().substr(6));
  ASSERT_TRUE(peer.ok());
  oa.persistent_peers = {*peer};
  auto a = start_host(oa, ia);
  const std::string rid = server.receive();  // A's Hello
  ASSERT_FALSE(rid.empty());
  for (int i = 0; i < 3; ++i) server.send(rid, "\xff\xff garbage");
  ASSERT_TRUE(eventually([&] { return a->rejected_count() == 3; }));
  EXPECT_EQ(a->banned_count(), 0u);
  const auto before_ban = std::chrono::steady_clock::now();
  server.send(rid, "\xff\xff garbage");
  ASSERT_TRUE(eventually([&] { return a->banned_count() == 1; }));
  EXPECT_EQ(ia.count([](const std::string&, const Envelope&) { return true; }), 0u);
  // The ban closed the DEALER; a new one (new routing id) says Hello again, not before the ban ends.
  const std::string rid2 = server.receive();
  ASSERT_FALSE(rid2.empty());
  EXPECT_NE(rid2, rid);
  EXPECT_GE(std::chrono::steady_clock::now() - before_ban, oa.ban_duration);
  EXPECT_TRUE(has_peer(*a, server_key.node_id()));
}

}  // namespace
}  // namespace physis::p2p

namespace physis::p2p {
namespace {

TEST(Host, InboundPeerCapRefusesNewKeys) {
  Inbox ia, ib, ic, id;
  HostOptions ob = listener_options();
  ob.max_inbound_peers = 1;
  auto b = start_host(ob, ib);
  auto d = start_host(listener_options(), id);
  HostOptions oa;
  oa.chain_id = "physis-test";
  oa.persistent_peers = {address_of(*b)};
  auto a = start_host(oa, ia);
  ASSERT_TRUE(ib.wait_for(is_hello_from(a->node_id())));
  // C dials B (full) and D; once D has C's marker, B would have had C's earlier Hello if admitted.
  HostOptions oc;
  oc.chain_id = "physis-test";
  oc.persistent_peers = {address_of(*b), address_of(*d)};
  auto c = start_host(oc, ic);
  ASSERT_TRUE(id.wait_for(is_hello_from(c->node_id())));
  ASSERT_TRUE(c->send(d->node_id(), tx("marker")).ok());
  ASSERT_TRUE(id.wait_for(is_tx(c->node_id(), "marker")));
  EXPECT_EQ(ib.count([&](const std::string& p, const Envelope&) { return p == c->node_id(); }), 0u);
  EXPECT_FALSE(has_peer(*b, c->node_id()));
  EXPECT_TRUE(has_peer(*b, a->node_id()));
}

}  // namespace
}  // namespace physis::p2p
