"""kill -9 while transfers from several senders stream in, then restart.

A sender thread keeps submitting transfers right through the kill; a watcher records every block the
node reports committed. After the restart: the tip is at least the highest block seen, every seen block
is still there unchanged, each sender's nonce equals the number of its transfers in blocks 1..tip, every
one of those transactions is found with a success receipt, and every balance is what the test computes
itself from genesis, the blocks' transactions, their receipts' fees and the epoch emission rule
(doc/depin.md "Rewards") — summing to genesis plus emissions. Then the chain continues."""
import http.client
import threading
import time
import urllib.error

from framework import RpcError, run

AMOUNT = 777
SENDERS = ["dev0", "dev1", "dev2", "dev3"]
TXS_PER_SENDER = 200
# A recipient that is in no genesis account, so the audit must find it from the blocks.
OUTSIDER = "0x00000000000000000000000000000000C0FFEE01"
# What a dead node looks like to an RPC client.
CONNECTION_GONE = (ConnectionError, urllib.error.URLError, http.client.HTTPException, OSError)


def build_txs(env, node, key, recipients, count):
    raws = []
    chain_id = env.genesis_doc["chain_id"]
    for nonce in range(count):
        to = recipients[nonce % len(recipients)]
        _, o = env.cli(node, "transfer", "--key", env.key(key), "--to", to, "--amount", AMOUNT,
                       "--nonce", nonce, "--chain-id", chain_id, "--dry-run")
        raws.append(o["raw"])
    return raws


def block_record(b):
    return {"hash": b["hash"], "tx_count": b["tx_count"], "state_root": b["state_root"], "txs": b["txs"]}


class Watcher(threading.Thread):
    """Records height -> block for every block the node reports committed. Never dies silently: any
    exception other than the connection going away after the kill is kept in `errors`."""

    def __init__(self, node, killed):
        super().__init__(daemon=True)
        self.node, self.killed = node, killed
        self.seen, self.errors = {}, []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                tip = self.node.rpc("chain_status")["height"]
                for h in range(max(self.seen.keys(), default=0) + 1, tip + 1):
                    self.seen[h] = block_record(self.node.rpc("chain_getBlock", {"height": h}))
            except CONNECTION_GONE as e:
                if not self.killed.is_set():
                    self.errors.append(f"connection lost before the kill: {e!r}")
                return
            except Exception as e:  # recorded, so the test fails with the reason
                self.errors.append(f"watcher failed: {e!r}")
                return
            time.sleep(0.02)


class Sender(threading.Thread):
    """Submits the pre-signed transfers round-robin over the senders until told to stop or the node
    goes away; records each accepted hash. Any other failure is kept in `errors`."""

    def __init__(self, node, killed, raws_by_sender):
        super().__init__(daemon=True)
        self.node, self.killed, self.raws = node, killed, raws_by_sender
        self.attempted = {s: 0 for s in raws_by_sender}  # including one whose reply the kill cut off
        self.errors = []
        self.stop = threading.Event()

    def run(self):
        for i in range(TXS_PER_SENDER):
            for s, raws in self.raws.items():
                if self.stop.is_set():
                    return
                self.attempted[s] += 1
                try:
                    self.node.rpc("tx_send", {"raw": raws[i]})
                except CONNECTION_GONE as e:
                    if not self.killed.is_set():
                        self.errors.append(f"connection lost before the kill: {e!r}")
                    return
                except Exception as e:
                    self.errors.append(f"tx_send {s} nonce {i} failed: {e!r}")
                    return
            time.sleep(0.05)
        self.errors.append("ran out of transactions before the kill; raise TXS_PER_SENDER")


def closed_epoch_emissions(env, tip):
    """(total minted, {address: credited}) for the epochs closed by height `tip` (doc/depin.md): epoch e
    closes at the first block of epoch e+1; no devices, so the device pool goes to the treasury."""
    d = env.genesis_doc["depin"]
    epoch_blocks, base = d["epoch_blocks"], int(d["emission_per_epoch"])
    halving, cap = d["halving_interval_epochs"], int(d["supply_cap"])
    validators = env.genesis_doc["validators"]
    total_power = sum(v["power"] for v in validators)
    genesis = env.total_supply()
    minted, credited = 0, {}

    def credit(addr, v):
        credited[addr.lower()] = credited.get(addr.lower(), 0) + v

    for e in range(tip // epoch_blocks):
        emission = base >> (e // halving) if halving else base
        if cap:
            emission = min(emission, cap - genesis - minted)
        minted += emission
        validator_pool = emission * d["validator_share_bps"] // 10000
        paid = 0
        for v in validators:
            share = validator_pool * v["power"] // total_power
            credit(v["address"], share)
            paid += share
        credit(d["treasury"], emission - paid)
    return minted, credited


def audit(env, node, seen):
    """Checks the restarted node against what the test saw and computes itself. Returns the tip."""
    tip = node.height()
    assert tip >= max(seen), f"tip {tip} is below the highest block seen before the kill ({max(seen)})"
    for h, rec in sorted(seen.items()):
        got = block_record(node.rpc("chain_getBlock", {"height": h}))
        assert got == rec, f"block {h} changed after kill -9:\nbefore {rec}\nafter  {got}"

    balances = {a["address"].lower(): int(a["balance"]) for a in env.genesis_doc["accounts"]}
    counts = {env.address(s).lower(): 0 for s in SENDERS}
    for h in range(1, tip + 1):
        block = node.rpc("chain_getBlock", {"height": h})
        proposer = block["proposer"].lower()
        for i, th in enumerate(block["txs"]):
            tx = node.rpc("chain_getTransaction", {"hash": th})
            r = node.rpc("chain_getReceipt", {"hash": th})
            assert tx["status"] == "included" and tx["height"] == h and tx["index"] == i, tx
            assert r["status"] == "success", r
            fee, amount = int(r["fee"]), int(tx["amount"])
            assert fee == r["gas_used"] * int(tx["gas_price"]), (tx, r)
            src, dst = tx["from"].lower(), tx["to"].lower()
            assert tx["nonce"] == counts[src], f"{th}: nonce {tx['nonce']}, expected {counts[src]}"
            counts[src] += 1
            balances[src] -= amount + fee
            balances[dst] = balances.get(dst, 0) + amount
            balances[proposer] = balances.get(proposer, 0) + fee
    minted, credited = closed_epoch_emissions(env, tip)
    for addr, v in credited.items():
        balances[addr] = balances.get(addr, 0) + v

    for s in SENDERS:
        assert node.nonce(env.address(s)) == counts[env.address(s).lower()], s
    for addr, want in balances.items():
        assert node.balance(addr) == want, f"{addr}: node says {node.balance(addr)}, the blocks say {want}"
    assert sum(balances.values()) == env.total_supply() + minted
    supply = node.rpc("state_getSupply")
    assert supply["balanced"] and int(supply["minted"]) == minted, (supply, minted)
    assert int(supply["circulating"]) == sum(balances.values()), supply
    return tip, counts


def test_crash_recovery(env):
    node = env.new_node().start()
    node.wait_height(1)
    recipients = [env.address("dev4"), OUTSIDER] + [env.address(s) for s in SENDERS]
    raws = {s: build_txs(env, node, s, [r for r in recipients if r != env.address(s)], TXS_PER_SENDER)
            for s in SENDERS}

    killed = threading.Event()
    watcher, sender = Watcher(node, killed), Sender(node, killed, raws)
    watcher.start()
    sender.start()
    # Kill while transfers stream in, once some of them are committed in several blocks.
    deadline = time.time() + 30
    def with_txs():
        return [r["tx_count"] for r in list(watcher.seen.values()) if r["tx_count"] > 0]

    while len(with_txs()) < 3 or sum(with_txs()) < 40:
        assert time.time() < deadline, "transfers were not committed before the kill"
        assert watcher.is_alive() and sender.is_alive(), (watcher.errors, sender.errors)
        time.sleep(0.05)
    assert sender.is_alive(), sender.errors
    killed.set()
    node.kill9()
    sender.join(30)
    watcher.join(30)
    assert not sender.is_alive() and not watcher.is_alive()
    assert not watcher.errors, watcher.errors
    assert not sender.errors, sender.errors
    seen = dict(watcher.seen)
    committed = sum(r["tx_count"] for r in seen.values())
    assert committed >= 40 and sum(r["tx_count"] > 0 for r in seen.values()) >= 3, seen

    # Audit with block production off, so balances cannot move while they are read.
    node.validator = False
    node.start()
    tip, counts = audit(env, node, seen)
    print(f"before the kill: {len(seen)} blocks, {committed} transfers seen committed, "
          f"{sum(sender.attempted.values())} sent; after restart: tip {tip}, included {counts}")
    for s in SENDERS:
        assert counts[env.address(s).lower()] <= sender.attempted[s], (s, counts, sender.attempted)
    assert node.stop() == 0
    node.validator = True
    node.start()

    # Resubmit what the kill lost (the mempool is not persisted), then the rest; all get included.
    for s in SENDERS:
        included = counts[env.address(s).lower()]
        for i, raw in enumerate(raws[s]):
            if i < included:
                try:
                    node.rpc("tx_send", {"raw": raw})
                    raise AssertionError("an already-included nonce was accepted again")
                except RpcError as e:
                    assert e.data and e.data.get("reason") in ("nonce_too_low", "already_known"), e
                continue
            node.rpc("tx_send", {"raw": raw})
    deadline = time.time() + 60
    while any(node.nonce(env.address(s)) < TXS_PER_SENDER for s in SENDERS):
        assert time.time() < deadline, "resubmitted transfers were not all included"
        time.sleep(0.2)
    node.wait_height(tip + 1)
    assert node.stop() == 0
    node.validator = False
    node.start()
    _, counts = audit(env, node, seen)
    assert all(counts[env.address(s).lower()] == TXS_PER_SENDER for s in SENDERS), counts
    assert node.stop() == 0


if __name__ == "__main__":
    run(test_crash_recovery)
