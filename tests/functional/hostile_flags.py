"""Hostile input, finding 6 and the last bullet of finding 7: every numeric flag is range-checked (also from
the config file) with a message naming the range, --conf must name a readable regular file, a bad config line
is quoted truncated and escaped, and a --validator-key that is not a validator is refused before RPC listens.
Run by test_hostile.py (--only flags)."""
import os
import socket
import time
import subprocess

from framework import free_port

# flag -> (min, max), as physisd documents them.
RANGES = {
    "rpc-port": (0, 65535),
    "rpc-max-body": (1024, 64 << 20),
    "rpc-max-response": (1024, 1024 << 20),
    "rpc-max-batch": (1, 10000),
    "rpc-max-connections": (1, 16384),
    "rpc-max-connections-per-ip": (1, 16384),
    "rpc-threads": (1, 64),
    "mempool-max-txs": (1, 10000000),
}


def physisd(env, *args):
    p = subprocess.run([env.bin("physisd")] + [str(a) for a in args], capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stderr


def write(path, text, mode="w"):
    with open(path, mode) as f:
        f.write(text)
    return path


def check_numeric_flags_are_range_checked(env):
    datadir = os.path.join(env.tmp, "flags")
    for flag, (lo, hi) in RANGES.items():
        bad = ["-1", str(hi + 1), "abc", "1e3", " 5", "0x10", "99999999999999999999999"]
        if lo > 0:
            bad.append(str(lo - 1))
        for value in bad:
            code, err = physisd(env, "--datadir", datadir, "--genesis", env.genesis, f"--{flag}={value}")
            assert code == 1, (flag, value, code, err)
            assert f"--{flag} must be an integer from {lo} to {hi}" in err, (flag, value, err)
            assert f'got "{value}"' in err, (flag, value, err)
        # "-1" as a separate word is a value too, not wrapped to the type's maximum.
        code, err = physisd(env, "--datadir", datadir, "--genesis", env.genesis, f"--{flag}", "-1")
        assert code == 1 and f"--{flag} must be an integer from {lo} to {hi}, got \"-1\"" in err, (flag, err)
        code, err = physisd(env, "--datadir", datadir, "--genesis", env.genesis, f"--{flag}=")
        assert code == 1 and f"--{flag}" in err, (flag, err)
    # The same check for a value from the config file, which names the file and line.
    conf = write(os.path.join(env.tmp, "bad.conf"), "# comment\nrpc-port = -1\n")
    code, err = physisd(env, "--conf", conf, "--datadir", datadir, "--genesis", env.genesis)
    assert code == 1 and f"{conf}:2: rpc-port must be an integer from 0 to 65535" in err, err
    # Nothing was created or opened: the datadir holds no chain.
    assert not os.path.exists(os.path.join(datadir, "chain")), os.listdir(datadir)


def check_conf_must_be_a_readable_file(env):
    datadir = os.path.join(env.tmp, "conf")
    os.makedirs(datadir)
    code, err = physisd(env, "--conf", env.tmp, "--datadir", datadir, "--genesis", env.genesis)
    assert code == 1 and "is not a regular file" in err and env.tmp in err, err
    # DATADIR/physis.conf that is a directory is refused too, not read as empty.
    os.makedirs(os.path.join(datadir, "physis.conf"))
    code, err = physisd(env, "--datadir", datadir, "--genesis", env.genesis)
    assert code == 1 and "is not a regular file" in err, err
    if os.geteuid() != 0:  # root reads anything
        unreadable = write(os.path.join(env.tmp, "secret.conf"), "rpc-port = 1\n")
        os.chmod(unreadable, 0)
        code, err = physisd(env, "--conf", unreadable, "--datadir", datadir, "--genesis", env.genesis)
        assert code == 1 and "cannot read config file" in err, err


def check_bad_config_line_is_quoted_and_escaped(env):
    datadir = os.path.join(env.tmp, "esc")
    line = b"\x1b[31mred\x01 \"q\" " + b"A" * 300
    conf = write(os.path.join(env.tmp, "esc.conf"), b"rpc-port = 1\n" + line + b"\n", "wb")
    p = subprocess.run([env.bin("physisd"), "--conf", conf, "--datadir", datadir, "--genesis", env.genesis],
                       capture_output=True, timeout=60)
    err = p.stderr.decode("ascii")  # only printable ASCII comes back
    assert p.returncode == 1, err
    assert f"{conf}:2: " in err, err
    assert '"\\x1b[31mred\\x01 \\"q\\" AAAA' in err, err
    assert "\x1b" not in err and "\x01" not in err, err
    assert err.rstrip().endswith('"...'), err
    assert "A" * 100 not in err, "the line was not truncated: " + err
    # Unknown option names are escaped too.
    conf = write(os.path.join(env.tmp, "name.conf"), b"bad\x07name = 1\n", "wb")
    p = subprocess.run([env.bin("physisd"), "--conf", conf, "--datadir", datadir, "--genesis", env.genesis],
                       capture_output=True, timeout=60)
    err = p.stderr.decode("ascii")
    assert p.returncode == 1 and "unknown option 'bad\\x07name'" in err, err


def check_non_validator_key_refused_before_rpc_listens(env):
    port = free_port()
    datadir = os.path.join(env.tmp, "notval")
    # Hold a listening check open while physisd starts: nobody must ever be able to connect.
    args = [env.bin("physisd"), "--datadir", datadir, "--genesis", env.genesis, "--rpc-port", str(port),
            "--validator-key", env.key("dev0"), "--log-level", "debug"]
    log_path = os.path.join(env.tmp, "notval.log")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    env.procs.append(proc)
    connected = False
    deadline = time.time() + 30
    while proc.poll() is None:
        assert time.time() < deadline, "physisd with a non-validator key did not exit within 30 s"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.05):
                connected = True
        except OSError:
            time.sleep(0.005)
    with open(log_path, "rb") as f:
        out = f.read().decode(errors="replace")
    assert proc.returncode == 1, (proc.returncode, out)
    assert "is not a validator in the genesis" in out, out
    assert "listening" not in out, out
    assert not connected, "RPC accepted a connection before the key was refused"
