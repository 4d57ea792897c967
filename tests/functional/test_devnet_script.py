"""contrib/devnet.sh --devices: when the node dies, the script stops physis-devsim too and exits
non-zero, instead of leaving the simulator running against a dead node."""
import os
import signal
import subprocess
import time

from framework import free_port, run


def children(pid):
    """{name: pid} of the direct children of `pid` (Linux /proc)."""
    out = {}
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(c) for c in f.read().split()]
    except OSError:
        return out
    for c in kids:
        try:
            with open(f"/proc/{c}/comm") as f:
                out[f.read().strip()] = c
        except OSError:
            pass
    return out


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


def test_devnet_script(env):
    port = free_port()
    log_path = os.path.join(env.tmp, "devnet.log")
    log = open(log_path, "wb")
    script = subprocess.Popen(
        ["bash", os.path.join(env.srcdir, "contrib", "devnet.sh"), "--bindir", env.bindir, "--datadir",
         os.path.join(env.tmp, "devnet"), "--rpc-port", str(port), "--devices", "2", "--rate", "2"],
        stdout=log, stderr=subprocess.STDOUT)
    env.procs.append(script)
    started = {}
    try:
        deadline = time.time() + 60
        while not {"physisd", "physis-devsim"} <= started.keys():
            assert script.poll() is None, open(log_path).read()
            assert time.time() < deadline, f"devnet.sh did not start both processes: {started}"
            started.update(children(script.pid))
            time.sleep(0.1)
        time.sleep(1)
        assert alive(started["physis-devsim"]), open(log_path).read()

        os.kill(started["physisd"], signal.SIGKILL)
        code = script.wait(timeout=30)
        text = open(log_path).read()
        assert code != 0, f"devnet.sh exited 0 after the node died:\n{text}"
        assert "physisd" in text and "stopping physis-devsim" in text, text
        deadline = time.time() + 10
        while alive(started["physis-devsim"]) and time.time() < deadline:
            time.sleep(0.1)
        assert not alive(started["physis-devsim"]), "physis-devsim kept running after the node died"
    finally:
        log.close()
        for pid in started.values():
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


if __name__ == "__main__":
    run(test_devnet_script)
