"""DePIN end to end on a real devnet node: physis-devsim registers 50 attested devices of two owners and
submits proofs over 3 epochs under the service rules (uptime once per interval, witnesses of the other
owner's devices); rewards match an independent integer computation; the supply invariant holds;
rejected proofs show their reasons over RPC; governance, CLI registration and offline verification; an
anchor revocation forfeits the unsettled reward of its devices to the treasury."""
import json
import os
import subprocess

from framework import RpcError, run


def paged(node, method, params, limit=20):
    items, cursor = [], None
    while True:
        p = dict(params, limit=limit)
        if cursor:
            p["cursor"] = cursor
        r = node.rpc(method, p)
        items += r["items"]
        cursor = r["next_cursor"]
        if not cursor:
            return items


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_device_cert(env, work):
    """A device key and a leaf certificate signed by the devnet's test manufacturer root, by openssl."""
    root_key = os.path.join(env.srcdir, "genesis", "devnet-keys", "manufacturer-root.key.pem")
    openssl("req", "-new", "-x509", "-key", root_key, "-subj", "/O=Physis Devnet/CN=Test Root", "-days", "30",
            "-out", "root.crt", cwd=work)
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "dev.pem", cwd=work)
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "other.pem", cwd=work)
    openssl("req", "-new", "-key", "dev.pem", "-subj", "/O=Physis Devnet/CN=func-device", "-out", "dev.csr", cwd=work)
    with open(os.path.join(work, "ext.cnf"), "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n")
    openssl("x509", "-req", "-in", "dev.csr", "-CA", "root.crt", "-CAkey", root_key, "-CAcreateserial", "-days", "30",
            "-extfile", "ext.cnf", "-outform", "DER", "-out", "dev.der", cwd=work)
    openssl("ec", "-in", root_key, "-pubout", "-outform", "DER", "-out", "root.spki.der", cwd=work)


def pb_fields(data):
    """Fields of one protobuf message as (number, value) pairs: ints for varints, bytes for length-delimited."""
    out, i = [], 0
    while i < len(data):
        key, i = varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(data, i)
        elif wire == 2:
            n, i = varint(data, i)
            value, i = data[i:i + n], i + n
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise AssertionError(f"unexpected wire type {wire}")
        out.append((number, value))
    return out


def varint(data, i):
    v, shift = 0, 0
    while True:
        b = data[i]
        i += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return v, i


def field(fields, number, default=None):
    return next((v for n, v in fields if n == number), default)


def proof_payloads(node, height, cache):
    """The ProofPayloads of each transaction in the block at `height`, decoded from the raw block
    (src/primitives/physis.proto: Transaction.body = 1; TxBody.submit_proofs = 16; SubmitProofs.proofs = 1;
    Proof.payload = 6)."""
    if height not in cache:
        txs = []
        for raw in node.rpc("chain_getBlock", {"height": height, "raw": True})["txs"]:
            body = pb_fields(field(pb_fields(bytes.fromhex(raw[2:])), 1, b""))
            submit = field(body, 16)
            proofs = [] if submit is None else [v for n, v in pb_fields(submit) if n == 1]
            txs.append([pb_fields(field(pb_fields(p), 6, b"")) for p in proofs])
        cache[height] = txs
    return cache[height]


KIND_UPTIME, KIND_WITNESS, KIND_DATA, KIND_BEACON, KIND_REVEAL, KIND_LOCATION = 1, 2, 3, 4, 5, 10  # pb::ProofKind


def proof_weights(payload, result, params):
    """The weights an accepted proof credits, {device: weight}, from the genesis per-kind weights and the
    proof's own metrics (doc/depin.md). A beacon or a witness earns nothing when recorded; a reveal
    credits weight_witness to each witness its verdicts reward and weight_witness × rewarded /
    max_witnesses_per_beacon to the beaconer (no density scaling: devsim's devices each have a cell)."""
    kind = field(payload, 1, 0)
    device = result["device_id"]
    if kind == KIND_UPTIME:
        return {device: params["weight_uptime"]}
    if kind == KIND_DATA:
        return {device: params["weight_data_per_mib"] * (field(payload, 6, 0) >> 20)}
    if kind in (KIND_WITNESS, KIND_BEACON, KIND_LOCATION):
        return {}
    if kind == KIND_REVEAL:
        rewarded = [v["witness"] for v in result["witnesses"] if v["rewarded"]]
        out = {w: params["weight_witness"] for w in rewarded}
        out[device] = params["weight_witness"] * len(rewarded) // params["max_witnesses_per_beacon"]
        return out
    raise AssertionError(f"unknown proof kind {kind}")


def check_rewards(env, node, epoch, params):
    """Independent integer computation of one closed epoch's device rewards from the proofs included in
    the epoch's blocks, each weighed from its kind and metrics, capped per device."""
    ep = node.rpc("depin_getEpoch", {"epoch": epoch})
    assert ep["closed"], ep
    B = params["epoch_blocks"]
    names = {KIND_UPTIME: "uptime", KIND_WITNESS: "coverage_witness", KIND_DATA: "data_contribution",
             KIND_BEACON: "beacon", KIND_REVEAL: "beacon_reveal", KIND_LOCATION: "location_assertion"}
    weights, blocks = {}, {}
    for p in paged(node, "depin_getProofs", {"epoch": epoch}, limit=200):
        # The epoch index holds the proofs of the epoch's blocks; weight accrues in the including block's epoch.
        assert p["height"] // B == epoch, p
        if not p["accepted"]:
            continue
        payload = proof_payloads(node, p["height"], blocks)[p["tx_index"]][p["index"]]
        assert names[field(payload, 1, 0)] == p["kind"], (p, payload)
        for d, w in proof_weights(payload, p, params).items():
            weights[d] = weights.get(d, 0) + w
    cap = params["device_epoch_cap"]
    weights = {d: min(w, cap) for d, w in weights.items() if min(w, cap) > 0}
    total = sum(weights.values())
    assert total == ep["total_weight"], (epoch, total, ep["total_weight"])
    emission = int(params["emission_per_epoch"]) >> (epoch // params["halving_interval_epochs"])
    assert int(ep["emission"]) == emission
    pool = emission * params["device_share_bps"] // 10000
    assert int(ep["device_pool"]) == pool
    rewards = {r["device_id"]: r for r in paged(node, "depin_getRewards", {"epoch": epoch}, limit=100)}
    assert set(rewards) == set(weights), (epoch, len(rewards), len(weights))
    for d, w in weights.items():
        assert rewards[d]["weight"] == w
        assert int(rewards[d]["amount"]) == w * pool // total, (d, rewards[d], w, pool, total)
    return len(weights)


def test_depin(env):
    node = env.new_node().start()
    node.wait_height(2)
    params = node.rpc("depin_getParams")
    keys = os.path.join(env.srcdir, "genesis", "devnet-keys")
    owner, other_owner = env.address("dev0"), env.address("dev4")

    # 1. The device simulator: 50 devices of two owners, certificates from the test manufacturer, 3 epochs.
    sim = subprocess.run([env.bin("physis-devsim"), "--rpc", node.url, "--devices", "50", "--rate", "50",
                          "--epochs", "3",
                          "--owner-key", os.path.join(keys, "dev0.key") + "," + os.path.join(keys, "dev4.key"),
                          "--relayer-key", os.path.join(keys, "dev1.key"),
                          "--consumer-key", os.path.join(keys, "dev2.key"),
                          "--manufacturer-key", os.path.join(keys, "manufacturer-root.key.pem")],
                         capture_output=True, text=True, timeout=300)
    assert sim.returncode == 0, sim.stderr
    assert "registered" in sim.stderr and "proofs sent" in sim.stderr, "devsim prints progress"
    summary = json.loads(sim.stdout)
    assert summary["registered"] == 50 and summary["proofs_accepted"] > 100, summary
    assert summary["owners"] == [owner, other_owner], summary
    # devsim follows the rules; a proof included a block late may still be too early or a duplicate.
    assert set(summary["rejected_by_reason"]) <= {"too_frequent", "duplicate_witness_pair"}, summary
    assert summary["proofs_rejected"] <= summary["proofs_sent"] // 20, summary
    devices = paged(node, "depin_listDevices", {"owner": owner}, limit=20)
    others = paged(node, "depin_listDevices", {"owner": other_owner}, limit=20)
    assert len(devices) == len(others) == 25
    assert all(d["active"] and d["kind"] == "SE_P256" for d in devices + others)
    assert {d["id"] for d in devices + others} == set(summary["device_ids"])
    anchor_devices = paged(node, "depin_listDevices", {"anchor": devices[0]["anchor_id"]}, limit=50)
    assert len(anchor_devices) >= 50

    # 2. Rewards of the three full epochs, against an independent integer computation.
    first = summary["start_epoch"]
    earning = [check_rewards(env, node, e, params) for e in range(first, first + 3)]
    assert all(n > 0 for n in earning), earning
    # Service rules over RPC: witnesses were accepted, and no device got more uptime credits in an epoch
    # than the interval allows (⌊(B − 1) / I⌋ + 1).
    B, I = params["epoch_blocks"], params["uptime_interval_blocks"]
    uptime, witnessed, rewarded = {}, 0, 0
    for e in range(first, first + 3):
        for p in paged(node, "depin_getProofs", {"epoch": e}, limit=500):
            if p["accepted"] and p["kind"] == "uptime":
                uptime[(p["device_id"], e)] = uptime.get((p["device_id"], e), 0) + 1
            witnessed += p["accepted"] and p["kind"] == "coverage_witness"
            # A reveal's verdicts, with their reasons and text, are visible over RPC (doc/depin.md "Beacons").
            for v in p.get("witnesses", []):
                assert v["reason"] != "unknown" and (v["rewarded"] or v["message"]), v
                rewarded += v["rewarded"]
    assert witnessed > 0 and rewarded > 0, (witnessed, rewarded)
    print("beacons:", summary["beacons"])
    assert summary["beacons"]["reveals"] > 0, summary["beacons"]
    assert uptime and max(uptime.values()) <= (B - 1) // I + 1, uptime

    # 3. Supply: balances + unsettled rewards = genesis + minted − burned. devsim's data proofs are paid
    # by its consumer account (dev2) and the payment is burned (doc/depin.md "Usage"); depin_getEpoch
    # shows each epoch's part.
    s = node.rpc("state_getSupply")
    assert s["balanced"], s
    assert int(s["minted"]) > 0 and int(s["burned"]) > 0, s
    assert int(s["circulating"]) + int(s["owed"]) == int(s["genesis"]) + int(s["minted"]) - int(s["burned"]), s
    assert int(s["total"]) == int(s["genesis"]) + int(s["minted"]) - int(s["burned"]), s
    per_epoch = sum(int(node.rpc("depin_getEpoch", {"epoch": e})["burned"]) for e in range(node.height() // B + 1))
    assert per_epoch == int(s["burned"]), (per_epoch, s)
    consumer = env.address("dev2")
    assert node.rpc("depin_getUsage", {"consumer": consumer})["last_seq"] > 0
    data_proofs = sum(1 for e in range(first, first + 3) for p in paged(node, "depin_getProofs", {"epoch": e}, limit=500)
                      if p["accepted"] and p["kind"] == "data_contribution")
    assert data_proofs > 0

    # 4. A device registered through the CLI, with rejected proofs and their reasons.
    work = os.path.join(env.tmp, "dev")
    os.makedirs(work)
    make_device_cert(env, work)
    _, ev = env.cli(node, "device", "make-evidence", "--device-key", f"{work}/dev.pem", "--owner", owner,
                    "--class", 1, "--certs", f"{work}/dev.der", "--anchor-spki-file", f"{work}/root.spki.der",
                    "--out", f"{work}/ev.json")
    _, offline = env.cli(node, "attest", "verify", "--evidence", f"{work}/ev.json", "--anchors", env.genesis)
    assert offline["valid"] and offline["reason"] == "ok", offline
    with open(f"{work}/ev.json") as f:
        evidence = json.load(f)
    dry = node.rpc("depin_verifyEvidence", {"evidence": evidence, "owner": owner})
    assert dry["valid"], dry
    wrong_owner = node.rpc("depin_verifyEvidence", {"evidence": evidence, "owner": env.address("dev2")})
    assert not wrong_owner["valid"] and wrong_owner["reason"] == "bad_possession_signature", wrong_owner
    _, reg = env.cli(node, "device", "register", "--key", env.key("dev0"), "--evidence", f"{work}/ev.json",
                     "--lat", 387100000, "--lon", -91100000, "--device-key", f"{work}/dev.pem", "--wait")
    assert reg["status"] == "success", reg
    dev = reg["device_id"]
    code, again = env.cli(node, "device", "register", "--key", env.key("dev0"), "--evidence", f"{work}/ev.json",
                          "--wait", check=False)
    assert code == 1 and again["data"]["status"] == "failed" and again["data"]["detail"] == "device_exists", again

    def prove(*extra, key="dev.pem"):
        _, out = env.cli(node, "proof", "submit", "--key", env.key("dev1"), "--device", dev, "--device-key",
                         f"{work}/{key}", "--kind", "uptime", "--wait", *extra)
        return out["proofs"][0]["reason"]

    assert prove() == "accepted"
    assert prove() == "too_frequent"  # uptime is time served: the next one earns uptime_interval_blocks later
    assert prove("--seq", 1) == "replayed_seq"
    assert prove("--seq", 5) == "seq_gap"
    assert prove(key="other.pem") == "bad_signature"
    reasons = [p["reason"] for p in node.rpc("depin_getProofs", {"device": dev})["items"]]
    assert reasons == ["accepted", "too_frequent", "replayed_seq", "seq_gap", "bad_signature"], reasons
    # Locations are the device's word and rate-limited; data is paid by a consumer that is not the owner.
    def submit(*args):
        _, out = env.cli(node, "proof", "submit", "--key", env.key("dev1"), "--device", dev, "--device-key",
                         f"{work}/dev.pem", *args, "--wait")
        return out["proofs"][0]["reason"]

    assert submit("--kind", "location_assertion", "--lat", 387100100, "--lon", -91100000) == "location_cooldown"
    assert submit("--kind", "data_contribution", "--bytes", 1 << 20) == "usage_missing"
    assert submit("--kind", "data_contribution", "--bytes", 1 << 20, "--consumer-key", env.key("dev0")) == \
        "usage_self_dealing"
    burned = int(node.rpc("state_getSupply")["burned"])
    assert submit("--kind", "data_contribution", "--bytes", 1 << 20, "--consumer-key", env.key("dev3")) == "accepted"
    s = node.rpc("state_getSupply")
    assert int(s["burned"]) == burned + int(params["usage_price_per_mib"]) and s["balanced"], s
    # Beacons through the CLI (doc/depin.md "Beacons"): a height not yet built challenges nobody, and a
    # reveal needs a committed beacon.
    future = node.height() + 5
    assert submit("--kind", "beacon", "--challenge-height", future, "--secret", "11" * 32) == "beacon_not_challenged"
    assert submit("--kind", "beacon_reveal", "--challenge-height", future, "--secret", "11" * 32) == \
        "beacon_not_committed"
    assert node.rpc("depin_getDevice", {"id": dev})["location_asserted_at"] > 0
    earned_epoch = node.rpc("depin_getDevice", {"id": dev})["accrued_epoch"]

    # 5. Governance: only the governance key may revoke; revoking the anchor stops the device's proofs.
    anchor = node.rpc("depin_getDevice", {"id": dev})["anchor_id"]
    code, bad = env.cli(node, "anchor", "revoke", "--key", env.key("dev0"), "--id", anchor, "--wait", check=False)
    assert code == 1 and bad["data"]["status"] == "failed" and bad["data"]["reason"] == "not_governance", bad
    _, ok = env.cli(node, "anchor", "revoke", "--key", env.key("governance"), "--id", anchor, "--wait")
    assert ok["status"] == "success", ok
    assert node.rpc("depin_getAnchor", {"id": anchor})["revoked_at"] > 0
    assert prove() == "anchor_revoked"
    _, offline = env.cli(node, "attest", "verify", "--evidence", f"{work}/ev.json", "--anchors", env.genesis)
    assert offline["valid"], "the genesis file does not know the revocation"

    # 6. The revocation forfeits the device's unsettled reward: once its epoch has closed, a claim sends
    # it to the treasury and the reward record says why.
    node.wait_height((earned_epoch + 1) * B)
    treasury = params["treasury"]
    before = node.balance(treasury)
    _, claim = env.cli(node, "rewards", "claim", "--key", env.key("dev1"), "--devices", dev, "--wait")
    assert claim["status"] == "success", claim
    rec = [r for r in node.rpc("depin_getRewards", {"device": dev})["items"] if r["epoch"] == earned_epoch]
    assert len(rec) == 1 and rec[0]["settled"], rec
    assert rec[0]["forfeit"] == "anchor_revoked" and rec[0]["amount"] == "0", rec
    assert int(rec[0]["forfeited"]) > 0, rec
    # The treasury got the forfeit (and maybe an epoch's treasury share, if an epoch closed meanwhile).
    assert node.balance(treasury) - before >= int(rec[0]["forfeited"])
    s = node.rpc("state_getSupply")
    assert s["balanced"], s
    assert node.stop() == 0


if __name__ == "__main__":
    run(test_depin)
