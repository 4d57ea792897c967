#include "primitives/depin_json.h"

#include <cstdio>

#include "crypto/x509_chain.h"
#include "util/amount.h"

namespace physis {

namespace {
using nlohmann::json;

std::string hex_field(const std::string& bytes) { return to_hex0x(as_span(bytes)); }

// Reads a hex string field into `out`; false if absent (when optional) or malformed.
bool read_hex(const json& j, const char* key, std::string& out, bool required, std::string& err) {
  if (!j.contains(key)) {
    if (required) err = std::string("missing field '") + key + "'";
    return !required;
  }
  if (!j[key].is_string()) {
    err = std::string("field '") + key + "' must be a hex string";
    return false;
  }
  auto b = from_hex(j[key].get<std::string>());
  if (!b) {
    err = std::string("field '") + key + "' is not valid hex";
    return false;
  }
  out = to_string(*b);
  return true;
}

bool read_u64(const json& j, const char* key, uint64_t& out, std::string& err) {
  if (!j.contains(key)) return true;
  const json& v = j[key];
  if (v.is_number_unsigned()) {
    out = v.get<uint64_t>();
    return true;
  }
  if (v.is_string()) {
    auto a = parse_amount(v.get<std::string>());
    if (a && *a <= UINT64_MAX) {
      out = static_cast<uint64_t>(*a);
      return true;
    }
  }
  err = std::string("field '") + key + "' must be an unsigned integer";
  return false;
}

std::string string_or(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int find_name(const std::string& s, std::initializer_list<std::pair<const char*, int>> names) {
  for (const auto& [n, v] : names)
    if (s == n) return v;
  return -1;
}
}  // namespace

std::string evidence_kind_name(int kind) {
  switch (kind) {
    case pb::SE_P256: return "SE_P256";
    case pb::TPM2_QUOTE: return "TPM2_QUOTE";
    case pb::REGISTRAR_STATEMENT: return "REGISTRAR_STATEMENT";
    default: return "NONE";
  }
}
std::string anchor_role_name(int role) {
  switch (role) {
    case pb::MANUFACTURER_ROOT: return "manufacturer_root";
    case pb::TPM_AK_CA: return "tpm_ak_ca";
    case pb::REGISTRAR: return "registrar";
    default: return "none";
  }
}
std::string key_type_name(int type) {
  switch (type) {
    case pb::KEY_P256: return "P256";
    case pb::KEY_SECP256K1: return "SECP256K1";
    default: return "NONE";
  }
}
std::string proof_kind_name(int kind) {
  switch (kind) {
    case pb::UPTIME: return "uptime";
    case pb::COVERAGE_WITNESS: return "coverage_witness";
    case pb::DATA_CONTRIBUTION: return "data_contribution";
    case pb::BEACON: return "beacon";
    case pb::BEACON_REVEAL: return "beacon_reveal";
    case pb::LOCATION_ASSERTION: return "location_assertion";
    default: return "none";
  }
}
int parse_evidence_kind(const std::string& s) {
  return find_name(s, {{"SE_P256", pb::SE_P256},
                       {"TPM2_QUOTE", pb::TPM2_QUOTE},
                       {"REGISTRAR_STATEMENT", pb::REGISTRAR_STATEMENT}});
}
int parse_key_type(const std::string& s) {
  return find_name(s, {{"P256", pb::KEY_P256},
                       {"KEY_P256", pb::KEY_P256},
                       {"SECP256K1", pb::KEY_SECP256K1},
                       {"KEY_SECP256K1", pb::KEY_SECP256K1}});
}
int parse_proof_kind(const std::string& s) {
  return find_name(s, {{"uptime", pb::UPTIME},
                       {"coverage_witness", pb::COVERAGE_WITNESS},
                       {"data_contribution", pb::DATA_CONTRIBUTION},
                       {"beacon", pb::BEACON},
                       {"beacon_reveal", pb::BEACON_REVEAL},
                       {"location_assertion", pb::LOCATION_ASSERTION}});
}

Result<pb::AttestationEvidence> evidence_from_json(const json& j) {
  auto bad = [](const std::string& m) { return make_error("bad_evidence", "evidence: " + m); };
  if (!j.is_object()) return bad("must be a JSON object");
  pb::AttestationEvidence ev;
  std::string err, tmp;
  if (!j.contains("kind") || !j["kind"].is_string() || parse_evidence_kind(j["kind"].get<std::string>()) < 0)
    return bad("'kind' must be SE_P256, TPM2_QUOTE or REGISTRAR_STATEMENT");
  ev.set_kind(static_cast<pb::EvidenceKind>(parse_evidence_kind(j["kind"].get<std::string>())));
  uint64_t cls = 0, ref = 0;
  if (!read_u64(j, "device_class", cls, err) || cls > UINT32_MAX)
    return bad(err.empty() ? "device_class too large" : err);
  ev.set_device_class(static_cast<uint32_t>(cls));
  if (!j.contains("key_type") || !j["key_type"].is_string() ||
      parse_key_type(j["key_type"].get<std::string>()) < 0)
    return bad("'key_type' must be P256 or SECP256K1");
  ev.set_key_type(static_cast<pb::KeyType>(parse_key_type(j["key_type"].get<std::string>())));
  if (!read_hex(j, "device_key", tmp, true, err)) return bad(err);
  ev.set_device_key(tmp);
  if (!read_hex(j, "anchor_id", tmp, true, err)) return bad(err);
  ev.set_anchor_id(tmp);
  if (j.contains("cert_chain")) {
    if (!j["cert_chain"].is_array()) return bad("'cert_chain' must be an array of hex strings");
    for (const auto& c : j["cert_chain"]) {
      auto b = c.is_string() ? from_hex(c.get<std::string>()) : std::nullopt;
      if (!b) return bad("'cert_chain' entries must be hex DER certificates");
      ev.add_cert_chain(to_string(*b));
    }
  }
  if (j.contains("statement")) {
    const json& s = j["statement"];
    if (!s.is_object()) return bad("'statement' must be an object");
    auto* st = ev.mutable_statement();
    uint64_t type = 0, expiry = 0;
    if (!read_u64(s, "attestation_type", type, err) || type > UINT32_MAX) return bad("statement." + err);
    st->set_attestation_type(static_cast<uint32_t>(type));
    if (!read_hex(s, "evidence_hash", tmp, true, err)) return bad("statement." + err);
    st->set_evidence_hash(tmp);
    if (!read_u64(s, "expiry_height", expiry, err)) return bad("statement." + err);
    st->set_expiry_height(expiry);
    if (!read_hex(s, "signature", tmp, true, err)) return bad("statement." + err);
    st->set_signature(tmp);
  }
  if (!read_u64(j, "ref_height", ref, err)) return bad(err);
  ev.set_ref_height(ref);
  if (!read_hex(j, "ref_block_hash", tmp, true, err)) return bad(err);
  ev.set_ref_block_hash(tmp);
  if (!read_hex(j, "pop_signature", tmp, true, err)) return bad(err);
  ev.set_pop_signature(tmp);
  return ev;
}

json evidence_to_json(const pb::AttestationEvidence& ev) {
  json j = {{"kind", evidence_kind_name(ev.kind())},
            {"device_class", ev.device_class()},
            {"key_type", key_type_name(ev.key_type())},
            {"device_key", hex_field(ev.device_key())},
            {"anchor_id", hex_field(ev.anchor_id())},
            {"ref_height", ev.ref_height()},
            {"ref_block_hash", hex_field(ev.ref_block_hash())},
            {"pop_signature", hex_field(ev.pop_signature())}};
  json chain = json::array();
  for (const auto& c : ev.cert_chain()) chain.push_back(hex_field(c));
  j["cert_chain"] = chain;
  if (ev.has_statement()) {
    const auto& s = ev.statement();
    j["statement"] = {{"attestation_type", s.attestation_type()},
                      {"evidence_hash", hex_field(s.evidence_hash())},
                      {"expiry_height", s.expiry_height()},
                      {"signature", hex_field(s.signature())}};
  }
  return j;
}

std::optional<uint64_t> parse_h3_cell(std::string_view text) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.remove_prefix(2);
  if (text.size() != 15 && text.size() != 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (d < 0) return std::nullopt;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

std::string h3_cell_to_string(uint64_t cell) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%015llx", static_cast<unsigned long long>(cell));
  return buf;
}

Result<pb::Location> location_from_json(const json& j) {
  auto bad = [](const std::string& m) { return make_error("bad_location", "location: " + m); };
  pb::Location loc;
  if (!j.is_object()) return bad("must be an object");
  if (j.contains("h3")) {
    const json& h = j["h3"];
    std::optional<uint64_t> cell;
    if (h.is_number_unsigned())
      cell = h.get<uint64_t>();
    else if (h.is_string())
      cell = parse_h3_cell(h.get<std::string>());
    if (!cell)
      return bad(
          "'h3' must be an H3 cell index: 15 or 16 hex digits (e.g. \"8928308280fffff\", 0x optional) "
          "or an unsigned integer");
    loc.set_h3_cell(*cell);
    return loc;
  }
  if (!j.contains("lat_e7") || !j.contains("lon_e7") || !j["lat_e7"].is_number_integer() ||
      !j["lon_e7"].is_number_integer())
    return bad("give either {\"h3\": cell} or integer {\"lat_e7\", \"lon_e7\"} (degrees × 1e7)");
  int64_t lat = j["lat_e7"].get<int64_t>(), lon = j["lon_e7"].get<int64_t>();
  if (lat < INT32_MIN || lat > INT32_MAX || lon < INT32_MIN || lon > INT32_MAX) return bad("out of range");
  loc.mutable_latlon()->set_lat_e7(static_cast<int32_t>(lat));
  loc.mutable_latlon()->set_lon_e7(static_cast<int32_t>(lon));
  return loc;
}

json location_to_json(const pb::Location& loc) {
  switch (loc.where_case()) {
    case pb::Location::kH3Cell: return {{"h3", h3_cell_to_string(loc.h3_cell())}};
    case pb::Location::kLatlon: return {{"lat_e7", loc.latlon().lat_e7()}, {"lon_e7", loc.latlon().lon_e7()}};
    case pb::Location::WHERE_NOT_SET: return nullptr;
  }
  return nullptr;
}

Result<pb::Anchor> anchor_from_json(const json& j) {
  auto bad = [](const std::string& m) { return make_error("bad_anchor", "anchor: " + m); };
  if (!j.is_object()) return bad("must be an object");
  pb::Anchor a;
  std::string err, spki;
  if (!read_hex(j, "spki", spki, true, err)) return bad(err);
  a.set_spki(spki);
  std::string role = string_or(j, "role");
  int r = find_name(role, {{"manufacturer_root", pb::MANUFACTURER_ROOT},
                           {"tpm_ak_ca", pb::TPM_AK_CA},
                           {"registrar", pb::REGISTRAR}});
  if (r < 0) return bad("'role' must be manufacturer_root, tpm_ak_ca or registrar");
  a.set_role(static_cast<pb::AnchorRole>(r));
  if ((j.contains("kinds") && !j["kinds"].is_array()) || (j.contains("classes") && !j["classes"].is_array()))
    return bad("'kinds' and 'classes' must be arrays");
  for (const auto& k : j.value("kinds", json::array())) {
    int kind = k.is_string() ? parse_evidence_kind(k.get<std::string>()) : -1;
    if (kind < 0) return bad("'kinds' entries must be SE_P256, TPM2_QUOTE or REGISTRAR_STATEMENT");
    a.add_allowed_kinds(static_cast<pb::EvidenceKind>(kind));
  }
  for (const auto& c : j.value("classes", json::array())) {
    if (!c.is_number_unsigned()) return bad("'classes' entries must be unsigned integers");
    a.add_allowed_classes(c.get<uint32_t>());
  }
  uint64_t len = 3, revoked = 0;
  if (!read_u64(j, "max_chain_len", len, err) || len > 3) return bad("'max_chain_len' must be 1..3");
  a.set_max_chain_len(static_cast<uint32_t>(len));
  if (!read_u64(j, "revoked_at", revoked, err)) return bad(err);
  a.set_revoked_at(revoked);
  a.set_name(string_or(j, "name"));
  return a;
}

json anchor_to_json(const pb::Anchor& a) {
  json kinds = json::array(), classes = json::array();
  for (int k : a.allowed_kinds()) kinds.push_back(evidence_kind_name(k));
  for (uint32_t c : a.allowed_classes()) classes.push_back(c);
  return {{"id", to_hex0x(crypto::spki_id(as_span(a.spki())))},
          {"name", a.name()},
          {"role", anchor_role_name(a.role())},
          {"kinds", kinds},
          {"classes", classes},
          {"max_chain_len", a.max_chain_len()},
          {"revoked_at", a.revoked_at()},
          {"registered_at", a.registered_at()},
          {"spki", hex_field(a.spki())}};
}

}  // namespace physis
