// The P2P transport: one ZeroMQ context and one thread that owns every socket of this node
// (DESIGN §6: ZeroMQ sockets are used from one thread each).
//
// Sockets, all owned by the host thread:
//  - a ROUTER listening on `listen_address`, CurveZMQ server (ZMQ_CURVE_SERVER) with the node key;
//  - one DEALER per persistent peer, CurveZMQ client that pins the peer's public key (its node id),
//    so a listener with any other key fails the handshake and nothing is ever exchanged;
//  - a ZAP handler (REP on inproc://zeromq.zap.01 of this host's context) that libzmq consults for
//    every inbound CURVE handshake. It refuses banned keys and otherwise accepts, returning the
//    client's Z85 public key as the ZAP User-Id.
//
// Peer authentication: an inbound frame's sender is `zmq_msg_gets(frame, "User-Id")`, which libzmq
// sets from our own ZAP reply after the CURVE handshake proved the client holds that key. It is not
// something the peer can claim in a message. An outbound peer is the key we pinned. So every
// delivered envelope carries a peer id that was proven cryptographically.
//
// Every socket has ZMQ_MAXMSGSIZE (libzmq drops a connection that sends a larger frame) and send and
// receive high-water marks. ZeroMQ drops at the HWM: send() and broadcast() are best effort, and the
// gossip layer above must re-send what a peer still lacks.
//
// Misbehaviour (peer_score.h): each rejected frame lowers the peer's score; at the threshold the peer
// is dropped with a LOG_WARN naming the reason and its key is banned for `ban_duration`. An outbound
// DEALER is closed and re-opened only after the ban. libzmq 4.3 cannot close one inbound connection of
// a ROUTER, so an inbound banned peer's frames are discarded unread and its reconnects are refused by
// the ZAP handler until the ban ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "p2p/envelope.h"
#include "p2p/node_key.h"
#include "p2p/peer_score.h"
#include "util/result.h"

namespace physis::p2p {

// A persistent peer: `<node-id>@host:port` → node id and "tcp://host:port". The node id is always
// exactly 40 characters (Z85 may itself contain @ and :).
struct PeerAddress {
  std::string node_id;
  std::string endpoint;
};
// Errors (code "peer_address"): no @ after 40 characters, node id not 40 characters of Z85,
// missing host or port.
Result<PeerAddress> parse_peer_address(const std::string& text);

struct HostOptions {
  std::string chain_id;
  // ZeroMQ endpoint to listen on, e.g. "tcp://0.0.0.0:26656"; "tcp://127.0.0.1:*" picks a free port
  // (see Host::listen_endpoint). Empty: no listener (outbound links only).
  std::string listen_address;
  std::vector<PeerAddress> persistent_peers;
  size_t max_message_bytes = 4u << 20;
  int send_hwm = 1000;
  int receive_hwm = 1000;
  ScoreOptions score;
  std::chrono::milliseconds ban_duration{60'000};
  // Inbound peers are forgotten after this long without a frame (libzmq does not tell a ROUTER which
  // key disconnected), and the ZAP handler refuses new inbound keys while this many are known, so a
  // stream of fresh keys cannot grow the peer table without bound.
  std::chrono::milliseconds inbound_idle{120'000};
  size_t max_inbound_peers = 64;
};

enum class PeerDirection { kInbound, kOutbound };
const char* direction_name(PeerDirection direction);

struct PeerInfo {
  std::string node_id;
  std::string address;  // outbound: the endpoint dialled; inbound: the TCP peer address from ZMQ
  PeerDirection direction = PeerDirection::kInbound;
  int32_t score = 0;
  uint64_t height = 0;  // last height reported in Hello or Status
};

class Host {
 public:
  // Called on the host thread for every accepted envelope, with the authenticated sender's node id.
  // It must not block for long (it stalls all networking) and must not call back into the Host's
  // destructor; calling send()/broadcast() from it is fine.
  using Handler = std::function<void(const std::string& peer_id, const Envelope& envelope)>;

  // Creates the context and sockets, binds the listener, dials persistent peers (each is sent a Hello
  // at once) and starts the thread. Errors: "no_curve", "p2p_bind" (address in use or invalid),
  // "p2p_socket". The handler is required.
  static Result<std::unique_ptr<Host>> start(NodeKey key, HostOptions options, Handler handler);

  // Stops the thread and closes every socket (linger 0: queued frames are discarded).
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // Queue one envelope for `peer_id` (chain id is filled in). Thread-safe. Errors: "oversize" (the
  // encoded frame exceeds max_message_bytes), "stopped". An unknown or unreachable peer is not an
  // error: the host thread drops the frame, as ZeroMQ would at the HWM.
  Status send(const std::string& peer_id, Envelope envelope);
  // Queue one envelope for every connected peer. Thread-safe. Same errors as send().
  Status broadcast(Envelope envelope);

  // Lowers `peer_id`'s score for a message the layer above refused (`reason` is logged with the peer);
  // at the threshold the peer is dropped and banned as for transport rejections. Thread-safe: applied
  // on the host thread. An unknown peer is ignored.
  void penalize(const std::string& peer_id, RejectReason reason, std::string detail);
  // Snapshot of known peers, sorted by node id. Thread-safe.
  std::vector<PeerInfo> peers() const;
  // Our node id (Z85 public key).
  const std::string& node_id() const;
  // The endpoint the listener is bound to (the resolved port if "*" was asked); empty if none.
  const std::string& listen_endpoint() const;
  // Number of envelopes rejected so far (any reason) and peers banned so far. Thread-safe.
  uint64_t rejected_count() const;
  uint64_t banned_count() const;

  class Impl;

 private:
  explicit Host(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace physis::p2p
