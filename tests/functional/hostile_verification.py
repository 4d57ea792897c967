"""Issue 6, finding 3: unpaid verification. Device-proof signatures are verified only for a transaction
that passed every cheap check (decoding, caches, batch limits, sender signature, nonce, fee, balance):
an unfunded key's batch of bad proofs is refused without one P-256 verification, sending it again is
answered from the rejected-transaction cache, and a batch above max_proofs_per_tx is refused before any
of its signatures is looked at. The node's debug log says which path each transaction took."""
import os
import secrets
import time

import physis_tx as ptx
from framework import RpcError
from test_depin import make_device_cert


def refused(node, raw):
    try:
        h = node.rpc("tx_send", {"raw": raw})["hash"]
    except RpcError as e:
        assert e.data and e.data.get("reason"), f"rejection without a reason: {e}"
        return e.data["reason"], e.message
    raise AssertionError(f"admitted {h}")


def log_lines(node, tx_hash):
    with open(node.log_path, "rb") as f:
        return [line for line in f.read().decode(errors="replace").splitlines() if tx_hash in line]


def register_device(env, node, owner_key):
    work = os.path.join(env.tmp, "dev")
    os.makedirs(work)
    make_device_cert(env, work)
    owner = env.address("dev0")
    env.cli(node, "device", "make-evidence", "--device-key", f"{work}/dev.pem", "--owner", owner, "--class", 1,
            "--certs", f"{work}/dev.der", "--anchor-spki-file", f"{work}/root.spki.der", "--out", f"{work}/ev.json")
    _, reg = env.cli(node, "device", "register", "--key", owner_key, "--evidence", f"{work}/ev.json",
                     "--lat", 387100000, "--lon", -91100000, "--device-key", f"{work}/dev.pem", "--wait")
    assert reg["status"] == "success", reg
    return reg["device_id"]


def check_unpaid_proofs_cost_no_verification(env):
    node = env.new_node().start()
    node.wait_height(1)
    chain = env.genesis_doc["chain_id"]
    params = node.rpc("chain_getParams")
    price, gas_limit = int(params["min_gas_price"]), int(params["block_gas_limit"])
    device = register_device(env, node, env.key("dev0"))
    epoch = node.rpc("depin_getEpoch")["epoch"]

    def batch(key, nonce, n, gas=gas_limit):
        # Bad signatures, but for a registered device: before the fix every one was verified.
        proofs = [ptx.proof(device, seq, epoch, secrets.token_bytes(64)) for seq in range(1, n + 1)]
        return ptx.sign_tx(key, ptx.body(chain, nonce, gas, price, ptx.SUBMIT_PROOFS,
                                         ptx.submit_proofs_payload(proofs)))

    # An unfunded key: refused for the fee, before signature work; sent again, answered from memory.
    unfunded = ptx.Key()
    raw, h = batch(unfunded, 0, 450)
    code, message = refused(node, raw)
    assert code == "insufficient_funds_for_gas", (code, message)
    code, message = refused(node, raw)
    assert code == "insufficient_funds_for_gas" and "rejected-transaction cache" in message, (code, message)
    time.sleep(0.2)
    lines = log_lines(node, h)
    assert any("rejected before signature work" in line for line in lines), lines
    assert any("answered from the rejected-transaction cache" in line for line in lines), lines
    assert not any("device signatures checked" in line for line in lines), lines

    # A funded sender's batch above the limit: refused before any of its signatures is looked at.
    payer = ptx.Key.from_file(env.key("dev1"))
    nonce = node.nonce(payer.address)
    limit = env.genesis_doc["depin"]["max_proofs_per_tx"]
    raw, h = batch(payer, nonce, limit + 1)
    code, message = refused(node, raw)
    assert code == "bad_batch_size" and str(limit) in message, (code, message)
    time.sleep(0.2)
    lines = log_lines(node, h)
    assert any("rejected before signature work" in line for line in lines), lines
    assert not any("device signatures checked" in line for line in lines), lines

    # Control: the same sender's payable batch is verified (once, at admission) and included; its bad
    # proofs are rejected in the receipt, where the fee pays for them.
    raw, h = batch(payer, nonce, 10, gas=2_000_000)
    assert node.rpc("tx_send", {"raw": raw})["hash"] == h
    receipt = node.wait_receipt(h)
    assert len(receipt["proofs"]) == 10 and receipt["proofs_accepted"] == 0, receipt
    lines = log_lines(node, h)
    assert any("10 device signatures checked" in line for line in lines), lines
    assert node.stop() == 0
