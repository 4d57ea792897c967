// HTTP round trips over real sockets on 127.0.0.1: the server with the dispatcher, and the client against it.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <future>
#include <random>
#include <thread>
#include <vector>

#include "rpc/http_client.h"
#include "rpc/http_server.h"
#include "rpc/json_rpc.h"

namespace physis::rpc {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using json = nlohmann::json;
using namespace std::chrono_literals;

// A blocking raw connection, for requests the client would never send.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }
  void send(std::string_view bytes) { net::write(socket_, net::buffer(bytes.data(), bytes.size())); }
  http::response<http::string_body> read_response() {
    http::response<http::string_body> response;
    http::read(socket_, buffer_, response);
    return response;
  }
  // True when the server has closed the connection (the next read sees EOF or a reset).
  bool closed_by_server() {
    char byte = 0;
    beast::error_code ec;
    net::read(socket_, net::buffer(&byte, 1), ec);
    return ec == net::error::eof || ec == net::error::connection_reset;
  }
  // Reads until the server closes the connection; returns what arrived.
  std::string read_all() {
    std::string out;
    beast::error_code ec;
    net::read(socket_, net::dynamic_buffer(out), ec);
    return out;
  }
  void shutdown_send() {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
  }
  void shutdown() {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
  }

 private:
  net::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

std::string post_request(std::string_view body, std::string_view content_type = "application/json") {
  return "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: " + std::string(content_type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dispatcher_.add({"echo", "echo(params) -> params", [](const json& params) { return params; }});
    dispatcher_.add({"sleep", "sleep(ms)", [](const json& params) {
                       std::this_thread::sleep_for(std::chrono::milliseconds(param_u64(params, 0, "ms")));
                       return json(true);
                     }});
  }

  std::uint16_t start(HttpServerOptions options = {}) {
    options.port = 0;
    server_ = std::make_unique<HttpServer>(
        options, [this](std::string_view body) { return dispatcher_.handle(body); });
    auto port = server_->start();
    EXPECT_TRUE(port.ok()) << (port.ok() ? "" : port.error().message);
    port_ = port.ok() ? *port : 0;
    return port_;
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  RpcDispatcher dispatcher_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
};

TEST_F(HttpServerTest, PostRoundTrip) {
  start();
  const auto reply = http_post_json(url(), R"({"jsonrpc":"2.0","id":1,"method":"echo","params":["hi"]})", 5s);
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(json::parse(*reply), json::parse(R"({"jsonrpc":"2.0","id":1,"result":["hi"]})"));
  // Paths are part of the URL; "/" is what the server serves.
  EXPECT_TRUE(http_post_json(url() + "/", R"({"jsonrpc":"2.0","id":1,"method":"echo"})", 5s).ok());
}

TEST_F(HttpServerTest, ResponseHeadersAndLenientContentType) {
  start();
  RawConnection raw(port_);
  raw.send(post_request(R"({"jsonrpc":"2.0","id":1,"method":"rpc_methods"})", "text/plain"));
  const auto response = raw.read_response();
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response[http::field::content_type], "application/json");
  EXPECT_TRUE(json::parse(response.body()).at("result").is_array());
}

TEST_F(HttpServerTest, NotificationGets204AndClientReturnsEmpty) {
  start();
  const auto reply = http_post_json(url(), R"({"jsonrpc":"2.0","method":"echo"})", 5s);
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(*reply, "");
}

TEST_F(HttpServerTest, OversizeBodyGets413WithJsonRpcError) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  start(options);
  const std::string big =
      R"({"jsonrpc":"2.0","id":1,"method":"echo","params":[")" + std::string(2000, 'x') + R"("]})";
  const auto reply = http_post_json(url(), big, 5s);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, "rpc_status");
  EXPECT_NE(reply.error().message.find("413"), std::string::npos) << reply.error().message;
  const std::string expected = "request too large: " + std::to_string(big.size()) + " bytes, limit 1024";
  EXPECT_NE(reply.error().message.find(expected), std::string::npos) << reply.error().message;

  RawConnection raw(port_);
  raw.send(post_request(big));
  const auto response = raw.read_response();
  EXPECT_EQ(response.result(), http::status::payload_too_large);
  EXPECT_EQ(json::parse(response.body()).at("error").at("code"), kInvalidRequest);

  // A chunked body has no length up front; it is cut off once it passes the limit.
  RawConnection chunked(port_);
  chunked.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
               std::string(0x800, 'y') + "\r\n0\r\n\r\n");
  const auto chunked_response = chunked.read_response();
  EXPECT_EQ(chunked_response.result(), http::status::payload_too_large);
  EXPECT_NE(chunked_response.body().find("more than 1024 bytes"), std::string::npos)
      << chunked_response.body();
}

TEST_F(HttpServerTest, MethodsPathsAndHealth) {
  start();
  RawConnection raw(port_);  // one kept-alive connection for all of these
  raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  auto response = raw.read_response();
  EXPECT_EQ(response.result(), http::status::method_not_allowed);
  EXPECT_EQ(response[http::field::allow], "POST");
  raw.send("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(raw.read_response().result(), http::status::method_not_allowed);
  raw.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  response = raw.read_response();
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response.body(), "ok");
  raw.send("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(raw.read_response().result(), http::status::method_not_allowed);
  raw.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(raw.read_response().result(), http::status::not_found);
}

TEST_F(HttpServerTest, KeepAliveAndPipelining) {
  start();
  RawConnection raw(port_);
  const std::string one = post_request(R"({"jsonrpc":"2.0","id":1,"method":"echo"})");
  const std::string two = post_request(R"({"jsonrpc":"2.0","id":2,"method":"echo"})");
  raw.send(one);
  EXPECT_EQ(json::parse(raw.read_response().body()).at("id"), 1);
  raw.send(two + one);  // two requests in one write
  EXPECT_EQ(json::parse(raw.read_response().body()).at("id"), 2);
  EXPECT_EQ(json::parse(raw.read_response().body()).at("id"), 1);
}

TEST_F(HttpServerTest, ExpectContinue) {
  start();
  RawConnection raw(port_);
  const std::string body = R"({"jsonrpc":"2.0","id":5,"method":"echo"})";
  raw.send("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n");
  EXPECT_EQ(raw.read_response().result(), http::status::continue_);
  raw.send(body);
  EXPECT_EQ(json::parse(raw.read_response().body()).at("id"), 5);
}

TEST_F(HttpServerTest, MalformedHttpGets400AndClose) {
  start();
  for (const std::string garbage : {"BLAH\x01 / HTTP/1.1\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
                                    "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"}) {
    RawConnection raw(port_);
    raw.send(garbage);
    EXPECT_EQ(raw.read_response().result(), http::status::bad_request) << garbage;
    EXPECT_TRUE(raw.closed_by_server()) << garbage;
  }
  // The server is still fine afterwards.
  EXPECT_TRUE(http_post_json(url(), R"({"jsonrpc":"2.0","id":1,"method":"echo"})", 5s).ok());
}

TEST_F(HttpServerTest, DefaultLimitRejectsMegabytesPromptly) {
  start();
  const std::string big(2 * 1024 * 1024, ' ');
  const auto reply = http_post_json(url(), big, 10s);
  ASSERT_FALSE(reply.ok());
  EXPECT_NE(reply.error().message.find("request too large: 2097152 bytes, limit 1048576"), std::string::npos)
      << reply.error().message;
}

TEST_F(HttpServerTest, RandomBytesNeverHurtTheServer) {
  start();
  std::mt19937 rng(12345);
  for (int round = 0; round < 30; ++round) {
    std::string junk(rng() % 4096 + 1, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    if (round % 3 == 0) junk = "POST / HTTP/1.1\r\n" + junk;  // get past the request line sometimes
    RawConnection raw(port_);
    raw.send(junk);
    raw.shutdown_send();
    const std::string answer = raw.read_all();  // returns once the server closes
    EXPECT_TRUE(answer.empty() || answer.rfind("HTTP/1.1 4", 0) == 0) << answer.substr(0, 80);
  }
  EXPECT_TRUE(http_post_json(url(), R"({"jsonrpc":"2.0","id":1,"method":"echo"})", 5s).ok());
}

TEST_F(HttpServerTest, HandlerExceptionGets500) {
  server_ =
      std::make_unique<HttpServer>(HttpServerOptions{"127.0.0.1", 0},
                                   [](std::string_view) -> std::string { throw std::runtime_error("boom"); });
  auto port = server_->start();
  ASSERT_TRUE(port.ok());
  port_ = *port;
  const auto reply = http_post_json(url(), "{}", 5s);
  ASSERT_FALSE(reply.ok());
  EXPECT_NE(reply.error().message.find("500"), std::string::npos) << reply.error().message;
  EXPECT_NE(reply.error().message.find("boom"), std::string::npos) << reply.error().message;
}

TEST_F(HttpServerTest, ConcurrentClients) {
  HttpServerOptions options;
  options.threads = 4;
  start(options);
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const json request = {
            {"jsonrpc", "2.0"}, {"id", t * 1000 + i}, {"method", "echo"}, {"params", {t, i}}};
        const auto reply = http_post_json(url(), request.dump(), 10s);
        if (!reply.ok()) continue;
        const json response = json::parse(*reply);
        if (response.at("id") == t * 1000 + i && response.at("result") == json::array({t, i})) ++good;
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(good, 200);
}

TEST_F(HttpServerTest, StopWithConnectedClientReturnsPromptly) {
  start();
  RawConnection idle(port_);
  RawConnection partial(port_);
  partial.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\"");
  std::this_thread::sleep_for(50ms);  // let the server start reading both
  auto stopped = std::async(std::launch::async, [this] { server_->stop(); });
  ASSERT_EQ(stopped.wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(server_->running());
  EXPECT_TRUE(idle.closed_by_server());
  EXPECT_TRUE(partial.closed_by_server());
  server_->stop();  // idempotent
}

// True when the server closes `connection` within 10 s (the timeouts under test are far shorter, the
// others far longer).
bool closed_soon(RawConnection& connection) {
  auto closed = std::async(std::launch::async, [&] { return connection.closed_by_server(); });
  if (closed.wait_for(10s) != std::future_status::ready) {
    connection.shutdown();  // unblock the read before failing
    return false;
  }
  return closed.get();
}

// A new connection that sends no request header is closed after header_timeout.
TEST_F(HttpServerTest, HeaderTimeoutClosesASilentConnection) {
  HttpServerOptions options;
  options.header_timeout = 200ms;
  options.idle_timeout = 1h;
  options.read_timeout = 1h;
  start(options);
  RawConnection idle(port_);
  EXPECT_TRUE(closed_soon(idle)) << "a connection that never sent a header was not closed";
  RawConnection partial(port_);  // a header that never ends (slowloris) gets the same
  partial.send("POST / HTTP/1.1\r\nHost: x\r\n");
  EXPECT_TRUE(closed_soon(partial)) << "a connection with an unfinished header was not closed";
}

// After a response, a kept-alive connection gets idle_timeout (not header_timeout) for its next request.
TEST_F(HttpServerTest, IdleTimeoutClosesAKeptAliveConnection) {
  HttpServerOptions options;
  options.header_timeout = 1h;
  options.idle_timeout = 200ms;
  options.read_timeout = 1h;
  start(options);
  RawConnection connection(port_);
  connection.send(post_request(R"({"jsonrpc":"2.0","id":1,"method":"echo"})"));
  EXPECT_EQ(connection.read_response().result(), http::status::ok);
  EXPECT_TRUE(closed_soon(connection)) << "an idle kept-alive connection was not closed";
}

// Waits (bounded) until the server has noticed closed connections and counts `expected`.
bool connections_drop_to(const HttpServer& server, std::size_t expected) {
  for (int i = 0; i < 500 && server.connections() != expected; ++i) std::this_thread::sleep_for(10ms);
  return server.connections() == expected;
}

TEST_F(HttpServerTest, PerAddressLimitRefusesWith503) {
  HttpServerOptions options;
  options.max_connections_per_ip = 2;
  start(options);
  auto first = std::make_unique<RawConnection>(port_);
  RawConnection second(port_);
  ASSERT_TRUE(connections_drop_to(*server_, 2));
  RawConnection third(port_);
  const std::string reply = third.read_all();
  EXPECT_EQ(reply.rfind("HTTP/1.1 503", 0), 0u) << reply;
  EXPECT_NE(reply.find("too many connections from 127.0.0.1 (limit 2)"), std::string::npos) << reply;
  EXPECT_EQ(server_->connections(), 2u);
  // A slot comes back when a connection closes.
  first.reset();
  ASSERT_TRUE(connections_drop_to(*server_, 1));
  RawConnection fourth(port_);
  fourth.send(post_request(R"({"jsonrpc":"2.0","id":1,"method":"echo"})"));
  EXPECT_EQ(fourth.read_response().result(), http::status::ok);
}

// At the cap, a connection that sends a request is served: the connection idle the longest makes room.
TEST_F(HttpServerTest, ConnectionCapEvictsTheOldestIdleConnection) {
  HttpServerOptions options;
  options.max_connections = 3;
  start(options);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 3; ++i) {
    idle.push_back(std::make_unique<RawConnection>(port_));
    ASSERT_TRUE(connections_drop_to(*server_, i + 1u));  // in order, so the first is the oldest
  }
  RawConnection fresh(port_);
  fresh.send(post_request(R"({"jsonrpc":"2.0","id":1,"method":"echo"})"));
  EXPECT_EQ(fresh.read_response().result(), http::status::ok);
  EXPECT_TRUE(closed_soon(*idle[0])) << "the oldest idle connection was not closed";
  EXPECT_TRUE(connections_drop_to(*server_, 3));
  // Many more connections never take the count above the cap for long.
  std::vector<std::unique_ptr<RawConnection>> flood;
  for (int i = 0; i < 20; ++i) flood.push_back(std::make_unique<RawConnection>(port_));
  EXPECT_LE(server_->connections(), 3 + kConnectionSlack);
  EXPECT_TRUE(connections_drop_to(*server_, 3));
}

// When every connection is busy with a request, there is nothing to evict: a new one gets 503.
TEST_F(HttpServerTest, ConnectionCapRefusesWhenAllAreBusy) {
  HttpServerOptions options;
  options.max_connections = 2;
  options.threads = 3;  // two busy in handlers, one left for the acceptor
  start(options);
  RawConnection busy1(port_);
  RawConnection busy2(port_);
  busy1.send(post_request(R"({"jsonrpc":"2.0","id":1,"method":"sleep","params":[1500]})"));
  busy2.send(post_request(R"({"jsonrpc":"2.0","id":2,"method":"sleep","params":[1500]})"));
  std::this_thread::sleep_for(300ms);  // let both requests reach their handlers
  RawConnection refused(port_);
  const std::string reply = refused.read_all();
  EXPECT_EQ(reply.rfind("HTTP/1.1 503", 0), 0u) << reply;
  EXPECT_NE(reply.find("all 2 connections are busy"), std::string::npos) << reply;
  EXPECT_EQ(busy1.read_response().result(), http::status::ok);
  EXPECT_EQ(busy2.read_response().result(), http::status::ok);
}

TEST_F(HttpServerTest, BindErrorsAndRestart) {
  start();
  HttpServerOptions options;
  options.port = port_;
  HttpServer second(options, [](std::string_view) { return std::string(); });
  const auto failed = second.start();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, "rpc_bind");
  EXPECT_NE(failed.error().message.find("cannot bind 127.0.0.1:" + std::to_string(port_)), std::string::npos)
      << failed.error().message;
  EXPECT_NE(failed.error().message.find("in use"), std::string::npos) << failed.error().message;
  EXPECT_FALSE(second.running());

  EXPECT_EQ(server_->start().error().code, "rpc_running");
  server_->stop();
  const auto again = server_->start();
  ASSERT_TRUE(again.ok());
  port_ = *again;
  EXPECT_TRUE(http_post_json(url(), R"({"jsonrpc":"2.0","id":1,"method":"echo"})", 5s).ok());
}

TEST_F(HttpServerTest, ClientConnectionRefusedSaysWhatToDo) {
  start();
  server_->stop();  // the port is now closed
  const auto reply = http_post_json(url(), "{}", 5s);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, "rpc_connect");
  EXPECT_NE(reply.error().message.find("cannot connect to 127.0.0.1:" + std::to_string(port_) +
                                       ": connection refused"),
            std::string::npos)
      << reply.error().message;
  EXPECT_NE(reply.error().message.find("is physisd running?"), std::string::npos);
}

TEST_F(HttpServerTest, ClientTimeout) {
  start();
  const auto reply =
      http_post_json(url(), R"({"jsonrpc":"2.0","id":1,"method":"sleep","params":[500]})", 100ms);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, "rpc_timeout");
  EXPECT_NE(reply.error().message.find("within 100 ms"), std::string::npos) << reply.error().message;
}

TEST(HttpUrl, Parses) {
  auto url = parse_http_url("http://127.0.0.1:8545");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 8545);
  EXPECT_EQ(url->target, "/");
  url = parse_http_url("HTTP://[::1]:9000/rpc/v1");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 9000);
  EXPECT_EQ(url->target, "/rpc/v1");
  url = parse_http_url("localhost");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->port, 80);
  url = parse_http_url("node.example:8545/x");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "node.example");
}

TEST(HttpUrl, Rejects) {
  const auto reject = [](std::string_view text, std::string_view why) {
    const auto url = parse_http_url(text);
    ASSERT_FALSE(url.ok()) << text;
    EXPECT_EQ(url.error().code, "rpc_url");
    EXPECT_NE(url.error().message.find(why), std::string::npos) << url.error().message;
    EXPECT_NE(url.error().message.find("http://host:port"), std::string::npos) << url.error().message;
  };
  reject("https://127.0.0.1:8545", "https is not supported");
  reject("ftp://x:1", "unsupported scheme 'ftp'");
  reject("", "empty");
  reject("http://", "no host");
  reject("http://:8545", "no host");
  reject("http://h:", "empty port");
  reject("http://h:0", "port '0'");
  reject("http://h:65536", "port '65536'");
  reject("http://h:80a", "port '80a'");
  reject("http://u:p@h:1", "credentials");
  reject("http://h :1", "spaces");
  reject("http://::1:8545", "brackets");
  reject("http://[::1:8545", "']'");
  const auto https = http_post_json("https://127.0.0.1:8545", "{}", 1s);
  ASSERT_FALSE(https.ok());
  EXPECT_EQ(https.error().code, "rpc_url");
}

}  // namespace
}  // namespace physis::rpc
