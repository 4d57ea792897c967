#include "rpc/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
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
#include <map>
#include <mutex>
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
// Pause before accepting again after an accept error such as "too many open files" (the pending connection
// stays in the kernel's backlog): it doubles on each failure in a row up to the maximum.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
constexpr std::chrono::milliseconds kAcceptRetryMaxDelay{1000};
// At most one warning of a kind (accept failures, refused connections) per this interval.
constexpr std::chrono::seconds kWarningInterval{10};
// How much a refused connection's already-sent request is read (and discarded) before closing, so that the
// close sends FIN, not a reset that would destroy the 503 before the client reads it.
constexpr std::size_t kRefuseDrainBytes = 64 * 1024;

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

// Says whether a warning may be logged now: true at most once per kWarningInterval. `suppressed` gets how
// many were held back since the last one. Thread-safe.
class WarningLimiter {
 public:
  bool allow(std::size_t& suppressed) {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (logged_once_ && now - last_ < kWarningInterval) {
      ++suppressed_;
      return false;
    }
    logged_once_ = true;
    last_ = now;
    suppressed = std::exchange(suppressed_, 0);
    return true;
  }

 private:
  std::mutex mutex_;
  bool logged_once_ = false;
  std::chrono::steady_clock::time_point last_{};
  std::size_t suppressed_ = 0;
};

std::string suppressed_note(std::size_t suppressed) {
  return suppressed == 0 ? std::string()
                         : " (" + std::to_string(suppressed) + " more since the last such warning)";
}

class Session;

// The open connections, shared by the acceptor and every Session: how many in all and per remote address,
// and which are waiting for a request (evictable), oldest first. Thread-safe (one mutex); never calls into a
// Session while holding it, and never drops the last reference to one while holding it.
class ConnectionTable {
 public:
  enum class Verdict { kAccept, kOverPerAddress, kFull };
  struct Admission {
    Verdict verdict = Verdict::kFull;
    std::shared_ptr<Session> evict;  // with kAccept: a waiting connection to close to make room, or null
  };

  // Decides about a new connection from `address`; with kAccept its slot is taken (release() gives it back).
  Admission admit(const net::ip::address& address, const HttpServerOptions& options);
  // Gives back the slot of a connection from `address`; `evicted` when admit() chose it for eviction.
  void release(const net::ip::address& address, bool evicted);
  // Marks a connection as waiting for a request (evictable) until wait_end(key). Returns the key.
  std::uint64_t wait_begin(const std::shared_ptr<Session>& session);
  void wait_end(std::uint64_t key);
  std::size_t total() const {
    std::lock_guard lock(mutex_);
    return total_;
  }

 private:
  mutable std::mutex mutex_;
  std::size_t total_ = 0;
  std::size_t evicting_ = 0;  // chosen for eviction, not yet closed
  std::map<net::ip::address, std::size_t> per_address_;
  std::map<std::uint64_t, std::weak_ptr<Session>> waiting_;  // by key: keys increase, so oldest first
  std::uint64_t next_key_ = 1;
};

// One client connection. Lives as long as an operation of it is pending (each holds a shared_ptr); all of its
// handlers run on its own strand, so it needs no locking.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // The connection's slot in `table` was taken by admit(); the destructor gives it back.
  Session(tcp::socket socket, net::ip::address address, const HttpServerOptions& options,
          const HttpServer::Handler& handler, ConnectionTable& table)
      : stream_(std::move(socket)),
        address_(std::move(address)),
        options_(options),
        handler_(handler),
        table_(table) {
    beast::error_code ignored;  // small request/response exchanges should not wait on Nagle's algorithm
    stream_.socket().set_option(tcp::no_delay(true), ignored);
  }
  ~Session() {
    if (wait_key_ != 0) table_.wait_end(wait_key_);
    table_.release(address_, evicted_.load());
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }

  // Called by the table (under its lock) when it picks this connection to make room.
  void mark_evicted() { evicted_.store(true); }
  // Closes the connection from its own strand; a pending read then ends with operation_aborted. If a request
  // arrived meanwhile, it is served first and the connection closes after the response (its slot counts
  // against kConnectionSlack until then).
  void evict() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      self->evict_requested_ = true;
      if (self->wait_key_ == 0) return;  // busy with a request: respond() closes after it
      LOG_DEBUG("rpc", "closing idle connection from " << self->peer() << " to make room for a new one");
      self->stop_waiting();
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      self->stream_.close();
    });
  }

 private:
  void start_waiting() {
    if (wait_key_ == 0) wait_key_ = table_.wait_begin(shared_from_this());
  }
  void stop_waiting() {
    if (wait_key_ != 0) table_.wait_end(std::exchange(wait_key_, 0));
  }

  void read_header() {
    parser_.emplace();
    // No limit while reading the header, so that an oversize Content-Length is seen (and reported) in
    // on_header. (Not boost::none: Beast 1.74 compares the length against it and then always fails.)
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(served_ ? options_.idle_timeout : options_.header_timeout);
    start_waiting();
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    stop_waiting();
    if (ec) return on_read_error(ec);
    stream_.expires_after(options_.read_timeout);  // for the body
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
    keep_alive = keep_alive && !evict_requested_;
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
                        self->served_ = true;
                        if (keep_alive) return self->read_header();
                        self->linger();
                      });
  }

  // Half-closes, then discards input until the client closes too (or kLingerTime passes).
  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    start_waiting();  // nothing more will be served: the first to go when room is needed
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
  const net::ip::address address_;      // the client's, for the per-address count
  const HttpServerOptions& options_;    // owned by HttpServer::Impl, which outlives every Session
  const HttpServer::Handler& handler_;  // likewise
  ConnectionTable& table_;              // likewise
  bool served_ = false;                 // a response was written: the next request gets idle_timeout
  bool evict_requested_ = false;        // the table chose it to make room: close after any response
  std::uint64_t wait_key_ = 0;          // nonzero while registered as waiting in table_
  std::atomic<bool> evicted_{false};    // set by the table (another thread), read by the destructor
};

ConnectionTable::Admission ConnectionTable::admit(const net::ip::address& address,
                                                  const HttpServerOptions& options) {
  std::lock_guard lock(mutex_);
  Admission out;
  const auto found = per_address_.find(address);
  if (found != per_address_.end() &&
      found->second >= std::max<std::size_t>(options.max_connections_per_ip, 1)) {
    out.verdict = Verdict::kOverPerAddress;
    return out;
  }
  if (total_ >= std::max<std::size_t>(options.max_connections, 1)) {
    if (evicting_ >= kConnectionSlack) return out;  // kFull
    while (!waiting_.empty() && !out.evict) {
      out.evict = waiting_.begin()->second.lock();  // null when that session is being destroyed
      waiting_.erase(waiting_.begin());
    }
    if (!out.evict) return out;  // every connection is busy with a request: kFull
    out.evict->mark_evicted();
    ++evicting_;
  }
  out.verdict = Verdict::kAccept;
  ++total_;
  ++per_address_[address];
  return out;
}

void ConnectionTable::release(const net::ip::address& address, bool evicted) {
  std::lock_guard lock(mutex_);
  --total_;
  if (evicted) --evicting_;
  const auto it = per_address_.find(address);
  if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
}

std::uint64_t ConnectionTable::wait_begin(const std::shared_ptr<Session>& session) {
  std::lock_guard lock(mutex_);
  const std::uint64_t key = next_key_++;
  waiting_.emplace(key, session);
  return key;
}

void ConnectionTable::wait_end(std::uint64_t key) {
  std::lock_guard lock(mutex_);
  waiting_.erase(key);
}

// Answers a connection that gets no Session with a 503 (best effort: one non-blocking write) and closes it.
void refuse(tcp::socket& socket, const std::string& why) {
  const std::string body = json_rpc_error_body(-32603, "server busy: " + why + "; retry later");
  const std::string response =
      "HTTP/1.1 503 Service Unavailable\r\nServer: physis\r\nContent-Type: application/json\r\n"
      "Connection: close\r\nRetry-After: 1\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  beast::error_code ec;
  socket.non_blocking(true, ec);
  socket.write_some(net::buffer(response), ec);
  socket.shutdown(tcp::socket::shutdown_send, ec);
  std::array<char, 4096> discard{};
  for (std::size_t read = 0; read < kRefuseDrainBytes && !ec;)
    read += socket.read_some(net::buffer(discard), ec);
  socket.close(ec);
}

}  // namespace

// Everything a running server owns. The io_context is created by start() and destroyed by stop(); destroying
// it destroys every pending handler and with them every Session, which closes the client sockets.
struct HttpServer::Impl {
  Impl(HttpServerOptions opts, Handler h) : options(std::move(opts)), handler(std::move(h)) {
    options.threads = std::max(options.threads, 1);
  }

  // Accept handlers run on the acceptor's strand, one at a time.
  void accept() {
    acceptor->async_accept(net::make_strand(*io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (ec) return accept_failed(ec);
      accept_delay = kAcceptRetryDelay;
      admit(std::move(socket));
      accept();
    });
  }

  void accept_failed(const beast::error_code& ec) {
    std::size_t suppressed = 0;
    if (accept_warnings.allow(suppressed)) {
      LOG_WARN("rpc", "accept failed: " << ec.message() << "; pausing " << accept_delay.count()
                                        << " ms before accepting again" << suppressed_note(suppressed));
    }
    accept_retry->expires_after(accept_delay);
    accept_delay = std::min(accept_delay * 2, kAcceptRetryMaxDelay);
    accept_retry->async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec) accept();
    });
  }

  void admit(tcp::socket socket) {
    beast::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    if (ec) return;  // already gone; the socket closes here
    auto admission = table.admit(remote.address(), options);
    switch (admission.verdict) {
      case ConnectionTable::Verdict::kAccept:
        std::make_shared<Session>(std::move(socket), remote.address(), options, handler, table)->run();
        if (admission.evict) admission.evict->evict();
        return;
      case ConnectionTable::Verdict::kOverPerAddress:
        return refuse_logged(socket, "too many connections from " + remote.address().to_string() +
                                         " (limit " + std::to_string(options.max_connections_per_ip) + ")");
      case ConnectionTable::Verdict::kFull:
        return refuse_logged(
            socket, "all " + std::to_string(options.max_connections) + " connections are busy with requests");
    }
  }

  void refuse_logged(tcp::socket& socket, const std::string& why) {
    std::size_t suppressed = 0;
    if (refuse_warnings.allow(suppressed))
      LOG_WARN("rpc", "refused a connection: " << why << suppressed_note(suppressed));
    refuse(socket, why);
  }

  HttpServerOptions options;
  Handler handler;
  ConnectionTable table;
  WarningLimiter accept_warnings;
  WarningLimiter refuse_warnings;
  std::chrono::milliseconds accept_delay = kAcceptRetryDelay;  // on the acceptor's strand only
  std::unique_ptr<net::io_context> io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<net::steady_timer> accept_retry;
  std::vector<std::thread> threads;
};

HttpServer::HttpServer(HttpServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() { stop(); }

bool HttpServer::running() const { return impl_->io != nullptr; }

std::size_t HttpServer::connections() const { return impl_->table.total(); }

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
                                             << s.options.threads << " threads, at most "
                                             << s.options.max_connections << " connections, "
                                             << s.options.max_connections_per_ip << " per address)");
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
