"""consensus_state, net_info, net_peers and chain_status's sync fields over real RPC and physis-cli, as the
single-validator devnet answers them; physisd's P2P flags: --show-node-id (stable, key file 0600), and
malformed P2P flags refused before anything listens."""
import os
import stat
import subprocess

from framework import free_port, run


def physisd(env, *args):
    return subprocess.run([env.bin("physisd")] + list(args), capture_output=True, text=True, timeout=60)


def test_net_rpc(env):
    node = env.new_node().start()
    node.wait_height(1)
    state = node.rpc("consensus_state")
    genesis_validator = env.genesis_doc["validators"][0]
    assert state["running"] is True and state["validator"] is True, state
    assert state["proposer"] == genesis_validator["address"], state
    assert state["total_power"] == genesis_validator["power"], state
    assert state["step"] in ("propose", "prevote", "precommit", "commit"), state
    tip = node.height()
    assert tip <= state["height"] <= tip + 2, (tip, state)  # tip + 1 when read, the chain moves on
    assert state["round"] >= 0 and isinstance(state["votes"], list), state
    for field in ("locked_block", "locked_round", "valid_block", "valid_round"):
        assert field in state, (field, state)

    info = node.rpc("net_info")
    assert "P2P 0 (P2P off)" in node.read_log(), node.read_log()  # no P2P flags: nothing reserved
    assert info == {"enabled": False, "node_id": None, "listen_address": None, "peer_count": 0, "inbound": 0,
                    "outbound": 0}, info
    assert node.rpc("net_peers") == {"enabled": False, "count": 0, "peers": []}
    status = node.rpc("chain_status")
    assert status["syncing"] is False and status["sync_target"] == 0, status

    _, out = env.cli(node, "consensus")
    assert out["proposer"] == state["proposer"] and out["total_power"] == state["total_power"], out
    _, out = env.cli(node, "net")
    assert out == info, out
    _, out = env.cli(node, "peers")
    assert out["count"] == 0 and out["peers"] == [], out
    code, out = env.cli(node, "peers", "--verbose", check=False)
    assert code == 2 and "--verbose" in out["error"], out
    methods = {m["name"] for m in node.rpc("rpc_methods")}
    assert {"consensus_state", "net_info", "net_peers"} <= methods, methods
    node.stop()

    # A query-only node decides nothing.
    query = env.new_node("query", validator=False).start()
    state = query.rpc("consensus_state")
    assert state["running"] is False and state["validator"] is False and state["proposer"] is None, state
    query.stop()

    # --show-node-id makes the key once (mode 0600) and prints the same id every time.
    datadir = os.path.join(env.tmp, "p2p")
    first = physisd(env, "--show-node-id", "--datadir", datadir)
    assert first.returncode == 0, first.stderr
    node_id = first.stdout.strip()
    assert len(node_id) == 40 and first.stdout.count("\n") == 1, first.stdout
    key_path = os.path.join(datadir, "node_key")
    assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
    assert physisd(env, "--show-node-id", "--datadir", datadir).stdout.strip() == node_id
    other = os.path.join(env.tmp, "other_key")
    p = physisd(env, "--show-node-id", "--node-key", other)
    assert p.returncode == 0 and p.stdout.strip() != node_id and os.path.exists(other), p

    # With P2P flags the node starts with that key (logged); net_info reports it once P2P runs.
    p2p_port = free_port()
    node = env.new_node("p2p", extra=["--p2p-listen", f"tcp://127.0.0.1:{p2p_port}", "--p2p-max-inbound", "8"])
    node.start()
    assert f"P2P node id {node_id}" in node.read_log(), node.read_log()
    # The descriptor plan reserves for P2P: 32 + 2 per inbound peer (8) + 2 per persistent peer (none).
    assert ", P2P 48, misc" in node.read_log(), node.read_log()
    info = node.rpc("net_info")
    if info["enabled"]:
        assert info["node_id"] == node_id and info["listen_address"] == f"tcp://127.0.0.1:{p2p_port}", info
    else:
        assert "does not run P2P yet" in node.read_log()
    node.stop()

    # The P2P options are valid in the config file too (a node id may hold '=' and '#').
    conf_dir = os.path.join(env.tmp, "conf")
    conf_id = physisd(env, "--show-node-id", "--datadir", conf_dir).stdout.strip()
    with open(os.path.join(conf_dir, "physis.conf"), "w") as f:
        f.write(f"p2p-listen = tcp://127.0.0.1:{free_port()}\npersistent-peers = {node_id}@127.0.0.1:{p2p_port}\n"
                "p2p-max-inbound = 4\n")
    node = env.new_node("conf")
    node.datadir = conf_dir
    node.log_path = os.path.join(conf_dir, "physisd.log")
    node.start()
    assert f"P2P node id {conf_id}" in node.read_log() and "1 persistent peer(s)" in node.read_log(), node.read_log()
    assert ", P2P 42, misc" in node.read_log(), node.read_log()  # 32 + 2 * 4 inbound + 2 * 1 peer
    node.stop()

    # Malformed P2P flags are refused before anything listens, naming the flag.
    bad = [
        (["--p2p-listen", "127.0.0.1:26656"], "--p2p-listen"),
        (["--p2p-listen", "tcp://127.0.0.1:99999"], "--p2p-listen"),
        (["--persistent-peers", "nobody@127.0.0.1:1"], "--persistent-peers"),
        (["--persistent-peers", f"{node_id}@127.0.0.1:1"], "this node itself"),
        (["--persistent-peers", f"{'a' * 40}@127.0.0.1:1,{'a' * 40}@127.0.0.1:2"], "twice"),
        (["--p2p-max-inbound", "5000"], "--p2p-max-inbound"),
    ]
    for flags, message in bad:
        port = free_port()
        p = physisd(env, "--datadir", datadir, "--genesis", env.genesis, "--rpc-port", str(port), *flags)
        assert p.returncode == 1 and message in p.stderr, (flags, p.returncode, p.stderr)
        assert "listening" not in p.stderr, p.stderr


if __name__ == "__main__":
    run(test_net_rpc)
