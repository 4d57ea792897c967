#!/usr/bin/env python3
"""Network benchmark (issue 7): commit latency and sustained transfer and proof throughput of a 4-validator
loopback devnet against a single validator measured in the same run, and block sync speed of a full node.

1. Transfers, once per network: a single validator (no P2P: the default devnet) and N validators (default
   4) on 127.0.0.1 with P2P. Transfers pre-signed by bench_presign are sent at --rate per second for
   --seconds, each sender bound to one validator, at most --in-flight pending per sender (back pressure,
   so an overloaded chain shows as lower throughput, not as rejections). A poller watches the first node's
   tip every 50 ms and reads each new block's transactions. Reported: commit latency p50/p99 (submit →
   the poller saw the block: at most 50 ms late; and submit → block timestamp), sustained transfers/s
   (committed transfers over first submit → last commit) and the ratio N-validator/single. Below capacity
   the throughput is the offered --rate for both; to compare capacity, offer more than a chain takes (e.g.
   --rate 5000: the in-flight cap then holds the senders back and the committed rate is the chain's).
2. Proofs, once per network (fresh networks built the same way, genesis/devnet.json's manufacturer anchor,
   4 funded load<i> accounts per node): physis-devsim registers --proof-devices devices (a 1 s load run:
   registration and relayer funding, outside the window), then runs --load for --proof-seconds with
   --proof-relayers relayers x --proof-in-flight batches, against the first node (--proof-spread: one
   devsim per validator, devices and relayers split). Reported: accepted proofs/s counted on the chain (the
   receipts of the blocks timestamped in the window; devsim's own count, by receipts seen in the window,
   beside it), block intervals p50/p99/max, the commit latency p50/p99 of probe transfers sent at
   --probe-rate per second during the load (they queue behind the proofs: the mempool is FIFO), node CPU
   seconds, the most proofs/s the block gas limit allows, and the ratio N-validator/single. The nodes
   under load can be profiled with --perf DIR (--log-level debug logs each block's validation time).
3. Block sync: one validator with P2P builds a chain of --sync-blocks blocks with a burst of one full
   block's worth of transfers (max_block_txs) every 10 blocks; then a full node (no validator key)
   starts from genesis. Reported: blocks/s and transactions/s replayed, and the multiple of real time
   (the chain's time span over the time the full node took).
Each load figure has the load average beside it (the machine may be shared) and the number of peer bans
the nodes logged.

Gossip and rate limits (Dec 2026): transactions are gossiped in TxBatch envelopes (up to 1,024
transactions or 1 MiB each, flushed once per consensus-driver loop turn, src/node/consensus_driver.cpp),
so a transfer load costs each link a few messages per second, far below the per-peer budget (500
messages/s, burst 1000; 8 MiB/s, p2p/peer_score.h). The old limit (one message per transaction, bans
above about 500 transfers/s) is gone: at --rate 2000 and --rate 5000 no peer banned another and the
4-validator chain kept 1-second blocks. What bounds the 4-validator chain now is work per node: each node
admits gossiped transactions on one relay thread and re-executes every proposed block on its driver
thread before voting (see the README's bench paragraph for the measured figures).

Figures need a physisd that runs the consensus driver (net_info.enabled with P2P flags); without it the
N-validator and sync parts are reported as "not measured" and only the single-validator figures are real.
Uses only the Python standard library, plus build/bin/{physisd,physis-cli,bench_presign,physis-devsim}.

Usage: contrib/bench/bench_network.py [--bindir build/bin] [--validators 4] [--rate 1000] [--seconds 30]
                                      [--skip-transfers] [--skip-proofs] [--proof-devices 2000]
                                      [--proof-seconds 30] [--proof-relayers 4] [--proof-spread]
                                      [--sync-blocks 100] [--skip-sync] [--log-level L] [--perf DIR] [--keep]
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SENDERS = 12  # funded load accounts; each may have max_per_sender (1000) pending in the mempool


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Rpc:
    """One keep-alive JSON-RPC connection (not thread-safe: one per thread)."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def _post(self, payload):
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.conn.request("POST", "/", body=json.dumps(payload).encode(),
                                  headers={"Content-Type": "application/json"})
                return json.loads(self.conn.getresponse().read())
            except (OSError, http.client.HTTPException):
                self.conn = None
                if attempt == 1:
                    raise
        return None

    def call(self, method, params=None):
        reply = self._post({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}})
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def batch(self, calls):
        """[(method, params)] → [reply objects] in order."""
        replies = self._post([{"jsonrpc": "2.0", "id": i, "method": m, "params": p}
                              for i, (m, p) in enumerate(calls)])
        return sorted(replies, key=lambda r: r["id"])


class Node:
    def __init__(self, bench, name, genesis, key=None, p2p=None, peers=None, log_level="warn"):
        self.bench = bench
        self.name = name
        self.datadir = os.path.join(bench.work, name)
        self.port = free_port()
        self.args = [bench.bin("physisd"), "--datadir", self.datadir, "--genesis", genesis, "--rpc-port",
                     str(self.port), "--log-level", log_level, "--rpc-max-body", str(16 << 20),
                     "--rpc-max-batch", "1000"]
        if key:
            self.args += ["--validator-key", key]
        if p2p:
            self.args += ["--p2p-listen", f"tcp://127.0.0.1:{p2p}"]
        if peers:
            self.args += ["--persistent-peers", peers]
        self.proc = None

    def start(self):
        os.makedirs(self.datadir, exist_ok=True)
        self.log = open(os.path.join(self.datadir, "physisd.log"), "ab")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)
        self.bench.procs.append(self.proc)
        rpc = Rpc(self.port)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited {self.proc.returncode}; see {self.datadir}/physisd.log")
            try:
                rpc.call("chain_status")
                return self
            except (OSError, RuntimeError, http.client.HTTPException, ValueError):
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer RPC")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc:
            self.log.close()


class Bench:
    def __init__(self, ns):
        self.ns = ns
        self.bindir = os.path.abspath(ns.bindir)
        self.work = tempfile.mkdtemp(prefix="physis-bench-net-")
        self.procs = []

    def bin(self, name):
        return os.path.join(self.bindir, name)

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if not self.ns.keep:
            shutil.rmtree(self.work, ignore_errors=True)
        else:
            print(f"work directory kept: {self.work}")

    def genesis(self, name, validators, block_time_ms=None, fund=SENDERS):
        out = os.path.join(self.work, name)
        cmd = [sys.executable, os.path.join(ROOT, "contrib", "make-genesis.py"), "--validators", str(validators),
               "--fund", str(fund), "--out", out, "--cli", self.bin("physis-cli")]
        if block_time_ms is not None:
            # The devnet genesis with another block time (the chain identity changes with it, as it must).
            with open(os.path.join(ROOT, "genesis", "devnet.json")) as f:
                base = json.load(f)
            base["params"]["block_time_ms"] = block_time_ms
            base_path = os.path.join(self.work, f"{name}-base.json")
            with open(base_path, "w") as f:
                json.dump(base, f, indent=2)
            cmd += ["--base", base_path]
        p = subprocess.run(cmd, capture_output=True, text=True, check=True)
        doc = json.loads(p.stdout)
        with open(doc["genesis"]) as f:
            doc["doc"] = json.load(f)
        return doc

    def network(self, name, validators, p2p, block_time_ms=None, fund=SENDERS):
        """Starts `validators` validators (P2P between them if p2p); returns (genesis doc, nodes)."""
        g = self.genesis(name, validators, block_time_ms, fund)
        nodes = []
        ids, ports = [], []
        for i in range(validators):
            datadir = os.path.join(self.work, f"{name}-v{i}")
            ids.append(subprocess.run([self.bin("physisd"), "--show-node-id", "--datadir", datadir],
                                      capture_output=True, text=True, check=True).stdout.strip())
            ports.append(free_port())
        for i in range(validators):
            peers = ",".join(f"{ids[j]}@127.0.0.1:{ports[j]}" for j in range(validators) if j != i)
            nodes.append(Node(self, f"{name}-v{i}", g["genesis"], g["validators"][i]["key"],
                              ports[i] if p2p else None, peers if p2p else None, self.ns.log_level))
        for n in nodes:
            n.start()
        g["ids"], g["p2p_ports"] = ids, ports
        return g, nodes

    def presign(self, account, chain_id, to, count):
        p = subprocess.run([self.bin("bench_presign"), account["key"], chain_id, to, "0", str(count)],
                           capture_output=True, text=True, check=True)
        return [tuple(line.split()) for line in p.stdout.splitlines()]


def network_enabled(node):
    return Rpc(node.port).call("net_info")["enabled"]


class Poller(threading.Thread):
    """Watches a node's tip; records for each committed transaction hash (seen time, block time ms, height).
    With receipts=True it also reads each block's receipts and records its accepted proofs."""

    def __init__(self, node, start_height, receipts=False):
        super().__init__(daemon=True)
        self.rpc = Rpc(node.port)
        self.height = start_height
        self.receipts = receipts
        self.seen = {}
        self.blocks = []  # (height, time ms, tx count)
        self.proofs = []  # (height, time ms, accepted proofs), with receipts=True
        self.rounds = {}  # height → the round its commit was made in (from the next block's last commit)
        self.stop_event = threading.Event()

    def run(self):
        while not self.stop_event.is_set():
            try:
                tip = self.rpc.call("chain_status")["height"]
                while self.height < tip:
                    self.height += 1
                    b = self.rpc.call("chain_getBlock", {"height": self.height})
                    now = time.time()
                    self.blocks.append((self.height, b["time"], len(b["txs"])))
                    if b.get("last_commit"):
                        self.rounds[b["last_commit"]["height"]] = b["last_commit"]["round"]
                    if self.receipts:
                        replies = self.rpc.batch([("chain_getReceipt", {"hash": h}) for h in b["txs"]]) \
                            if b["txs"] else []
                        self.proofs.append((self.height, b["time"], sum(r.get("result", {}).get("proofs_accepted", 0)
                                                                        for r in replies)))
                    for h in b["txs"]:
                        self.seen[h] = (now, b["time"] / 1000.0, self.height)
            except (OSError, RuntimeError, http.client.HTTPException, ValueError):
                pass
            time.sleep(0.05)


def percentile(values, q):
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def measure_load(bench, g, nodes):
    """Sends the load to `nodes`; returns the figures."""
    ns = bench.ns
    chain_id = g["doc"]["chain_id"]
    to = g["doc"]["accounts"][0]["address"]
    senders = g["accounts"]
    per_sender = ns.rate * ns.seconds // len(senders) + 1
    signed = [bench.presign(a, chain_id, to, per_sender) for a in senders]
    rpcs = [Rpc(n.port) for n in nodes]
    poller = Poller(nodes[0], Rpc(nodes[0].port).call("chain_status")["height"])
    poller.start()
    submitted = {}  # hash -> submit time
    rejected = 0
    next_index = [0] * len(senders)
    done = [0] * len(senders)
    slice_s = 0.1
    start = time.time()
    sent_total = 0
    while time.time() - start < ns.seconds:
        slice_start = time.time()
        target = int((slice_start - start + slice_s) * ns.rate)
        quota = target - sent_total
        by_node = {}
        s = 0
        while quota > 0 and s < len(senders) * 4:
            i = s % len(senders)
            s += 1
            # A sender's transfers commit in nonce order: advance its committed mark while they are seen.
            while done[i] < next_index[i] and signed[i][done[i]][1] in poller.seen:
                done[i] += 1
            if next_index[i] - done[i] >= ns.in_flight or next_index[i] >= len(signed[i]):
                continue
            take = min(quota, max(1, ns.rate // 10 // len(senders) + 1), len(signed[i]) - next_index[i])
            by_node.setdefault(i % len(nodes), []).extend(signed[i][next_index[i]:next_index[i] + take])
            next_index[i] += take
            quota -= take
            sent_total += take
        for node_index, txs in by_node.items():
            for k in range(0, len(txs), 500):
                chunk = txs[k:k + 500]
                now = time.time()
                replies = rpcs[node_index].batch([("tx_send", {"raw": raw}) for raw, _ in chunk])
                for (raw, h), r in zip(chunk, replies):
                    if "error" in r:
                        rejected += 1
                    else:
                        submitted[h] = now
        time.sleep(max(0.0, slice_s - (time.time() - slice_start)))
    send_end = time.time()
    deadline = send_end + 60
    while time.time() < deadline and any(h not in poller.seen for h in submitted):
        time.sleep(0.2)
    poller.stop_event.set()
    poller.join()
    committed = [h for h in submitted if h in poller.seen]
    lat_seen = [poller.seen[h][0] - submitted[h] for h in committed]
    lat_block = [poller.seen[h][1] - submitted[h] for h in committed]
    last = max((poller.seen[h][0] for h in committed), default=start)
    blocks = [b for b in poller.blocks if b[2] > 0]
    intervals = [(b[1] - a[1]) / 1000.0 for a, b in zip(poller.blocks, poller.blocks[1:])]
    return {
        "submitted": len(submitted), "rejected": rejected, "committed": len(committed),
        "send_seconds": round(send_end - start, 1),
        "tps": round(len(committed) / max(1e-9, last - start), 1),
        "p50_ms": round(1000 * percentile(lat_seen, 0.50)) if lat_seen else None,
        "p99_ms": round(1000 * percentile(lat_seen, 0.99)) if lat_seen else None,
        "p50_block_ms": round(1000 * percentile(lat_block, 0.50)) if lat_block else None,
        "p99_block_ms": round(1000 * percentile(lat_block, 0.99)) if lat_block else None,
        "blocks": len(poller.blocks), "blocks_with_txs": len(blocks),
        "mean_block_interval_s": round(sum(intervals) / len(intervals), 3) if intervals else None,
    }


def load_phase(bench, name, validators, p2p, measure=None, fund=SENDERS):
    """Starts a network, runs `measure` (default: the transfer load) on it, stops it; (figures, why not)."""
    g, nodes = bench.network(name, validators, p2p, fund=fund)
    try:
        if p2p and not network_enabled(nodes[0]):
            return None, "not measured: physisd runs no P2P with these flags (net_info.enabled false; the " \
                         "consensus driver has not landed)"
        load_before = os.getloadavg()[0]
        r = (measure or measure_load)(bench, g, nodes)
        r["load_avg"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        r["peer_bans"] = peer_bans(nodes)
        return r, None
    finally:
        for n in nodes:
            n.stop()


def peer_bans(nodes):
    """How many times the nodes disconnected and banned a peer (the Host logs each at warn level)."""
    count = 0
    for n in nodes:
        n.log.flush()
        with open(os.path.join(n.datadir, "physisd.log"), errors="replace") as f:
            count += sum(1 for line in f if "disconnecting" in line and "banned for" in line)
    return count


# ---- proofs: physis-devsim --load against each network ----

def proof_fund(validators):
    """load<i> accounts in a proof network's genesis: per node, a devsim's two owners and its relayers'
    funder (load<3k..3k+2>), then one probe sender per node (load<3V + j>)."""
    return 4 * validators


def cpu_seconds(pid):
    """User + system CPU seconds a live process has used (Linux /proc); 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Devsim:
    """One physis-devsim --load process against one node. Simulator k registers its own fleet (seed k + 1)
    with owners load<3k>, load<3k+1> and funds its relayers from load<3k+2>, so that several simulators
    never share a nonce sequence."""

    def __init__(self, bench, g, node, k, devices, relayers, seconds, presign):
        ns = bench.ns
        acc = g["accounts"]
        self.bench, self.k = bench, k
        self.log_path = os.path.join(bench.work, f"{node.name}-devsim{k}.log")
        self.cmd = [bench.bin("physis-devsim"), "--rpc", f"http://127.0.0.1:{node.port}", "--load",
                    "--devices", str(devices), "--seed", str(k + 1), "--relayers", str(relayers),
                    "--in-flight", str(ns.proof_in_flight), "--duration", str(seconds), "--presign", str(presign),
                    "--owner-key", f"{acc[3 * k]['key']},{acc[3 * k + 1]['key']}",
                    "--relayer-key", acc[3 * k + 2]["key"],
                    "--manufacturer-key", os.path.join(ROOT, "genesis", "devnet-keys", "manufacturer-root.key.pem")]
        self.proc = None
        self.load_started = None  # time the load window began (devsim's "batches of ... in flight" line)

    def start(self):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.bench.procs.append(self.proc)

        def follow():
            for line in self.proc.stderr:
                if "batches of" in line and self.load_started is None:
                    self.load_started = time.time()
                self.log.write(line)
        self.reader = threading.Thread(target=follow, daemon=True)
        self.reader.start()
        return self

    def finish(self):
        """Waits for the process; its JSON summary's "load" object."""
        out = self.proc.stdout.read()
        self.proc.wait()
        self.reader.join()
        self.log.close()
        if self.proc.returncode != 0:
            raise RuntimeError(f"physis-devsim {self.k} failed ({self.proc.returncode}); see {self.log_path}")
        return json.loads(out)["load"]


def run_devsims(bench, g, nodes, seconds, presign):
    """One devsim (against the first node), or with --proof-spread one per node; all started together."""
    ns = bench.ns
    count = len(nodes) if ns.proof_spread else 1
    relayers = max(1, -(-ns.proof_relayers // count))
    return [Devsim(bench, g, nodes[k], k, ns.proof_devices // count, relayers, seconds, presign // count).start()
            for k in range(count)]


def send_probes(bench, g, nodes, stop_event, submitted):
    """Latency probes: one transfer every 1/--probe-rate s, to each node in turn, node j's from its own
    account load<3V + j> (V nodes): consecutive nonces sent to different nodes would race the gossip."""
    ns = bench.ns
    count = ns.probe_rate * (ns.proof_seconds + 30) // len(nodes) + 1
    signed = [bench.presign(g["accounts"][3 * len(nodes) + j], g["doc"]["chain_id"],
                            g["doc"]["accounts"][0]["address"], count) for j in range(len(nodes))]
    rpcs = [Rpc(n.port) for n in nodes]
    live = [True] * len(nodes)
    for i in range(count * len(nodes)):
        if stop_event.wait(1.0 / ns.probe_rate):
            return
        j = i % len(nodes)
        if not live[j]:
            continue
        raw, h = signed[j][i // len(nodes)]
        try:
            t = time.time()
            rpcs[j].call("tx_send", {"raw": raw})
            submitted[h] = t
        except (OSError, RuntimeError, http.client.HTTPException, ValueError) as e:
            live[j] = False  # a refused probe leaves a nonce gap: this account's later ones could not commit
            print(f"  probe to node {j} refused ({e}); that node gets no more probes", flush=True)


def measure_proofs(bench, g, nodes):
    """Registers the fleet, then runs the proof load; returns the figures."""
    ns = bench.ns
    t0 = time.time()
    for sim in run_devsims(bench, g, nodes, 1, 0):  # registration, relayer funding and a 1 s load
        sim.finish()
    registration_s = time.time() - t0
    presign = ns.proof_presign if ns.proof_presign is not None else 2000 * ns.proof_seconds
    sims = run_devsims(bench, g, nodes, ns.proof_seconds, presign)
    while any(s.load_started is None and s.proc.poll() is None for s in sims):
        time.sleep(0.05)
    start = time.time()
    pids = [n.proc.pid for n in nodes]
    cpu0 = [cpu_seconds(p) for p in pids]
    sim_cpu0 = [cpu_seconds(s.proc.pid) for s in sims]
    load_before = os.getloadavg()[0]
    perf = []
    if ns.perf and shutil.which("perf"):
        os.makedirs(ns.perf, exist_ok=True)
        perf = [subprocess.Popen(["perf", "record", "--call-graph", "dwarf,8192", "-F", "100", "-o",
                                  os.path.join(ns.perf, f"{n.name}.data"), "-p", str(n.proc.pid), "--", "sleep",
                                  str(ns.proof_seconds)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for n in nodes]
    poller = Poller(nodes[0], Rpc(nodes[0].port).call("chain_status")["height"], receipts=True)
    poller.start()
    stop_probes = threading.Event()
    probes = {}
    prober = threading.Thread(target=send_probes, args=(bench, g, nodes, stop_probes, probes), daemon=True)
    prober.start()
    time.sleep(max(0.0, start + ns.proof_seconds - time.time()))
    stop_probes.set()
    window = time.time() - start
    cpu = [cpu_seconds(p) - c for p, c in zip(pids, cpu0)]
    sim_cpu = [cpu_seconds(s.proc.pid) - c for s, c in zip(sims, sim_cpu0)]
    load_after = os.getloadavg()[0]
    loads = [s.finish() for s in sims]
    for p in perf:
        p.wait()
    prober.join()
    # Waits for the probes, and for the first block after the window (the chain-side count needs it).
    deadline = time.time() + 30
    while time.time() < deadline and (any(h not in poller.seen for h in probes) or not poller.proofs
                                      or poller.proofs[-1][1] / 1000.0 < start + window):
        time.sleep(0.2)
    poller.stop_event.set()
    poller.join()
    lat_seen = [poller.seen[h][0] - probes[h] for h in probes if h in poller.seen]
    lat_block = [poller.seen[h][1] - probes[h] for h in probes if h in poller.seen]
    # Block intervals by block timestamps, for the blocks made during the window.
    times = [b[1] for b in poller.blocks if b[1] / 1000.0 <= start + window + 1]
    intervals = [(b - a) / 1000.0 for a, b in zip(times, times[1:])]
    accepted = sum(x["proofs_accepted"] for x in loads)
    # Chain side: accepted proofs in the blocks whose timestamps fall in the window (devsim counts a proof
    # when its receipt reaches it, which lags by the pipeline: with slow blocks, most of a window's end).
    in_window = [b for b in poller.proofs if start <= b[1] / 1000.0 < start + window]
    chain_proofs = sum(b[2] for b in in_window)
    late_rounds = sum(1 for b in in_window if poller.rounds.get(b[0], 0) > 0)
    reasons = {}
    for x in loads:
        for k, v in (x["rejected_by_reason"] or {}).items():
            reasons[k] = reasons.get(k, 0) + v
    node_cpu = sum(cpu)
    # The genesis caps proofs per block by gas: at one block per block_time_ms, that caps proofs/s.
    params = g["doc"]["params"]
    gas_per_proof = sum(x["gas_per_proof"] for x in loads) // len(loads)
    gas_cap = params["block_gas_limit"] // gas_per_proof * 1000 // params["block_time_ms"] if gas_per_proof else None

    def ms(v, q):
        return round(1000 * percentile(v, q)) if v else None
    return {
        "simulators": len(sims), "devices": ns.proof_devices, "relayers": sum(x["relayers"] for x in loads),
        "registration_s": round(registration_s, 1), "window_s": round(window, 1),
        "proofs_per_s": round(chain_proofs / window, 1), "proofs_in_window_blocks": chain_proofs,
        "window_blocks": len(in_window), "window_blocks_after_round_0": late_rounds,
        "devsim_proofs_per_s": round(sum(x["accepted_per_s"] for x in loads), 1),
        "proofs_per_s_from_first_receipt": round(sum(x["accepted_per_s_from_first_receipt"] for x in loads), 1),
        "sent": sum(x["proofs_sent"] for x in loads), "accepted": accepted,
        "rejected": sum(x["proofs_rejected"] for x in loads), "rejected_by_reason": reasons,
        "refused_batches": sum(x["refused_batches"] for x in loads),
        "dropped_batches": sum(x["dropped_batches"] for x in loads),
        "presigned": sum(x["presigned"] for x in loads), "gas_per_proof": gas_per_proof,
        "gas_cap_proofs_per_s": gas_cap,
        "blocks": max(x["end_height"] for x in loads) - min(x["start_height"] for x in loads),
        "block_interval_p50_s": round(percentile(intervals, 0.5), 3) if intervals else None,
        "block_interval_p99_s": round(percentile(intervals, 0.99), 3) if intervals else None,
        "block_interval_max_s": round(max(intervals), 3) if intervals else None,
        "probes": len(probes), "probes_committed": len(lat_seen),
        "p50_ms": ms(lat_seen, 0.5), "p99_ms": ms(lat_seen, 0.99),
        "p50_block_ms": ms(lat_block, 0.5), "p99_block_ms": ms(lat_block, 0.99),
        "node_cpu_s": [round(c, 1) for c in cpu], "devsim_cpu_s": round(sum(sim_cpu), 1),
        "proofs_per_node_cpu_s": round(chain_proofs / node_cpu, 1) if node_cpu > 0 else None,
        "load_avg_window": [round(load_before, 2), round(load_after, 2)],
    }


def sync_phase(bench):
    """Builds a chain with one validator over P2P, then times a full node syncing it from genesis.

    The chain is made with --sync-block-ms blocks (default 250 ms) so that a few hundred blocks take
    seconds to build; what the full node replays does not depend on the block time (it applies blocks as
    fast as it fetches and executes them). Reported: the multiple of real time of this chain (its span of
    block times over the sync time) and, the figure the issue's target is about, the multiple for the
    same chain with 1-second blocks (blocks replayed per second × 1 s)."""
    ns = bench.ns
    g, nodes = bench.network("sync", 1, True, ns.sync_block_ms)
    validator = nodes[0]
    full = None
    try:
        if not network_enabled(validator):
            return None, "not measured: the validator runs no P2P (the consensus driver has not landed)"
        rpc = Rpc(validator.port)
        chain_id = g["doc"]["chain_id"]
        to = g["doc"]["accounts"][0]["address"]
        params = g["doc"]["params"]
        full_block = min(params["max_block_txs"], params["block_gas_limit"] // params["transfer_gas"])
        bursts = ns.sync_blocks // 10
        # Each sender's share of a burst, exactly full_block in all (a sender skipping a nonce would have
        # every later transfer refused with nonce_gap).
        n = len(g["accounts"])
        share = [full_block // n + (1 if i < full_block % n else 0) for i in range(n)]
        signed = [bench.presign(a, chain_id, to, share[i] * bursts) for i, a in enumerate(g["accounts"])]
        txs = 0
        for burst in range(bursts):
            start_height = rpc.call("chain_status")["height"]
            flat = [t for i, s in enumerate(signed) for t in s[burst * share[i]:(burst + 1) * share[i]]]
            for k in range(0, len(flat), 1000):
                replies = rpc.batch([("tx_send", {"raw": raw}) for raw, _ in flat[k:k + 1000]])
                txs += sum(1 for r in replies if "error" not in r)
            # A burst takes longer to admit than a short block (it spreads over several blocks): the next one
            # waits for at least 10 blocks and for the mempool to drain, so no 10 blocks hold more than one
            # full block's worth of transfers.
            while rpc.call("chain_status")["height"] < start_height + 10 or rpc.call("mempool_status")["txs"]:
                time.sleep(0.05)
            if (burst + 1) % 5 == 0 or burst + 1 == bursts:
                print(f"  sync chain: burst {burst + 1}/{bursts} done, height {rpc.call('chain_status')['height']}",
                      flush=True)
        while rpc.call("mempool_status")["txs"]:
            time.sleep(0.2)
        target = rpc.call("chain_status")["height"]
        block_txs = {}
        times = {}
        for h in range(1, target + 1):
            b = rpc.call("chain_getBlock", {"height": h})
            block_txs[h] = len(b["txs"])
            times[h] = b["time"]
        span_s = (times[target] - times[1]) / 1000.0
        chain_txs = sum(block_txs.values())
        full_blocks = sum(1 for n in block_txs.values() if n >= full_block)
        full = Node(bench, "sync-full", g["genesis"], None, free_port(),
                    f"{g['ids'][0]}@127.0.0.1:{g['p2p_ports'][0]}", log_level="info")
        t0 = time.time()
        full.start()
        t_rpc = time.time()
        frpc = Rpc(full.port)
        deadline = t0 + 3600
        reached = {}  # height → first time the full node reported it
        height = 0
        while height < target:
            if time.time() > deadline:
                return None, f"full node did not reach height {target} within an hour"
            h = frpc.call("chain_status")["height"]
            now = time.time()
            for k in range(height + 1, h + 1):
                reached[k] = now
            height = h
            time.sleep(0.01)
        t_end = time.time()
        took = t_end - t0
        first = reached.get(1, t_end)
        replay = t_end - first  # from the first block applied to the tip
        # Time spent on blocks with transfers vs empty blocks (poll granularity 10 ms).
        prev = first
        busy = idle = 0.0
        for k in range(2, target + 1):
            dt = reached[k] - prev
            prev = reached[k]
            if block_txs[k]:
                busy += dt
            else:
                idle += dt
        with_txs = sum(1 for k in range(2, target + 1) if block_txs[k])
        empty = target - 1 - with_txs
        # The chain: one full block of transfers and 9 empty blocks per 10 seconds, replayed at the
        # measured cost of a transfer (time in blocks with transfers / their transfers) and of an empty block.
        projected = None
        if with_txs and empty:
            per_tx = busy / sum(block_txs[k] for k in range(2, target + 1))
            projected = round(10.0 / (full_block * per_tx + 10 * idle / empty), 1)
        # The same without splitting the time between blocks (the node writes runs of synced blocks in
        # one batch, so RPC sees the tip in jumps and the split above is coarse): the whole replay time
        # charged to transfers, scaled to the density of one full block per 10 blocks. It can
        # only understate the multiple.
        density = (chain_txs / target) / (full_block / 10.0)
        projected_by_density = round(target / replay * min(1.0, density), 1) if replay > 0 else None
        return {"blocks": target, "txs": chain_txs, "full_block_txs": full_block, "full_blocks": full_blocks,
                "block_time_ms": ns.sync_block_ms, "seconds": round(took, 2),
                "startup_s": round(first - t0, 2), "rpc_up_s": round(t_rpc - t0, 2),
                "replay_s": round(replay, 2),
                "blocks_per_s": round(target / took, 1), "txs_per_s": round(chain_txs / took, 1),
                "chain_span_s": round(span_s, 1), "x_real_time": round(span_s / took, 1),
                "x_real_time_1s_blocks": round(target * 1.0 / took, 1),
                "ms_per_block_with_txs": round(1000 * busy / with_txs, 1) if with_txs else None,
                "ms_per_empty_block": round(1000 * idle / empty, 1) if empty else None,
                "max_block_txs_seen": max(block_txs.values()), "x_real_time_projected_full": projected,
                "x_replay_1s_blocks": round(target / replay, 1) if replay > 0 else None,
                "tx_density_vs_issue_chain": round(density, 2),
                "x_real_time_projected_by_density": projected_by_density}, None
    finally:
        for n in nodes + ([full] if full else []):
            n.stop()


def show(label, r):
    print(f"  {label}: {r['committed']}/{r['submitted']} committed ({r['rejected']} rejected), "
          f"{r['tps']} transfers/s sustained; commit latency p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms "
          f"(to block timestamp p50 {r['p50_block_ms']} ms, p99 {r['p99_block_ms']} ms); "
          f"{r['blocks']} blocks, mean interval {r['mean_block_interval_s']} s; peer bans {r['peer_bans']}; "
          f"load average {r['load_avg'][0]} before, {r['load_avg'][1]} after")


def show_proofs(label, r):
    print(f"  {label}: {r['proofs_per_s']} accepted proofs/s sustained ({r['proofs_in_window_blocks']} in the "
          f"{r['window_blocks']} blocks timestamped in the {r['window_s']} s window); devsim counted "
          f"{r['devsim_proofs_per_s']}/s by receipts seen in the window "
          f"({r['proofs_per_s_from_first_receipt']} from the first receipt; {r['accepted']}/{r['sent']} accepted, "
          f"{r['rejected']} rejected {r['rejected_by_reason'] or ''}, "
          f"{r['refused_batches']} refused batches; the block gas limit allows {r['gas_cap_proofs_per_s']}/s at "
          f"{r['gas_per_proof']} gas per proof); "
          f"block interval p50 {r['block_interval_p50_s']} s, p99 {r['block_interval_p99_s']} s, "
          f"max {r['block_interval_max_s']} s, {r['window_blocks_after_round_0']} committed after round 0; "
          f"probe transfer commit latency p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms "
          f"(to block timestamp p50 {r['p50_block_ms']} ms, p99 {r['p99_block_ms']} ms; "
          f"{r['probes_committed']}/{r['probes']} probes); node CPU {sum(r['node_cpu_s']):.1f} s "
          f"({r['proofs_per_node_cpu_s']} proofs per node CPU-second), devsim CPU {r['devsim_cpu_s']} s; "
          f"registration {r['registration_s']} s; peer bans {r['peer_bans']}; load average "
          f"{r['load_avg_window'][0]} at the window's start, {r['load_avg_window'][1]} at its end")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bindir", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--validators", type=int, default=4)
    ap.add_argument("--rate", type=int, default=1000, help="transfers submitted per second")
    ap.add_argument("--seconds", type=int, default=30, help="load duration per network")
    ap.add_argument("--in-flight", type=int, default=900, help="most pending transfers per sender")
    ap.add_argument("--sync-blocks", type=int, default=100, help="length of the chain the full node syncs")
    ap.add_argument("--sync-block-ms", type=int, default=250, help="block_time_ms of the chain the full node syncs")
    ap.add_argument("--skip-sync", action="store_true")
    ap.add_argument("--skip-load", action="store_true", help="skip both load parts (transfers and proofs)")
    ap.add_argument("--skip-transfers", action="store_true")
    ap.add_argument("--skip-proofs", action="store_true")
    ap.add_argument("--proof-devices", type=int, default=2000, help="devices physis-devsim registers per network")
    ap.add_argument("--proof-seconds", type=int, default=30, help="proof load window per network")
    ap.add_argument("--proof-relayers", type=int, default=4, help="devsim relayer accounts in all")
    ap.add_argument("--proof-in-flight", type=int, default=16, help="batches each relayer keeps pending")
    ap.add_argument("--proof-presign", type=int,
                    help="data proofs signed before the window (in all; default 2000 x --proof-seconds), so that "
                         "signing competes less with the nodes")
    ap.add_argument("--proof-spread", action="store_true",
                    help="one devsim per validator (relayers and devices split) instead of one against the first")
    ap.add_argument("--probe-rate", type=int, default=5, help="latency probe transfers per second during the proofs")
    ap.add_argument("--log-level", default="warn", help="physisd --log-level of the validators (logs kept with --keep)")
    ap.add_argument("--perf", metavar="DIR", help="record each validator's profile during the proof window "
                    "(perf record --call-graph dwarf) into DIR/<node>.data, for perf report -i")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (datadirs, logs)")
    ns = ap.parse_args()
    needed = ["physisd", "physis-cli", "bench_presign"]
    if not ns.skip_load and not ns.skip_proofs:
        needed.append("physis-devsim")
    for b in needed:
        if not os.access(os.path.join(ns.bindir, b), os.X_OK):
            sys.exit(f"bench_network.py: {ns.bindir}/{b} missing (cmake --build build --target {b})")
    bench = Bench(ns)
    results = {"rate": ns.rate, "seconds": ns.seconds}
    try:
        if not ns.skip_load and not ns.skip_transfers:
            print(f"Load: {ns.rate} transfers/s for {ns.seconds} s, {SENDERS} senders", flush=True)
            single, _ = load_phase(bench, "single", 1, False)
            show("1 validator", single)
            results["single"] = single
            multi, why = load_phase(bench, f"v{ns.validators}", ns.validators, True)
            results["multi"] = multi
            if multi:
                show(f"{ns.validators} validators", multi)
                ratio = multi["tps"] / single["tps"] if single["tps"] else None
                results["ratio"] = round(ratio, 3) if ratio else None
                print(f"  ratio {ns.validators}-validator/single throughput: {results['ratio']}")
            else:
                print(f"  {ns.validators} validators: {why}")
        if not ns.skip_load and not ns.skip_proofs:
            print(f"Proofs: physis-devsim --load, {ns.proof_devices} devices, {ns.proof_relayers} relayers x "
                  f"{ns.proof_in_flight} batches in flight, {ns.proof_seconds} s, "
                  f"{'one devsim per validator' if ns.proof_spread else 'against the first node'}; "
                  f"{ns.probe_rate} probe transfers/s for commit latency", flush=True)
            single, _ = load_phase(bench, "single-proofs", 1, False, measure_proofs, proof_fund(1))
            show_proofs("1 validator", single)
            results["proofs_single"] = single
            multi, why = load_phase(bench, f"v{ns.validators}-proofs", ns.validators, True, measure_proofs,
                                    proof_fund(ns.validators))
            results["proofs_multi"] = multi
            if multi:
                show_proofs(f"{ns.validators} validators", multi)
                ratio = multi["proofs_per_s"] / single["proofs_per_s"] if single["proofs_per_s"] else None
                results["proofs_ratio"] = round(ratio, 3) if ratio else None
                d = single["devsim_proofs_per_s"]
                results["proofs_ratio_devsim"] = round(multi["devsim_proofs_per_s"] / d, 3) if d else None
                print(f"  ratio {ns.validators}-validator/single proofs/s: {results['proofs_ratio']} (by devsim's "
                      f"receipts: {results['proofs_ratio_devsim']}; target >= 0.5)")
            else:
                print(f"  {ns.validators} validators: {why}")
        if not ns.skip_sync:
            print(f"Block sync: a full node replays {ns.sync_blocks} blocks (a full block of transfers every 10)",
                  flush=True)
            sync, why = sync_phase(bench)
            results["sync"] = sync
            if sync:
                print(f"  {sync['blocks']} blocks ({sync['full_blocks']} full of {sync['full_block_txs']} transfers), "
                      f"{sync['txs']} transfers in {sync['seconds']} s (start to first block {sync['startup_s']} s): "
                      f"{sync['blocks_per_s']} blocks/s, {sync['txs_per_s']} tx/s; "
                      f"{sync['x_real_time']}x real time of this {sync['block_time_ms']} ms-block chain, "
                      f"{sync['x_real_time_1s_blocks']}x for 1-second blocks; "
                      f"{sync['ms_per_block_with_txs']} ms per block with transfers, "
                      f"{sync['ms_per_empty_block']} ms per empty block (largest block {sync['max_block_txs_seen']} "
                      f"transfers); projected for 1-second blocks with a full block every 10: "
                      f"{sync['x_real_time_projected_full']}x real time; replay alone (first block to tip) "
                      f"{sync['x_replay_1s_blocks']}x for 1-second blocks at {sync['tx_density_vs_issue_chain']} of the "
                      f"issue chain's transfer density, so at least {sync['x_real_time_projected_by_density']}x on it")
            else:
                print(f"  {why}")
        print(json.dumps(results))
    finally:
        bench.cleanup()


if __name__ == "__main__":
    main()
