"""physisd's command line and config file, physis-cli's everyday commands, chain_getParams, and the
CLI's gas defaults: on a chain whose genesis sets min_gas_price 3 and transfer_gas 25000, a transfer
sent without --gas-price/--gas-limit is accepted and pays gas_used x 3 to the proposer."""
import json
import os
import stat
import subprocess
import urllib.request

from framework import free_port, run

MIN_GAS_PRICE = 3
TRANSFER_GAS = 25000


def physisd(env, *args):
    p = subprocess.run([env.bin("physisd")] + [str(a) for a in args], capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def custom_genesis(env):
    """The devnet genesis with other gas parameters and no emission, so only fees move the proposer's
    balance."""
    g = json.loads(json.dumps(env.genesis_doc))
    g["params"]["min_gas_price"] = MIN_GAS_PRICE
    g["params"]["transfer_gas"] = TRANSFER_GAS
    g["depin"]["emission_per_epoch"] = "0"
    return write(os.path.join(env.tmp, "gas-genesis.json"), json.dumps(g)), g


def check_command_line(env):
    code, out, _ = physisd(env, "--help")
    assert code == 0
    for opt in ["--datadir", "--genesis", "--conf", "--rpc-bind", "--rpc-port", "--rpc-max-body", "--rpc-threads",
                "--validator-key", "--mempool-max-txs", "--log-level", "--version"]:
        assert opt in out, f"--help does not list {opt}:\n{out}"
    assert "stray-argument" not in out, out

    datadir = os.path.join(env.tmp, "refused")
    code, _, err = physisd(env, "--datadir", datadir, "--genesis", env.genesis, "--bogus-flag", "1")
    assert code != 0 and "bogus-flag" in err and "--help" in err, err
    code, _, err = physisd(env, "--datadir", datadir, "--genesis", env.genesis, "8545")
    assert code != 0 and "unexpected argument '8545'" in err, err
    code, _, err = physisd(env, "--datadir", datadir, env.genesis)
    assert code != 0 and "unexpected argument" in err, err


def check_config_file(env):
    # physis.conf in the datadir is read; the port comes from it.
    conf_port = free_port()
    node = env.new_node("confnode", port_flag=False)
    node.port, node.url = conf_port, f"http://127.0.0.1:{conf_port}"
    os.makedirs(node.datadir, exist_ok=True)
    conf = write(os.path.join(node.datadir, "physis.conf"),
                 f"# devnet node\n\nrpc-port = {conf_port}\n  mempool-max-txs=500  \n")
    node.start()
    assert node.stop() == 0

    # A flag wins over the file.
    flag_port = free_port()
    node.port_flag = True
    node.port, node.url = flag_port, f"http://127.0.0.1:{flag_port}"
    node.start()
    assert node.rpc("chain_status")["chain_id"] == env.genesis_doc["chain_id"]
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{conf_port}/health", timeout=2)
        raise AssertionError("the config file's port answered although --rpc-port overrode it")
    except OSError:
        pass
    assert node.stop() == 0

    # Bad lines are reported with the file and line, and the node does not start.
    for text, line, why in [(f"rpc-port = {conf_port}\nthis line has no equals sign\n", 2, "name = value"),
                            ("# ok\nno-such-option = 1\n", 2, "unknown option 'no-such-option'"),
                            ("log-level = debug\n\nrpc-port = not-a-number\n", 3, "rpc-port"),
                            ("help = 1\n", 1, "unknown option 'help'"),
                            ("rpc-port = 1\nrpc-port = 2\n", 2, "already set on line 1")]:
        write(conf, text)
        code, _, err = physisd(env, "--datadir", node.datadir, "--genesis", env.genesis)
        assert code != 0, text
        assert f"{conf}:{line}:" in err and why in err, (text, err)
    # --conf names a file; a missing one is an error.
    code, _, err = physisd(env, "--conf", os.path.join(env.tmp, "missing.conf"), "--datadir", node.datadir,
                           "--genesis", env.genesis)
    assert code != 0 and "missing.conf" in err and "does not exist" in err, err
    os.remove(conf)


def check_rpc_bind_warning(env):
    node = env.new_node("open", validator=False, extra=["--rpc-bind", "0.0.0.0"]).start()
    assert node.stop() == 0
    log = node.read_log()
    assert "WARN" in log and "not a loopback address" in log and "no authentication" in log, log
    quiet = env.new_node("loopback", validator=False).start()
    assert quiet.stop() == 0
    assert "not a loopback address" not in quiet.read_log()


def check_cli(env, node, genesis_doc):
    # Keys: a new key file is private to its owner and its address can be read back.
    path = os.path.join(env.tmp, "new.key")
    _, out = env.cli(node, "key", "new", "--out", path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, oct(os.stat(path).st_mode)
    assert out["address"].startswith("0x") and len(out["address"]) == 42, out
    _, again = env.cli(node, "key", "address", "--key", path)
    assert again == {"address": out["address"]}, again
    _, dev0 = env.cli(node, "key", "address", "--key", env.key("dev0"))
    assert dev0["address"] == env.address("dev0")

    _, status = env.cli(node, "status")
    assert status["chain_id"] == genesis_doc["chain_id"] and status["height"] >= 1, status
    _, b1 = env.cli(node, "block", 1)
    assert b1["height"] == 1 and b1["hash"].startswith("0x"), b1
    _, by_hash = env.cli(node, "block", b1["hash"])
    assert by_hash == b1, (by_hash, b1)

    # chain_getParams: the genesis parameters, through RPC and through `physis-cli rpc`.
    params = node.rpc("chain_getParams")
    p = genesis_doc["params"]
    assert params == {"chain_id": genesis_doc["chain_id"], "block_time_ms": p["block_time_ms"],
                      "min_gas_price": str(MIN_GAS_PRICE), "transfer_gas": TRANSFER_GAS,
                      "block_gas_limit": p["block_gas_limit"], "max_block_txs": p["max_block_txs"],
                      "max_block_bytes": p["max_block_bytes"], "max_tx_bytes": 128 * 1024}, params
    _, via_cli = env.cli(node, "rpc", "chain_getParams")
    assert via_cli == params

    # A transfer without gas flags takes price and limit from the node, and its fee goes to the
    # proposer (emission is 0 on this chain, so nothing else moves the validator's balance).
    validator = genesis_doc["validators"][0]["address"]
    v0 = node.balance(validator)
    _, out = env.cli(node, "transfer", "--key", env.key("dev0"), "--to", env.address("dev1"), "--amount", 5,
                     "--wait")
    assert out["status"] == "success", out
    _, tx = env.cli(node, "tx", out["hash"])
    assert tx["gas_price"] == str(MIN_GAS_PRICE) and tx["gas_limit"] == TRANSFER_GAS, tx
    receipt = tx["receipt"]
    assert receipt["status"] == "success" and receipt["gas_used"] == TRANSFER_GAS, receipt
    fee = receipt["gas_used"] * MIN_GAS_PRICE
    assert int(receipt["fee"]) == fee, receipt
    assert node.rpc("chain_getBlock", {"height": tx["height"]})["proposer"] == validator
    assert node.balance(validator) == v0 + fee, (node.balance(validator), v0, fee)

    # Flags win over the node's defaults.
    _, out = env.cli(node, "transfer", "--key", env.key("dev0"), "--to", env.address("dev1"), "--amount", 5,
                     "--gas-price", 7, "--gas-limit", 40000, "--wait")
    _, tx = env.cli(node, "tx", out["hash"])
    assert tx["gas_price"] == "7" and tx["gas_limit"] == 40000, tx
    assert int(tx["receipt"]["fee"]) == tx["receipt"]["gas_used"] * 7, tx
    assert node.balance(validator) == v0 + fee + tx["receipt"]["gas_used"] * 7
    # Below the chain's minimum: the node says why, exit status 1.
    code, err = env.cli(node, "transfer", "--key", env.key("dev0"), "--to", env.address("dev1"), "--amount", 5,
                        "--gas-price", 1, check=False)
    assert code == 1 and "gas price 1 is below the minimum 3" in err["error"], err

    # Exit codes as the help text states them: 2 for usage errors, 1 for failed commands.
    p = subprocess.run([env.bin("physis-cli"), "--help"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and "exit status 2 for usage errors" in p.stdout, p.stdout
    code, err = env.cli(node, "transfer", "--key", env.key("dev0"), check=False)
    assert code == 2 and "missing --to" in err["error"], err
    code, err = env.cli(node, "no-such-command", check=False)
    assert code == 2, err
    code, err = env.cli(node, "block", 10 ** 9, check=False)
    assert code == 1 and "no block at height" in err["error"], err


def test_cli_daemon(env):
    check_command_line(env)
    check_config_file(env)
    check_rpc_bind_warning(env)
    path, doc = custom_genesis(env)
    node = env.new_node("gas", genesis=path).start()
    node.wait_height(1)
    check_cli(env, node, doc)
    assert node.stop() == 0


if __name__ == "__main__":
    run(test_cli_daemon)
