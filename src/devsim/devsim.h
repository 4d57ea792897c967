// Pieces of physis-devsim shared by its modes (paced fleet in main.cpp, load mode in load.cpp, cheaters
// in cheaters.cpp): the simulated device, RPC helpers and a transaction sender. Test tool only: device
// keys are held in memory, which real devices never reveal.
#pragma once

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "crypto/p256.h"
#include "crypto/secp256k1.h"
#include "primitives/genesis.h"
#include "primitives/physis.pb.h"
#include "util/result.h"

namespace physis::devsim {

using nlohmann::json;

// Set by SIGINT/SIGTERM; the only process-wide state, as signals need it.
extern std::atomic<bool> g_stop;

// Thrown when Ctrl-C interrupts a wait: the run ends with its summary, not an error.
struct Interrupted {};

struct Device {
  crypto::P256PrivateKey key{};
  crypto::P256PublicKey pub{};
  Address id{};
  uint64_t seq = 0;
  int64_t lat_e7 = 0, lon_e7 = 0;
  size_t owner = 0;              // index into the owners
  uint64_t next_uptime_ref = 0;  // the chain's uptime_next_ref_height, as far as devsim knows it
};

// One JSON-RPC call; std::runtime_error naming the method on failure. Thread-safe.
json rpc(const std::string& url, const std::string& method, const json& params);

// The P-256 key of device `index` of fleet `seed`: the same on every run.
crypto::P256PrivateKey derive_key(uint64_t seed, uint64_t index);
// A secp256k1 account key derived from (`label`, `seed`, `index`): the same on every run.
crypto::PrivateKey derive_account_key(std::string_view label, uint64_t seed, uint64_t index);

// Signs and sends transactions of one account, numbering them from the node's pending nonce (the
// committed nonce plus the account's gap-free transactions in the mempool), so a rerun while earlier
// transactions are pending continues after them. Not thread-safe: one Sender per thread.
class Sender {
 public:
  Sender(std::string url, crypto::PrivateKey key, std::string chain_id);
  // Sends and returns the tx hash; std::runtime_error if the node refuses the transaction.
  std::string send(pb::TxBody body);
  // Sends and returns the tx hash, or the node's error (the nonce is then not used up, so the caller
  // may retry). Error code "rpc_error" with the node's message, or "rpc_transport".
  Result<std::string> try_send(pb::TxBody body);
  // Reads the pending nonce again, after a transaction of ours may have been dropped.
  void resync();
  const Address& address() const { return addr_; }
  const ChainParams& params() const { return params_; }

 private:
  std::string url_;
  crypto::PrivateKey key_;
  std::string chain_id_;
  ChainParams params_;
  Address addr_{};
  uint64_t nonce_ = 0;
};

// Usage is paid by its user (doc/depin.md "Usage"): makes `p` (a DATA_CONTRIBUTION proof with its
// data_bytes, reference and device id set) carry a receipt for its bytes signed by the `consumer`
// account, with seq ++consumer_seq, over the proof's reference block. Sign the proof afterwards: the
// receipt is part of the payload the device signs.
void attach_usage_receipt(pb::Proof& p, const crypto::PrivateKey& consumer, uint64_t& consumer_seq,
                          const std::string& chain_id);
// The consumer's last accepted receipt seq on chain (depin_getUsage); std::runtime_error on failure.
uint64_t consumer_last_seq(const std::string& url, const crypto::PrivateKey& consumer);

// Polls chain_getReceipt until the transaction is included; std::runtime_error after `timeout_s`,
// Interrupted on Ctrl-C.
json wait_receipt(const std::string& url, const std::string& hash, int timeout_s = 60);

}  // namespace physis::devsim
