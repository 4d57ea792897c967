#include "rpc/http_client.h"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <optional>

namespace physis::rpc {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr std::string_view kUrlShape = "expected http://host:port[/path], e.g. http://127.0.0.1:8545";

Error url_error(std::string_view url, const std::string& what) {
  return make_error("rpc_url",
                    "bad RPC URL '" + std::string(url) + "': " + what + "; " + std::string(kUrlShape));
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "Connection refused" → "connection refused", to read well after a colon.
std::string lower_first(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

std::string host_port(const HttpUrl& url) {
  const bool ipv6 = url.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

// The start of a body, trimmed, for an error message.
std::string excerpt(std::string body) {
  constexpr std::size_t kMax = 500;
  while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back()))) body.pop_back();
  if (body.size() > kMax) body = body.substr(0, kMax) + "...";
  return body.empty() ? "(empty body)" : body;
}

}  // namespace

Result<HttpUrl> parse_http_url(std::string_view url) {
  const bool has_bad_char =
      std::any_of(url.begin(), url.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; });
  if (url.empty()) return url_error(url, "it is empty");
  if (has_bad_char) return url_error(url, "it contains spaces or control characters");

  std::string_view rest = url;
  if (const auto scheme_end = rest.find("://"); scheme_end != std::string_view::npos) {
    const std::string scheme = lower(rest.substr(0, scheme_end));
    if (scheme == "https") {
      return url_error(url,
                       "https is not supported: the RPC server speaks plain HTTP (keep it on localhost or "
                       "put a TLS proxy in front)");
    }
    if (scheme != "http") return url_error(url, "unsupported scheme '" + scheme + "'");
    rest.remove_prefix(scheme_end + 3);
  }

  HttpUrl out;
  const auto path_start = rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  if (path_start != std::string_view::npos) out.target = std::string(rest.substr(path_start));
  if (authority.find('@') != std::string_view::npos)
    return url_error(url, "credentials in URLs are not supported");

  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return url_error(url, "'[' without ']' around an IPv6 address");
    out.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return url_error(url, "unexpected text after ']'");
    if (!after.empty()) port_text = after.substr(1);
    if (after == ":") return url_error(url, "empty port");
  } else {
    const auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return url_error(url, "empty port");
      if (port_text.find(':') != std::string_view::npos) {
        return url_error(url, "an IPv6 address must be in brackets, e.g. http://[::1]:8545");
      }
    }
  }
  if (out.host.empty()) return url_error(url, "no host");
  if (!port_text.empty()) {
    const bool digits = port_text.size() <= 5 && std::all_of(port_text.begin(), port_text.end(),
                                                             [](char c) { return c >= '0' && c <= '9'; });
    const unsigned long port = digits ? std::stoul(std::string(port_text)) : 0;
    if (!digits || port == 0 || port > 65535) {
      return url_error(url, "port '" + std::string(port_text) + "' is not a number from 1 to 65535");
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  return out;
}

Result<std::string> http_post_json(const std::string& url, const std::string& body,
                                   std::chrono::milliseconds timeout) {
  auto parsed = parse_http_url(url);
  if (!parsed) return parsed.error();
  const HttpUrl target = std::move(parsed).value();
  const std::string where = host_port(target);
  const std::string check = " — is physisd running? (--rpc URL)";

  // Declared first so it is destroyed last: handlers still pending after a timeout are destroyed with it,
  // never invoked, so they may refer to the locals below.
  net::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBytes);

  http::request<http::string_body> request(http::verb::post, target.target, 11);
  request.set(http::field::host, where);
  request.set(http::field::user_agent, "physis-cli");
  request.set(http::field::content_type, "application/json");
  request.set(http::field::accept, "application/json");
  request.keep_alive(false);
  request.body() = body;
  request.prepare_payload();

  std::optional<Result<std::string>> outcome;
  std::string stage = "looking up " + target.host;
  beast::error_code write_error;

  const auto on_read = [&](beast::error_code ec, std::size_t) {
    if (ec) {
      const auto& first = write_error ? write_error : ec;
      outcome = make_error("rpc_io", "lost connection to " + where + " while " +
                                         (write_error ? "sending" : "receiving") + ": " +
                                         lower_first(first.message()) + check);
      return;
    }
    auto& response = parser.get();
    const unsigned status = response.result_int();
    if (status == 200 || status == 204) {
      outcome = std::move(response.body());
      return;
    }
    outcome =
        make_error("rpc_status", "HTTP " + std::to_string(status) + " " + std::string(response.reason()) +
                                     " from " + where + ": " + excerpt(std::move(response.body())));
  };
  const auto on_write = [&](beast::error_code ec, std::size_t) {
    // Read even after a failed write: the server may have answered early (413) and closed.
    write_error = ec;
    stage = "waiting for the response";
    http::async_read(stream, buffer, parser, on_read);
  };
  const auto on_connect = [&](beast::error_code ec, const tcp::endpoint&) {
    if (ec) {
      outcome =
          make_error("rpc_connect", "cannot connect to " + where + ": " + lower_first(ec.message()) + check);
      return;
    }
    stage = "sending the request";
    http::async_write(stream, request, on_write);
  };
  resolver.async_resolve(target.host, std::to_string(target.port),
                         [&](beast::error_code ec, const tcp::resolver::results_type& results) {
                           if (ec) {
                             outcome = make_error("rpc_connect", "cannot resolve host '" + target.host +
                                                                     "': " + lower_first(ec.message()) +
                                                                     " — check the --rpc URL");
                             return;
                           }
                           stage = "connecting";
                           stream.async_connect(results, on_connect);
                         });

  io.run_for(timeout);
  if (!outcome) {
    return make_error("rpc_timeout", "no response from " + where + " within " +
                                         std::to_string(timeout.count()) + " ms (stuck " + stage +
                                         ") — is physisd running and responsive? "
                                         "(--rpc URL)");
  }
  return std::move(*outcome);
}

}  // namespace physis::rpc
