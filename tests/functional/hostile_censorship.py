"""Issue 6, finding 1: free censorship. Attacker keys funded for one fee each send transfers whose
amount wraps fee + amount past 2^128 (2^128 - fee, 2^128 - fee + 1) or needs the whole 2^128 - 1, every
block, while honest senders send a hundred or more transfers per round. Each attacker transaction must
be refused at admission with a reason; every honest transfer must land, and blocks keep coming."""
import time

import physis_tx as ptx
from framework import RpcError

TWO_128 = 2 ** 128
GAS = 100_000  # above any transfer's intrinsic gas; the fee reserved is GAS × price
ROUNDS = 3
HONEST_PER_ROUND = 120
ATTACKERS = 8


def send(node, raw):
    return node.rpc("tx_send", {"raw": raw})["hash"]


def refused(node, raw):
    """The reason code and message of a transaction the node must refuse."""
    try:
        h = send(node, raw)
    except RpcError as e:
        assert e.data and e.data.get("reason"), f"rejection without a reason: {e}"
        return e.data["reason"], e.message
    raise AssertionError(f"admitted {h}, which its sender can never pay for")


def check_unpayable_amounts_do_not_censor(env):
    node = env.new_node().start()
    node.wait_height(1)
    chain = env.genesis_doc["chain_id"]
    price = env.genesis_doc["params"]["min_gas_price"]
    fee = GAS * price

    def transfer(key, nonce, to, amount):
        return ptx.sign_tx(key, ptx.body(chain, nonce, GAS, price, ptx.TRANSFER, ptx.transfer_payload(to, amount)))

    # Each attacker is funded once, with exactly one maximum fee.
    funder = ptx.Key.from_file(env.key("dev4"))
    attackers = [ptx.Key() for _ in range(ATTACKERS)]
    funding = [send(node, transfer(funder, i, a.address, fee)[0]) for i, a in enumerate(attackers)]
    for h in funding:
        assert node.wait_receipt(h)["status"] == "success"
    for a in attackers:
        assert node.balance(a.address) == fee

    honest = [ptx.Key.from_file(env.key(n)) for n in ("dev0", "dev1", "dev2", "dev3")]
    nonce = {k.address: node.nonce(k.address) for k in honest}
    sink = ptx.Key().address
    start_height = node.height()
    sent, reasons = [], {}
    for _ in range(ROUNDS):
        for i in range(HONEST_PER_ROUND):
            k = honest[i % len(honest)]
            raw, h = transfer(k, nonce[k.address], sink, 1 + i)
            nonce[k.address] += 1
            assert send(node, raw) == h
            sent.append(h)
            if i % (HONEST_PER_ROUND // ATTACKERS) == 0:
                # Interleaved: the amounts that wrap the cost (to 0 and 1) and the one that needs all of 2^128 - 1.
                a = attackers[(i // (HONEST_PER_ROUND // ATTACKERS)) % ATTACKERS]
                for n, amount in ((0, TWO_128 - fee), (1, TWO_128 - fee + 1), (0, TWO_128 - 1 - fee)):
                    code, message = refused(node, transfer(a, n, sink, amount)[0])
                    reasons[code] = message
        time.sleep(1.0)
    assert "insufficient_funds" in reasons, reasons
    assert set(reasons) <= {"insufficient_funds", "nonce_gap"}, reasons
    assert "2^128-1" in reasons["insufficient_funds"] or "does not cover" in reasons["insufficient_funds"]

    # Every honest transfer lands, and successfully.
    deadline = time.time() + 90
    for h in sent:
        r = node.wait_receipt(h, timeout=max(1, deadline - time.time()))
        assert r["status"] == "success", r
    for k in honest:
        assert node.nonce(k.address) == nonce[k.address]
    assert node.balance(sink) == ROUNDS * sum(range(1, HONEST_PER_ROUND + 1))
    # The attackers paid nothing and changed nothing; blocks kept coming.
    for a in attackers:
        assert node.balance(a.address) == fee and node.nonce(a.address) == 0
    end_height = node.height()
    assert end_height >= start_height + ROUNDS, (start_height, end_height)
    node.wait_height(end_height + 1)
    assert node.rpc("state_getSupply")["balanced"]
    assert node.stop() == 0
