// The node's P2P identity: a CurveZMQ key pair, separate from any validator key. The node id is the
// Z85 text of the public key (40 characters); peers address each other as `<node-id>@host:port`.
#pragma once

#include <string>

#include "util/result.h"

namespace physis::p2p {

// A Curve25519 key pair in Z85 text form (40 characters each), as libzmq's CURVE options take them.
struct NodeKey {
  std::string public_z85;
  std::string secret_z85;
  const std::string& node_id() const { return public_z85; }
};

// Fails (code "no_curve") when the linked libzmq was built without CURVE support; every other
// function here and the Host call it first, so a node never runs unencrypted links.
Status require_curve();

// Makes a fresh key pair with zmq_curve_keypair. Errors: "no_curve", "key_gen".
Result<NodeKey> generate_node_key();

// True if `text` is 40 characters of Z85 that decode to a 32-byte key.
bool is_valid_node_id(const std::string& text);

// Reads the key file at `path`, or creates it (mode 0600, written then fsynced) when it does not
// exist. File format, exactly: "physis-node-key-v1\npublic <z85>\nsecret <z85>\n". A file that exists
// but is unreadable, has any other content, is readable by group/others, or whose public key is not
// the one derived from its secret is an error (code "node_key") — never silently regenerated, since a
// new key is a new identity that persistent peers of this node would no longer accept.
Result<NodeKey> load_or_create_node_key(const std::string& path);

}  // namespace physis::p2p
