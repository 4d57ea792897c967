"""DePIN query layer on a real devnet node: paging of anchors, devices and rewards returns exactly the
set of one big page; devices by owner, anchor and H3 parent (registered through the CLI with H3
locations); cursor, limit and not-found errors; the pending reward of a still-open epoch while the tip
is that epoch's last block; a device transferred mid-epoch pays each owner its part of the reward."""
import json
import os
import subprocess
import time

from framework import RpcError, run

IN_CELL = "8928308280fffff"   # resolution 9, inside PARENT
PARENT = "872830828ffffff"    # its resolution-7 parent
OUT_CELL = "8a2a1072b59ffff"  # resolution 10, elsewhere


def paged(node, method, params, limit):
    """All items of a listing, page by page; also returns the number of pages."""
    items, cursor, pages = [], None, 0
    while True:
        p = dict(params, limit=limit)
        if cursor:
            p["cursor"] = cursor
        r = node.rpc(method, p)
        pages += 1
        items += r["items"]
        cursor = r["next_cursor"]
        if not cursor:
            return items, pages


def expect_error(node, method, params, code, text=""):
    try:
        node.rpc(method, params)
    except RpcError as e:
        assert e.code == code, (method, params, e.code, e.message)
        assert text in e.message, (method, params, e.message)
        return e.message
    raise AssertionError(f"{method} {params} did not fail")


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_device_certs(env, work, names):
    """P-256 device keys and leaf certificates signed by the devnet's test manufacturer root."""
    root_key = os.path.join(env.srcdir, "genesis", "devnet-keys", "manufacturer-root.key.pem")
    openssl("req", "-new", "-x509", "-key", root_key, "-subj", "/O=Physis Devnet/CN=Test Root", "-days", "30",
            "-out", "root.crt", cwd=work)
    openssl("ec", "-in", root_key, "-pubout", "-outform", "DER", "-out", "root.spki.der", cwd=work)
    with open(os.path.join(work, "ext.cnf"), "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n")
    for n in names:
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{n}.pem", cwd=work)
        openssl("req", "-new", "-key", f"{n}.pem", "-subj", f"/O=Physis Devnet/CN={n}", "-out", f"{n}.csr", cwd=work)
        openssl("x509", "-req", "-in", f"{n}.csr", "-CA", "root.crt", "-CAkey", root_key, "-CAcreateserial",
                "-days", "30", "-extfile", "ext.cnf", "-outform", "DER", "-out", f"{n}.der", cwd=work)


def reward_key(r):
    """What identifies a reward item and cannot change between two calls, apart from an open epoch's amount."""
    return (r["device_id"], r["epoch"], r["weight"], r["settled"], r["amount"] if r["settled"] else None)


def check_mid_epoch_transfer(env, node, work, B):
    """A device sold in the middle of an epoch pays each owner for the weight earned while it owned
    it (doc/depin.md "Rewards"): dev0 proves, transfers to dev2, dev2 proves, all in one epoch; a claim
    paid by dev1 then credits dev0 ⌊w_old × R / W⌋ and dev2 the rest of the device reward R."""
    old_owner, new_owner = env.address("dev0"), env.address("dev2")
    for attempt in range(3):
        # A fresh device per attempt, so an attempt that straddles an epoch boundary leaves nothing behind.
        name = f"moved{attempt}"
        make_device_certs(env, work, [name])
        env.cli(node, "device", "make-evidence", "--device-key", f"{work}/{name}.pem", "--owner", old_owner,
                "--class", 1, "--certs", f"{work}/{name}.der", "--anchor-spki-file", f"{work}/root.spki.der",
                "--out", f"{work}/{name}.json")
        _, reg = env.cli(node, "device", "register", "--key", env.key("dev0"), "--evidence", f"{work}/{name}.json",
                         "--wait")
        assert reg["status"] == "success", reg
        dev = reg["device_id"]

        def prove(mib):
            """Including height and credited weight of one data proof (it accrues in that height's epoch).
            Data, not uptime: uptime proofs earn once per uptime_interval_blocks (doc/depin.md "Proofs")."""
            _, out = env.cli(node, "proof", "submit", "--key", env.key("dev3"), "--device", dev, "--device-key",
                             f"{work}/{name}.pem", "--kind", "data_contribution", "--bytes", mib << 20,
                             "--consumer-key", env.key("dev4"), "--wait")
            assert out["status"] == "success" and out["proofs"][0]["reason"] == "accepted", out
            return out["height"], out["proofs"][0]["weight"]

        # Start early in an epoch, leaving most of it for the four transactions below.
        if node.height() % B > 1:
            node.wait_height((node.height() // B + 1) * B)
        heights, w_old, w_new = [], 0, 0
        for _ in range(2):
            h, w = prove(2)
            heights.append(h)
            w_old += w
        _, upd = env.cli(node, "device", "update", "--key", env.key("dev0"), "--id", dev, "--new-owner", new_owner,
                         "--wait")
        assert upd["status"] == "success", upd
        heights.append(upd["height"])
        h, w_new = prove(1)
        heights.append(h)
        epoch = heights[0] // B
        if any(x // B != epoch for x in heights):
            continue  # the epoch closed in between: try again with another device
        assert node.rpc("depin_getDevice", {"id": dev})["owner"] == new_owner
        break
    else:
        raise AssertionError("never got two proofs, a transfer and a proof into one epoch")
    assert w_old > 0 and w_new > 0 and w_old != w_new, (w_old, w_new)  # unequal: a swapped split shows
    W = w_old + w_new

    # While the epoch is open, the device shows the old owner's weight with no amount yet.
    d = node.rpc("depin_getDevice", {"id": dev})
    assert d["pending_earlier_owners"] == [{"owner": old_owner, "weight": w_old, "amount": None}], d
    open_item = node.rpc("depin_getRewards", {"device": dev})["items"][-1]
    assert open_item["epoch"] == epoch and not open_item["settled"], open_item
    assert open_item["owner"] == new_owner and open_item["owner_weight"] == w_new, open_item

    # After the epoch closes, the expected amounts come from the closed epoch record.
    node.wait_height((epoch + 1) * B)
    ep = node.rpc("depin_getEpoch", {"epoch": epoch})
    assert ep["closed"], ep
    R = W * int(ep["device_pool"]) // ep["total_weight"]
    to_old = w_old * R // W
    assert R > 0 and 0 < to_old < R, (R, to_old)
    d = node.rpc("depin_getDevice", {"id": dev})
    assert d["pending_reward"] == str(R), (d, R)
    assert d["pending_earlier_owners"] == [{"owner": old_owner, "weight": w_old, "amount": str(to_old)}], d
    assert d["pending_owner_reward"] == str(R - to_old), d

    # Settle it with a claim paid by dev1, so neither owner pays a fee in the window.
    before = {a: node.balance(a) for a in (old_owner, new_owner)}
    _, claim = env.cli(node, "rewards", "claim", "--key", env.key("dev1"), "--devices", dev, "--wait")
    assert claim["status"] == "success", claim
    after = {a: node.balance(a) for a in (old_owner, new_owner)}
    assert after[old_owner] - before[old_owner] == to_old, (before, after, to_old)
    assert after[new_owner] - before[new_owner] == R - to_old, (before, after, R, to_old)

    rec = [r for r in node.rpc("depin_getRewards", {"device": dev})["items"] if r["epoch"] == epoch]
    assert len(rec) == 1 and rec[0]["settled"], rec
    rec = rec[0]
    assert rec["weight"] == W and rec["amount"] == str(R), (rec, W, R)
    assert rec["owner"] == new_owner and rec["owner_weight"] == w_new, rec
    assert rec["owner_amount"] == str(R - to_old), rec
    assert rec["earlier_owners"] == [{"owner": old_owner, "weight": w_old, "amount": str(to_old)}], rec
    assert rec["settled_at"] == claim["height"], (rec, claim)
    assert node.rpc("depin_getDevice", {"id": dev})["pending_reward"] == "0"
    assert node.rpc("state_getSupply")["balanced"]


def test_depin_rpc(env):
    node = env.new_node().start()
    node.wait_height(2)
    B = node.rpc("depin_getParams")["epoch_blocks"]
    keys = os.path.join(env.srcdir, "genesis", "devnet-keys")
    sim_owner, cli_owner = env.address("dev0"), env.address("dev2")

    # Simulated devices (owner dev0) earn rewards over two epochs while the CLI registers its own.
    sim = subprocess.Popen([env.bin("physis-devsim"), "--rpc", node.url, "--devices", "6", "--rate", "20",
                            "--epochs", "2", "--owner-key", os.path.join(keys, "dev0.key"),
                            "--relayer-key", os.path.join(keys, "dev1.key"),
                          "--consumer-key", os.path.join(keys, "dev2.key"),
                            "--manufacturer-key", os.path.join(keys, "manufacturer-root.key.pem")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    env.procs.append(sim)

    # 1. Devices with H3 locations (owner dev2) through the CLI: one inside PARENT, one outside, one lat/lon.
    work = os.path.join(env.tmp, "cli")
    os.makedirs(work)
    make_device_certs(env, work, ["in", "out", "ll"])
    ids = {}
    for n, where in [("in", ["--h3", IN_CELL.upper()]), ("out", ["--h3", "0x" + OUT_CELL]),
                     ("ll", ["--lat", 387100000, "--lon", -91100000])]:
        env.cli(node, "device", "make-evidence", "--device-key", f"{work}/{n}.pem", "--owner", cli_owner, "--class", 1,
                "--certs", f"{work}/{n}.der", "--anchor-spki-file", f"{work}/root.spki.der", "--out", f"{work}/{n}.json")
        _, reg = env.cli(node, "device", "register", "--key", env.key("dev2"), "--evidence", f"{work}/{n}.json",
                         *where, "--device-key", f"{work}/{n}.pem", "--wait")
        assert reg["status"] == "success", reg
        ids[n] = reg["device_id"]
    assert node.rpc("depin_getDevice", {"id": ids["in"]})["location"] == {"h3": IN_CELL}
    _, shown = env.cli(node, "device", "show", ids["out"])
    assert shown["location"] == {"h3": OUT_CELL}, shown

    inside = node.rpc("depin_listDevices", {"h3_parent": PARENT})
    assert [d["id"] for d in inside["items"]] == [ids["in"]], inside
    assert inside["next_cursor"] is None
    _, cli_inside = env.cli(node, "device", "list", "--h3-parent", PARENT)
    assert [d["id"] for d in cli_inside["items"]] == [ids["in"]], cli_inside
    at_cell = node.rpc("depin_listDevices", {"h3_parent": "0x0" + IN_CELL.upper()})  # a cell is its own parent
    assert [d["id"] for d in at_cell["items"]] == [ids["in"]], at_cell
    assert node.rpc("depin_listDevices", {"h3_parent": int(OUT_CELL, 16)})["items"][0]["id"] == ids["out"]
    expect_error(node, "depin_listDevices", {"h3_parent": "8928308280fffff0"}, -32602, "valid H3 cell")

    by_owner, pages = paged(node, "depin_listDevices", {"owner": cli_owner}, limit=1)
    assert sorted(d["id"] for d in by_owner) == sorted(ids.values()) and pages >= 3, (by_owner, pages)

    # 2. The pending reward of an open epoch while the tip is its last block: null, not "0".
    for attempt in range(5):
        _, out = env.cli(node, "proof", "submit", "--key", env.key("dev3"), "--device", ids["in"], "--device-key",
                         f"{work}/in.pem", "--kind", "data_contribution", "--bytes", 1 << 20,
                         "--consumer-key", env.key("dev4"), "--wait")
        assert out["proofs"][0]["reason"] == "accepted", out
        epoch = out["height"] // B
        last = epoch * B + B - 1
        while node.height() < last:
            time.sleep(0.02)
        rewards = node.rpc("depin_getRewards", {"device": ids["in"]})["items"]
        device = node.rpc("depin_getDevice", {"id": ids["in"]})
        closed = node.rpc("depin_getEpoch", {"epoch": epoch})["closed"]
        if node.height() != last or closed:
            continue  # the tip moved on during the queries: try the next epoch
        assert rewards[-1]["epoch"] == epoch and not rewards[-1]["settled"], rewards
        assert rewards[-1]["amount"] is None, rewards
        assert device["pending_reward"] is None, device
        break
    else:
        raise AssertionError("never caught the tip at an epoch's last block")
    # Once the epoch is closed, the amount is known.
    node.wait_height(last + 1)
    after = node.rpc("depin_getRewards", {"device": ids["in"]})["items"][-1]
    assert after["epoch"] == epoch and int(after["amount"]) > 0, after
    assert node.rpc("depin_getDevice", {"id": ids["in"]})["pending_reward"] == after["amount"]

    # 3. Anchors (the devnet's two) page one by one to the same set.
    all_anchors = node.rpc("depin_listAnchors", {"limit": 1000})
    anchors, pages = paged(node, "depin_listAnchors", {}, limit=1)
    assert anchors == all_anchors["items"] and pages == len(anchors) >= 2, (anchors, pages)

    # 4. Rewards of the simulated fleet by device and by owner, small pages against one big page.
    out, err = sim.communicate(timeout=120)
    assert sim.returncode == 0, err
    summary = json.loads(out)
    assert summary["registered"] == 6 and summary["proofs_accepted"] > 0, summary
    anchor_id = node.rpc("depin_getDevice", {"id": ids["in"]})["anchor_id"]
    by_anchor, pages = paged(node, "depin_listDevices", {"anchor": anchor_id}, limit=2)
    assert {d["id"] for d in by_anchor} == set(ids.values()) | set(summary["device_ids"]) and pages >= 5
    sim_devices, _ = paged(node, "depin_listDevices", {"owner": sim_owner}, limit=4)
    assert {d["id"] for d in sim_devices} == set(summary["device_ids"])

    multi = 0
    for dev in summary["device_ids"]:
        whole = node.rpc("depin_getRewards", {"device": dev, "limit": 1000})
        assert whole["next_cursor"] is None
        items, pages = paged(node, "depin_getRewards", {"device": dev}, limit=1)
        assert [reward_key(r) for r in items] == [reward_key(r) for r in whole["items"]], (dev, items, whole)
        assert pages == max(1, len(items))
        epochs = [r["epoch"] for r in items]
        assert epochs == sorted(set(epochs)), epochs  # oldest first, one item per epoch
        multi += len(items) > 1
    assert multi > 0, "some device has rewards in several epochs"

    whole = node.rpc("depin_getRewards", {"owner": sim_owner, "limit": 1000})
    assert whole["next_cursor"] is None and len(whole["items"]) > 6, whole
    for limit in (1, 2, 5):
        items, pages = paged(node, "depin_getRewards", {"owner": sim_owner}, limit=limit)
        assert [reward_key(r) for r in items] == [reward_key(r) for r in whole["items"]], limit
        assert pages == -(-len(items) // limit), (limit, len(items), pages)  # no empty last page
    page = node.rpc("depin_getRewards", {"owner": sim_owner, "limit": 3})
    assert len(page["items"]) == 3 and page["next_cursor"], page  # limit bounds items, not devices
    assert {r["device_id"] for r in whole["items"]} <= set(summary["device_ids"])

    # 5. Errors: a cursor of another query, not hex, or of another filter; limits; unknown device.
    dev = summary["device_ids"][0]
    dev_cursor = node.rpc("depin_getRewards", {"device": dev, "limit": 1})["next_cursor"]
    owner_cursor = page["next_cursor"]
    anchor_cursor = node.rpc("depin_listAnchors", {"limit": 1})["next_cursor"]
    for method, params in [
            ("depin_listAnchors", {"cursor": dev_cursor}),
            ("depin_listAnchors", {"cursor": "not-hex"}),
            ("depin_listDevices", {"owner": sim_owner, "cursor": anchor_cursor}),
            ("depin_listDevices", {"h3_parent": PARENT, "cursor": anchor_cursor}),
            ("depin_getRewards", {"device": dev, "cursor": owner_cursor}),
            ("depin_getRewards", {"device": summary["device_ids"][1], "cursor": dev_cursor}),
            ("depin_getRewards", {"owner": sim_owner, "cursor": dev_cursor}),
            ("depin_getRewards", {"owner": cli_owner, "cursor": owner_cursor}),
            ("depin_getRewards", {"owner": sim_owner, "cursor": owner_cursor[:-2]}),
            ("depin_getProofs", {"epoch": 1, "cursor": anchor_cursor})]:
        expect_error(node, method, params, -32602, "cursor")
    expect_error(node, "depin_getRewards", {"owner": sim_owner, "limit": 1001}, -32602, "limit")
    expect_error(node, "depin_listDevices", {"owner": sim_owner, "limit": 0}, -32602, "limit")
    expect_error(node, "depin_getRewards", {"device": "0x" + "ab" * 20}, -32001, "no device")
    expect_error(node, "depin_getDevice", {"id": "0x" + "ab" * 20}, -32001, "no device")
    assert all(r["forfeit"] == "none" for r in whole["items"] if r["settled"]), whole

    # 6. A transfer in the middle of an epoch splits that epoch's reward between the two owners.
    check_mid_epoch_transfer(env, node, work, B)
    assert node.stop() == 0


if __name__ == "__main__":
    run(test_depin_rpc)
