"""Functional-test framework: real physisd processes on 127.0.0.1, Python 3 standard library only.

Each test gets a fresh temporary datadir and a free port; every process it starts is stopped by PID
when the test ends, pass or fail.
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
import time
import traceback
import urllib.error
import urllib.request


class Skip(Exception):
    """Raised by a test that cannot run here (e.g. it needs a feature the node lacks): run() prints the
    reason and exits 77, which ctest reports as skipped where the test sets SKIP_RETURN_CODE 77."""


class RpcError(Exception):
    def __init__(self, code, message, data=None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    """One physisd process."""

    def __init__(self, env, datadir, port, validator=True, extra=None, genesis=None, port_flag=True,
                 validator_key=None):
        """genesis: path of another genesis file (default the devnet's); port_flag=False leaves
        --rpc-port out, for a port that comes from a config file; validator_key: the key file to sign
        with (default the devnet's validator key)."""
        self.validator_key = validator_key
        self.env = env
        self.genesis = genesis or env.genesis
        self.port_flag = port_flag
        self.datadir = datadir
        self.port = port
        self.validator = validator
        self.extra = extra or []
        self.proc = None
        self.log_path = os.path.join(datadir, "physisd.log")
        self.url = f"http://127.0.0.1:{port}"

    def start(self, wait=True):
        os.makedirs(self.datadir, exist_ok=True)
        args = [self.env.bin("physisd"), "--datadir", self.datadir, "--genesis", self.genesis,
                "--log-level", "debug"]
        if self.port_flag:
            args += ["--rpc-port", str(self.port)]
        if self.validator:
            args += ["--validator-key", self.validator_key or self.env.key("validator")]
        args += self.extra
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        self.env.procs.append(self.proc)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"physisd exited with {self.proc.returncode}; log:\n{self.read_log()}")
            try:
                return self.rpc("chain_status")
            except (OSError, urllib.error.URLError, RpcError):
                time.sleep(0.1)
        raise AssertionError("physisd did not answer RPC in time")

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        os.kill(self.proc.pid, sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise AssertionError("physisd did not stop within the timeout")
        self.log.close()
        return code

    def kill9(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    def raw_post(self, body, content_type="application/json"):
        req = urllib.request.Request(self.url, data=body, headers={"Content-Type": content_type}, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def rpc(self, method, params=None):
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                           "params": params if params is not None else {}}).encode()
        status, data = self.raw_post(body)
        reply = json.loads(data)
        if "error" in reply:
            e = reply["error"]
            raise RpcError(e["code"], e["message"], e.get("data"))
        return reply["result"]

    def height(self):
        return self.rpc("chain_status")["height"]

    def wait_height(self, h, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.height() >= h:
                return
            time.sleep(0.1)
        raise AssertionError(f"height {h} not reached in {timeout}s (at {self.height()})")

    def balance(self, address):
        return int(self.rpc("state_getAccount", {"address": address})["balance"])

    def nonce(self, address):
        return self.rpc("state_getAccount", {"address": address})["nonce"]

    def wait_receipt(self, tx_hash, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                return self.rpc("chain_getReceipt", {"hash": tx_hash})
            except RpcError:
                time.sleep(0.1)
        raise AssertionError(f"no receipt for {tx_hash}")


class Env:
    """Paths, the CLI, and cleanup for one test run."""

    def __init__(self, bindir, srcdir):
        self.bindir = os.path.abspath(bindir)
        self.srcdir = os.path.abspath(srcdir)
        self.genesis = os.path.join(srcdir, "genesis", "devnet.json")
        with open(self.genesis) as f:
            self.genesis_doc = json.load(f)
        self.accounts = {a["name"]: a for a in self.genesis_doc["accounts"]}
        self.tmp = tempfile.mkdtemp(prefix="physis-func-")
        self.procs = []

    def bin(self, name):
        return os.path.join(self.bindir, name)

    def key(self, name):
        return os.path.join(self.srcdir, "genesis", "devnet-keys", f"{name}.key")

    def address(self, name):
        return self.accounts[name]["address"]

    def total_supply(self):
        return sum(int(a["balance"]) for a in self.genesis_doc["accounts"])

    def new_node(self, name="node0", **kw):
        return Node(self, os.path.join(self.tmp, name), free_port(), **kw)

    def cli(self, node, *args, check=True):
        cmd = [self.bin("physis-cli"), "--rpc", node.url] + [str(a) for a in args]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if check and p.returncode != 0:
            raise AssertionError(f"physis-cli {' '.join(map(str, args))} failed ({p.returncode}): {p.stderr}")
        out = p.stdout if p.returncode == 0 else p.stderr
        return p.returncode, json.loads(out) if out.strip() else None

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def run(test_fn):
    """Runs test_fn(env) and exits 0 on success, 1 on failure, 77 when it raises Skip."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--bindir", required=True)
    ap.add_argument("--srcdir", required=True)
    ns = ap.parse_args()
    env = Env(ns.bindir, ns.srcdir)
    try:
        test_fn(env)
        print(f"{test_fn.__name__}: OK")
        code = 0
    except Skip as e:
        print(f"{test_fn.__name__}: SKIPPED: {e}")
        code = 77
    except Exception:
        traceback.print_exc()
        code = 1
    finally:
        env.cleanup()
    sys.exit(code)
