// A minimal synchronous HTTP/1.1 client for sending JSON-RPC requests to physisd (used by physis-cli).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace physis::rpc {

// The parts of an http:// URL that the client needs.
struct HttpUrl {
  std::string host;          // name, IPv4 address, or IPv6 address without brackets
  std::uint16_t port = 80;   // from the URL, or 80 when it names none
  std::string target = "/";  // path (and query) to request; "/" when the URL has none
};

// Parses "http://host[:port][/path]". A URL without a scheme ("127.0.0.1:8545") is taken as http; IPv6 hosts
// go in brackets ("http://[::1]:8545"). Returns an error with code "rpc_url" and a message naming the URL and
// what is wrong: https or another scheme (the RPC server speaks plain HTTP), an empty host, a bad port,
// credentials, whitespace. Thread-safe (pure).
Result<HttpUrl> parse_http_url(std::string_view url);

// Largest response body http_post_json accepts.
inline constexpr std::size_t kMaxResponseBytes = 64 * 1024 * 1024;

// POSTs `body` (Content-Type: application/json) to `url` on a new connection, and returns the response body
// of a 200 reply, or an empty string for 204 (no content). The whole exchange — name lookup, connect, send,
// receive — must finish within `timeout`. Blocks the calling thread; thread-safe (each call uses its own I/O
// context and connection). Errors, each with a message that says what to check:
//   "rpc_url"     — the URL does not parse (see parse_http_url);
//   "rpc_connect" — name lookup or connect failed, e.g.
//                   "cannot connect to 127.0.0.1:8545: connection refused — is physisd running? (--rpc URL)";
//   "rpc_io"      — the connection broke while sending or receiving, or the reply is not valid HTTP;
//   "rpc_timeout" — no complete response within `timeout`;
//   "rpc_status"  — a status other than 200/204; the message holds the status and (the start of) the body.
Result<std::string> http_post_json(const std::string& url, const std::string& body,
                                   std::chrono::milliseconds timeout);

}  // namespace physis::rpc
