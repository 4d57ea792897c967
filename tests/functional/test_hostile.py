"""Hostile input (issue 6): each finding an attacker on the local network could exploit has a regression
test here. The checks live in hostile_<topic>.py modules beside this file, one per finding group, each
defining functions named check_*(env); this runner runs them all, or one module with --only TOPIC
(ctest runs one test per module, so they run in parallel and fail separately)."""
import argparse
import importlib
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from framework import Env  # noqa: E402


def modules(only):
    here = os.path.dirname(os.path.abspath(__file__))
    names = sorted(f[len("hostile_"):-3] for f in os.listdir(here)
                   if f.startswith("hostile_") and f.endswith(".py"))
    if only:
        if only not in names:
            raise SystemExit(f"no module hostile_{only}.py (have: {', '.join(names)})")
        names = [only]
    return [(n, importlib.import_module("hostile_" + n)) for n in names]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bindir", required=True)
    ap.add_argument("--srcdir", required=True)
    ap.add_argument("--only", help="run one hostile_<TOPIC>.py module")
    ns = ap.parse_args()
    failed = []
    ran = 0
    for name, mod in modules(ns.only):
        checks = sorted(n for n in dir(mod) if n.startswith("check_") and callable(getattr(mod, n)))
        for check in checks:
            env = Env(ns.bindir, ns.srcdir)
            try:
                getattr(mod, check)(env)
                print(f"{name}.{check}: OK", flush=True)
            except Exception:
                traceback.print_exc()
                print(f"{name}.{check}: FAILED", flush=True)
                failed.append(f"{name}.{check}")
            finally:
                env.cleanup()
            ran += 1
    if ran == 0:
        print("no checks ran")
        sys.exit(1)
    if failed:
        print("failed: " + ", ".join(failed))
        sys.exit(1)
    sys.exit(0)


if __name__ == "__main__":
    main()
