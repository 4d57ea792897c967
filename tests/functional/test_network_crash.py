"""A validator killed between signing and committing restarts and never signs a conflicting vote (issue 7).

Four validators under a transfer load. Eight times, one validator (in turn) is killed with SIGKILL at a
random moment of a height (1-second blocks: the kill lands between a signature and the commit it leads
to) or, every other time, right after its signer state file changed (a signature just persisted), its DATADIR/signer_state is read before it restarts (doc/consensus-safety.md "Signer state file"),
it restarts from its datadir and WAL, and then:
  - the chain goes on and every node has the same block hash and state root at every height;
  - no node's log holds "equivocated" (the driver logs "validator <addr> equivocated at h/r" when it
    sees two different votes of one validator for the same height, round and type);
  - the restarted validator's signer state is never below the one read before the restart
    ((height, round, step) compared lexicographically), and at the same step it holds the same block
    and signature (a re-emission, not a new signature).

Skipped (exit 77) while physisd runs no network (netfixture.require_network)."""
import os
import random
import struct
import time

import physis_tx
from framework import run
from netfixture import Network, TransferLoad, check_agreement, heights, live, wait_all_height, wait_peers

PROGRESS_TIMEOUT = 120
KILLS = 8
MAGIC = b"PHYSIS-SIGNER-v1"


def read_signer_state(path):
    """Parses a signer state file; returns None before the first signature, else a dict. Raises
    AssertionError on a file that does not follow the documented format or fails its checksum."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:16] == MAGIC, f"{path}: bad magic {data[:16]!r}"
    pos = 16 + 20
    (n,) = struct.unpack(">I", data[pos:pos + 4])
    pos += 4 + n
    has_signed = data[pos]
    pos += 1
    height, rnd, step = struct.unpack(">QIB", data[pos:pos + 13])
    pos += 13
    block = data[pos:pos + 32]
    pos += 32 + 32
    sig = data[pos:pos + 65]
    pos += 65
    body, check = data[:pos], data[pos:pos + 32]
    assert len(data) == pos + 32, f"{path}: {len(data)} bytes, expected {pos + 32}"
    assert physis_tx.keccak256(body) == check, f"{path}: checksum does not match"
    if not has_signed:
        return None
    assert step in (1, 2, 3), f"{path}: step {step}"
    return {"height": height, "round": rnd, "step": step, "block": block.hex(), "sig": sig.hex()}


def key_of(state):
    return (state["height"], state["round"], state["step"]) if state else (0, 0, 0)


def read_full_log(node):
    with open(node.log_path, "rb") as f:
        return f.read().decode(errors="replace")


def equivocations(nodes):
    found = {}
    for n in nodes:
        lines = [ln for ln in read_full_log(n).splitlines() if "equivocated" in ln]
        if lines:
            found[n.name] = lines[:3]
    return found


def just_signed(path, rng, timeout=10):
    """Returns as soon as the signer state file changes (a new signature was persisted and is about to
    leave, its commit still ahead), after skipping 0-2 changes so that every step gets hit."""
    skip = rng.randrange(3)
    last = os.stat(path).st_mtime_ns
    deadline = time.time() + timeout
    while time.time() < deadline:
        now = os.stat(path).st_mtime_ns
        if now != last:
            if skip == 0:
                return
            skip -= 1
            last = now
        time.sleep(0.002)


def wait_progress(nodes, blocks, timeout=PROGRESS_TIMEOUT):
    target = max(heights(nodes).values()) + blocks
    return wait_all_height(nodes, target, timeout)


def test_network_crash(env):
    seed = int(os.environ.get("PHYSIS_TEST_SEED", random.randrange(1 << 30)))
    print(f"  seed {seed} (PHYSIS_TEST_SEED to replay)")
    rng = random.Random(seed)
    net = Network(env, validators=4)
    net.start_validators()
    v = net.validators
    wait_peers(v, 3)
    wait_all_height(v, 2, PROGRESS_TIMEOUT)
    load = TransferLoad(env, net).start()
    try:
        for k in range(KILLS):
            victim = v[k % len(v)]
            path = os.path.join(victim.datadir, "signer_state")
            if k % 2 == 0:
                time.sleep(rng.uniform(0.0, 1.5))
            else:
                just_signed(path, rng)
            victim.kill9()
            before = read_signer_state(path)
            assert before is not None, f"{victim.name} never signed before kill {k}"
            # The three others hold 30 of 40 power: the chain goes on without the victim.
            wait_progress(live(v), 1)
            victim.start(wait=False)
            victim.wait_ready(timeout=120)
            wait_progress(v, 2)
            after = read_signer_state(path)
            assert key_of(after) >= key_of(before), f"{victim.name}: signer state went back {before} -> {after}"
            if key_of(after) == key_of(before):
                assert after == before, f"{victim.name}: same step, another signature {before} -> {after}"
            eq = equivocations(v)
            assert not eq, f"equivocation after restart {k} of {victim.name}: {eq}"
            check_agreement(v)
            print(f"  kill {k}: {victim.name} at {key_of(before)}, after restart {key_of(after)}")
    finally:
        included = load.stop()
    wait_progress(v, 2)
    top = check_agreement(v)
    assert not equivocations(v)
    assert len(included) >= 5, f"only {len(included)} transfers committed ({load.sent} sent): {load.errors[:5]}"
    print(f"  {KILLS} kill -9 / restarts, {top} heights agreed on, {len(included)} transfers committed")
    net.stop_all()


if __name__ == "__main__":
    run(test_network_crash)
