// The DePIN JSON-RPC methods (depin_*, state_getSupply). Names are a fixed interface (README).
// Listing methods page with an opaque `cursor` (hex) and `limit` 1..1000; a response carries
// `next_cursor` (null at the end). A cursor is valid only for the method and filter that returned it
// (else -32602). A stored record that does not decode canonically is -32603 naming its key.
// doc/depin.md "RPC" gives the order and meaning of each listing.
#pragma once

#include "node/node.h"
#include "rpc/json_rpc.h"

namespace physis::rpc {

void register_depin_methods(RpcDispatcher& dispatcher, node::Node& node);

// JSON view of a registered device (also used for transaction rendering).
nlohmann::json device_to_json(const Address& id, const pb::Device& d, const node::Node& node);
nlohmann::json proof_result_to_json(const pb::ProofResult& r);

}  // namespace physis::rpc
