#include "rpc/http_server.h"

#include <algorithm>
#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <exception>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "util/log.h"

namespace physis::rpc {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// How long a closing connection keeps reading (and discarding) what the client still sends, so that the
// kernel does not answer unread data with a reset that would destroy our error response before the client
// reads it.
constexpr std::chrono::seconds kLingerTime{2};
// Pause before accepting again after an accept error such as "too many open files".
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

std::string host_port(const std::string& host, std::uint16_t port) {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// "Address already in use" → "address already in use", to read well after a colon.
std::string lower_first(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

std::string json_rpc_error_body(int code, const std::string& message) {
  nlohmann::json body = {
      {"jsonrpc", "2.0"}, {"id", nullptr}, {"error", {{"code", code}, {"message", message}}}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool is_http_parse_error(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category();
}

// One client connection. Lives as long as an operation of it is pending (each holds a shared_ptr); all of its
// handlers run on its own strand, so it needs no locking.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpServerOptions& options, const HttpServer::Handler& handler)
      : stream_(std::move(socket)), options_(options), handler_(handler) {
    beast::error_code ignored;  // small request/response exchanges should not wait on Nagle's algorithm
    stream_.socket().set_option(tcp::no_delay(true), ignored);
  }

  void run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }

 private:
  void read_header() {
    parser_.emplace();
    // No limit while reading the header, so that an oversize Content-Length is seen (and reported) in
    // on_header. (Not boost::none: Beast 1.74 compares the length against it and then always fails.)
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(options_.read_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return on_read_error(ec);
    const auto length = parser_->content_length();
    if (length && *length > options_.max_body_bytes) return reject_too_large();
    parser_->body_limit(options_.max_body_bytes);  // for chunked bodies, whose size is unknown up front
    const auto expect = parser_->get()[http::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      // Clients such as curl wait for this before sending a large body.
      continue_.emplace(http::status::continue_, parser_->get().version());
      http::async_write(stream_, *continue_,
                        [self = shared_from_this()](beast::error_code write_ec, std::size_t) {
                          if (write_ec)
                            return;  // the connection is gone; dropping the last reference closes it
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
  }

  void on_read_error(beast::error_code ec) {
    if (ec == http::error::end_of_stream) {  // the client closed between requests: the normal end
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      return;
    }
    if (ec == http::error::body_limit) return reject_too_large();
    if (ec == http::error::header_limit) {
      return respond(http::status::request_header_fields_too_large, "request header too large\n",
                     "text/plain", false);
    }
    if (is_http_parse_error(ec)) {
      LOG_DEBUG("rpc", "malformed HTTP from " << peer() << ": " << ec.message());
      return respond(http::status::bad_request, "bad request: " + ec.message() + "\n", "text/plain", false);
    }
    // A timeout (beast::error::timeout; the stream has closed the socket), a reset, or a cancel: nothing to
    // send.
    if (ec != net::error::operation_aborted)
      LOG_DEBUG("rpc", "connection from " << peer() << ": " << ec.message());
  }

  void on_body(beast::error_code ec) {
    if (ec) return on_read_error(ec);
    const auto& request = parser_->get();
    const bool keep_alive = request.keep_alive();
    const std::string_view target(request.target().data(), request.target().size());
    const std::string_view path = target.substr(0, target.find('?'));

    if (path == "/health") {
      if (request.method() != http::verb::get) return method_not_allowed("GET", keep_alive);
      return respond(http::status::ok, "ok", "text/plain", keep_alive);
    }
    if (path != "/") {
      return respond(http::status::not_found, "not found; JSON-RPC is served by POST /\n", "text/plain",
                     keep_alive);
    }
    if (request.method() != http::verb::post) return method_not_allowed("POST", keep_alive);

    std::string body;
    try {
      body = handler_(std::string_view(request.body()));
    } catch (const std::exception& e) {
      LOG_ERROR("rpc", "request handler failed: " << e.what());
      return respond(http::status::internal_server_error,
                     json_rpc_error_body(-32603, std::string("internal error: ") + e.what()),
                     "application/json", keep_alive);
    } catch (...) {
      LOG_ERROR("rpc", "request handler threw a non-standard exception");
      return respond(http::status::internal_server_error, json_rpc_error_body(-32603, "internal error"),
                     "application/json", keep_alive);
    }
    if (body.empty()) return respond(http::status::no_content, {}, {}, keep_alive);
    respond(http::status::ok, std::move(body), "application/json", keep_alive);
  }

  void reject_too_large() {
    const auto length = parser_->is_header_done() ? parser_->content_length() : boost::none;
    const std::string limit = std::to_string(options_.max_body_bytes);
    const std::string size = length ? std::to_string(*length) + " bytes" : "more than " + limit + " bytes";
    // -32600 is JSON-RPC's "invalid request"; the connection closes since the rest of the body goes unread.
    respond(http::status::payload_too_large,
            json_rpc_error_body(-32600, "request too large: " + size + ", limit " + limit),
            "application/json", false);
  }

  void method_not_allowed(const char* allowed, bool keep_alive) {
    respond(http::status::method_not_allowed, std::string("method not allowed; use ") + allowed + "\n",
            "text/plain", keep_alive, allowed);
  }

  void respond(http::status status, std::string body, std::string_view content_type, bool keep_alive,
               std::string_view allow = {}) {
    const unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    response_ = http::response<http::string_body>(status, version);
    response_.set(http::field::server, "physis");
    if (!content_type.empty())
      response_.set(http::field::content_type, beast::string_view(content_type.data(), content_type.size()));
    if (!allow.empty()) response_.set(http::field::allow, beast::string_view(allow.data(), allow.size()));
    response_.keep_alive(keep_alive);
    response_.body() = std::move(body);
    response_.prepare_payload();
    stream_.expires_after(options_.read_timeout);  // a client that never reads cannot hold us forever
    http::async_write(stream_, response_,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                        if (ec) return;
                        if (keep_alive) return self->read_header();
                        self->linger();
                      });
  }

  // Half-closes, then discards input until the client closes too (or kLingerTime passes).
  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    drain();
  }

  void drain() {
    stream_.async_read_some(net::buffer(drain_buffer_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (!ec) self->drain();
                            });
  }

  std::string peer() const {
    beast::error_code ec;
    const auto endpoint = stream_.socket().remote_endpoint(ec);
    return ec ? std::string("unknown peer") : host_port(endpoint.address().to_string(), endpoint.port());
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;  // kept across requests: it may hold the start of a pipelined next request
  std::optional<http::request_parser<http::string_body>> parser_;  // fresh for each request
  std::optional<http::response<http::empty_body>> continue_;
  http::response<http::string_body> response_;
  std::array<char, 4096> drain_buffer_{};
  const HttpServerOptions& options_;    // owned by HttpServer::Impl, which outlives every Session
  const HttpServer::Handler& handler_;  // likewise
};

}  // namespace

// Everything a running server owns. The io_context is created by start() and destroyed by stop(); destroying
// it destroys every pending handler and with them every Session, which closes the client sockets.
struct HttpServer::Impl {
  Impl(HttpServerOptions opts, Handler h) : options(std::move(opts)), handler(std::move(h)) {
    options.threads = std::max(options.threads, 1);
  }

  void accept() {
    acceptor->async_accept(net::make_strand(*io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (ec) {
        LOG_WARN("rpc", "accept failed: " << ec.message() << "; retrying");
        accept_retry->expires_after(kAcceptRetryDelay);
        accept_retry->async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec) accept();
        });
        return;
      }
      std::make_shared<Session>(std::move(socket), options, handler)->run();
      accept();
    });
  }

  HttpServerOptions options;
  Handler handler;
  std::unique_ptr<net::io_context> io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<net::steady_timer> accept_retry;
  std::vector<std::thread> threads;
};

HttpServer::HttpServer(HttpServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() { stop(); }

bool HttpServer::running() const { return impl_->io != nullptr; }

Result<std::uint16_t> HttpServer::start() {
  auto& s = *impl_;
  if (s.io) return make_error("rpc_running", "the RPC server is already running");
  const std::string where = host_port(s.options.bind, s.options.port);
  auto io = std::make_unique<net::io_context>(s.options.threads);

  beast::error_code ec;
  tcp::endpoint endpoint;
  const auto address = net::ip::make_address(s.options.bind, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, s.options.port);
  } else {
    tcp::resolver resolver(*io);
    const auto results = resolver.resolve(s.options.bind, std::to_string(s.options.port), ec);
    if (ec || results.empty()) {
      return make_error("rpc_bind", "cannot bind " + where + ": cannot resolve '" + s.options.bind +
                                        "': " + lower_first(ec ? ec.message() : "no addresses"));
    }
    endpoint = results.begin()->endpoint();
  }

  auto acceptor = std::make_unique<tcp::acceptor>(net::make_strand(*io));
  const auto fail = [&](const char* step) {
    return make_error("rpc_bind",
                      "cannot bind " + where + ": " + lower_first(ec.message()) + " (" + step + ")");
  };
  if (acceptor->open(endpoint.protocol(), ec); ec) return fail("open");
  if (acceptor->set_option(net::socket_base::reuse_address(true), ec); ec) return fail("set reuse_address");
  if (acceptor->bind(endpoint, ec); ec)
    return make_error("rpc_bind", "cannot bind " + where + ": " + lower_first(ec.message()));
  if (acceptor->listen(net::socket_base::max_listen_connections, ec); ec) return fail("listen");
  const std::uint16_t port = acceptor->local_endpoint(ec).port();
  if (ec) return fail("local_endpoint");

  s.accept_retry = std::make_unique<net::steady_timer>(acceptor->get_executor());
  s.acceptor = std::move(acceptor);
  s.io = std::move(io);
  s.accept();
  for (int i = 0; i < s.options.threads; ++i) {
    s.threads.emplace_back([io = s.io.get()] {
      for (;;) {
        try {
          io->run();
          return;
        } catch (const std::exception& e) {  // handlers do not throw; this is a last line of defence
          LOG_ERROR("rpc", "RPC server thread caught: " << e.what());
        }
      }
    });
  }
  LOG_INFO("rpc", "RPC server listening on " << host_port(endpoint.address().to_string(), port) << " ("
                                             << s.options.threads << " threads)");
  return port;
}

void HttpServer::stop() {
  auto& s = *impl_;
  if (!s.io) return;
  s.io->stop();  // run() returns in every thread once its current handler (if any) finishes
  for (auto& thread : s.threads) thread.join();
  s.threads.clear();
  s.accept_retry.reset();
  s.acceptor.reset();
  s.io.reset();  // destroys pending handlers, hence all Sessions, hence closes every connection
  LOG_INFO("rpc", "RPC server stopped");
}

}  // namespace physis::rpc
