// A small HTTP/1.1 server for JSON-RPC, on Boost.Beast/Asio with its own threads.
//
// Routes:
//   POST /        → 200 with the handler's body (Content-Type: application/json), or 204 when the handler
//   returns
//                   an empty string (a JSON-RPC notification). Any request Content-Type is accepted.
//                   A body over max_body_bytes → 413 with a JSON-RPC -32600 error body, and the connection
//                   closes.
//   GET /health   → 200 "ok" (text/plain), for liveness checks.
//   other methods on those paths → 405 with an Allow header; other paths → 404.
//   malformed HTTP → 400, and the connection closes.
//
// Connections are kept alive between requests (HTTP/1.1 default). Limits, so that clients cannot pin the
// node's descriptors or threads (issue 6, finding 2):
//   - a new connection must deliver its first request header within header_timeout, and a kept-alive
//     connection its next one within idle_timeout; a body and each response write get read_timeout;
//   - at most max_connections_per_ip connections from one address: a connection over it gets a best-effort
//     503 and is closed at once (it holds no descriptor after the accept);
//   - at most max_connections in all: at the cap, a new connection evicts the connection that has been
//     waiting for a request the longest (no request of it is in progress), and is refused with 503 only when
//     every connection is busy. So idle sockets cannot lock out a client that sends a request.
// The process may hold up to max_connections + kConnectionSlack descriptors for connections (an evicted
// connection closes on its own strand, a moment after the new one is accepted), plus one for the acceptor.
// When accepting fails (e.g. EMFILE) the acceptor pauses (100 ms, doubling up to 1 s) instead of spinning,
// and logs at most one warning per 10 s with the count of failures since the last one.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "util/result.h"

namespace physis::rpc {

struct HttpServerOptions {
  std::string bind = "127.0.0.1";            // IP address (v4 or v6) or host name to listen on
  std::uint16_t port = 8545;                 // 0 picks a free port; start() returns the one chosen
  std::size_t max_body_bytes = 1024 * 1024;  // larger request bodies get 413
  int threads = 2;  // I/O threads; also how many handler calls can run at once (min 1)
  // Time from accepting a connection (or from the end of the previous response's write, for the first
  // request) until its first request header has fully arrived.
  std::chrono::milliseconds header_timeout = std::chrono::seconds(5);
  // Time a kept-alive connection may take to deliver its next request header after a response.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(15);
  // Time to receive a request body, and to write each response (a client that never reads cannot hold us).
  std::chrono::milliseconds read_timeout = std::chrono::seconds(30);
  std::size_t max_connections = 256;        // open client connections in all (min 1)
  std::size_t max_connections_per_ip = 64;  // open client connections from one remote address (min 1)
};

// Connections that may be open beyond max_connections for a moment (evicted ones still closing).
inline constexpr std::size_t kConnectionSlack = 8;

// Serves HTTP on a listening socket. Owns the socket, every open connection and the I/O threads.
//
// start(), stop() and the destructor must be called from one thread at a time (not from inside the handler).
class HttpServer {
 public:
  // Called with each POST body, from one of the server's threads, possibly from several at once; so it must
  // be thread-safe. Returns the response body; an empty string means "no content" (HTTP 204). An exception
  // from it is answered with HTTP 500 and a JSON-RPC -32603 body (RpcDispatcher::handle never throws).
  using Handler = std::function<std::string(std::string_view body)>;

  HttpServer(HttpServerOptions options, Handler handler);
  ~HttpServer();  // calls stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens on options.bind:options.port, then serves on options.threads new threads.
  // Returns the port actually bound (useful with port 0). Errors:
  //   "rpc_bind"    — cannot resolve or bind, e.g. "cannot bind 127.0.0.1:8545: address already in use";
  //   "rpc_running" — start() was already called without a matching stop().
  // After stop(), start() may be called again.
  Result<std::uint16_t> start();

  // Stops accepting, closes every connection and joins the threads. Returns once no handler is running (a
  // handler call in progress is allowed to finish). Idempotent; does nothing if not started.
  void stop();

  // True between a successful start() and stop().
  bool running() const;

  // Client connections open right now (accepted and not yet closed). Thread-safe; for tests and status.
  std::size_t connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace physis::rpc
