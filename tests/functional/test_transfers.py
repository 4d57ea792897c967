"""Transfers between dev accounts change balances by amount and fee and conserve supply; a clean
restart keeps every block and balance; a datadir from another genesis is refused."""
import json
import os
import subprocess

from framework import run


def check_supply(env, node):
    """Every account's balance adds up to genesis plus what epochs minted (no devices: nothing owed)."""
    s = node.rpc("state_getSupply")
    assert s["balanced"], s
    assert int(s["genesis"]) == env.total_supply(), s
    assert int(s["circulating"]) == int(s["genesis"]) + int(s["minted"]), s
    assert int(s["owed"]) == 0, s


def test_transfers(env):
    node = env.new_node().start()
    node.wait_height(1)
    status = node.rpc("chain_status")
    assert status["chain_id"] == env.genesis_doc["chain_id"], status
    assert status["genesis_hash"].startswith("0x") and len(status["genesis_hash"]) == 66
    check_supply(env, node)

    a, b = env.address("dev0"), env.address("dev1")
    a0, b0 = node.balance(a), node.balance(b)
    _, out = env.cli(node, "transfer", "--key", env.key("dev0"), "--to", b, "--amount", 12345, "--wait")
    assert out["status"] == "success", out
    assert out["height"] >= 1
    receipt = node.rpc("chain_getReceipt", {"hash": out["hash"]})
    fee = int(receipt["fee"])
    assert fee == 21000 * 1, receipt
    assert node.balance(a) == a0 - 12345 - fee
    assert node.balance(b) == b0 + 12345
    assert node.nonce(a) == 1
    check_supply(env, node)

    # The transaction is found by hash, with its height and index; the block lists it.
    tx = node.rpc("chain_getTransaction", {"hash": out["hash"]})
    assert tx["from"] == a and tx["to"] == b and tx["amount"] == "12345" and tx["height"] == out["height"], tx
    block = node.rpc("chain_getBlock", {"height": out["height"]})
    assert out["hash"] in block["txs"]
    assert node.rpc("chain_getBlock", {"hash": block["hash"]})["height"] == out["height"]
    _, cli_tx = env.cli(node, "tx", out["hash"])
    assert cli_tx["receipt"]["status"] == "success"
    _, cli_bal = env.cli(node, "balance", b)
    assert cli_bal == {"address": b, "balance": str(b0 + 12345), "nonce": 0, "pending_nonce": 0}, cli_bal

    # Several transfers in one go from several senders, then check every balance.
    expected = {n: node.balance(env.address(n)) for n in ["dev0", "dev1", "dev2", "dev3", "dev4"]}
    hashes = []
    for i, (src, dst) in enumerate([("dev1", "dev2"), ("dev2", "dev3"), ("dev3", "dev4"), ("dev4", "dev0")]):
        amt = 1000 + i
        _, o = env.cli(node, "transfer", "--key", env.key(src), "--to", env.address(dst), "--amount", amt)
        hashes.append(o["hash"])
        expected[src] -= amt + 21000
        expected[dst] += amt
    for h in hashes:
        assert node.wait_receipt(h)["status"] == "success"
    for n, v in expected.items():
        assert node.balance(env.address(n)) == v, n
    check_supply(env, node)

    # Clean restart: same blocks, same balances, and the chain goes on.
    height = node.height()
    blocks = {h: node.rpc("chain_getBlock", {"height": h})["hash"] for h in range(0, height + 1)}
    assert node.stop() == 0, "physisd should exit 0 on SIGTERM"
    assert "stopped cleanly" in node.read_log()
    node.start()
    for h, bh in blocks.items():
        assert node.rpc("chain_getBlock", {"height": h})["hash"] == bh
    for n, v in expected.items():
        assert node.balance(env.address(n)) == v
    node.wait_height(height + 2)
    assert node.stop(sig=2) == 0, "physisd should exit 0 on SIGINT"

    # The same datadir with another genesis is refused, with a message saying why.
    other = dict(env.genesis_doc)
    other["chain_id"] = "physis-other"
    path = os.path.join(env.tmp, "other.json")
    with open(path, "w") as f:
        json.dump(other, f)
    p = subprocess.run([env.bin("physisd"), "--datadir", node.datadir, "--genesis", path, "--rpc-port", "0"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert "genesis" in p.stderr and "another --datadir" in p.stderr, p.stderr


if __name__ == "__main__":
    run(test_transfers)
