"""Bad input is rejected with a clear error and changes no state: malformed hex, bad signature, wrong
chain id, replayed or gapped nonce, insufficient balance, oversized tx, unknown method, bad params,
malformed JSON, oversized request."""
import json

from framework import RpcError, run


def expect_reject(node, raw_hex, reason, words):
    try:
        node.rpc("tx_send", {"raw": raw_hex})
    except RpcError as e:
        assert e.code == -32000, e
        assert e.data and e.data.get("reason") == reason, (reason, e.data, e.message)
        for w in words:
            assert w in e.message, (w, e.message)
        return e
    raise AssertionError(f"expected rejection '{reason}'")


def expect_rpc_error(node, method, params, code, words=()):
    try:
        node.rpc(method, params)
    except RpcError as e:
        assert e.code == code, (method, params, e)
        for w in words:
            assert w in e.message, (w, e.message)
        return e
    raise AssertionError(f"{method}({params}) should fail with {code}")


def snapshot(env, node):
    return {n: node.rpc("state_getAccount", {"address": env.address(n)}) for n in ["dev0", "dev1", "dev2"]}


def test_bad_input(env):
    node = env.new_node().start()
    node.wait_height(1)
    chain_id = env.genesis_doc["chain_id"]
    dev0, dev1 = env.address("dev0"), env.address("dev1")

    def build(*extra, key="dev0", to=dev1, amount=5):
        _, o = env.cli(node, "transfer", "--key", env.key(key), "--to", to, "--amount", amount,
                       "--dry-run", *extra)
        return o["raw"]

    before = snapshot(env, node)
    good = build("--nonce", 0)

    # Malformed hex and malformed bytes.
    expect_rpc_error(node, "tx_send", {"raw": "0xzz"}, -32602, ["hex"])
    expect_rpc_error(node, "tx_send", {"raw": "0xabc"}, -32602, ["hex"])
    expect_reject(node, "0x0102030405", "malformed", ["protobuf"])
    expect_reject(node, good + "00", "malformed", [])  # trailing byte: not canonical
    # Bad signature: recovery id 7, and the high-S twin.
    raw = bytearray.fromhex(good[2:])
    bad_v = bytes(raw[:-1]) + b"\x07"
    expect_reject(node, "0x" + bad_v.hex(), "bad_signature", ["v"])
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    s = int.from_bytes(raw[-33:-1], "big")
    high = bytes(raw[:-33]) + (n - s).to_bytes(32, "big") + bytes([raw[-1] ^ 1])
    expect_reject(node, "0x" + high.hex(), "bad_signature", ["low-S"])
    # Wrong chain id.
    expect_reject(node, build("--nonce", 0, "--chain-id", "another-chain"), "wrong_chain", ["another-chain"])
    # Gapped nonce.
    expect_reject(node, build("--nonce", 5), "nonce_gap", ["next nonce is 0"])
    # Insufficient balance: an empty account, and an amount above the balance.
    _, fresh = env.cli(node, "key", "new", "--out", env.tmp + "/empty.key")
    _, o = env.cli(node, "transfer", "--key", env.tmp + "/empty.key", "--to", dev1, "--amount", 1, "--dry-run",
                   "--nonce", 0)
    expect_reject(node, o["raw"], "insufficient_funds_for_gas", ["balance 0"])
    expect_reject(node, build("--nonce", 0, amount=10**30), "insufficient_funds", ["balance"])
    # Gas: too low a limit, too low a price.
    expect_reject(node, build("--nonce", 0, "--gas-limit", 100), "gas_limit_too_low", ["21000"])
    expect_reject(node, build("--nonce", 0, "--gas-price", 0), "gas_price_too_low", ["minimum"])
    # Oversized: 160 KiB of junk is above the 128 KiB transaction limit.
    expect_reject(node, "0x" + "0a" * (160 * 1024), "oversize", ["limit"])
    assert snapshot(env, node) == before, "rejected transactions changed state"
    assert node.rpc("mempool_status")["txs"] == 0

    # Replayed nonce: include one transaction, then send it and another nonce-0 one again.
    h = node.rpc("tx_send", {"raw": good})["hash"]
    node.wait_receipt(h)
    expect_reject(node, good, "nonce_too_low", ["already used"])
    expect_reject(node, build("--nonce", 0, amount=6), "nonce_too_low", ["next nonce is 1"])
    after = snapshot(env, node)
    assert after["dev0"]["nonce"] == 1

    # RPC-level errors.
    expect_rpc_error(node, "no_such_method", {}, -32601, ["no_such_method", "rpc_methods"])
    expect_rpc_error(node, "state_getAccount", {}, -32602, ["address"])
    expect_rpc_error(node, "state_getAccount", {"address": "0x1234"}, -32602, ["address"])
    expect_rpc_error(node, "state_getAccount", {"address": dev0, "extra": 1}, -32602, ["extra"])
    expect_rpc_error(node, "chain_getBlock", {"height": -1}, -32602, ["height"])
    expect_rpc_error(node, "chain_getBlock", {"height": 10**9}, -32001, ["no block"])
    expect_rpc_error(node, "chain_getTransaction", {"hash": "0x" + "00" * 32}, -32001, [])
    expect_rpc_error(node, "chain_getReceipt", {"hash": "0x12"}, -32602, ["hash"])
    status, body = node.raw_post(b"{not json")
    assert json.loads(body)["error"]["code"] == -32700
    status, body = node.raw_post(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "x", "params": "bad"}).encode())
    assert json.loads(body)["error"]["code"] == -32600
    status, body = node.raw_post(b'{"jsonrpc":"2.0","id":1,"method":"chain_status","pad":"' + b"x" * (2 << 20) + b'"}')
    assert status == 413, status
    # Batch: one good, one unknown.
    status, body = node.raw_post(json.dumps([
        {"jsonrpc": "2.0", "id": 1, "method": "chain_status"},
        {"jsonrpc": "2.0", "id": 2, "method": "nope"}]).encode())
    replies = {r["id"]: r for r in json.loads(body)}
    assert "result" in replies[1] and replies[2]["error"]["code"] == -32601
    methods = {m["name"] for m in node.rpc("rpc_methods")} if isinstance(node.rpc("rpc_methods"), list) else set(
        node.rpc("rpc_methods").keys())
    for m in ["chain_status", "chain_getBlock", "chain_getTransaction", "chain_getReceipt", "state_getAccount",
              "tx_send", "mempool_status", "rpc_methods"]:
        assert m in methods, m
    # CLI errors are JSON on stderr with a non-zero exit.
    code, err = env.cli(node, "balance", "0xnothex", check=False)
    assert code != 0 and "error" in err
    assert node.stop() == 0


if __name__ == "__main__":
    run(test_bad_input)
