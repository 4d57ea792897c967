"""Issue 6, finding 7 (clear errors), over real RPC: filters that select different things are refused
with -32602 naming both instead of being resolved silently by precedence, and an epoch whose heights do
not fit in u64 is refused with the valid range instead of answering with wrapped heights."""
from framework import RpcError

U64_MAX = 2 ** 64 - 1


def expect_invalid_params(node, method, params, words):
    try:
        result = node.rpc(method, params)
    except RpcError as e:
        assert e.code == -32602, (method, params, e.code, e.message)
        for w in words:
            assert w in e.message, (method, params, w, e.message)
        return e.message
    raise AssertionError(f"{method}({params}) answered {result!r}; expected -32602")


def check_conflicting_filters_are_invalid_params(env):
    node = env.new_node().start()
    node.wait_height(1)
    genesis = node.rpc("chain_getBlock", {"height": 0})
    owner = env.address("dev0")
    anchor = node.rpc("depin_listAnchors", {"limit": 1})["items"][0]["id"]
    device = "0x" + "ab" * 20
    # Before the fix, chain_getBlock took the hash and ignored the height, even a height of another block.
    expect_invalid_params(node, "chain_getBlock", {"height": 1, "hash": genesis["hash"]}, ["'height'", "'hash'"])
    expect_invalid_params(node, "chain_getBlock", {"height": 0, "hash": genesis["hash"]}, ["'height'", "'hash'"])
    expect_invalid_params(node, "depin_listDevices", {"owner": owner, "anchor": anchor}, ["'owner'", "'anchor'"])
    expect_invalid_params(node, "depin_listDevices", {"owner": owner, "h3_parent": "872830828ffffff"},
                          ["'owner'", "'h3_parent'"])
    expect_invalid_params(node, "depin_getRewards", {"owner": owner, "epoch": 0}, ["'owner'", "'epoch'"])
    expect_invalid_params(node, "depin_getRewards", {"device": device, "owner": owner}, ["'device'", "'owner'"])
    expect_invalid_params(node, "depin_getProofs", {"device": device, "epoch": 0}, ["'device'", "'epoch'"])
    # Each filter alone is still a query.
    assert node.rpc("chain_getBlock", {"hash": genesis["hash"]})["height"] == 0
    assert node.rpc("depin_listDevices", {"anchor": anchor})["items"] == []
    assert node.rpc("depin_getRewards", {"owner": owner})["items"] == []
    assert node.stop() == 0


def check_huge_epoch_is_invalid_params_with_the_range(env):
    node = env.new_node(validator=False).start()
    blocks = node.rpc("depin_getParams")["epoch_blocks"]
    last_epoch = (U64_MAX - (blocks - 1)) // blocks
    e = node.rpc("depin_getEpoch", {"epoch": last_epoch})
    assert e["first_height"] == last_epoch * blocks and e["last_height"] == U64_MAX - (U64_MAX + 1) % blocks, e
    assert e["last_height"] >= e["first_height"], e
    for epoch in [last_epoch + 1, U64_MAX, str(U64_MAX)]:
        expect_invalid_params(node, "depin_getEpoch", {"epoch": epoch}, [f"0..{last_epoch}"])
    assert node.stop() == 0
