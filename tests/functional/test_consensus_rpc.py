"""consensus_validators and consensus_getCommit over real RPC: the genesis validator set, and a commit
whose signer is that set's validator, for a committed block; errors for heights with no commit."""
from framework import RpcError, run


def expect_error(node, method, params, code):
    try:
        node.rpc(method, params)
    except RpcError as e:
        assert e.code == code, (method, params, e)
        return e
    raise AssertionError(f"{method}({params}) should fail with {code}")


def test_consensus_rpc(env):
    node = env.new_node().start()
    node.wait_height(2)
    vs = node.rpc("consensus_validators")
    genesis_vals = {v["address"].lower(): int(v["power"]) for v in env.genesis_doc["validators"]}
    got = {v["address"].lower(): v["power"] for v in vs["validators"]}
    assert got == genesis_vals, (got, genesis_vals)
    assert vs["total_power"] == sum(genesis_vals.values())
    assert vs["height"] == node.height() + 1 or vs["height"] == node.height() + 2, vs
    at1 = node.rpc("consensus_validators", {"height": 1})
    assert at1["validators_hash"] == vs["validators_hash"]
    block1 = node.rpc("chain_getBlock", {"height": 1})
    assert at1["validators_hash"] == block1["validators_hash"], (at1, block1)
    expect_error(node, "consensus_validators", {"height": 10**9}, -32602)

    commit = node.rpc("consensus_getCommit", {"height": 1})
    assert commit["height"] == 1 and commit["block_hash"] == block1["hash"], (commit, block1)
    signers = {s["validator"].lower() for s in commit["signatures"]}
    assert signers == set(genesis_vals), signers
    # The commit of block 1 is the last_commit block 2 carries.
    block2 = node.rpc("chain_getBlock", {"height": 2})
    assert block2["last_commit"]["block_hash"] == commit["block_hash"]
    assert block2["last_commit"]["signatures"] == commit["signatures"]
    expect_error(node, "consensus_getCommit", {"height": 0}, node_not_found_code(node))
    expect_error(node, "consensus_getCommit", {"height": 10**9}, node_not_found_code(node))
    expect_error(node, "consensus_getCommit", {}, -32602)

    code, out = env.cli(node, "commit", "1")
    assert code == 0 and out["block_hash"] == block1["hash"], out
    code, out = env.cli(node, "validators", "--height", "1")
    assert code == 0 and out["validators_hash"] == vs["validators_hash"], out
    node.stop()


def node_not_found_code(node):
    # chain_getBlock's not-found code is the one the chain methods share.
    try:
        node.rpc("chain_getBlock", {"height": 10**9})
    except RpcError as e:
        return e.code
    raise AssertionError("block 10^9 exists?")


if __name__ == "__main__":
    run(test_consensus_rpc)
