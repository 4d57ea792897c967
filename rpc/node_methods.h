// The node's JSON-RPC methods (chain_*, state_*, tx_*, mempool_*), registered on a dispatcher.
// Method names are a fixed interface: add new ones, never rename (README).
#pragma once

#include "node/node.h"
#include "rpc/json_rpc.h"

namespace physis::rpc {

// Registers every node method. `node` must outlive the dispatcher's use.
void register_node_methods(RpcDispatcher& dispatcher, node::Node& node);

// JSON views shared with the CLI and tests.
nlohmann::json block_to_json(const node::BlockLookup& b, bool include_raw_txs);
nlohmann::json receipt_to_json(const pb::Receipt& r);

}  // namespace physis::rpc
