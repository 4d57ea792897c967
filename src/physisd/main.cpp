// physisd: the Physis full node daemon. Parses flags and the config file (the edge), builds the
// core's options structs, starts the node and the JSON-RPC server, and shuts down cleanly on
// SIGINT/SIGTERM.
#include <google/protobuf/stubs/logging.h>
#include <signal.h>

#include <boost/program_options.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "node/keyfile.h"
#include "node/node.h"
#include "primitives/block.h"
#include "rpc/depin_methods.h"
#include "rpc/http_server.h"
#include "rpc/json_rpc.h"
#include "rpc/node_methods.h"
#include "util/log.h"

namespace po = boost::program_options;
using namespace physis;

namespace {

constexpr const char* kUsage = R"(physisd — the Physis full node

Usage: physisd --datadir DIR --genesis FILE [--validator-key FILE] [options]

Starts a node on the chain described by FILE, storing it in DIR. With --validator-key the node
proposes and commits blocks (the single-validator devnet). Stop with Ctrl-C or SIGTERM.

Options may also be given in a config file, one "name = value" per line (e.g. "rpc-port = 8545");
flags on the command line win. By default DIR/physis.conf is read if it exists.

Options)";

// Protobuf logs parse failures of untrusted input itself; route them to our debug log (the caller
// already reports the rejection with a reason).
void protobuf_log(google::protobuf::LogLevel level, const char* file, int line, const std::string& message) {
  LOG_DEBUG("protobuf",
            message << " (" << file << ":" << line << ", level " << static_cast<int>(level) << ")");
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

  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    if (vm.count("version")) {
      std::cout << "physisd 0.1.0\n";
      return 0;
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
      std::ifstream in(conf);
      po::store(po::parse_config_file(in, desc), vm);
    }
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
