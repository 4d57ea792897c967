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
// Connections are kept alive between requests (HTTP/1.1 default). A connection that takes longer than
// read_timeout to deliver a request, or to accept a response, is closed, so idle clients cannot pin
// resources.
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
  std::chrono::milliseconds read_timeout = std::chrono::seconds(30);  // per request, and per response write
};

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

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace physis::rpc
