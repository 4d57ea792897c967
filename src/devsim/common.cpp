#include <chrono>
#include <stdexcept>
#include <thread>

#include "cli/cli_common.h"
#include "crypto/sha256.h"
#include "devsim/devsim.h"
#include "primitives/transaction.h"
#include "rpc/rpc_client.h"
#include "vm/apply.h"
#include "vm/depin.h"

namespace physis::devsim {

std::atomic<bool> g_stop{false};

json rpc(const std::string& url, const std::string& method, const json& params) {
  json data;
  auto r = rpc::rpc_call(url, method, params, &data);
  if (!r) throw std::runtime_error(method + ": " + r.error().message);
  return *r;
}

crypto::P256PrivateKey derive_key(uint64_t seed, uint64_t index) {
  for (uint64_t attempt = 0;; ++attempt) {
    Bytes m;
    append(m, std::string_view("physis-devsim"));
    append_u64_be(m, seed);
    append_u64_be(m, index);
    append_u64_be(m, attempt);
    Hash32 h = crypto::sha256(m);
    if (crypto::p256_scalar_in_range(h)) return h;
  }
}

crypto::PrivateKey derive_account_key(std::string_view label, uint64_t seed, uint64_t index) {
  for (uint64_t attempt = 0;; ++attempt) {
    Bytes m;
    append(m, label);
    append_u64_be(m, seed);
    append_u64_be(m, index);
    append_u64_be(m, attempt);
    crypto::PrivateKey k = crypto::sha256(m);
    if (crypto::public_key_of(k)) return k;
  }
}

Sender::Sender(std::string url, crypto::PrivateKey key, std::string chain_id)
    : url_(std::move(url)), key_(key), chain_id_(std::move(chain_id)), params_(cli::chain_params(url_)) {
  addr_ = crypto::address_of(*crypto::public_key_of(key_));
  resync();
}

void Sender::resync() {
  nonce_ = rpc(url_, "state_getAccount", {{"address", crypto::address_to_string(addr_)}})["pending_nonce"]
               .get<uint64_t>();
}

Result<std::string> Sender::try_send(pb::TxBody body) {
  body.set_chain_id(chain_id_);
  body.set_nonce(nonce_);
  // The node's own gas schedule and minimum price, so a genesis with other fees works too.
  body.set_gas_price(params_.min_gas_price);
  body.set_gas_limit(vm::intrinsic_gas(params_, body));
  Bytes raw = sign_tx(body, key_);
  auto r = rpc::rpc_call(url_, "tx_send", {{"raw", to_hex0x(raw)}});
  if (!r) return r.error();
  ++nonce_;
  return (*r)["hash"].get<std::string>();
}

std::string Sender::send(pb::TxBody body) {
  auto r = try_send(std::move(body));
  if (!r) throw std::runtime_error("tx_send: " + r.error().message);
  return *r;
}

void attach_usage_receipt(pb::Proof& p, const crypto::PrivateKey& consumer, uint64_t& consumer_seq,
                          const std::string& chain_id) {
  pb::UsageReceipt* u = p.mutable_payload()->mutable_usage();
  u->set_consumer(to_string(crypto::address_of(*crypto::public_key_of(consumer))));
  u->set_data_bytes(p.payload().data_bytes());
  u->set_seq(++consumer_seq);
  u->set_ref_height(p.ref_height());
  u->set_ref_block_hash(p.ref_block_hash());
  u->set_signature(to_string(
      crypto::sign_digest(consumer, vm::usage_digest(chain_id, bytes_to_address(p.device_id()), *u))));
}

uint64_t consumer_last_seq(const std::string& url, const crypto::PrivateKey& consumer) {
  const Address a = crypto::address_of(*crypto::public_key_of(consumer));
  return rpc(url, "depin_getUsage", {{"consumer", crypto::address_to_string(a)}})["last_seq"].get<uint64_t>();
}

json wait_receipt(const std::string& url, const std::string& hash, int timeout_s) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (g_stop) throw Interrupted{};
    auto r = rpc::rpc_call(url, "chain_getReceipt", {{"hash", hash}});
    if (r) return *r;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  throw std::runtime_error("transaction " + hash + " not included in time");
}

}  // namespace physis::devsim
