"""Hostile input, finding 4 (unbounded responses): a batch that asks many times for a large block gets a
bounded reply (the budget, then errors), a batch over the size limit runs nothing, a single response over the
budget becomes an error, and the node's memory stays bounded. Run by test_hostile.py (--only responses)."""
import json
import os
import time

BUDGET = 256 * 1024


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def post(node, payload):
    status, data = node.raw_post(json.dumps(payload).encode())
    assert status == 200, (status, data[:200])
    return data


def fill_a_block(env, node, count):
    """Sends `count` transfers from dev0 at once; returns the height of the block holding the last one."""
    batch = []
    for nonce in range(count):
        _, out = env.cli(node, "transfer", "--key", env.key("dev0"), "--to", env.address("dev1"), "--amount", 1,
                         "--nonce", nonce, "--dry-run")
        batch.append({"jsonrpc": "2.0", "id": nonce, "method": "tx_send", "params": {"raw": out["raw"]}})
    replies = json.loads(post(node, batch))
    assert all("result" in r for r in replies), replies[:3]
    receipt = node.wait_receipt(replies[-1]["result"]["hash"])
    return receipt["height"]


def check_big_block_batch_is_bounded(env):
    node = env.new_node(extra=["--rpc-max-response", str(BUDGET)]).start()
    node.wait_height(1)
    height = fill_a_block(env, node, 100)
    one = len(post(node, {"jsonrpc": "2.0", "id": 0, "method": "chain_getBlock",
                          "params": {"height": height, "raw": True}}))
    assert one < BUDGET, one
    fits = BUDGET // (one + 1)
    ask = [{"jsonrpc": "2.0", "id": i, "method": "chain_getBlock", "params": {"height": height, "raw": True}}
           for i in range(100)]
    rss_before = vm_rss_kib(node.proc.pid)
    started = time.monotonic()
    for _ in range(20):
        data = post(node, ask)
        assert len(data) <= BUDGET + 100 * 300, len(data)
    seconds = time.monotonic() - started
    rss_after = vm_rss_kib(node.proc.pid)
    replies = json.loads(data)
    assert len(replies) == 100
    results = [r for r in replies if "result" in r]
    assert fits - 1 <= len(results) <= fits, (len(results), fits, one)
    first_error = replies[len(results)]
    assert first_error["error"]["code"] == -32603, first_error
    assert "response too large" in first_error["error"]["message"], first_error
    assert f"over the budget of {BUDGET} bytes" in first_error["error"]["message"], first_error
    for r in replies[len(results) + 1:]:
        assert r["error"]["code"] == -32603 and r["error"]["message"].startswith("not run: "), r
    print(f"  {one} bytes per block; 20 batches of 100 in {seconds:.2f} s, {len(data)} bytes each; "
          f"VmRSS {rss_before} -> {rss_after} KiB", flush=True)
    # 64 MiB of growth at most. Under AddressSanitizer (contrib/test.sh --sanitize sets PHYSIS_SANITIZED)
    # freed memory is held in ASan's quarantine (256 MiB by default) instead of being reused, so growth up
    # to that is ASan's, not ours; unbounded responses (the bug: 734 MB for one batch) still fail it.
    limit_kib = (64 + 256) * 1024 if os.environ.get("PHYSIS_SANITIZED") else 64 * 1024
    assert rss_after - rss_before < limit_kib, (rss_before, rss_after)
    # Other clients are still served at once.
    assert node.rpc("chain_status")["height"] >= height


def check_batch_over_the_limit_runs_nothing(env):
    node = env.new_node(extra=["--rpc-max-batch", "10"]).start()
    batch = [{"jsonrpc": "2.0", "id": i, "method": "chain_status"} for i in range(11)]
    reply = json.loads(post(node, batch))
    assert isinstance(reply, dict), reply
    assert reply["error"]["code"] == -32600, reply
    assert reply["error"]["message"].startswith("batch of 11 requests exceeds the limit 10"), reply
    assert len(json.loads(post(node, batch[:10]))) == 10


def check_single_response_over_the_budget(env):
    node = env.new_node(extra=["--rpc-max-response", "1024"]).start()
    reply = json.loads(post(node, {"jsonrpc": "2.0", "id": "m", "method": "rpc_methods"}))
    assert reply["id"] == "m" and reply["error"]["code"] == -32603, reply
    assert reply["error"]["message"].startswith("response too large: "), reply
    assert "over the budget of 1024 bytes; request fewer items or use pagination" in reply["error"]["message"]
    assert node.rpc("chain_status")["height"] >= 0
