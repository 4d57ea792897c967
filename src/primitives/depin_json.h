// JSON forms of DePIN objects, shared by the RPC server, physis-cli and physis-devsim. Byte fields are
// hex strings ("0x" optional on input, always present on output). The evidence schema is documented
// in doc/attestation.md.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "primitives/genesis.h"
#include "primitives/physis.pb.h"
#include "util/result.h"

namespace physis {

// Evidence file / RPC object → protobuf. Error code "bad_evidence" names the offending field.
Result<pb::AttestationEvidence> evidence_from_json(const nlohmann::json& j);
nlohmann::json evidence_to_json(const pb::AttestationEvidence& ev);

// {"lat_e7": int, "lon_e7": int} or {"h3": cell}, the cell as an H3 string (15 or 16 hex digits,
// any case, "0x" optional, e.g. "8928308280fffff") or an unsigned JSON integer. Error "bad_location".
// Only the form is checked here; whether the cell is a valid H3 cell is the VM's rule (vm/geo.h).
// Output: {"h3": "8928308280fffff"} (the standard lowercase form, no prefix) or {"lat_e7", "lon_e7"}.
// The standard text form of an H3 index: 15 or 16 hex digits, "0x" optional, any case; nullopt
// otherwise. No validity check beyond the form.
std::optional<uint64_t> parse_h3_cell(std::string_view text);
// The standard text form: lowercase hex, no prefix, zero-padded to 15 digits (every valid cell has 15).
std::string h3_cell_to_string(uint64_t cell);
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
