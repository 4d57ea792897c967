#include "rpc/net_methods.h"

#include "crypto/secp256k1.h"
#include "primitives/block.h"

namespace physis::rpc {

using nlohmann::json;

namespace {
json optional_hash(const std::optional<Hash32>& h) { return h ? json(hash_to_string(*h)) : json(nullptr); }
}  // namespace

json consensus_state_to_json(const node::ConsensusStatus& s) {
  json votes = json::array();
  for (const auto& v : s.votes)
    votes.push_back({{"round", v.round}, {"type", v.type}, {"votes", v.votes}, {"power", v.power}});
  return {{"running", s.running},
          {"validator", s.validator},
          {"height", s.height},
          {"round", s.round},
          {"step", s.step},
          {"proposer", s.proposer ? json(crypto::address_to_string(*s.proposer)) : json(nullptr)},
          {"locked_block", optional_hash(s.locked_block)},
          {"locked_round", s.locked_round},
          {"valid_block", optional_hash(s.valid_block)},
          {"valid_round", s.valid_round},
          {"total_power", s.total_power},
          {"votes", votes}};
}

json net_info_to_json(const node::NetStatus& s) {
  size_t inbound = 0;
  for (const auto& p : s.peers) inbound += p.direction == p2p::PeerDirection::kInbound;
  // Without P2P there is no node id or listener: null, not an empty string a script could mistake
  // for one.
  auto text_or_null = [&](const std::string& t) { return s.enabled && !t.empty() ? json(t) : json(nullptr); };
  return {{"enabled", s.enabled},
          {"node_id", text_or_null(s.node_id)},
          {"listen_address", text_or_null(s.listen_address)},
          {"peer_count", s.peers.size()},
          {"inbound", inbound},
          {"outbound", s.peers.size() - inbound}};
}

json net_peers_to_json(const node::NetStatus& s) {
  json peers = json::array();
  for (const auto& p : s.peers)
    peers.push_back({{"id", p.node_id},
                     {"address", p.address},
                     {"direction", p2p::direction_name(p.direction)},
                     {"score", p.score},
                     {"height", p.height}});
  return {{"enabled", s.enabled}, {"count", s.peers.size()}, {"peers", peers}};
}

void register_net_methods(RpcDispatcher& d, const node::Node& node) {
  d.add(
      {"consensus_state",
       "consensus_state() -> {running, validator, height, round, step, proposer, locked_block, locked_round, "
       "valid_block, valid_round, total_power, votes: [{round, type, votes, power}]}: the height being "
       "decided",
       [&node](const json& params) {
         reject_extra_params(params, {});
         return consensus_state_to_json(node.consensus_status());
       }});
  d.add({"net_info",
         "net_info() -> {enabled, node_id, listen_address, peer_count, inbound, outbound}: this node's P2P "
         "identity (null without P2P)",
         [&node](const json& params) {
           reject_extra_params(params, {});
           return net_info_to_json(node.net_status());
         }});
  d.add({"net_peers",
         "net_peers() -> {enabled, count, peers: [{id, address, direction, score, height}]}: the known peers",
         [&node](const json& params) {
           reject_extra_params(params, {});
           return net_peers_to_json(node.net_status());
         }});
}

}  // namespace physis::rpc
