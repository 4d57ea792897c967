#include "rpc/node_methods.h"

#include "crypto/keccak.h"
#include "crypto/secp256k1.h"
#include "primitives/block.h"
#include "primitives/depin_json.h"
#include "primitives/transaction.h"
#include "rpc/chain_params.h"
#include "rpc/depin_methods.h"
#include "vm/apply.h"
#include "vm/attestation.h"
#include "vm/depin.h"
#include "vm/reason_text.h"

namespace physis::rpc {

namespace {
using nlohmann::json;

std::string hash_str(const std::string& raw32) { return to_hex0x(as_span(raw32)); }

json tx_body_to_json(const pb::TxBody& body) {
  json j = {{"chain_id", body.chain_id()},
            {"nonce", body.nonce()},
            {"gas_limit", body.gas_limit()},
            {"gas_price", std::to_string(body.gas_price())}};
  switch (body.payload_case()) {
    case pb::TxBody::kTransfer:
      j["type"] = "transfer";
      j["to"] = addr_str(body.transfer().to());
      j["amount"] = format_amount(transfer_amount(body.transfer()));
      break;
    case pb::TxBody::kRegisterAnchor:
      j["type"] = "register_anchor";
      j["anchor"] = anchor_to_json(body.register_anchor().anchor());
      break;
    case pb::TxBody::kRevokeAnchor:
      j["type"] = "revoke_anchor";
      j["anchor_id"] = to_hex0x(as_span(body.revoke_anchor().anchor_id()));
      j["effective_height"] = body.revoke_anchor().effective_height();
      break;
    case pb::TxBody::kRevokeKey:
      j["type"] = "revoke_key";
      j["key_id"] = to_hex0x(as_span(body.revoke_key().key_id()));
      j["effective_height"] = body.revoke_key().effective_height();
      break;
    case pb::TxBody::kRegisterDevice:
      j["type"] = "register_device";
      j["evidence"] = evidence_to_json(body.register_device().evidence());
      j["location"] = location_to_json(body.register_device().location());
      break;
    case pb::TxBody::kUpdateDevice: {
      const auto& u = body.update_device();
      j["type"] = "update_device";
      j["device_id"] = to_hex0x(as_span(u.device_id()));
      j["location"] = location_to_json(u.location());
      j["new_owner"] = u.new_owner().size() == 20 ? json(addr_str(u.new_owner())) : json(nullptr);
      j["deactivate"] = u.deactivate();
      break;
    }
    case pb::TxBody::kSubmitProofs:
      j["type"] = "submit_proofs";
      j["proofs"] = body.submit_proofs().proofs_size();
      break;
    case pb::TxBody::kClaimRewards: {
      j["type"] = "claim_rewards";
      json ids = json::array();
      for (const auto& id : body.claim_rewards().device_ids()) ids.push_back(to_hex0x(as_span(id)));
      j["device_ids"] = ids;
      break;
    }
    case pb::TxBody::PAYLOAD_NOT_SET: j["type"] = "none"; break;
  }
  return j;
}

json commit_to_json(const pb::Commit& c) {
  json sigs = json::array();
  for (const auto& s : c.signatures())
    sigs.push_back({{"validator", addr_str(s.validator())}, {"signature", to_hex0x(as_span(s.signature()))}});
  return {{"height", c.height()},
          {"round", c.round()},
          {"block_hash", hash_str(c.block_hash())},
          {"signatures", sigs}};
}

json status_json(const node::Node& node) {
  auto tip = node.tip();
  const node::SyncStatus sync = node.sync_status();
  return {{"chain_id", node.genesis().chain_id},
          {"genesis_hash", hash_to_string(node.genesis_hash())},
          {"height", tip.height},
          {"latest_hash", hash_to_string(tip.hash)},
          {"latest_time", tip.time_ms},
          {"latest_state_root", hash_to_string(tip.state_root)},
          {"syncing", sync.syncing},
          {"sync_target", sync.sync_target}};
}

// Gas and size limits are JSON numbers; the gas price is a decimal string, like every amount.
json chain_params_json(const node::Node& node) {
  const ChainParams& p = node.genesis().params;
  return {{"chain_id", node.genesis().chain_id},
          {"block_time_ms", p.block_time_ms},
          {"min_gas_price", std::to_string(p.min_gas_price)},
          {"transfer_gas", p.transfer_gas},
          {"block_gas_limit", p.block_gas_limit},
          {"max_block_txs", p.max_block_txs},
          {"max_block_bytes", p.max_block_bytes},
          {"max_tx_bytes", kMaxTxBytes}};
}

node::BlockLookup find_block(const node::Node& node, const json& params) {
  reject_extra_params(params, {"height", "hash", "raw"});
  reject_conflicting_params(params, {"height", "hash"});
  // By name the key says which; by position the one value is a hash if it looks like one.
  const json* hash = optional_param(params, 0, "hash");
  const bool by_hash = params.is_object()
                           ? hash != nullptr
                           : hash && hash->is_string() && hash->get<std::string>().size() == 66;
  if (by_hash) {
    auto b = node.block_by_hash(param_hash(params, 0, "hash"));  // a malformed hash throws its message
    if (b) return *b;
    if (b.error().code == "not_found") throw RpcError(kNotFound, "no block with that hash");
    throw RpcError(kInternalError, b.error().message);
  }
  uint64_t height = param_u64(params, 0, "height");
  auto b = node.block_at(height);
  if (b) return *b;
  if (b.error().code == "not_found")
    throw RpcError(kNotFound, "no block at height " + std::to_string(height) + "; the chain is at height " +
                                  std::to_string(node.tip().height));
  throw RpcError(kInternalError, b.error().message);
}
}  // namespace

json receipt_to_json(const pb::Receipt& r) {
  json j = {{"tx_hash", hash_str(r.tx_hash())},
            {"status", r.status() == 0 ? "success" : "failed"},
            {"reason_code", r.reason()},
            {"reason", std::string(vm::tx_fail_reason_name(static_cast<vm::TxFailReason>(r.reason())))},
            {"message", vm::receipt_message(r)},  // derived here: receipts commit codes only
            {"gas_used", r.gas_used()},
            {"fee", amount_str(r.fee())}};
  if (r.reason() == static_cast<uint32_t>(vm::TxFailReason::kAttestationFailed)) {
    j["detail"] = std::string(vm::attest_reject_name(static_cast<vm::AttestReject>(r.detail())));
    j["detail_code"] = r.detail();
  }
  if (r.device_id().size() == 20) j["device_id"] = to_hex0x(as_span(r.device_id()));
  if (r.proofs_size() > 0) {
    json proofs = json::array();
    size_t accepted = 0;
    for (const auto& p : r.proofs()) {
      proofs.push_back(proof_result_to_json(p));
      accepted += p.reason() == 0;
    }
    j["proofs"] = proofs;
    j["proofs_accepted"] = accepted;
    j["proofs_rejected"] = r.proofs_size() - accepted;
  }
  return j;
}

json block_to_json(const node::BlockLookup& b, bool include_raw_txs) {
  const pb::Header& h = b.block.header();
  json txs = json::array();
  for (const auto& raw : b.block.txs()) {
    if (include_raw_txs)
      txs.push_back(to_hex0x(as_span(raw)));
    else
      txs.push_back(to_hex0x(crypto::keccak256(as_span(raw))));
  }
  json j = {{"hash", hash_to_string(b.hash)},
            {"height", h.height()},
            {"time", h.time_ms()},
            {"chain_id", h.chain_id()},
            {"prev_hash", hash_str(h.prev_hash())},
            {"tx_root", hash_str(h.tx_root())},
            {"state_root", hash_str(h.state_root())},
            {"receipts_root", hash_str(h.receipts_root())},
            {"proposer", addr_str(h.proposer())},
            {"validators_hash", hash_str(h.validators_hash())},
            {"next_validators_hash", hash_str(h.next_validators_hash())},
            {"last_commit_hash", hash_str(h.last_commit_hash())},
            {"tx_count", b.block.txs_size()},
            {"txs", txs},
            {"size", b.size_bytes}};
  j["last_commit"] = b.block.has_last_commit() ? commit_to_json(b.block.last_commit()) : json(nullptr);
  return j;
}

void register_node_methods(RpcDispatcher& d, node::Node& node) {
  d.add({"chain_status",
         "chain_status() -> {chain_id, genesis_hash, height, latest_hash, latest_time, latest_state_root, "
         "syncing, sync_target}: the chain tip; syncing while block sync fetches blocks up to sync_target "
         "(the best height peers report, 0 when unknown)",
         [&node](const json& params) {
           reject_extra_params(params, {});
           return status_json(node);
         }});
  d.add({"chain_getParams",
         "chain_getParams() -> {chain_id, block_time_ms, min_gas_price, transfer_gas, block_gas_limit, "
         "max_block_txs, max_block_bytes, max_tx_bytes}: the genesis chain parameters (gas and fees)",
         [&node](const json& params) {
           reject_extra_params(params, {});
           return chain_params_json(node);
         }});
  d.add({"chain_getBlock",
         "chain_getBlock({height} or {hash}, raw?) -> block header, tx hashes (raw tx hex with raw=true), "
         "last commit",
         [&node](const json& params) {
           auto b = find_block(node, params);
           bool raw = optional_param_bool(params, 1, "raw").value_or(false);
           return block_to_json(b, raw);
         }});
  d.add({"consensus_validators",
         "consensus_validators({height?}) -> {height, total_power, validators_hash, validators: [{address, "
         "power}]}: the validator set at a height (default: the next block's)",
         [&node](const json& params) {
           reject_extra_params(params, {"height"});
           const uint64_t tip = node.tip().height;
           const uint64_t height = optional_param_u64(params, 0, "height").value_or(tip + 1);
           if (height > tip + 1)
             throw RpcError(kInvalidParams, "height " + std::to_string(height) +
                                                " is beyond the next block (" + std::to_string(tip + 1) +
                                                ")");
           const consensus::ValidatorSet& set = node.validators_at(height);
           json vals = json::array();
           for (const auto& v : set.validators())
             vals.push_back({{"address", crypto::address_to_string(v.address)}, {"power", v.power}});
           return json{{"height", height},
                       {"total_power", set.total_power()},
                       {"validators_hash", hash_to_string(set.hash())},
                       {"validators", vals}};
         }});
  d.add(
      {"consensus_getCommit",
       "consensus_getCommit({height}) -> {height, round, block_hash, signatures: [{validator, signature}]}: "
       "the precommits that committed the block at height (≥ 1)",
       [&node](const json& params) {
         reject_extra_params(params, {"height"});
         const uint64_t height = param_u64(params, 0, "height");
         auto commit = node.commit_at(height);
         if (!commit) {
           if (commit.error().code == "not_found") throw RpcError(kNotFound, commit.error().message);
           throw RpcError(kInternalError, commit.error().message);
         }
         return commit_to_json(*commit);
       }});
  d.add({"chain_getTransaction",
         "chain_getTransaction({hash}) -> tx fields, sender, height and index (status \"pending\" while in "
         "the mempool)",
         [&node](const json& params) {
           reject_extra_params(params, {"hash"});
           Hash32 hash = param_hash(params, 0, "hash");
           auto tx = node.find_tx(hash);
           if (!tx && tx.error().code != "not_found") throw RpcError(kInternalError, tx.error().message);
           if (!tx) {
             if (node.in_mempool(hash)) return json{{"hash", hash_to_string(hash)}, {"status", "pending"}};
             throw RpcError(kNotFound,
                            "transaction " + hash_to_string(hash) + " is neither in a block nor pending");
           }
           json j = tx_body_to_json(tx->body);
           j["hash"] = hash_to_string(hash);
           j["from"] = crypto::address_to_string(tx->sender);
           j["status"] = "included";
           j["height"] = tx->height;
           j["index"] = tx->index;
           j["block_hash"] = hash_to_string(tx->block_hash);
           j["signature"] = to_hex0x(as_span(tx->tx.signature()));
           return j;
         }});
  d.add({"chain_getReceipt",
         "chain_getReceipt({hash}) -> {status, reason, gas_used, fee, height, index} of an included "
         "transaction",
         [&node](const json& params) {
           reject_extra_params(params, {"hash"});
           Hash32 hash = param_hash(params, 0, "hash");
           auto tx = node.find_receipt(hash);  // not find_tx: clients poll this, and blocks are large
           if (!tx && tx.error().code != "not_found") throw RpcError(kInternalError, tx.error().message);
           if (!tx) {
             std::string where = node.in_mempool(hash) ? " (still pending in the mempool)" : "";
             throw RpcError(kNotFound, "no receipt for transaction " + hash_to_string(hash) + where);
           }
           json j = receipt_to_json(tx->receipt);
           j["height"] = tx->height;
           j["index"] = tx->index;
           j["block_hash"] = hash_to_string(tx->block_hash);
           return j;
         }});
  d.add({"state_getAccount",
         "state_getAccount({address}) -> {address, balance (decimal string), nonce, pending_nonce}: nonce is "
         "the committed one; pending_nonce also counts the account's gap-free transactions in the mempool "
         "(the nonce to sign the next transaction with)",
         [&node](const json& params) {
           reject_extra_params(params, {"address"});
           Address a = param_address(params, 0, "address");
           auto acc = node.account(a);
           if (!acc) throw RpcError(kInternalError, acc.error().message);
           auto pending = node.pending_nonce(a);
           if (!pending) throw RpcError(kInternalError, pending.error().message);
           return json{{"address", crypto::address_to_string(a)},
                       {"balance", format_amount(acc->balance)},
                       {"nonce", acc->nonce},
                       {"pending_nonce", *pending}};
         }});
  d.add({"tx_send", "tx_send({raw}) -> {hash}: submit a signed transaction (hex) to the mempool",
         [&node](const json& params) {
           reject_extra_params(params, {"raw"});
           std::string text = param_string(params, 0, "raw");
           auto raw = from_hex(text);
           if (!raw)
             throw RpcError(kInvalidParams,
                            "parameter 'raw' must be hex (optionally 0x-prefixed), even length");
           if (raw->empty()) throw RpcError(kInvalidParams, "parameter 'raw' is empty");
           auto hash = node.submit_tx(*raw);
           if (!hash)
             throw RpcError(kTxRejected, "transaction rejected: " + hash.error().message,
                            json{{"reason", hash.error().code}});
           return json{{"hash", hash_to_string(*hash)}};
         }});
  d.add(
      {"state_getSupply",
       "state_getSupply() -> {height, genesis, minted, burned, total, circulating, owed, balanced}: supply "
       "audit at the stored tip (scans all accounts, once per block however often asked); total = genesis + "
       "minted - burned",
       [&node](const json& params) {
         reject_extra_params(params, {});
         auto audit = node.supply_audit();
         if (!audit) throw RpcError(kInternalError, audit.error().message);
         const auto& a = *audit;
         const auto total = a.total();  // nullopt past 2^128-1: said as null, never wrapped
         return json{{"height", a.height},
                     {"genesis", format_amount(a.genesis)},
                     {"minted", format_amount(a.minted)},
                     {"burned", format_amount(a.burned)},
                     {"total", total ? json(format_amount(*total)) : json(nullptr)},
                     {"circulating", format_amount(a.circulating)},
                     {"owed", format_amount(a.owed)},
                     {"balanced", a.balanced()}};
       }});
  d.add({"mempool_status", "mempool_status() -> {txs, bytes, senders}: transactions waiting for a block",
         [&node](const json& params) {
           reject_extra_params(params, {});
           auto s = node.mempool_status();
           return json{{"txs", s.txs}, {"bytes", s.bytes}, {"senders", s.senders}};
         }});
}

}  // namespace physis::rpc
