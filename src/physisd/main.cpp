// physisd: the Physis full node daemon. Parses flags and the config file (the edge), builds the
// core's options structs, starts the node and the JSON-RPC server, and shuts down cleanly on
// SIGINT/SIGTERM.
#include <google/protobuf/stubs/logging.h>
#include <signal.h>

#include <boost/asio/ip/address.hpp>
#include <boost/program_options.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "node/keyfile.h"
#include "node/node.h"
#include "primitives/block.h"
#include "rpc/depin_methods.h"
#include "rpc/http_server.h"
#include "rpc/json_rpc.h"
#include "rpc/node_methods.h"
#include "util/log.h"
#include "util/result.h"

namespace po = boost::program_options;
using namespace physis;

namespace {

constexpr const char* kUsage = R"(physisd — the Physis full node

Usage: physisd --datadir DIR --genesis FILE [--validator-key FILE] [options]

Starts a node on the chain described by FILE, storing it in DIR. With --validator-key the node
proposes and commits blocks (the single-validator devnet). Stop with Ctrl-C or SIGTERM.

Options may also be given in a config file, one "name = value" per line (e.g. "rpc-port = 8545";
lines starting with # are comments); flags on the command line win. By default DIR/physis.conf is
read if it exists. A bad line is reported as FILE:LINE and the node does not start.

JSON-RPC has no authentication: keep --rpc-bind on a loopback address (a warning is logged otherwise).

Options)";

// Protobuf logs parse failures of untrusted input itself; route them to our debug log (the caller
// already reports the rejection with a reason).
void protobuf_log(google::protobuf::LogLevel level, const char* file, int line, const std::string& message) {
  LOG_DEBUG("protobuf",
            message << " (" << file << ":" << line << ", level " << static_cast<int>(level) << ")");
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// Reads "name = value" lines (blank lines and lines starting with # are skipped) into `vm`; values
// already in `vm` (from the command line) win. Each option at most once per file. Error: "FILE:LINE: reason"
// for the first bad line; `vm` may then hold the lines before it, but the caller exits.
Status read_config_file(const std::string& path, const po::options_description& desc, po::variables_map& vm) {
  std::ifstream in(path);
  if (!in) return make_error("config", "cannot read config file " + path);
  std::string line;
  std::map<std::string, int> first_line;  // option name -> line that set it
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string where = path + ":" + std::to_string(number) + ": ";
    const std::string text = trim(line);
    if (text.empty() || text[0] == '#') continue;
    const auto eq = text.find('=');
    if (eq == std::string::npos)
      return make_error("config", where + "expected \"name = value\", got \"" + text + "\"");
    const std::string name = trim(text.substr(0, eq));
    const std::string value = trim(text.substr(eq + 1));
    if (name == "conf" || name == "help" || name == "version" || !desc.find_nothrow(name, false))
      return make_error("config", where + "unknown option '" + name + "'; physisd --help lists the options");
    if (auto [it, fresh] = first_line.emplace(name, number); !fresh)
      return make_error("config",
                        where + "'" + name + "' is already set on line " + std::to_string(it->second));
    try {
      const std::vector<std::string> words = {"--" + name + "=" + value};
      po::store(po::command_line_parser(words).options(desc).run(), vm);
    } catch (const po::error& e) {
      return make_error("config", where + e.what());
    }
  }
  return ok_status();
}

// JSON-RPC has no authentication: anyone who can reach the port can submit transactions and query.
bool is_loopback(const std::string& bind) {
  if (bind == "localhost") return true;
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(bind, ec);
  return !ec && addr.is_loopback();
}

int run(int argc, char** argv) {
  google::protobuf::SetLogHandler(protobuf_log);
  po::options_description desc(kUsage);
  desc.add_options()                                                                                     //
      ("help,h", "print this help and exit")                                                             //
      ("version", "print the version and exit")                                                          //
      ("conf", po::value<std::string>(), "config file (default: DATADIR/physis.conf if present)")        //
      ("datadir", po::value<std::string>(), "data directory (created if missing)")                       //
      ("genesis", po::value<std::string>(), "genesis JSON file, e.g. genesis/devnet.json")               //
      ("rpc-bind", po::value<std::string>()->default_value("127.0.0.1"), "JSON-RPC listen address")      //
      ("rpc-port", po::value<uint16_t>()->default_value(8545), "JSON-RPC port")                          //
      ("rpc-max-body", po::value<size_t>()->default_value(1 << 20), "largest JSON-RPC request, bytes")   //
      ("rpc-threads", po::value<int>()->default_value(2), "JSON-RPC worker threads")                     //
      ("validator-key", po::value<std::string>(), "validator key file; makes this node produce blocks")  //
      ("mempool-max-txs", po::value<size_t>()->default_value(100000), "mempool capacity, transactions")  //
      ("log-level", po::value<std::string>()->default_value("info"), "trace, debug, info, warn or error");

  // Words that are not options are collected only to be refused with a clear message.
  po::options_description hidden;
  hidden.add_options()("stray-argument", po::value<std::vector<std::string>>());
  po::options_description cmdline;
  cmdline.add(desc).add(hidden);
  po::positional_options_description positional;
  positional.add("stray-argument", -1);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(cmdline).positional(positional).run(), vm);
  } catch (const po::error& e) {
    std::cerr << "physisd: " << e.what() << "\nRun physisd --help for the options.\n";
    return 1;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (vm.count("version")) {
    std::cout << "physisd 0.1.0\n";
    return 0;
  }
  if (vm.count("stray-argument")) {
    std::cerr << "physisd: unexpected argument '" << vm["stray-argument"].as<std::vector<std::string>>()[0]
              << "': physisd takes only --options (did you forget a flag name before a value?)\n"
                 "Run physisd --help for the options.\n";
    return 1;
  }
  std::string conf;
  if (vm.count("conf")) {
    conf = vm["conf"].as<std::string>();
    if (!std::filesystem::exists(conf)) {
      std::cerr << "physisd: config file " << conf << " does not exist\n";
      return 1;
    }
  } else if (vm.count("datadir")) {
    std::string def = vm["datadir"].as<std::string>() + "/physis.conf";
    if (std::filesystem::exists(def)) conf = def;
  }
  if (!conf.empty()) {
    if (auto st = read_config_file(conf, desc, vm); !st) {
      std::cerr << "physisd: " << st.error().message << "\n";
      return 1;
    }
  }
  try {
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "physisd: " << e.what() << "\nRun physisd --help for the options.\n";
    return 1;
  }

  LogLevel level;
  if (!parse_log_level(vm["log-level"].as<std::string>(), level)) {
    std::cerr << "physisd: --log-level must be trace, debug, info, warn or error\n";
    return 1;
  }
  set_log_level(level);
  if (!vm.count("datadir") || !vm.count("genesis")) {
    std::cerr << "physisd: --datadir and --genesis are required. Run physisd --help for the options.\n";
    return 1;
  }

  node::NodeOptions options;
  options.datadir = vm["datadir"].as<std::string>();
  std::error_code ec;
  std::filesystem::create_directories(options.datadir, ec);
  if (ec) {
    std::cerr << "physisd: cannot create datadir " << options.datadir << ": " << ec.message() << "\n";
    return 1;
  }
  const std::string genesis_path = vm["genesis"].as<std::string>();
  std::ifstream gin(genesis_path);
  if (!gin) {
    std::cerr << "physisd: cannot read genesis file " << genesis_path << "\n";
    return 1;
  }
  std::stringstream gtext;
  gtext << gin.rdbuf();
  auto genesis = parse_genesis(gtext.str());
  if (!genesis) {
    std::cerr << "physisd: " << genesis_path << ": " << genesis.error().message << "\n";
    return 1;
  }
  options.genesis = *genesis;
  if (vm.count("validator-key")) {
    auto key = node::read_key_file(vm["validator-key"].as<std::string>());
    if (!key) {
      std::cerr << "physisd: " << key.error().message << "\n";
      return 1;
    }
    options.validator_key = *key;
  }
  options.mempool.max_txs = vm["mempool-max-txs"].as<size_t>();

  // Block the shutdown signals in every thread; the main thread waits for them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto node = node::Node::open(options);
  if (!node) {
    LOG_ERROR("physisd", node.error().message);
    return 1;
  }
  auto tip = (*node)->tip();
  LOG_INFO("physisd",
           "chain " << options.genesis.chain_id << " genesis " << hash_to_string((*node)->genesis_hash()));
  LOG_INFO("physisd",
           "datadir " << options.datadir << " at height " << tip.height << " " << hash_to_string(tip.hash));

  rpc::RpcDispatcher dispatcher;
  rpc::register_node_methods(dispatcher, **node);
  rpc::register_depin_methods(dispatcher, **node);
  rpc::HttpServerOptions http;
  http.bind = vm["rpc-bind"].as<std::string>();
  http.port = vm["rpc-port"].as<uint16_t>();
  http.max_body_bytes = vm["rpc-max-body"].as<size_t>();
  http.threads = vm["rpc-threads"].as<int>();
  rpc::HttpServer server(http, [&dispatcher](std::string_view body) { return dispatcher.handle(body); });
  auto port = server.start();
  if (!port) {
    LOG_ERROR("physisd", port.error().message);
    return 1;
  }
  LOG_INFO("physisd", "JSON-RPC listening on http://" << http.bind << ":" << *port);
  if (!is_loopback(http.bind))
    LOG_WARN("physisd", "--rpc-bind "
                            << http.bind
                            << " is not a loopback address: JSON-RPC has no authentication, so anyone "
                               "who can reach this port can submit transactions; put it behind a "
                               "firewall or an authenticating proxy");
  if (auto st = (*node)->start(); !st) {
    LOG_ERROR("physisd", st.error().message);
    return 1;
  }
  if (!options.validator_key)
    LOG_WARN("physisd", "no --validator-key: this node serves queries but makes no blocks");

  int sig = 0;
  sigwait(&signals, &sig);
  LOG_INFO("physisd", "received " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ", shutting down");
  server.stop();
  (*node)->stop();
  LOG_INFO("physisd", "stopped cleanly at height " << (*node)->tip().height);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "physisd: fatal: " << e.what() << "\n";
    return 1;
  }
}
