#!/usr/bin/env python3
"""Makes an N-validator genesis and its validator keys, for devnets and network tests.

Writes OUT/genesis.json — the base genesis (default genesis/devnet.json: its chain id, parameters, funded
dev accounts and DePIN anchors) with the validator set replaced by N fresh validators of equal power — and
OUT/validator<i>.key for i in 0..N-1, each made by `physis-cli key new` (the key file format of
src/node/keyfile.h, mode 0600). --fund K adds K more funded accounts load<i> (keys OUT/load<i>.key,
balance --balance each), senders for load tests. The keys are new on every run, so two runs make two different chains;
never reuse these keys for anything of value.

Usage: contrib/make-genesis.py --validators N --out DIR [--cli build/bin/physis-cli] [--base FILE]
                               [--power P] [--chain-id ID] [--fund K [--balance B]]
Prints one JSON object: {"genesis": path, "chain_id", "validators": [{"name", "address", "key"}]}.
Refuses to write into a DIR that already holds a genesis.json or validator keys.
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fail(message):
    print(f"make-genesis.py: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--validators", type=int, required=True, help="number of validators (1..100)")
    ap.add_argument("--out", required=True, help="directory to write genesis.json and validator<i>.key into")
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "bin", "physis-cli"), help="physis-cli binary")
    ap.add_argument("--base", default=os.path.join(ROOT, "genesis", "devnet.json"), help="base genesis file")
    ap.add_argument("--power", type=int, default=10, help="voting power of each validator")
    ap.add_argument("--chain-id", help="chain id (default: the base genesis's)")
    ap.add_argument("--fund", type=int, default=0, help="extra funded accounts load<i> (0..10000)")
    ap.add_argument("--balance", default="1000000000000000000000000", help="balance of each load<i> account")
    ns = ap.parse_args()
    if not 1 <= ns.validators <= 100:
        fail("--validators must be from 1 to 100")
    if not 0 <= ns.fund <= 10000:
        fail("--fund must be from 0 to 10000")
    if ns.power < 1:
        fail("--power must be positive")
    if not os.access(ns.cli, os.X_OK):
        fail(f"{ns.cli} is not an executable physis-cli (build it, or give --cli)")
    try:
        with open(ns.base) as f:
            genesis = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"cannot read the base genesis {ns.base}: {e}")

    os.makedirs(ns.out, exist_ok=True)
    genesis_path = os.path.join(ns.out, "genesis.json")
    keys = [os.path.join(ns.out, f"validator{i}.key") for i in range(ns.validators)]
    load_keys = [os.path.join(ns.out, f"load{i}.key") for i in range(ns.fund)]
    existing = [p for p in [genesis_path] + keys + load_keys if os.path.exists(p)]
    if existing:
        fail(f"{existing[0]} already exists; use another --out or remove it")

    def new_key(path):
        p = subprocess.run([ns.cli, "key", "new", "--out", path], capture_output=True, text=True)
        if p.returncode != 0:
            fail(f"physis-cli key new --out {path} failed: {p.stderr.strip()}")
        return json.loads(p.stdout)["address"]

    validators = [{"name": f"validator{i}", "address": new_key(key), "power": ns.power, "key": key}
                  for i, key in enumerate(keys)]
    loads = [{"name": f"load{i}", "address": new_key(key), "balance": ns.balance, "key": key}
             for i, key in enumerate(load_keys)]
    genesis.setdefault("accounts", [])
    genesis["accounts"] += [{k: a[k] for k in ("name", "address", "balance")} for a in loads]

    genesis["validators"] = [{k: v[k] for k in ("name", "address", "power")} for v in validators]
    if ns.chain_id:
        genesis["chain_id"] = ns.chain_id
    tmp = genesis_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(genesis, f, indent=2)
        f.write("\n")
    os.replace(tmp, genesis_path)
    print(json.dumps({"genesis": genesis_path, "chain_id": genesis["chain_id"],
                      "validators": [{k: v[k] for k in ("name", "address", "key")} for v in validators],
                      "accounts": [{k: a[k] for k in ("name", "address", "key")} for a in loads]},
                     indent=2))


if __name__ == "__main__":
    main()
