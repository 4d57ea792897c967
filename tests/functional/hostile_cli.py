"""Issue 6, finding 8: a CLI scripts can trust. Transactions sent back to back without --wait all land
(the CLI signs with the node's pending_nonce); a transaction that fails on chain exits 1 with the
receipt's reason and no id of anything it did not create; unknown and repeated flags are usage errors;
COMMAND --help prints that command's usage; make-evidence checks its input files and says how to make
the right ones; stale evidence is refused before a fee is paid; attest verify takes `anchor list` output
and applies its revocations; depin_verifyEvidence reports a device or key that is already registered."""
import json
import os
import subprocess

from framework import free_port


class NoNode:
    """A URL nothing listens on: a check that passes against it made no RPC call."""

    def __init__(self):
        self.url = f"http://127.0.0.1:{free_port()}"


def cli(env, node, *args):
    p = subprocess.run([env.bin("physis-cli"), "--rpc", node.url] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def cli_error(env, node, code, *args):
    """Runs a command expected to fail with exit `code`; returns the parsed {"error", "data"?} object."""
    rc, out, err = cli(env, node, *args)
    assert rc == code, (args, rc, out, err)
    assert out == "", f"a failed command printed on stdout: {out}"
    return json.loads(err)


def openssl(work, *args, stdin=None):
    subprocess.run(["openssl", *args], cwd=work, check=True, capture_output=True, input=stdin)


def make_chain(env, work):
    """Keys (NAME.pem) and certificates by openssl, as tests/fixtures/attestation/make-fixtures.sh makes
    them: the devnet manufacturer root (root.crt, root.spki.der), an intermediate CA (inter.der), and
    device leaves signed by each (dev.der under the root, leaf2.der under the intermediate); the
    certificates and the root's SPKI also in the wrong format (PEM, or the root certificate itself)."""
    root_key = os.path.join(env.srcdir, "genesis", "devnet-keys", "manufacturer-root.key.pem")
    with open(os.path.join(work, "ext.cnf"), "w") as f:
        f.write("[leaf]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                "[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n")
    openssl(work, "req", "-new", "-x509", "-key", root_key, "-subj", "/O=Physis Devnet/CN=Test Root", "-days", "30",
            "-out", "root.crt")
    openssl(work, "pkey", "-in", root_key, "-pubout", "-outform", "DER", "-out", "root.spki.der")
    openssl(work, "pkey", "-in", root_key, "-pubout", "-out", "root.spki.pem")
    openssl(work, "x509", "-in", "root.crt", "-outform", "DER", "-out", "root.der")
    for name in ["dev", "other", "inter", "dev2", "stranger"]:
        openssl(work, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.pem")

    def issue(key, cn, ca_crt, ca_key, section, out):
        openssl(work, "req", "-new", "-key", key, "-subj", f"/O=Physis Devnet/CN={cn}", "-out", "tmp.csr")
        openssl(work, "x509", "-req", "-in", "tmp.csr", "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial",
                "-days", "30", "-extfile", "ext.cnf", "-extensions", section, "-out", out + ".crt")
        openssl(work, "x509", "-in", out + ".crt", "-outform", "DER", "-out", out + ".der")

    issue("dev.pem", "device", "root.crt", root_key, "leaf", "dev")
    issue("inter.pem", "intermediate", "root.crt", root_key, "ca", "inter")
    issue("dev2.pem", "device two", "inter.crt", "inter.pem", "leaf", "leaf2")
    openssl(work, "pkey", "-in", "stranger.pem", "-pubout", "-outform", "DER", "-out", "stranger.spki.der")
    return lambda name: os.path.join(work, name)


def workdir(env, name):
    work = os.path.join(env.tmp, name)
    os.makedirs(work)
    return work


def make_evidence(env, node, f, out, key="dev.pem", certs="dev.der", owner="dev0"):
    rc, stdout, err = cli(env, node, "device", "make-evidence", "--device-key", f(key), "--owner",
                          env.address(owner), "--class", 1, "--certs", ",".join(f(c) for c in certs.split(",")),
                          "--anchor-spki-file", f("root.spki.der"), "--out", f(out))
    assert rc == 0, err
    with open(f(out)) as fh:
        return json.load(fh)


def check_ten_transfers_back_to_back_all_land(env):
    node = env.new_node().start()
    node.wait_height(1)
    sender, to = env.address("dev0"), env.address("dev1")
    before = node.balance(to)
    hashes = []
    for _ in range(10):
        rc, out, err = cli(env, node, "transfer", "--key", env.key("dev0"), "--to", to, "--amount", 7)
        assert rc == 0, f"transfer {len(hashes) + 1} of 10 failed: {err}"
        hashes.append(json.loads(out)["hash"])
    assert len(set(hashes)) == 10, hashes
    acc = node.rpc("state_getAccount", {"address": sender})
    assert acc["pending_nonce"] >= acc["nonce"], acc
    receipts = [node.wait_receipt(h, timeout=60) for h in hashes]
    assert all(r["status"] == "success" for r in receipts), receipts
    assert node.nonce(sender) == 10 and node.balance(to) == before + 70
    acc = node.rpc("state_getAccount", {"address": sender})
    assert acc["pending_nonce"] == acc["nonce"] == 10, acc
    # --nonce overrides the node's pending nonce: an old one is refused by the node (exit 1).
    e = cli_error(env, node, 1, "transfer", "--key", env.key("dev0"), "--to", to, "--amount", 1, "--nonce", 3)
    assert "nonce" in e["error"], e
    assert node.stop() == 0


def check_failed_transaction_exits_1_with_reason_and_no_id(env):
    node = env.new_node().start()
    node.wait_height(1)
    f = make_chain(env, workdir(env, "failed"))
    # anchor register by a key that is not governance: included, failed on chain.
    e = cli_error(env, node, 1, "anchor", "register", "--key", env.key("dev0"), "--spki-file", f("stranger.spki.der"),
                  "--role", "manufacturer_root", "--kinds", "SE_P256", "--wait")
    assert "failed in block" in e["error"] and "not_governance" in e["error"], e
    assert e["data"]["status"] == "failed" and e["data"]["reason"] == "not_governance", e
    assert "anchor_id" not in json.dumps(e), e
    # The same by governance succeeds and names the anchor it created.
    rc, out, err = cli(env, node, "anchor", "register", "--key", env.key("governance"), "--spki-file",
                       f("stranger.spki.der"), "--role", "manufacturer_root", "--kinds", "SE_P256", "--wait")
    assert rc == 0, err
    made = json.loads(out)
    assert node.rpc("depin_getAnchor", {"id": made["anchor_id"]})["role"] == "manufacturer_root", made
    # device register: the first succeeds, the second fails on chain (device_exists): exit 1, no device_id.
    make_evidence(env, node, f, "ev.json")
    rc, out, err = cli(env, node, "device", "register", "--key", env.key("dev0"), "--evidence", f("ev.json"), "--wait")
    assert rc == 0, err
    dev = json.loads(out)["device_id"]
    assert node.rpc("depin_getDevice", {"id": dev})["owner"] == env.address("dev0")
    e = cli_error(env, node, 1, "device", "register", "--key", env.key("dev0"), "--evidence", f("ev.json"), "--wait")
    assert "attestation_failed" in e["error"] and "device_exists" in e["error"], e
    assert "device_id" not in e["data"], e
    # Without --wait nothing is known yet: the id is printed as expected, not as created.
    make_evidence(env, node, f, "ev2.json", key="dev2.pem", certs="leaf2.der,inter.der", owner="dev1")
    rc, out, err = cli(env, node, "device", "register", "--key", env.key("dev1"), "--evidence", f("ev2.json"))
    assert rc == 0, err
    sent = json.loads(out)
    assert "device_id" not in sent and sent["expected_device_id"].startswith("0x"), sent
    r = node.wait_receipt(sent["hash"], timeout=60)
    assert r["status"] == "success" and r["device_id"] == sent["expected_device_id"], r
    assert node.stop() == 0


def check_unknown_and_repeated_flags_are_usage_errors(env):
    node = NoNode()
    e = cli_error(env, node, 2, "transfer", "--key", env.key("dev0"), "--to", env.address("dev1"), "--amount", 1,
                  "--bogus", 1)
    assert "unknown flag --bogus" in e["error"] and "'transfer'" in e["error"], e
    assert "see physis-cli transfer --help" in e["error"], e
    e = cli_error(env, node, 2, "transfer", "--key", env.key("dev0"), "--to", env.address("dev1"), "--amount", 1,
                  "--amount", 2)
    assert "--amount is given twice" in e["error"], e
    e = cli_error(env, node, 2, "transfer", "--key", env.key("dev0"), "--to", env.address("dev1"), "--amount", 1,
                  "--wait", "--wait")
    assert "--wait is given twice" in e["error"], e
    e = cli_error(env, node, 2, "--rpc", node.url, "status")
    assert "--rpc is given twice" in e["error"], e
    # --cert was named in the old help but refused; help and parser now agree on --certs.
    e = cli_error(env, node, 2, "device", "make-evidence", "--device-key", "x.pem", "--owner", env.address("dev0"),
                  "--class", 1, "--cert", "a.der", "--anchor-spki-file", "r.der")
    assert "unknown flag --cert " in e["error"] and "did you mean --certs?" in e["error"], e
    # A flag of another command is unknown here too.
    e = cli_error(env, node, 2, "balance", env.address("dev0"), "--wait")
    assert "unknown flag --wait for 'balance'" in e["error"], e
    e = cli_error(env, node, 2, "rewards", "--owner", env.address("dev0"), "--epoch", 1)
    assert "--owner and --epoch" in e["error"], e
    e = cli_error(env, node, 2, "device", "frobnicate")
    assert "unknown device subcommand 'frobnicate'" in e["error"] and "make-evidence" in e["error"], e


def check_command_help_is_that_commands_usage(env):
    def help_of(*args):
        p = subprocess.run([env.bin("physis-cli")] + list(args), capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, (args, p.returncode, p.stderr)
        return p.stdout

    everything = help_of("--help")
    assert "physis-cli — keys" in everything and "device make-evidence" in everything
    assert "--cert FILE" not in everything and "--certs LEAF.der" in everything, everything
    me = help_of("device", "make-evidence", "--help")
    assert "device make-evidence --device-key" in me and "openssl x509" in me and "-outform DER" in me, me
    assert "physis-cli — keys" not in me and "transfer --key" not in me and "device register" not in me, me
    tr = help_of("transfer", "--help")
    assert "transfer --key FILE --to ADDRESS --amount N" in tr and "--nonce N" in tr, tr
    assert "device" not in tr, tr
    anchor = help_of("anchor", "--help")
    assert "anchor register" in anchor and "anchor list" in anchor and "transfer" not in anchor, anchor
    assert help_of("help", "attest", "verify") == help_of("attest", "verify", "-h")
    rc, out, err = cli(env, NoNode(), "no-such-command", "--help")
    assert rc == 2 and "unknown command 'no-such-command'" in err, (rc, out, err)


def check_make_evidence_checks_its_inputs(env):
    node = NoNode()  # every input error is found before the node is asked for the latest block
    f = make_chain(env, workdir(env, "inputs"))

    def refused(words, *args, key="dev.pem", certs="dev.der", spki="root.spki.der"):
        e = cli_error(env, node, 1, "device", "make-evidence", "--device-key", f(key), "--owner",
                      env.address("dev0"), "--class", 1, "--certs", ",".join(f(c) for c in certs.split(",")),
                      "--anchor-spki-file", f(spki), *args)
        for w in words:
            assert w in e["error"], (w, e)
        return e

    refused(["dev.crt is PEM; DER is expected", f"openssl x509 -in {f('dev.crt')} -outform DER"], certs="dev.crt")
    refused(["does not match the leaf certificate", "openssl pkey"], key="other.pem")
    refused(["must be leaf first", "leaf2.der"], key="dev2.pem", certs="inter.der,leaf2.der")
    refused(["root.spki.pem is PEM", "DER SubjectPublicKeyInfo", "-pubout -outform DER"], spki="root.spki.pem")
    refused(["root.der is a DER certificate", "openssl x509 -inform DER", "-outform DER"], spki="root.der")
    refused(["does not verify against --anchor-spki-file", "not_signed_by_anchor"], spki="stranger.spki.der")
    refused(["not a DER X.509 certificate"], certs="root.spki.der")
    # Both forms of evidence at once, or neither, is a usage error.
    e = cli_error(env, node, 2, "device", "make-evidence", "--device-key", f("dev.pem"), "--owner", env.address("dev0"),
                  "--class", 1, "--anchor-spki-file", f("root.spki.der"))
    assert "--certs" in e["error"] and "--registrar-key" in e["error"], e
    # Good inputs get as far as asking the node (which is not there): the files passed every check.
    e = cli_error(env, node, 1, "device", "make-evidence", "--device-key", f("dev2.pem"), "--owner",
                  env.address("dev0"), "--class", 1, "--certs", f("leaf2.der") + "," + f("inter.der"),
                  "--anchor-spki-file", f("root.spki.der"))
    assert "cannot connect" in e["error"], e


def check_stale_evidence_says_to_make_it_again(env):
    g = json.loads(json.dumps(env.genesis_doc))
    g["depin"]["ref_window"] = 3
    g["depin"]["beacon_window_blocks"] = 3  # at most ref_window (doc/depin.md "Beacons")
    path = os.path.join(env.tmp, "short-window.json")
    with open(path, "w") as fh:
        json.dump(g, fh)
    node = env.new_node(genesis=path).start()
    node.wait_height(1)
    f = make_chain(env, workdir(env, "stale"))
    ev = make_evidence(env, node, f, "ev.json")
    node.wait_height(ev["ref_height"] + 5)
    nonce = node.nonce(env.address("dev0"))
    e = cli_error(env, node, 1, "device", "register", "--key", env.key("dev0"), "--evidence", f("ev.json"), "--wait")
    assert "is stale" in e["error"] and "run `physis-cli device make-evidence` again" in e["error"], e
    assert node.nonce(env.address("dev0")) == nonce and node.rpc("mempool_status")["txs"] == 0, "a fee was spent"
    # Made again, it registers.
    make_evidence(env, node, f, "ev.json")
    rc, out, err = cli(env, node, "device", "register", "--key", env.key("dev0"), "--evidence", f("ev.json"), "--wait")
    assert rc == 0 and json.loads(out)["status"] == "success", err
    assert node.stop() == 0


def check_attest_verify_takes_anchor_list_and_its_revocations(env):
    node = env.new_node().start()
    node.wait_height(1)
    f = make_chain(env, workdir(env, "attest"))
    make_evidence(env, node, f, "ev.json")

    def anchor_list(name):
        rc, out, err = cli(env, node, "anchor", "list", "--limit", 1000)
        assert rc == 0, err
        with open(f(name), "w") as fh:
            fh.write(out)

    def verify(anchors, *extra):
        rc, out, err = cli(env, node, "attest", "verify", "--evidence", f("ev.json"), "--anchors", anchors, *extra)
        assert rc == 0, err
        return json.loads(out)

    anchor_list("anchors.json")
    ok = verify(f("anchors.json"))
    assert ok["valid"] and ok["reason"] == "ok", ok
    assert verify(env.genesis)["valid"]
    anchor_id = [a for a in node.rpc("depin_listAnchors")["items"] if a["role"] == "manufacturer_root"][0]["id"]
    rc, out, err = cli(env, node, "anchor", "revoke", "--key", env.key("governance"), "--id", anchor_id, "--wait")
    assert rc == 0, err
    revoked_at = node.rpc("depin_getAnchor", {"id": anchor_id})["revoked_at"]
    anchor_list("anchors-revoked.json")
    gone = verify(f("anchors-revoked.json"), "--height", revoked_at)
    assert not gone["valid"] and gone["reason"] == "anchor_revoked", gone
    # Before the revocation height the anchor still stood; the genesis file knows no revocation.
    assert verify(f("anchors-revoked.json"), "--height", revoked_at - 1)["valid"]
    assert verify(env.genesis, "--height", revoked_at)["valid"]
    # One page of a longer list is refused rather than read as the whole set.
    with open(f("page.json"), "w") as fh:
        json.dump({"items": [], "next_cursor": "0x6e" + "00" * 32}, fh)
    rc, out, err = cli(env, node, "attest", "verify", "--evidence", f("ev.json"), "--anchors", f("page.json"))
    assert rc == 1 and "more follow" in err, (rc, err)
    assert node.stop() == 0


def check_verify_evidence_reports_registered_device_and_key(env):
    node = env.new_node().start()
    node.wait_height(1)
    f = make_chain(env, workdir(env, "dry"))
    owner = env.address("dev0")
    ev = make_evidence(env, node, f, "ev.json")
    dry = node.rpc("depin_verifyEvidence", {"evidence": ev, "owner": owner})
    assert dry["valid"] and dry["device_exists"] is False and dry["key_already_registered"] is False, dry
    rc, out, err = cli(env, node, "device", "register", "--key", env.key("dev0"), "--evidence", f("ev.json"), "--wait")
    assert rc == 0, err
    ev = make_evidence(env, node, f, "ev.json")  # fresh reference: only the registration is in the way
    dry = node.rpc("depin_verifyEvidence", {"evidence": ev, "owner": owner})
    assert not dry["valid"] and dry["reason"] == "device_exists", dry
    assert dry["device_exists"] is True and dry["key_already_registered"] is True, dry
    # The same key as a registrar statement is another device id, but the key is taken: the dry run says
    # so, and the chain agrees.
    reg_key = os.path.join(env.srcdir, "genesis", "devnet-keys", "registrar.key.pem")
    openssl(f("."), "pkey", "-in", reg_key, "-pubout", "-outform", "DER", "-out", "reg.spki.der")
    rc, _, err = cli(env, node, "device", "make-evidence", "--device-key", f("dev.pem"), "--owner", owner,
                     "--class", 1, "--registrar-key", reg_key, "--anchor-spki-file", f("reg.spki.der"),
                     "--attestation-type", 1, "--evidence-hash", "11" * 32, "--expiry", 100000, "--out", f("st.json"))
    assert rc == 0, err
    with open(f("st.json")) as fh:
        st = json.load(fh)
    dry = node.rpc("depin_verifyEvidence", {"evidence": st, "owner": owner})
    assert not dry["valid"] and dry["reason"] == "key_already_registered", dry
    assert dry["device_exists"] is False and dry["key_already_registered"] is True, dry
    e = cli_error(env, node, 1, "device", "register", "--key", env.key("dev0"), "--evidence", f("st.json"), "--wait")
    assert "key_already_registered" in e["error"], e
    # A different key as a registrar statement: the dry run says valid, and it registers.
    rc, _, err = cli(env, node, "device", "make-evidence", "--device-key", f("other.pem"), "--owner", owner,
                     "--class", 1, "--registrar-key", reg_key, "--anchor-spki-file", f("reg.spki.der"),
                     "--attestation-type", 1, "--evidence-hash", "11" * 32, "--expiry", 100000, "--out", f("st2.json"))
    assert rc == 0, err
    with open(f("st2.json")) as fh:
        dry = node.rpc("depin_verifyEvidence", {"evidence": json.load(fh), "owner": owner})
    assert dry["valid"], dry
    rc, out, err = cli(env, node, "device", "register", "--key", env.key("dev0"), "--evidence", f("st2.json"), "--wait")
    assert rc == 0 and json.loads(out)["device_id"] == dry["device_id"], (out, err)
    assert node.stop() == 0
