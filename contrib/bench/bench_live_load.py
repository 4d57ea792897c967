#!/usr/bin/env python3
"""Live-node load benchmark (issue 8): sustained accepted proofs/s of a running 1-validator devnet
physisd under physis-devsim --load, against the raw 2-thread P-256 verification rate measured in the
same run (bench_depin --raw-only 1, once before and once after the load; the mean is the reference).
Target: ratio >= 0.40 with the load generator on the same 2 cores.

Steps: a fresh physisd on a temporary datadir (genesis/devnet.json, one validator, RPC on a free
port); raw rate; physis-devsim registers the devices (10,000 by default; the time it took is printed)
and runs load mode for --seconds; raw rate again; the node is stopped by its PID; figures printed.
The machine may be shared: the load average before and after is printed beside the figures.

Usage: contrib/bench/bench_live_load.py [--bindir build/bin] [--devices 10000] [--seconds 60]
                                        [--relayers 2] [--in-flight 16] [--keep] [--datadir DIR]
                                        [--perf FILE]
--datadir DIR keeps the node's chain in DIR (made on first use): a second run finds the devices
registered and starts the load at once. --perf FILE records the node's CPU profile during the load
window with `perf record --call-graph dwarf` (if perf is installed), for `perf report -i FILE`.
"""
import argparse
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
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rpc(url, method, params=None):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        reply = json.load(r)
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error']}")
    return reply["result"]


def cpu_seconds(pid):
    """User + system CPU seconds a live process has used (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raw_rate(bindir):
    """(verifications/s on 2 threads, verifications per CPU-second) from bench_depin --raw-only 1."""
    out = subprocess.run([os.path.join(bindir, "bench_depin"), "--raw-only", "1"], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    # "P-256 verifications/s: 1 thread N, 2 threads M" and "P-256 verifications per CPU-second (2 threads): C",
    # found by their prefixes (bench_depin prints the gas ratio between them)
    def line(prefix):
        return next(l for l in out if l.startswith(prefix))
    return (float(line("P-256 verifications/s:").split()[-1]),
            float(line("P-256 verifications per CPU-second").split()[-1]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bindir", default="build/bin")
    ap.add_argument("--devices", type=int, default=10000)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--relayers", type=int, default=2)
    ap.add_argument("--in-flight", type=int, default=16)
    ap.add_argument("--keep", action="store_true", help="keep the temporary datadir")
    ap.add_argument("--datadir", help="the node's datadir, kept (reused with its registered devices)")
    ap.add_argument("--perf", help="record the node's profile during the load into this file")
    ap.add_argument("--block-gas-limit", type=int,
                    help="run the devnet genesis with this block gas limit instead (a new chain: use a fresh "
                         "--datadir), to measure the node rather than the genesis's cap on proofs per block")
    ap.add_argument("--presign", type=int, help="data proofs devsim signs before the window (overrides --presign-ratio)")
    ap.add_argument("--presign-ratio", type=float, default=0.5,
                    help="data proofs devsim signs before the window, as a multiple of the raw 2-thread rate x "
                         "seconds (default 0.5; 0 = sign during the window)")
    a = ap.parse_args()
    src = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    bindir = os.path.abspath(a.bindir)
    keys = os.path.join(src, "genesis", "devnet-keys")
    tmp = tempfile.mkdtemp(prefix="physis-bench-live-")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    node = None
    try:
        load_before = os.getloadavg()[0]
        raw_before, cpu_raw_before = raw_rate(bindir)
        print(f"raw P-256 verifications/s on 2 threads (before): {raw_before:.0f}", flush=True)

        log = open(os.path.join(tmp, "physisd.log"), "wb")
        datadir = os.path.abspath(a.datadir) if a.datadir else os.path.join(tmp, "node")
        genesis_file = os.path.join(src, "genesis", "devnet.json")
        with open(genesis_file) as f:
            genesis = json.load(f)
        if a.block_gas_limit:
            genesis["params"]["block_gas_limit"] = a.block_gas_limit
            genesis_file = os.path.join(tmp, "genesis.json")
            with open(genesis_file, "w") as f:
                json.dump(genesis, f)
        node = subprocess.Popen([os.path.join(bindir, "physisd"), "--datadir", datadir,
                                 "--genesis", genesis_file, "--rpc-port", str(port),
                                 "--validator-key", os.path.join(keys, "validator.key")],
                                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while True:
            try:
                if rpc(url, "chain_status")["height"] >= 1:
                    break
            except OSError:
                pass
            if node.poll() is not None or time.time() > deadline:
                raise RuntimeError("physisd did not start; log in " + tmp)
            time.sleep(0.2)

        owners = ",".join(os.path.join(keys, f"dev{i}.key") for i in (0, 2, 3, 4))
        cmd = [os.path.join(bindir, "physis-devsim"), "--rpc", url, "--devices", str(a.devices), "--load",
               "--duration", str(a.seconds), "--relayers", str(a.relayers), "--in-flight", str(a.in_flight),
               "--owner-key", owners, "--relayer-key", os.path.join(keys, "dev1.key"),
               "--manufacturer-key", os.path.join(keys, "manufacturer-root.key.pem"),
               "--presign", str(a.presign if a.presign is not None else int(a.presign_ratio * raw_before * a.seconds))]
        t0 = time.time()
        sim = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        marks = {}
        perf = []

        def follow():
            for line in sim.stderr:
                if "accounts funded" in line:
                    marks["registered"] = time.time()
                if "batches of" in line:  # the load starts: CPU used so far by each process
                    marks["cpu_start"] = (cpu_seconds(node.pid), cpu_seconds(sim.pid))
                    if a.perf and shutil.which("perf"):
                        perf.append(subprocess.Popen(["perf", "record", "--call-graph", "dwarf,8192", "-F", "200", "-o", a.perf,
                                                      "-p", str(node.pid),
                                                      "--", "sleep", str(a.seconds)],
                                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                # Registration progress only every 1,000 devices.
                if "devsim: registered" not in line or line.split()[2].split("/")[0].endswith("000"):
                    sys.stderr.write(line)
        reader = threading.Thread(target=follow)
        reader.start()
        out = sim.stdout.read()  # the JSON summary, small; stderr is read by the thread alone
        node_cpu_end = cpu_seconds(node.pid)
        _, status, usage = os.wait4(sim.pid, 0)
        sim.returncode = os.waitstatus_to_exitcode(status)
        reader.join()
        for p in perf:
            p.wait()
        if sim.returncode != 0:
            raise RuntimeError(f"physis-devsim failed ({sim.returncode})")
        summary = json.loads(out)
        load = summary["load"]

        raw_after, cpu_raw_after = raw_rate(bindir)
        load_after = os.getloadavg()[0]
        print(f"raw P-256 verifications/s on 2 threads (after): {raw_after:.0f}", flush=True)
        raw = (raw_before + raw_after) / 2
        reg_s = marks.get("registered", t0) - t0
        rate = load["accepted_per_s"]
        print()
        print(f"devices registered: {summary['registered']} new of {summary['devices']} in {reg_s:.0f} s "
              f"(including relayer funding)")
        print(f"load: {load['seconds']:.0f} s, {load['relayers']} relayers x {load['in_flight']} batches of "
              f"{load['batch']} in flight, heights {load['start_height']}..{load['end_height']}: "
              f"sent {load['proofs_sent']}, accepted {load['proofs_accepted']}, rejected {load['proofs_rejected']} "
              f"{load['rejected_by_reason'] or ''}, refused batches {load['refused_batches']}")
        if load.get("refusals"):
            print(f"refusals by the node: {load['refusals']}")
        print(f"presigned before the window: {load.get('presigned', 0)} data proofs in "
              f"{load.get('presign_seconds', 0):.0f} s ({load.get('presigned_dropped_stale', 0)} dropped as too old); "
              f"{(load['end_height'] - load['start_height'])} blocks, "
              f"{load['proofs_accepted'] / max(1, load['end_height'] - load['start_height']):.0f} accepted proofs per block")
        print(f"sustained accepted proofs/s: {rate:.0f} ({load['accepted_per_s_from_first_receipt']:.0f} "
              f"from the first receipt)")
        # The genesis caps proofs per block by gas: at one block per block_time_ms, that caps proofs/s.
        gas_limit, block_ms = genesis["params"]["block_gas_limit"], genesis["params"]["block_time_ms"]
        if load.get("gas_per_proof"):
            cap = gas_limit // load["gas_per_proof"] * 1000 / block_ms
            print(f"block gas limit {gas_limit}: at {load['gas_per_proof']} gas per proof of this mix, at most "
                  f"{gas_limit // load['gas_per_proof']} proofs per block = {cap:.0f} proofs/s at one block per "
                  f"{block_ms} ms, {cap / ((raw_before + raw_after) / 2):.2f} x the raw rate")
        print(f"raw 2-thread P-256 verifications/s: {raw:.0f} (before {raw_before:.0f}, after {raw_after:.0f})")
        ratio = rate / raw if raw > 0 else 0
        print(f"ratio: {ratio:.2f} (target >= 0.40: {'MET' if ratio >= 0.40 else 'NOT MET'})")
        if "cpu_start" in marks:
            node_cpu = node_cpu_end - marks["cpu_start"][0]
            sim_cpu = usage.ru_utime + usage.ru_stime - marks["cpu_start"][1]
            print(f"CPU during the load: physisd {node_cpu:.1f} s, physis-devsim {sim_cpu:.1f} s of "
                  f"{2 * load['seconds']:.0f} core-seconds on 2 cores")
            # The same ratio per CPU-second: accepted proofs per CPU-second of node + load generator against
            # verifications per CPU-second. Close to the wall-clock ratio on an idle machine if the node
            # keeps both cores busy; on a shared one it shows what the node does with the CPU it gets.
            per_cpu = load["proofs_accepted"] / (node_cpu + sim_cpu) if node_cpu + sim_cpu > 0 else 0
            raw_cpu = (cpu_raw_before + cpu_raw_after) / 2
            print(f"per CPU-second: {per_cpu:.0f} accepted proofs (node + devsim) against {raw_cpu:.0f} raw "
                  f"verifications: ratio {per_cpu / raw_cpu:.2f}")
        print(f"machine: {os.cpu_count()} cores, load average {load_before:.1f} before, {load_after:.1f} after "
              f"(shared: other work competes for the same cores)")
    finally:
        if node and node.poll() is None:
            node.send_signal(signal.SIGTERM)
            try:
                node.wait(timeout=30)
            except subprocess.TimeoutExpired:
                node.kill()
                node.wait()
        if a.keep:
            print("datadir kept in", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
