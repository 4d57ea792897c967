// physisd: the Physis full node daemon. Parses flags and the config file (the edge), builds the
// core's options structs, starts the node and the JSON-RPC server, and shuts down cleanly on
// SIGINT/SIGTERM.
#include <google/protobuf/stubs/logging.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/program_options.hpp>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "node/keyfile.h"
#include "node/node.h"
#include "p2p/host.h"
#include "p2p/node_key.h"
#include "primitives/block.h"
#include "rpc/depin_methods.h"
#include "rpc/http_server.h"
#include "rpc/json_rpc.h"
#include "rpc/net_methods.h"
#include "rpc/node_methods.h"
#include "storage/block_store.h"
#include "util/log.h"
#include "util/result.h"

namespace po = boost::program_options;
using namespace physis;

namespace {

constexpr const char* kUsage = R"(physisd — the Physis full node

Usage: physisd --datadir DIR --genesis FILE [--validator-key FILE] [options]
       physisd --datadir DIR --show-node-id    print this node's P2P id (creating DIR/node_key if missing)

Starts a node on the chain described by FILE, storing it in DIR. With --validator-key the node
proposes and commits blocks (the single-validator devnet). Stop with Ctrl-C or SIGTERM.

P2P is on when --p2p-listen or --persistent-peers is given: the node then has a node key (--node-key,
default DIR/node_key, made on first start; separate from the validator key) whose public half is its
node id. Peers are written NODE_ID@HOST:PORT; scripts get a node's id from --show-node-id.

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

// Text from a file or the command line, made safe to print: at most 80 characters of it, in double quotes,
// with quotes, backslashes and non-printable bytes escaped (\xNN), and "..." when cut.
std::string printable(std::string_view text) {
  constexpr std::size_t kMaxShown = 80;
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  if (text.size() > kMaxShown) out += "...";
  return out;
}

// Where each option read from the config file came from ("FILE:LINE"), to name it in range errors.
using ConfigOrigins = std::map<std::string, std::string>;

// Reads "name = value" lines (blank lines and lines starting with # are skipped) into `vm`; values
// already in `vm` (from the command line) win. Each option at most once per file. Error: "FILE:LINE: reason:
// LINE" (the line quoted and escaped) for the first bad line; `vm` may then hold the lines before it, but the
// caller exits. The file must be a readable regular file.
Status read_config_file(const std::string& path, const po::options_description& desc, po::variables_map& vm,
                        ConfigOrigins& origins) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status))
    return make_error("config", "config file " + path + " does not exist");
  if (!std::filesystem::is_regular_file(status))
    return make_error("config",
                      "config file " + path + " is not a regular file (a directory?); --conf names a file");
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
      return make_error("config", where + "expected \"name = value\", got " + printable(text));
    const std::string name = trim(text.substr(0, eq));
    const std::string value = trim(text.substr(eq + 1));
    if (name == "conf" || name == "help" || name == "version" || !desc.find_nothrow(name, false)) {
      const std::string shown = printable(name);  // the quotes swapped for single ones, to read as a name
      return make_error("config", where + "unknown option '" + shown.substr(1, shown.rfind('"') - 1) +
                                      "'; physisd --help lists the options: " + printable(text));
    }
    if (auto [it, fresh] = first_line.emplace(name, number); !fresh)
      return make_error("config",
                        where + "'" + name + "' is already set on line " + std::to_string(it->second));
    const bool from_command_line = vm.count(name) != 0 && !vm[name].defaulted();
    try {
      const std::vector<std::string> words = {"--" + name + "=" + value};
      po::store(po::command_line_parser(words).options(desc).run(), vm);
    } catch (const po::error&) {
      return make_error("config", where + "bad value for '" + name + "': " + printable(text));
    }
    if (!from_command_line) origins.emplace(name, path + ":" + std::to_string(number));
  }
  if (in.bad()) return make_error("config", "cannot read config file " + path);
  return ok_status();
}

// A numeric flag's accepted range; flags are parsed as strings so that "-1" is refused, not wrapped.
struct NumericFlag {
  const char* name;
  std::uint64_t min;
  std::uint64_t max;
  std::uint64_t fallback;  // default
  const char* help;
};

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr NumericFlag kNumericFlags[] = {
    {"rpc-port", 0, 65535, 8545, "JSON-RPC port (0 picks a free one, logged)"},
    {"rpc-max-body", 1024, 64 * kMiB, kMiB, "largest JSON-RPC request body, bytes"},
    {"rpc-max-response", 1024, 1024 * kMiB, 32 * kMiB,
     "JSON-RPC response budget per request body (a batch shares it), bytes"},
    {"rpc-max-batch", 1, 10000, 100, "most requests in one JSON-RPC batch"},
    {"rpc-max-connections", 1, 16384, 256, "most open JSON-RPC connections (idle ones make room)"},
    {"rpc-max-connections-per-ip", 1, 16384, 64, "most open JSON-RPC connections from one address"},
    {"rpc-threads", 1, 64, 2, "JSON-RPC worker threads"},
    {"mempool-max-txs", 1, 10'000'000, 100000, "mempool capacity, transactions"},
    {"p2p-max-inbound", 0, 1024, 64, "most inbound P2P peers known at once (new keys are refused beyond)"},
};

// The value of a numeric flag, checked against its range. Error names the flag (and the config line it came
// from), the range, and the value given.
Result<std::uint64_t> numeric_flag(const po::variables_map& vm, const NumericFlag& flag,
                                   const ConfigOrigins& origins) {
  const std::string& text = vm[flag.name].as<std::string>();
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const bool digits =
      !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || ec != std::errc() || end != text.data() + text.size() || value < flag.min ||
      value > flag.max) {
    const auto origin = origins.find(flag.name);
    const std::string who =
        origin != origins.end() ? origin->second + ": " + flag.name : std::string("--") + flag.name;
    return make_error("flag", who + " must be an integer from " + std::to_string(flag.min) + " to " +
                                  std::to_string(flag.max) + ", got " + printable(text));
  }
  return value;
}

// Descriptors physisd plans for, besides the chain database and the RPC connections.
constexpr std::uint64_t kMiscDescriptors = 64;  // stdio, log, epoll/eventfd/timers, genesis/key/config files
// P2P (libzmq): the context's I/O and reaper threads (epoll + mailbox each), one mailbox per socket (the
// ROUTER, the ZAP handler, the host's wake-up eventfd) and the listening socket.
constexpr std::uint64_t kP2pFixedDescriptors = 32;
constexpr std::uint64_t kLevelDbPreferredFiles = 1000;  // LevelDB's default table cache; more buys little

// What P2P needs: nothing when it is off; otherwise the fixed part, two per inbound peer (its TCP
// connection, and one more for a connection still in its CURVE handshake, which libzmq accepts before
// the ZAP handler can refuse it) and two per persistent peer (the DEALER's mailbox and its connection).
std::uint64_t p2p_descriptors(bool enabled, std::uint64_t max_inbound, std::uint64_t persistent_peers) {
  if (!enabled) return 0;
  return kP2pFixedDescriptors + 2 * max_inbound + 2 * persistent_peers;
}

struct DescriptorPlan {
  std::uint64_t limit = 0;  // RLIMIT_NOFILE soft limit after raising it
  std::uint64_t hard = 0;
  std::uint64_t rpc = 0;
  std::uint64_t p2p = 0;
  int leveldb_files = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard limit, then splits it: misc, P2P (p2p_descriptors), RPC
// (connections, the slack for connections being evicted, the acceptor), LevelDB's extra files, and the
// rest (up to kLevelDbPreferredFiles) for LevelDB's table files. Error when LevelDB would get fewer than
// kMinOpenFiles.
Result<DescriptorPlan> plan_descriptors(std::uint64_t rpc_max_connections, std::uint64_t p2p) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return make_error("descriptors", "cannot read RLIMIT_NOFILE");
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      rl = raised;
    } else {
      // Linux refuses values above fs.nr_open (e.g. an infinite hard limit); the soft limit then stays.
      LOG_WARN("physisd", "cannot raise the descriptor limit from " << rl.rlim_cur << " to " << rl.rlim_max);
    }
  }
  DescriptorPlan plan;
  plan.limit = static_cast<std::uint64_t>(rl.rlim_cur);
  plan.hard = static_cast<std::uint64_t>(rl.rlim_max);
  plan.rpc = rpc_max_connections + rpc::kConnectionSlack + 1;
  plan.p2p = p2p;
  const std::uint64_t fixed = kMiscDescriptors + plan.p2p + plan.rpc + storage::kStoreExtraFiles;
  const std::uint64_t needed = fixed + storage::kMinOpenFiles;
  if (plan.limit < needed) {
    return make_error("descriptors",
                      "the descriptor limit (ulimit -n) is " + std::to_string(plan.limit) + " (hard limit " +
                          std::to_string(plan.hard) + "), but physisd needs at least " +
                          std::to_string(needed) + ": " + std::to_string(kMiscDescriptors) + " misc + " +
                          std::to_string(plan.p2p) + " P2P + " + std::to_string(plan.rpc) +
                          " RPC (--rpc-max-connections " + std::to_string(rpc_max_connections) + ") + " +
                          std::to_string(storage::kMinOpenFiles + storage::kStoreExtraFiles) +
                          " database; raise the limit or lower --rpc-max-connections" +
                          (plan.p2p > 0 ? " or --p2p-max-inbound" : ""));
  }
  plan.leveldb_files = static_cast<int>(std::min(plan.limit - fixed, kLevelDbPreferredFiles));
  return plan;
}

// The P2P settings from the flags: enabled when --p2p-listen or --persistent-peers is given.
struct P2pFlags {
  bool enabled = false;
  std::string listen;
  std::vector<p2p::PeerAddress> peers;
  std::string node_key_path;
};

// "tcp://HOST:PORT" with a port of 1..65535 or "*" (any free port). Error "flag" naming the flag.
Status check_listen_address(const std::string& text) {
  const std::string bad =
      "--p2p-listen must be tcp://HOST:PORT (e.g. tcp://127.0.0.1:26656, port * picks "
      "a free one), got " +
      printable(text);
  if (text.rfind("tcp://", 0) != 0) return make_error("flag", bad);
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon < 7) return make_error("flag", bad);
  const std::string port = text.substr(colon + 1);
  if (port == "*") return ok_status();
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
    return make_error("flag", bad);
  return ok_status();
}

// Parses --p2p-listen, --persistent-peers (comma-separated NODE_ID@HOST:PORT, no duplicates) and
// --node-key (default DATADIR/node_key). Error "flag" naming the flag and the bad entry.
Result<P2pFlags> p2p_flags(const po::variables_map& vm, const std::string& datadir) {
  P2pFlags f;
  f.node_key_path = vm.count("node-key") ? vm["node-key"].as<std::string>() : datadir + "/node_key";
  if (vm.count("p2p-listen")) {
    f.listen = vm["p2p-listen"].as<std::string>();
    if (auto st = check_listen_address(f.listen); !st) return st.error();
    f.enabled = true;
  }
  if (vm.count("persistent-peers")) {
    f.enabled = true;
    const std::string list = vm["persistent-peers"].as<std::string>();
    // Node ids are Z85, which has no ',' (but has '@' and ':'), so a comma always separates entries.
    std::size_t start = 0;
    while (start <= list.size()) {
      const std::size_t comma = std::min(list.find(',', start), list.size());
      const std::string entry = trim(list.substr(start, comma - start));
      start = comma + 1;
      if (entry.empty()) continue;
      auto peer = p2p::parse_peer_address(entry);
      if (!peer)
        return make_error("flag", "--persistent-peers: " + peer.error().message + ": " + printable(entry) +
                                      " (expected NODE_ID@HOST:PORT, the id from physisd --show-node-id)");
      for (const auto& known : f.peers)
        if (known.node_id == peer->node_id)
          return make_error("flag", "--persistent-peers names node " + peer->node_id + " twice");
      f.peers.push_back(*peer);
    }
  }
  return f;
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
      ("validator-key", po::value<std::string>(), "validator key file; makes this node produce blocks")  //
      ("p2p-listen", po::value<std::string>(),
       "P2P listen endpoint, e.g. tcp://127.0.0.1:26656 (enables P2P)")  //
      ("persistent-peers", po::value<std::string>(),
       "peers to stay connected to: NODE_ID@HOST:PORT,... (enables P2P)")  //
      ("node-key", po::value<std::string>(),
       "P2P node key file (default DATADIR/node_key, made if missing)")                                     //
      ("show-node-id", "print the node id of --node-key (made if missing) and exit; needs only --datadir")  //
      ("sync-verify-signatures", po::bool_switch(),
       "block sync verifies every signature itself instead of applying the serving peer's sender hints "
       "under each block's commit (slower; see doc/p2p.md)")  //
      ("log-level", po::value<std::string>()->default_value("info"), "trace, debug, info, warn or error");
  // Numeric options are read as strings and range-checked after parsing (numeric_flag), so that "-1" is
  // refused with the range rather than wrapped by an unsigned parse.
  for (const auto& flag : kNumericFlags) {
    const std::string help =
        std::string(flag.help) + " [" + std::to_string(flag.min) + ".." + std::to_string(flag.max) + "]";
    desc.add_options()(flag.name, po::value<std::string>()->default_value(std::to_string(flag.fallback)),
                       help.c_str());  // copied by program_options
  }

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
  } else if (vm.count("datadir")) {
    std::string def = vm["datadir"].as<std::string>() + "/physis.conf";
    std::error_code exists_ec;
    if (std::filesystem::exists(def, exists_ec)) conf = def;
  }
  ConfigOrigins origins;
  if (!conf.empty()) {
    if (auto st = read_config_file(conf, desc, vm, origins); !st) {
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
  if (vm.count("show-node-id")) {
    // For scripts that build peer lists: the id only, on stdout. No genesis, no chain, no RPC.
    if (!vm.count("datadir") && !vm.count("node-key")) {
      std::cerr << "physisd: --show-node-id needs --datadir (or --node-key)\n";
      return 1;
    }
    std::string path;
    if (vm.count("node-key")) {
      path = vm["node-key"].as<std::string>();
    } else {
      path = vm["datadir"].as<std::string>() + "/node_key";
      std::error_code dir_ec;
      std::filesystem::create_directories(vm["datadir"].as<std::string>(), dir_ec);
      if (dir_ec) {
        std::cerr << "physisd: cannot create datadir " << vm["datadir"].as<std::string>() << ": "
                  << dir_ec.message() << "\n";
        return 1;
      }
    }
    auto key = p2p::load_or_create_node_key(path);
    if (!key) {
      std::cerr << "physisd: " << key.error().message << "\n";
      return 1;
    }
    std::cout << key->node_id() << "\n";
    return 0;
  }
  if (!vm.count("datadir") || !vm.count("genesis")) {
    std::cerr << "physisd: --datadir and --genesis are required. Run physisd --help for the options.\n";
    return 1;
  }
  std::map<std::string, std::uint64_t> numbers;
  for (const auto& flag : kNumericFlags) {
    auto value = numeric_flag(vm, flag, origins);
    if (!value) {
      std::cerr << "physisd: " << value.error().message << "\n";
      return 1;
    }
    numbers[flag.name] = *value;
  }
  // Every check that can fail runs before the RPC port opens (issue 6): descriptors, genesis, key, datadir,
  // validator membership.
  auto p2p = p2p_flags(vm, vm["datadir"].as<std::string>());
  if (!p2p) {
    std::cerr << "physisd: " << p2p.error().message << "\n";
    return 1;
  }
  auto plan = plan_descriptors(numbers["rpc-max-connections"],
                               p2p_descriptors(p2p->enabled, numbers["p2p-max-inbound"], p2p->peers.size()));
  if (!plan) {
    std::cerr << "physisd: " << plan.error().message << "\n";
    return 1;
  }
  LOG_INFO("physisd", "descriptor plan: limit "
                          << plan->limit << " (hard " << plan->hard << "): LevelDB " << plan->leveldb_files
                          << " table files + " << storage::kStoreExtraFiles << ", RPC " << plan->rpc
                          << ", P2P " << plan->p2p << (p2p->enabled ? "" : " (P2P off)") << ", misc "
                          << kMiscDescriptors);

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
  if (p2p->enabled) {
    auto node_key = p2p::load_or_create_node_key(p2p->node_key_path);
    if (!node_key) {
      std::cerr << "physisd: " << node_key.error().message << "\n";
      return 1;
    }
    for (const auto& peer : p2p->peers)
      if (peer.node_id == node_key->node_id()) {
        std::cerr << "physisd: --persistent-peers names this node itself (" << peer.node_id
                  << " is the id of " << p2p->node_key_path << ")\n";
        return 1;
      }
    LOG_INFO("physisd", "P2P node id " << node_key->node_id() << ", listening on "
                                       << (p2p->listen.empty() ? "(none)" : p2p->listen) << ", "
                                       << p2p->peers.size() << " persistent peer(s)");
    options.node_key = *node_key;
    options.p2p.listen_address = p2p->listen;
    options.p2p.persistent_peers = p2p->peers;
    options.p2p.max_inbound_peers = numbers["p2p-max-inbound"];
  }
  options.mempool.max_txs = numbers["mempool-max-txs"];
  options.sync_verify_signatures = vm["sync-verify-signatures"].as<bool>();
  options.store.max_open_files = plan->leveldb_files;

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

  // The producer starts before RPC listens, so a key that is not a validator is refused before any
  // client could connect.
  if (auto st = (*node)->start(); !st) {
    std::cerr << "physisd: " << st.error().message << "\n";
    return 1;
  }
  if (!options.validator_key)
    LOG_WARN("physisd", "no --validator-key: this node serves queries but makes no blocks");
  if (p2p->enabled && !(*node)->net_status().enabled)
    LOG_WARN("physisd",
             "P2P flags were given but this node does not run P2P yet (net_info.enabled is "
             "false): it decides blocks alone, as a single validator would");

  rpc::RpcLimits limits;
  limits.max_batch_requests = numbers["rpc-max-batch"];
  limits.max_response_bytes = numbers["rpc-max-response"];
  rpc::RpcDispatcher dispatcher(limits);
  rpc::register_node_methods(dispatcher, **node);
  rpc::register_depin_methods(dispatcher, **node);
  rpc::register_net_methods(dispatcher, **node);
  rpc::HttpServerOptions http;
  http.bind = vm["rpc-bind"].as<std::string>();
  http.port = static_cast<std::uint16_t>(numbers["rpc-port"]);
  http.max_body_bytes = numbers["rpc-max-body"];
  http.threads = static_cast<int>(numbers["rpc-threads"]);
  http.max_connections = numbers["rpc-max-connections"];
  http.max_connections_per_ip = numbers["rpc-max-connections-per-ip"];
  rpc::HttpServer server(http, [&dispatcher](std::string_view body) { return dispatcher.handle(body); });
  auto port = server.start();
  if (!port) {
    LOG_ERROR("physisd", port.error().message);
    (*node)->stop();
    return 1;
  }
  LOG_INFO("physisd", "JSON-RPC listening on http://" << http.bind << ":" << *port);
  if (!is_loopback(http.bind))
    LOG_WARN("physisd", "--rpc-bind "
                            << http.bind
                            << " is not a loopback address: JSON-RPC has no authentication, so anyone "
                               "who can reach this port can submit transactions; put it behind a "
                               "firewall or an authenticating proxy");

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
