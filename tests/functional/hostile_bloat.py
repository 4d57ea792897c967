"""Cheap bloat (issue 6 finding 5, and the field-size bullets of finding 7): a payload field of the
wrong size is malformed at tx_send and the error names the field; bytes a payload carries pay gas per
byte; the chain's block byte limit max_block_bytes is a genesis parameter that blocks keep.

The rejected transactions are built by hand (protobuf written out below) with a dummy signature:
decode_tx checks field sizes before the signature, so a well-formed one would fail as bad_signature
instead, which is how these checks failed before the fix."""
import json
import os

import physis_tx as ptx
from framework import RpcError

# vm/gas.h and tests/unit/vm/test_gas_per_byte.cpp: gas per payload byte beyond the free ones.
CLAIM_BASE, PER_CLAIM = 21000, 5000
FREE_PAYLOAD_BYTES, PER_PAYLOAD_BYTE = 64, 180
MIN_BLOCK_BYTES = 128 * 1024 + 64 * 1024  # primitives/block.h kMinBlockBytes


# The shared canonical protobuf writer (physis_tx.py); f_msg writes a field even when empty, as these
# hand-built malformed payloads need.
field_bytes = ptx.f_msg
field_varint = ptx.f_uint


def body(env, payload_number, payload, nonce=0):
    chain_id = env.genesis_doc["chain_id"].encode()
    return (field_bytes(1, chain_id) + field_varint(2, nonce) + field_varint(3, 10_000_000) +
            field_varint(4, 1) + field_bytes(payload_number, payload))


def raw_tx(tx_body):
    # A 65-byte signature of the right shape that signs nothing: decode comes first.
    return "0x" + (field_bytes(1, tx_body) + field_bytes(2, b"\x01" * 64 + b"\x00")).hex()


def expect_malformed(node, raw, *words):
    try:
        node.rpc("tx_send", {"raw": raw})
    except RpcError as e:
        assert e.code == -32000, e
        reason = (e.data or {}).get("reason")
        assert reason == "malformed", (reason, e.message)
        for w in words:
            assert w in e.message, (w, e.message)
        return e.message
    raise AssertionError(f"accepted; expected malformed naming {words}")


def proof(ref_block_hash):
    payload = field_varint(1, 1)  # UPTIME
    return (field_bytes(1, b"\x22" * 20) + field_varint(2, 1) + field_varint(4, 1) +
            field_bytes(5, ref_block_hash) + field_bytes(6, payload) + field_bytes(7, b"\x33" * 64))


# ---- checks

def check_oversize_fields_are_malformed_at_tx_send(env):
    node = env.new_node().start()
    node.wait_height(1)
    # The finding: ~120 KiB of junk as one proof's reference hash (the whole tx stays under 128 KiB, so
    # only the field rule can refuse it).
    junk = field_bytes(1, proof(b"\x00" * (120 * 1024)))
    msg = expect_malformed(node, raw_tx(body(env, 16, junk)), "ref_block_hash", "32-byte")
    assert "submit_proofs.proofs[0]" in msg, msg
    # A good proof then a bad one: the index names which.
    two = field_bytes(1, proof(b"\x01" * 32)) + field_bytes(1, proof(b"\x01" * 33))
    expect_malformed(node, raw_tx(body(env, 16, two)), "submit_proofs.proofs[1].ref_block_hash", "got 33")
    # Finding 7: UpdateDevice with a 3-byte new owner (was "not_owner").
    update = field_bytes(1, b"\x44" * 20) + field_bytes(3, b"abc")
    expect_malformed(node, raw_tx(body(env, 15, update)), "update_device.new_owner", "20-byte")
    # Finding 7: ClaimRewards with 7-byte ids (was "unknown_device").
    claim = field_bytes(1, b"\x55" * 7) + field_bytes(1, b"\x66" * 7)
    expect_malformed(node, raw_tx(body(env, 17, claim)), "claim_rewards.device_ids[0]", "20-byte")
    # Hashes and signatures elsewhere: a revocation's id, a device's PoP signature.
    expect_malformed(node, raw_tx(body(env, 13, field_bytes(1, b"\x77" * 100))), "revoke_key.key_id", "32-byte")
    evidence = field_varint(1, 1) + field_bytes(4, b"\x04" * 65) + field_bytes(10, b"\x88" * 4000)
    expect_malformed(node, raw_tx(body(env, 14, field_bytes(1, evidence))),
                     "register_device.evidence.pop_signature", "64-byte")
    assert node.rpc("mempool_status")["txs"] == 0
    assert node.stop() == 0


def claim_gas(ids):
    payload = 22 * ids  # tag, length and 20 bytes per id
    return CLAIM_BASE + PER_CLAIM * ids + PER_PAYLOAD_BYTE * max(0, payload - FREE_PAYLOAD_BYTES)


def device_ids(n, seed):
    return ",".join("0x" + bytes([seed, i >> 8, i & 0xFF] + [0] * 17).hex() for i in range(n))


def check_padded_tx_pays_gas_per_byte(env):
    node = env.new_node().start()
    node.wait_height(1)
    used = {}
    # ClaimRewards of devices that do not exist: the transaction fails (unknown_device) but is included
    # and pays its intrinsic gas, which grows with its bytes beyond the per-claim gas.
    for ids, key in [(1, "dev1"), (40, "dev2")]:
        _, o = env.cli(node, "rewards", "claim", "--key", env.key(key), "--devices", device_ids(ids, 0xA0))
        receipt = node.wait_receipt(o["hash"])
        assert receipt["reason"] == "unknown_device", receipt
        used[ids] = int(receipt["gas_used"])
        assert used[ids] == claim_gas(ids), (ids, used[ids], claim_gas(ids))
    # 40 ids: 880 payload bytes, 816 of them at 180 gas, on top of 40 claims.
    assert used[40] - used[1] == 39 * PER_CLAIM + 816 * PER_PAYLOAD_BYTE, used
    assert node.stop() == 0


def check_blocks_keep_max_block_bytes(env):
    # A chain with the smallest legal block byte limit; eight 22 KiB transactions do not fit one block.
    doc = dict(env.genesis_doc)
    doc["params"] = dict(doc["params"], max_block_bytes=MIN_BLOCK_BYTES)
    # Claims of 1,000 ids (22 KiB each) need a batch limit above the devnet's 500 (admission checks it).
    doc["depin"] = dict(doc["depin"], max_proofs_per_tx=1000)
    path = os.path.join(env.tmp, "genesis-small-blocks.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    node = env.new_node(genesis=path).start()
    node.wait_height(1)
    params = node.rpc("chain_getParams")
    assert params["max_block_bytes"] == MIN_BLOCK_BYTES, params
    hashes = []
    for nonce in range(8):
        _, o = env.cli(node, "rewards", "claim", "--key", env.key("dev3"), "--nonce", nonce,
                       "--devices", device_ids(1000, nonce))
        hashes.append(o["hash"])
    heights = set()
    for h in hashes:
        heights.add(node.wait_receipt(h, timeout=60)["height"])
    for height in sorted(heights):
        block = node.rpc("chain_getBlock", {"height": height})
        assert 0 < block["size"] <= MIN_BLOCK_BYTES, (height, block["size"], block["tx_count"])
    assert len(heights) >= 2, heights
    assert node.stop() == 0


def check_devnet_params_show_max_block_bytes(env):
    node = env.new_node().start()
    params = node.rpc("chain_getParams")
    assert params["max_block_bytes"] == env.genesis_doc["params"]["max_block_bytes"] == 4 * 1024 * 1024, params
    assert params["max_block_bytes"] >= params["max_tx_bytes"] + 64 * 1024, params
    assert node.stop() == 0
