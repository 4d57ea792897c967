#include "cli/depin_commands.h"

#include <fstream>
#include <map>
#include <sstream>

#include "cli/evidence_inputs.h"
#include "crypto/p256.h"
#include "crypto/pem.h"
#include "crypto/secp256k1.h"
#include "crypto/sha256.h"
#include "crypto/x509_chain.h"
#include "primitives/depin_json.h"
#include "primitives/transaction.h"
#include "vm/attestation.h"
#include "vm/beacon.h"
#include "vm/depin.h"

namespace physis::cli {

const char* const kDepinUsageHeader =
    "\nDePIN commands (transactions accept --wait, --timeout, --nonce, --gas-price, --gas-limit, --chain-id, "
    "--dry-run):\n";

const std::vector<CommandSpec>& depin_commands() {
  static const std::vector<CommandSpec> specs = {
      tx_command({"anchor register",
                  {"key", "spki-file", "role", "kinds", "classes", "max-chain-len", "name"},
                  {},
                  "  anchor register --key GOV.key --spki-file ROOT.spki.der --role "
                  "manufacturer_root|tpm_ak_ca|registrar\n"
                  "                  --kinds SE_P256[,REGISTRAR_STATEMENT] [--classes 1,2] [--max-chain-len "
                  "3] [--name N]\n",
                  "\n  --spki-file is the root's SubjectPublicKeyInfo in DER, e.g.\n"
                  "    openssl pkey -in ROOT.key.pem -pubout -outform DER -out ROOT.spki.der\n"
                  "  Prints anchor_id once the registration succeeded (--wait); without --wait, "
                  "expected_anchor_id.\n"}),
      tx_command({"anchor revoke",
                  {"key", "id", "at"},
                  {},
                  "  anchor revoke --key GOV.key --id ANCHOR_ID [--at HEIGHT]\n",
                  ""}),
      {"anchor show", {}, {}, "  anchor show ID\n", ""},
      {"anchor list", {"cursor", "limit"}, {}, "  anchor list [--cursor C] [--limit N]\n", ""},
      tx_command(
          {"key revoke",
           {"key", "id", "at"},
           {},
           "  key revoke --key GOV.key --id KEY_ID [--at HEIGHT]      revoke an intermediate or device key\n",
           ""}),
      {"device make-evidence",
       {"device-key", "owner", "class", "certs", "anchor-spki-file", "registrar-key", "attestation-type",
        "evidence-hash", "expiry", "out"},
       {},
       "  device make-evidence --device-key DEVICE.pem --owner ADDRESS --class N\n"
       "                  (--certs LEAF.der[,INTERMEDIATE.der] --anchor-spki-file ROOT.spki.der |\n"
       "                   --registrar-key REG.pem --anchor-spki-file REG.spki.der --attestation-type 1..4\n"
       "                   --evidence-hash HEX --expiry HEIGHT) [--out FILE]\n"
       "                                     evidence JSON (doc/attestation.md) bound to the latest block\n",
       "\n  Inputs, checked before anything is signed:\n"
       "  --device-key  the device's P-256 private key, PEM (openssl ecparam -name prime256v1 -genkey "
       "-noout)\n"
       "  --certs       DER certificates, leaf (the device key's) first, then each issuer; from PEM:\n"
       "                  openssl x509 -in LEAF.pem -outform DER -out LEAF.der\n"
       "  --anchor-spki-file  the root's (or registrar's) SubjectPublicKeyInfo in DER:\n"
       "                  openssl pkey -in ROOT.key.pem -pubout -outform DER -out ROOT.spki.der\n"
       "                  (from its certificate: openssl x509 -in ROOT.pem -noout -pubkey |\n"
       "                   openssl pkey -pubin -outform DER -out ROOT.spki.der)\n"
       "  The evidence is bound to the latest block and valid for the chain's ref_window blocks\n"
       "  (depin_getParams); register it soon, or run make-evidence again.\n"},
      tx_command(
          {"device register",
           {"key", "evidence", "lat", "lon", "h3", "device-key"},
           {},
           "  device register --key OWNER.key --evidence FILE [--lat DEG_E7 --lon DEG_E7 | --h3 CELL "
           "--device-key DEVICE.pem]\n"
           "                                     CELL: an H3 index, e.g. 8928308280fffff (15 hex digits); a "
           "location is\n"
           "                                     signed by the device key (doc/depin.md \"Locations\")\n",
           "\n  Prints device_id once the registration succeeded (--wait); without --wait, "
           "expected_device_id.\n"
           "  Evidence older than the reference window is refused before sending: run make-evidence "
           "again.\n"}),
      {"device show", {}, {}, "  device show ID\n", ""},
      {"device list",
       {"owner", "anchor", "h3-parent", "cursor", "limit"},
       {},
       "  device list [--owner A | --anchor ID | --h3-parent CELL] [--cursor C] [--limit N]\n"
       "                                     --h3-parent: devices asserting an H3 cell inside CELL\n",
       ""},
      tx_command({"device update",
                  {"key", "id", "new-owner"},
                  {"deactivate"},
                  "  device update --key OWNER.key --id ID [--new-owner A] [--deactivate]\n",
                  "\n  A device moves itself: proof submit --kind location_assertion.\n"}),
      tx_command(
          {"proof submit",
           {"key", "device", "device-key", "kind", "uptime", "beaconer", "rssi", "snr", "bytes", "seq",
            "consumer-key", "usage-seq", "lat", "lon", "h3", "challenge-height", "secret"},
           {},
           "  proof submit --key PAYER.key --device ID --device-key DEVICE.pem --kind "
           "uptime|coverage_witness|data_contribution|location_assertion|beacon|beacon_reveal\n"
           "                  [--uptime S] [--beaconer ID --rssi DBM --snr DB_X10]\n"
           "                  [--challenge-height H --secret HEX32]\n"
           "                  [--bytes N --consumer-key CONSUMER.key [--usage-seq N]] [--lat E7 --lon E7 | --h3 "
           "CELL] [--seq N]\n",
           "\n  data_contribution: the consumer's account key signs a usage receipt for --bytes (doc/depin.md "
           "\"Usage\");\n"
           "  it pays usage_price_per_mib per MiB (burned) and must not own the device. --usage-seq defaults "
           "to\n"
           "  the consumer's last accepted receipt seq + 1 (depin_getUsage).\n"
           "  location_assertion: the device moves itself to --lat/--lon or --h3 (doc/depin.md \"Locations\").\n"
           "  beacon: the device, challenged at --challenge-height, commits SHA-256(--secret); beacon_reveal\n"
           "  reveals --secret after the window; coverage_witness names the beacon (--beaconer,\n"
           "  --challenge-height) with the receipt SHA-256(--secret heard ‖ device id) (doc/depin.md \"Beacons\").\n"}),
      {"rewards",
       {"device", "owner", "epoch", "cursor", "limit"},
       {},
       "  rewards (--device ID | --owner A | --epoch N) [--cursor C] [--limit N]\n",
       ""},
      tx_command(
          {"rewards claim", {"key", "devices"}, {}, "  rewards claim --key FILE --devices ID[,ID...]\n", ""}),
      {"epoch", {}, {}, "  epoch [N]                          epoch emission, pools, weights\n", ""},
      {"attest verify",
       {"evidence", "anchors", "owner", "chain-id", "height"},
       {},
       "  attest verify --evidence FILE --anchors FILE [--owner A] [--chain-id ID] [--height H]\n"
       "                                     offline: the consensus verifier, no node needed; prints {valid, "
       "reason}\n",
       "\n  --anchors: a genesis file, or the output of `physis-cli anchor list` (revoked anchors apply "
       "from\n"
       "  their revoked_at height), or {\"anchors\": [...], \"revoked_keys\": [{\"key_id\", \"height\"}]}.\n"
       "  --height: the including height to check at (default: the evidence's ref height + 1).\n"},
  };
  return specs;
}

namespace {
std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::string hex_arg(const Args& a, const std::string& flag, size_t size) {
  auto b = from_hex(a.get(flag));
  if (!b || (size && b->size() != size))
    throw UsageError("--" + flag + " must be " + (size ? std::to_string(size) + " bytes of " : "") + "hex");
  return to_string(*b);
}

crypto::P256PrivateKey load_pem(const Args& a, const std::string& flag) {
  auto k = crypto::p256_private_key_from_pem_file(a.get(flag));
  if (!k) throw CommandError(k.error().message);
  return *k;
}

std::optional<pb::Location> location_arg(const Args& a) {
  json j;
  if (a.has("h3"))
    j = {{"h3", a.get("h3")}};
  else if (a.has("lat") || a.has("lon")) {
    try {
      j = {{"lat_e7", std::stoll(a.get("lat"))}, {"lon_e7", std::stoll(a.get("lon"))}};
    } catch (const std::exception&) {
      throw UsageError("--lat and --lon are integers: degrees × 1e7");
    }
  } else
    return std::nullopt;
  auto loc = location_from_json(j);
  if (!loc) throw UsageError(loc.error().message);
  return *loc;
}

json latest_block(const std::string& url) {
  json status = call(url, "chain_status", json::object());
  return {{"height", status["height"]}, {"hash", status["latest_hash"]}, {"chain_id", status["chain_id"]}};
}

json list_call(const std::string& url, const std::string& method, json params, const Args& a) {
  if (a.has("cursor")) params["cursor"] = a.get("cursor");
  if (a.has("limit")) params["limit"] = parse_u64(a.get("limit"), "--limit");
  return call(url, method, params);
}

json cmd_anchor(const std::string& url, const Args& a) {
  if (a.positional.empty()) throw UsageError("anchor needs a subcommand: register, revoke, show or list");
  const std::string& sub = a.positional[0];
  if (sub == "show") {
    if (a.positional.size() < 2) throw UsageError("anchor show ID");
    return call(url, "depin_getAnchor", {{"id", a.positional[1]}});
  }
  if (sub == "list") return list_call(url, "depin_listAnchors", json::object(), a);
  if (sub == "register") {
    json spec = {{"spki", to_hex(as_span(read_file(a.get("spki-file"))))},
                 {"role", a.get("role")},
                 {"kinds", split(a.get("kinds"), ',')},
                 {"name", a.has("name") ? a.get("name") : ""}};
    json classes = json::array();
    if (a.has("classes"))
      for (const auto& c : split(a.get("classes"), ',')) classes.push_back(parse_u64(c, "--classes"));
    spec["classes"] = classes;
    if (a.has("max-chain-len")) spec["max_chain_len"] = parse_u64(a.get("max-chain-len"), "--max-chain-len");
    auto anchor = anchor_from_json(spec);
    if (!anchor) throw UsageError(anchor.error().message);
    pb::TxBody body;
    *body.mutable_register_anchor()->mutable_anchor() = *anchor;
    const std::string id = to_hex0x(crypto::spki_id(as_span(anchor->spki())));
    json out = send_tx(url, load_key(a), body, a);  // a failed receipt throws: no id is printed
    // The anchor exists only once the receipt says so; before that the id is what it will be.
    out[a.has("wait") ? "anchor_id" : "expected_anchor_id"] = id;
    return out;
  }
  if (sub == "revoke") {
    pb::TxBody body;
    body.mutable_revoke_anchor()->set_anchor_id(hex_arg(a, "id", 32));
    if (a.has("at")) body.mutable_revoke_anchor()->set_effective_height(parse_u64(a.get("at"), "--at"));
    return send_tx(url, load_key(a), body, a);
  }
  throw UsageError("unknown anchor subcommand '" + sub + "'");
}

// Evidence is bound to a block and valid while the including height is within ref_window of it
// (vm/attestation.cpp check_reference); refusing stale evidence here saves the fee of a certain failure.
void refuse_stale_evidence(const std::string& url, const pb::AttestationEvidence& ev,
                           const std::string& path) {
  const uint64_t next = call(url, "chain_status", json::object())["height"].get<uint64_t>() + 1;
  const uint64_t window = call(url, "depin_getParams", json::object())["ref_window"].get<uint64_t>();
  if (next > ev.ref_height() && next - ev.ref_height() > window)
    throw CommandError(path + " is stale: it is bound to block " + std::to_string(ev.ref_height()) +
                       ", more than the chain's ref_window of " + std::to_string(window) +
                       " blocks before the next block " + std::to_string(next) +
                       "; run `physis-cli device make-evidence` again and register the new file");
}

json make_evidence(const std::string& url, const Args& a) {
  if (a.has("registrar-key") == a.has("certs"))
    throw UsageError(
        "make-evidence takes --certs (SE_P256 evidence) or --registrar-key (a registrar "
        "statement), exactly one");
  crypto::P256PrivateKey dkey = load_pem(a, "device-key");
  auto pub = crypto::p256_public_key(dkey);
  if (!pub) throw CommandError("--device-key is not a valid P-256 key");
  Address owner = parse_addr(a.get("owner"));
  const uint64_t device_class = parse_u64(a.get("class"), "--class");
  if (device_class > UINT32_MAX) throw UsageError("--class must be 0.." + std::to_string(UINT32_MAX));
  // Every input file is checked before the node is asked for anything.
  const Bytes anchor_spki = read_spki_der(a.get("anchor-spki-file"), "anchor-spki-file");
  std::vector<Bytes> certs;
  if (a.has("certs")) certs = read_cert_chain(split(a.get("certs"), ','), *pub, anchor_spki);
  json ref = latest_block(url);
  pb::AttestationEvidence ev;
  ev.set_device_class(static_cast<uint32_t>(device_class));
  ev.set_key_type(pb::KEY_P256);
  ev.set_device_key(to_string(*pub));
  ev.set_anchor_id(to_string(crypto::spki_id(anchor_spki)));
  ev.set_ref_height(ref["height"].get<uint64_t>());
  ev.set_ref_block_hash(to_string(*from_hex(ref["hash"].get<std::string>())));
  const std::string chain_id = ref["chain_id"].get<std::string>();
  if (a.has("registrar-key")) {
    ev.set_kind(pb::REGISTRAR_STATEMENT);
    auto* st = ev.mutable_statement();
    st->set_attestation_type(
        static_cast<uint32_t>(parse_u64(a.get("attestation-type"), "--attestation-type")));
    st->set_evidence_hash(hex_arg(a, "evidence-hash", 32));
    st->set_expiry_height(parse_u64(a.get("expiry"), "--expiry"));
    auto sig = crypto::p256_sign(load_pem(a, "registrar-key"),
                                 crypto::sha256(vm::registrar_statement_message(chain_id, ev)));
    if (!sig) throw CommandError(sig.error().message);
    st->set_signature(to_string(*sig));
  } else {
    ev.set_kind(pb::SE_P256);
    for (const Bytes& der : certs) ev.add_cert_chain(to_string(der));
  }
  auto pop = crypto::p256_sign(dkey, crypto::sha256(vm::registration_message(chain_id, ev, owner)));
  if (!pop) throw CommandError(pop.error().message);
  ev.set_pop_signature(to_string(*pop));
  json j = evidence_to_json(ev);
  j["owner"] = crypto::address_to_string(owner);
  j["chain_id"] = chain_id;
  j["device_id"] = to_hex0x(vm::device_id_of(ev.kind(), as_span(ev.device_key())));
  if (a.has("out")) {
    std::ofstream out(a.get("out"));
    out << j.dump(2) << "\n";
    if (!out.flush()) throw CommandError("cannot write " + a.get("out"));
    return {{"file", a.get("out")}, {"device_id", j["device_id"]}};
  }
  return j;
}

json cmd_device(const std::string& url, const Args& a) {
  if (a.positional.empty())
    throw UsageError("device needs a subcommand: make-evidence, register, show, list, update");
  const std::string& sub = a.positional[0];
  if (sub == "show") {
    if (a.positional.size() < 2) throw UsageError("device show ID");
    return call(url, "depin_getDevice", {{"id", a.positional[1]}});
  }
  if (sub == "list") {
    at_most_one_of(a, {"owner", "anchor", "h3-parent"});
    json params = json::object();
    if (a.has("owner")) params["owner"] = a.get("owner");
    if (a.has("anchor")) params["anchor"] = a.get("anchor");
    if (a.has("h3-parent")) params["h3_parent"] = a.get("h3-parent");
    return list_call(url, "depin_listDevices", params, a);
  }
  if (sub == "make-evidence") return make_evidence(url, a);
  if (sub == "register") {
    const std::string path = a.get("evidence");
    auto ev = evidence_from_json(read_json_file(path));
    if (!ev) throw CommandError(path + ": " + ev.error().message);
    pb::TxBody body;
    *body.mutable_register_device()->mutable_evidence() = *ev;
    if (auto loc = location_arg(a)) {
      // The location is the device's word: its key signs it over the evidence's reference block.
      if (!a.has("device-key")) throw UsageError("a location needs --device-key: the device signs it");
      const std::string chain_id = call(url, "chain_status", json::object())["chain_id"].get<std::string>();
      const Hash32 digest =
          vm::location_digest(chain_id, vm::device_id_of(ev->kind(), as_span(ev->device_key())), *loc,
                              ev->ref_height(), as_span(ev->ref_block_hash()));
      auto sig = crypto::p256_sign(load_pem(a, "device-key"), digest);
      if (!sig) throw CommandError(sig.error().message);
      *body.mutable_register_device()->mutable_location() = *loc;
      body.mutable_register_device()->set_location_signature(to_string(*sig));
    }
    if (!a.has("dry-run")) refuse_stale_evidence(url, *ev, path);
    json out = send_tx(url, load_key(a), body, a);  // a failed receipt throws: no id is printed
    // With --wait the receipt names the device it created; before that the id is what it will be.
    if (!a.has("wait"))
      out["expected_device_id"] = to_hex0x(vm::device_id_of(ev->kind(), as_span(ev->device_key())));
    return out;
  }
  if (sub == "update") {
    pb::TxBody body;
    auto* u = body.mutable_update_device();
    u->set_device_id(hex_arg(a, "id", 20));
    if (a.has("new-owner")) u->set_new_owner(to_string(parse_addr(a.get("new-owner"))));
    if (a.has("deactivate")) u->set_deactivate(true);
    return send_tx(url, load_key(a), body, a);
  }
  throw UsageError("unknown device subcommand '" + sub + "'");
}

json cmd_proof(const std::string& url, const Args& a) {
  if (a.positional.empty() || a.positional[0] != "submit") throw UsageError("proof submit ...");
  crypto::P256PrivateKey dkey = load_pem(a, "device-key");
  std::string device_hex = a.get("device");
  json device = call(url, "depin_getDevice", {{"id", device_hex}});
  json params = call(url, "depin_getParams", json::object());
  json ref = latest_block(url);
  pb::Proof p;
  p.set_device_id(hex_arg(a, "device", 20));
  p.set_seq(a.has("seq") ? parse_u64(a.get("seq"), "--seq") : device["seq"].get<uint64_t>() + 1);
  p.set_ref_height(ref["height"].get<uint64_t>());
  p.set_ref_block_hash(to_string(*from_hex(ref["hash"].get<std::string>())));
  p.set_epoch(p.ref_height() / params["epoch_blocks"].get<uint64_t>());
  int kind = parse_proof_kind(a.get("kind"));
  if (kind < 0)
    throw UsageError(
        "--kind must be uptime, coverage_witness, data_contribution, location_assertion, beacon or beacon_reveal");
  auto* pl = p.mutable_payload();
  pl->set_kind(static_cast<pb::ProofKind>(kind));
  if (a.has("uptime")) pl->set_uptime_seconds(parse_u64(a.get("uptime"), "--uptime"));
  if (a.has("bytes")) pl->set_data_bytes(parse_u64(a.get("bytes"), "--bytes"));
  if (kind == pb::LOCATION_ASSERTION) {
    auto loc = location_arg(a);
    if (!loc) throw UsageError("location_assertion needs --lat and --lon, or --h3");
    *pl->mutable_location() = *loc;
  }
  if (kind == pb::DATA_CONTRIBUTION && a.has("consumer-key")) {
    // The consumer's usage receipt, signed by its account key (doc/depin.md "Usage").
    const crypto::PrivateKey consumer = load_key(a, "consumer-key");
    const Address consumer_addr = crypto::address_of(*crypto::public_key_of(consumer));
    pb::UsageReceipt* u = pl->mutable_usage();
    u->set_consumer(to_string(consumer_addr));
    u->set_data_bytes(pl->data_bytes());
    u->set_seq(a.has("usage-seq")
                   ? parse_u64(a.get("usage-seq"), "--usage-seq")
                   : call(url, "depin_getUsage", {{"consumer", crypto::address_to_string(consumer_addr)}})["last_seq"]
                             .get<uint64_t>() +
                         1);
    u->set_ref_height(p.ref_height());
    u->set_ref_block_hash(p.ref_block_hash());
    u->set_signature(to_string(crypto::sign_digest(
        consumer, vm::usage_digest(ref["chain_id"].get<std::string>(), bytes_to_address(p.device_id()), *u))));
  }
  if (kind == pb::COVERAGE_WITNESS || kind == pb::BEACON || kind == pb::BEACON_REVEAL) {
    // Challenged beacons (doc/depin.md "Beacons"): every kind names the challenge and uses the secret.
    if (!a.has("challenge-height") || !a.has("secret"))
      throw UsageError("--kind " + a.get("kind") + " needs --challenge-height and --secret");
    pl->set_challenge_height(parse_u64(a.get("challenge-height"), "--challenge-height"));
    const std::string secret = hex_arg(a, "secret", vm::kBeaconSecretBytes);
    if (kind == pb::BEACON) pl->set_commitment(to_string(vm::beacon_commitment(as_span(secret))));
    if (kind == pb::BEACON_REVEAL) pl->set_secret(secret);
    if (kind == pb::COVERAGE_WITNESS)
      pl->set_beacon_receipt(to_string(vm::beacon_receipt(as_span(secret), bytes_to_address(p.device_id()))));
  }
  if (kind == pb::COVERAGE_WITNESS) {
    pl->set_beaconer(hex_arg(a, "beaconer", 20));
    pl->set_rssi_dbm(static_cast<int32_t>(std::stol(a.get("rssi"))));
    if (a.has("snr")) pl->set_snr_db_x10(static_cast<int32_t>(std::stol(a.get("snr"))));
  }
  auto sig = crypto::p256_sign(dkey, vm::proof_digest(ref["chain_id"].get<std::string>(), p));
  if (!sig) throw CommandError(sig.error().message);
  p.set_signature(to_string(*sig));
  pb::TxBody body;
  *body.mutable_submit_proofs()->add_proofs() = p;
  json out = send_tx(url, load_key(a), body, a);
  out["seq"] = p.seq();
  return out;
}

json cmd_rewards(const std::string& url, const Args& a) {
  if (!a.positional.empty() && a.positional[0] == "claim") {
    pb::TxBody body;
    for (const auto& id : split(a.get("devices"), ',')) {
      auto b = from_hex(id);
      if (!b || b->size() != 20) throw UsageError("--devices takes comma-separated 20-byte hex device ids");
      body.mutable_claim_rewards()->add_device_ids(to_string(*b));
    }
    return send_tx(url, load_key(a), body, a);
  }
  at_most_one_of(a, {"device", "owner", "epoch"});
  json params = json::object();
  if (a.has("device"))
    params["device"] = a.get("device");
  else if (a.has("owner"))
    params["owner"] = a.get("owner");
  else if (a.has("epoch"))
    params["epoch"] = parse_u64(a.get("epoch"), "--epoch");
  else
    throw UsageError("rewards needs --device, --owner or --epoch (or: rewards claim)");
  return list_call(url, "depin_getRewards", params, a);
}

// Offline chain view from an anchors file: no reference checks (no chain to ask).
class FileChainView final : public vm::ChainView {
 public:
  std::map<Hash32, pb::Anchor> anchors;
  std::map<Hash32, uint64_t> revoked;
  std::optional<pb::Anchor> anchor(const Hash32& id) const override {
    auto it = anchors.find(id);
    if (it == anchors.end()) return std::nullopt;
    return it->second;
  }
  std::optional<uint64_t> key_revoked_at(const Hash32& id) const override {
    auto it = revoked.find(id);
    if (it == revoked.end()) return std::nullopt;
    return it->second;
  }
  std::optional<Hash32> block_hash(uint64_t) const override { return std::nullopt; }
  bool checks_references() const override { return false; }
};

json cmd_attest(const Args& a) {
  if (a.positional.empty() || a.positional[0] != "verify")
    throw UsageError("attest verify --evidence FILE --anchors FILE");
  json evj = read_json_file(a.get("evidence"));
  json anchors_doc = read_json_file(a.get("anchors"));
  FileChainView view;
  // A genesis file (depin.anchors), the output of `physis-cli anchor list` (items, each with its
  // revoked_at, which anchor_from_json keeps), or a plain {"anchors": [...]}.
  const json* list = nullptr;
  if (!anchors_doc.is_object())
    list = nullptr;
  else if (anchors_doc.contains("depin") && anchors_doc["depin"].contains("anchors"))
    list = &anchors_doc["depin"]["anchors"];
  else if (anchors_doc.contains("items"))
    list = &anchors_doc["items"];
  else if (anchors_doc.contains("anchors"))
    list = &anchors_doc["anchors"];
  if (!list || !list->is_array())
    throw CommandError(
        a.get("anchors") +
        " needs an \"anchors\" array, or is a genesis file or the output of `physis-cli anchor "
        "list`");
  if (anchors_doc.contains("next_cursor") && !anchors_doc["next_cursor"].is_null())
    throw CommandError(a.get("anchors") +
                       " is one page of `anchor list`; more follow (next_cursor): list "
                       "them all with --limit 1000");
  for (const auto& aj : *list) {
    auto anchor = anchor_from_json(aj);
    if (!anchor) throw CommandError(anchor.error().message);
    view.anchors[crypto::spki_id(as_span(anchor->spki()))] = *anchor;
  }
  for (const auto& r : anchors_doc.value("revoked_keys", json::array())) {
    auto id = from_hex_fixed<32>(r.value("key_id", ""));
    if (!id) throw CommandError("revoked_keys entries need a 32-byte hex key_id");
    view.revoked[*id] = r.value("height", uint64_t{0});
  }
  auto ev = evidence_from_json(evj);
  if (!ev) return {{"valid", false}, {"reason", "malformed_evidence"}, {"message", ev.error().message}};
  std::string owner_text = a.has("owner") ? a.get("owner") : evj.value("owner", "");
  std::string chain_id = a.has("chain-id")          ? a.get("chain-id")
                         : evj.contains("chain_id") ? evj["chain_id"].get<std::string>()
                                                    : anchors_doc.value("chain_id", "");
  if (owner_text.empty()) throw UsageError("the owner is needed: --owner or \"owner\" in the evidence file");
  if (chain_id.empty())
    throw UsageError("the chain id is needed: --chain-id or \"chain_id\" in the evidence file");
  vm::AttestContext ctx{chain_id, parse_addr(owner_text),
                        a.has("height") ? parse_u64(a.get("height"), "--height") : ev->ref_height() + 1, 64};
  vm::DirectSignatureVerifier direct;
  auto out = vm::verify_evidence(*ev, ctx, view, direct);
  return {{"valid", out.ok()},
          {"reason", std::string(vm::attest_reject_name(out.reason))},
          {"message", out.message},
          {"device_id", out.ok() ? json(to_hex0x(out.device_id)) : json(nullptr)},
          {"reference_checked", false}};
}
}  // namespace

json cmd_key_revoke(const std::string& url, const Args& a) {
  pb::TxBody body;
  body.mutable_revoke_key()->set_key_id(hex_arg(a, "id", 32));
  if (a.has("at")) body.mutable_revoke_key()->set_effective_height(parse_u64(a.get("at"), "--at"));
  return send_tx(url, load_key(a), body, a);
}

std::optional<json> run_depin_command(const std::string& command, const std::string& url, const Args& a) {
  if (command == "anchor") return cmd_anchor(url, a);
  if (command == "device") return cmd_device(url, a);
  if (command == "proof") return cmd_proof(url, a);
  if (command == "rewards") return cmd_rewards(url, a);
  if (command == "epoch")
    return call(url, "depin_getEpoch",
                a.positional.empty() ? json::object() : json{{"epoch", parse_u64(a.positional[0], "EPOCH")}});
  if (command == "attest") return cmd_attest(a);
  return std::nullopt;
}

}  // namespace physis::cli
