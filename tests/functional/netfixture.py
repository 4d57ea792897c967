"""Shared pieces of the network tests: an N-validator genesis (contrib/make-genesis.py), one physisd per
validator on 127.0.0.1 with its own datadir, RPC port and P2P port, every other validator as a persistent
peer, and the checks the tests share (agreement on block hashes and state roots, heights, a transfer load).

Until the consensus driver lands, physisd accepts the P2P flags but runs no network (net_info.enabled is
false) and its single-validator producer cannot commit with a quarter of the power, so require_network()
raises Skip: the tests then exit 77 and ctest reports them skipped (tests/CMakeLists.txt, label network).
"""
import json
import os
import subprocess
import threading
import time

import physis_tx
from framework import Node, RpcError, Skip, free_port

TRANSFER_GAS = 21000


def make_genesis(env, validators, name="net"):
    """Runs contrib/make-genesis.py into env.tmp/name; returns (genesis path, [validator key paths])."""
    out = os.path.join(env.tmp, name)
    p = subprocess.run(["python3", os.path.join(env.srcdir, "contrib", "make-genesis.py"), "--validators",
                        str(validators), "--out", out, "--cli", env.bin("physis-cli")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert len(doc["validators"]) == validators, doc
    return doc["genesis"], [v["key"] for v in doc["validators"]]


def show_node_id(env, datadir):
    p = subprocess.run([env.bin("physisd"), "--show-node-id", "--datadir", datadir], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    node_id = p.stdout.strip()
    assert len(node_id) == 40, node_id
    return node_id


class Network:
    """N validators (node0..node{N-1}) and optional full nodes on one genesis. Nothing starts until
    start_*() is called; every process is stopped by PID by the framework's cleanup."""

    def __init__(self, env, validators=4):
        self.env = env
        self.genesis, self.keys = make_genesis(env, validators)
        with open(self.genesis) as f:
            self.genesis_doc = json.load(f)
        self.chain_id = self.genesis_doc["chain_id"]
        self.validators = []
        self.full_nodes = []
        self.p2p_ports = {}
        self.ids = {}
        for i in range(validators):
            name = f"node{i}"
            datadir = os.path.join(env.tmp, name)
            self.ids[name] = show_node_id(env, datadir)
            self.p2p_ports[name] = free_port()
        for i in range(validators):
            self.validators.append(self._node(f"node{i}", self.keys[i]))

    def _peers(self, me):
        return ",".join(f"{self.ids[f'node{j}']}@127.0.0.1:{self.p2p_ports[f'node{j}']}"
                        for j in range(len(self.keys)) if f"node{j}" != me)

    def _node(self, name, key):
        datadir = os.path.join(self.env.tmp, name)
        extra = ["--p2p-listen", f"tcp://127.0.0.1:{self.p2p_ports[name]}",
                 "--persistent-peers", self._peers(name)]
        node = Node(self.env, datadir, free_port(), validator=key is not None, validator_key=key,
                    genesis=self.genesis, extra=extra)
        node.name = name
        return node

    def add_full_node(self, name="full"):
        """A node without a validator key whose persistent peers are every validator."""
        self.ids[name] = show_node_id(self.env, os.path.join(self.env.tmp, name))
        self.p2p_ports[name] = free_port()
        node = self._node(name, None)
        self.full_nodes.append(node)
        return node

    @property
    def all(self):
        return self.validators + self.full_nodes

    def start_validators(self):
        for n in self.validators:
            n.start(wait=False)
        for n in self.validators:
            n.wait_ready(timeout=120)
        require_network(self.validators[0])

    def stop_all(self):
        for n in self.all:
            if n.proc is not None and n.proc.poll() is None:
                assert n.stop() == 0, f"{n.name} did not exit 0 on SIGTERM:\n{n.read_log()}"


def require_network(node):
    """Skip unless the node runs P2P. It was started with P2P flags, so net_info.enabled false means
    this physisd predates the consensus driver (it runs the single-validator producer)."""
    info = node.rpc("net_info")
    if info["enabled"]:
        return info
    state = node.rpc("consensus_state")
    raise Skip("physisd was given --p2p-listen/--persistent-peers but net_info.enabled is false "
               f"(consensus_state: running={state['running']}, step={state['step']!r}): this build runs the "
               "single-validator producer, not the consensus driver; the network tests need the driver")


def live(nodes):
    return [n for n in nodes if n.proc is not None and n.proc.poll() is None and not getattr(n, "stopped", False)]


def heights(nodes):
    return {n.name: n.height() for n in nodes}


def wait_all_height(nodes, h, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        hs = heights(nodes)
        if min(hs.values()) >= h:
            return hs
        time.sleep(0.25)
    raise AssertionError(f"not every node reached height {h} in {timeout} s: {heights(nodes)}")


def wait_peers(nodes, count, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        counts = {n.name: n.rpc("net_info")["peer_count"] for n in nodes}
        if min(counts.values()) >= count:
            return counts
        time.sleep(0.25)
    raise AssertionError(f"peers not connected in {timeout} s: {counts}")


def wait_mempools_empty(nodes, timeout=180):
    """Waits until no node has a pending transaction (after a load stops), so balances stop changing."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        pending = {n.name: n.rpc("mempool_status")["txs"] for n in nodes}
        if not any(pending.values()):
            return
        time.sleep(0.5)
    raise AssertionError(f"transactions still pending after {timeout} s: {pending}")


def block_ids(node, h):
    b = node.rpc("chain_getBlock", {"height": h})
    return b["hash"], b["state_root"]


def check_agreement(nodes, start=0):
    """Every node has the same block hash and state root at every height all of them have. Returns the
    highest height checked."""
    top = min(heights(nodes).values())
    for h in range(start, top + 1):
        ids = {n.name: block_ids(n, h) for n in nodes}
        assert len(set(ids.values())) == 1, f"fork at height {h}: {ids}"
    return top


class TransferLoad:
    """Background transfers from several dev accounts, each with one transaction in flight, sent to the
    live validators in turn. A transfer whose node dies before it commits is simply sent again with the
    committed nonce, so the load never wedges on a nonce gap."""

    def __init__(self, env, net, senders=("dev0", "dev1", "dev2", "dev3"), to="dev4"):
        self.env = env
        self.net = net
        self.to = env.address(to)
        self.keys = {s: physis_tx.Key.from_file(env.key(s)) for s in senders}
        self.included = []  # (hash, height) of transfers seen with a receipt
        self.sent = 0
        self.stop_event = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(s, i), daemon=True)
                        for i, s in enumerate(senders)]
        self.lock = threading.Lock()
        self.errors = []

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=60)
        return self.included

    def _run(self, sender, offset):
        key = self.keys[sender]
        turn = offset
        while not self.stop_event.is_set():
            nodes = live(self.net.validators)
            if not nodes:
                time.sleep(0.2)
                continue
            node = nodes[turn % len(nodes)]
            turn += 1
            try:
                nonce = node.rpc("state_getAccount", {"address": key.address})["nonce"]
                body = physis_tx.body(self.net.chain_id, nonce, TRANSFER_GAS, 1, physis_tx.TRANSFER,
                                      physis_tx.transfer_payload(self.to, 1 + nonce))
                raw, tx_hash = physis_tx.sign_tx(key, body)
                try:
                    node.rpc("tx_send", {"raw": raw})
                except RpcError:
                    pass  # e.g. the same nonce is already pending from an earlier round: wait for it
                with self.lock:
                    self.sent += 1
                deadline = time.time() + 20
                while time.time() < deadline and not self.stop_event.is_set():
                    if node.proc.poll() is not None or getattr(node, "stopped", False):
                        break
                    try:
                        r = node.rpc("chain_getReceipt", {"hash": tx_hash})
                        with self.lock:
                            self.included.append((tx_hash, r["height"]))
                        break
                    except RpcError:
                        if node.rpc("state_getAccount", {"address": key.address})["nonce"] > nonce:
                            break  # another transaction took this nonce
                        time.sleep(0.2)
            except (OSError, ValueError, RpcError) as e:
                # The node was killed or stopped under us; try the next one.
                with self.lock:
                    self.errors.append(repr(e))
                time.sleep(0.2)
