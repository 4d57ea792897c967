"""kill -9 during a stream of transfers, then restart: every block reported committed before the kill
is still there, unchanged, balances add up, and the chain continues from where it was."""
import threading
import time

from framework import RpcError, run

AMOUNT = 777
FEE = 21000


def build_txs(env, node, key, to, count):
    raws = []
    chain_id = env.genesis_doc["chain_id"]
    for nonce in range(count):
        _, o = env.cli(node, "transfer", "--key", env.key(key), "--to", to, "--amount", AMOUNT,
                       "--nonce", nonce, "--chain-id", chain_id, "--dry-run")
        raws.append(o["raw"])
    return raws


def test_crash_recovery(env):
    node = env.new_node().start()
    node.wait_height(1)
    sender, receiver = env.address("dev0"), env.address("dev1")
    s0, r0 = node.balance(sender), node.balance(receiver)
    raws = build_txs(env, node, "dev0", receiver, 80)

    seen = {}  # height -> block hash, as reported committed before the kill
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            try:
                tip = node.rpc("chain_status")
                for h in range(max(seen.keys(), default=0), tip["height"] + 1):
                    seen[h] = node.rpc("chain_getBlock", {"height": h})["hash"]
            except Exception:
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    sent = 0
    for raw in raws[:50]:
        node.rpc("tx_send", {"raw": raw})
        sent += 1
        time.sleep(0.04)
    stop.set()
    watcher.join()
    node.kill9()
    assert len(seen) >= 2, f"too few blocks observed before the kill: {seen}"

    node.start()
    for h, bh in sorted(seen.items()):
        got = node.rpc("chain_getBlock", {"height": h})["hash"]
        assert got == bh, f"block {h} changed after kill -9: {bh} -> {got}"
    nonce = node.nonce(sender)
    assert nonce <= sent
    assert node.balance(sender) == s0 - nonce * (AMOUNT + FEE)
    assert node.balance(receiver) == r0 + nonce * AMOUNT

    # Resubmit what the kill lost (the mempool is not persisted), then the rest; all get included.
    for i, raw in enumerate(raws):
        if i < nonce:
            try:
                node.rpc("tx_send", {"raw": raw})
                raise AssertionError("an already-included nonce was accepted again")
            except RpcError as e:
                assert e.data and e.data.get("reason") in ("nonce_too_low", "already_known"), e
            continue
        node.rpc("tx_send", {"raw": raw})
    deadline = time.time() + 30
    while node.nonce(sender) < len(raws) and time.time() < deadline:
        time.sleep(0.2)
    assert node.nonce(sender) == len(raws)
    assert node.balance(sender) == s0 - len(raws) * (AMOUNT + FEE)
    assert node.balance(receiver) == r0 + len(raws) * AMOUNT
    supply = node.rpc("state_getSupply")
    assert supply["balanced"] and int(supply["circulating"]) == env.total_supply() + int(supply["minted"]), supply
    assert node.stop() == 0


if __name__ == "__main__":
    run(test_crash_recovery)
