"""physis-devsim --load on a real devnet node: 30 devices of two owners, two relayers, a short load with
some data proofs signed before the window (--presign). Load mode follows the service rules: every data
proof carries a usage receipt of its relayer's consumer account (paid and burned), uptime proofs are sent
only when they earn, and batches fit the transaction size limit. So every proof is accepted: no
usage_*, too_frequent or seq_gap rejections, no refused batch; the chain shows both uptime and paid data
proofs, the consumers' payments were burned, and the supply audit balances."""
import json
import os
import subprocess

from framework import run


def test_devsim_load(env):
    node = env.new_node().start()
    node.wait_height(2)
    keys = os.path.join(env.srcdir, "genesis", "devnet-keys")
    burned_before = int(node.rpc("state_getSupply")["burned"])
    sim = subprocess.run([env.bin("physis-devsim"), "--rpc", node.url, "--devices", "30", "--load",
                          "--duration", "12", "--relayers", "2", "--in-flight", "2", "--batch", "20",
                          "--presign", "100",
                          "--owner-key", ",".join(os.path.join(keys, f"{k}.key") for k in ("dev0", "dev2")),
                          "--relayer-key", os.path.join(keys, "dev1.key"),
                          "--manufacturer-key", os.path.join(keys, "manufacturer-root.key.pem")],
                         capture_output=True, text=True, timeout=200)
    assert sim.returncode == 0, sim.stderr
    summary = json.loads(sim.stdout)
    load = summary["load"]
    assert summary["registered"] == 30, summary
    assert load["presigned"] >= 100, load
    assert load["proofs_accepted"] > 100, load
    assert load["proofs_rejected"] == 0, load
    assert load["rejected_by_reason"] == {}, load
    assert load["refused_batches"] == 0, load

    # Both kinds were accepted: uptime when due, data paid by a consumer.
    kinds = {}
    for epoch in range(node.rpc("depin_getEpoch")["epoch"] + 1):
        cursor = None
        while True:
            p = {"epoch": epoch, "limit": 100}
            if cursor:
                p["cursor"] = cursor
            r = node.rpc("depin_getProofs", p)
            for proof in r["items"]:
                if proof["accepted"]:
                    kinds[proof["kind"]] = kinds.get(proof["kind"], 0) + 1
            cursor = r["next_cursor"]
            if not cursor:
                break
    assert kinds.get("uptime", 0) > 0, kinds
    assert kinds.get("data_contribution", 0) > 0, kinds
    s = node.rpc("state_getSupply")
    assert int(s["burned"]) > burned_before, s
    assert s["balanced"], s


if __name__ == "__main__":
    run(test_devsim_load)
