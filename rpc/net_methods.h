// The node's consensus and network JSON-RPC methods: consensus_state, net_info, net_peers (README
// "JSON-RPC"). They report the snapshots Node::consensus_status() and Node::net_status() take, so they
// answer the same for the single-validator producer and the consensus driver.
// Method names are a fixed interface: add new ones, never rename.
#pragma once

#include "node/node.h"
#include "rpc/json_rpc.h"

namespace physis::rpc {

// Registers consensus_state, net_info and net_peers. `node` must outlive the dispatcher's use.
void register_net_methods(RpcDispatcher& dispatcher, const node::Node& node);

// JSON views of the snapshots (shared with tests). Hashes are 0x hex, addresses EIP-55; an absent
// proposer or locked/valid block is null, an absent round -1.
nlohmann::json consensus_state_to_json(const node::ConsensusStatus& status);
nlohmann::json net_info_to_json(const node::NetStatus& status);
nlohmann::json net_peers_to_json(const node::NetStatus& status);

}  // namespace physis::rpc
