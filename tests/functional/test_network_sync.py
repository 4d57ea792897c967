"""Block sync (issue 7): a full node — no validator key — that starts after four validators have built a
chain with transfers in it fetches every block from genesis, reports its progress in chain_status
(syncing, sync_target), and then serves the same blocks, state roots, balances and receipts over RPC,
and follows new blocks. After kill -9 it resumes from its own datadir.

Skipped (exit 77) while physisd runs the single-validator producer instead of the consensus driver
(netfixture.require_network)."""
import time

from framework import run
from netfixture import Network, TransferLoad, check_agreement, wait_all_height, wait_mempools_empty

TIMEOUT = 240


def wait_synced(full, validators, timeout=TIMEOUT):
    """The full node reaches the validators' height (taken now) and says it is no longer syncing. Returns
    whether chain_status was ever seen with syncing true and a target."""
    target = max(n.height() for n in validators)
    saw_syncing = False
    deadline = time.time() + timeout
    while time.time() < deadline:
        s = full.rpc("chain_status")
        if s["syncing"]:
            saw_syncing = True
            assert s["sync_target"] >= s["height"], s
        if s["height"] >= target and not s["syncing"]:
            return saw_syncing
        time.sleep(0.1)
    raise AssertionError(f"full node at {full.height()} (syncing {full.rpc('chain_status')['syncing']}), "
                         f"validators at {target}, after {timeout} s")


def test_network_sync(env):
    net = Network(env, validators=4)
    net.start_validators()
    v = net.validators
    load = TransferLoad(env, net).start()
    try:
        wait_all_height(v, 25, TIMEOUT)
    finally:
        included = load.stop()
    assert included, f"no transfer committed ({load.sent} sent): {load.errors[:5]}"
    wait_mempools_empty(v)

    full = net.add_full_node()
    full.start()
    state = full.rpc("consensus_state")
    assert not state["validator"], state
    assert full.rpc("net_info")["enabled"], "the full node was given P2P flags"
    saw_syncing = wait_synced(full, v)
    print(f"  full node synced to {full.height()} (syncing seen in chain_status: {saw_syncing})")
    assert full.rpc("net_info")["peer_count"] >= 1
    check_agreement(v + [full])
    for tx_hash, height in included:
        r = full.rpc("chain_getReceipt", {"hash": tx_hash})
        assert r["height"] == height and r["status"] == "success", (tx_hash, r)
    # Same state: at one height (no transfers flow now), balances and the supply audit match.
    top = full.height()
    wait_all_height(v, top, TIMEOUT)
    for name in ["dev0", "dev1", "dev2", "dev3", "dev4"]:
        assert full.balance(env.address(name)) == v[0].balance(env.address(name)), name
    assert full.rpc("state_getSupply")["balanced"]

    # It follows new blocks, and resumes after a crash from its own datadir.
    wait_all_height([full], top + 3, TIMEOUT)
    full.kill9()
    full.start()
    wait_synced(full, v)
    wait_all_height([full], full.height() + 2, TIMEOUT)
    check_agreement(v + [full])
    net.stop_all()


if __name__ == "__main__":
    run(test_network_sync)
