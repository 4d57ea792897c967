// JSON forms of DePIN objects, shared by the RPC server, physis-cli and physis-devsim. Byte fields are
// hex strings ("0x" optional on input, always present on output). The evidence schema is documented
// in doc/attestation.md.
#pragma once

#include <nlohmann/json.hpp>

#include "primitives/genesis.h"
#include "primitives/physis.pb.h"
#include "util/result.h"

namespace physis {

// Evidence file / RPC object → protobuf. Error code "bad_evidence" names the offending field.
Result<pb::AttestationEvidence> evidence_from_json(const nlohmann::json& j);
nlohmann::json evidence_to_json(const pb::AttestationEvidence& ev);

// {"lat_e7": int, "lon_e7": int} or {"h3": "0x…" or integer}. Error "bad_location".
Result<pb::Location> location_from_json(const nlohmann::json& j);
nlohmann::json location_to_json(const pb::Location& loc);

// Anchors in the genesis format (depin.anchors), with optional "revoked_at"; error "bad_anchor".
Result<pb::Anchor> anchor_from_json(const nlohmann::json& j);
nlohmann::json anchor_to_json(const pb::Anchor& a);

std::string evidence_kind_name(int kind);
std::string anchor_role_name(int role);
std::string key_type_name(int type);
std::string proof_kind_name(int kind);
// Parses names as written by the *_name functions (and the pb enum names); -1 if unknown.
int parse_evidence_kind(const std::string& s);
int parse_key_type(const std::string& s);
int parse_proof_kind(const std::string& s);

}  // namespace physis
