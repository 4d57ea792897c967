#!/usr/bin/env python3
"""Writes the protobuf seed corpora of fuzz_attestation and fuzz_apply (tests/fuzz/README.md).

The seeds are canonical protobuf (fields in number order, defaults left out), built from the evidence
JSON seeds and the devnet genesis, so that each harness starts from inputs its decoder accepts:
  corpus/attestation/*.bin  pb::AttestationEvidence (SE_P256 chain, registrar statement)
  corpus/apply/*.bin        pb::Transaction, one per payload type, chain physis-devnet-1, nonce 0
Run from the repository root: python3 tests/fuzz/make_seeds.py
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def zigzag(n):
    return (n << 1) ^ (n >> 63) if n < 0 else n << 1


def field(number, value, kind="bytes"):
    """One field; returns b"" for a proto3 default, which the canonical encoding leaves out."""
    if kind == "varint":
        return varint(number << 3) + varint(value) if value else b""
    if kind == "sint":
        return varint(number << 3) + varint(zigzag(value)) if value else b""
    if isinstance(value, str):
        value = value.encode()
    return varint(number << 3 | 2) + varint(len(value)) + value if value else b""


def unhex(s):
    return bytes.fromhex(s[2:] if s.startswith("0x") else s)


KINDS = {"SE_P256": 1, "TPM2_QUOTE": 2, "REGISTRAR_STATEMENT": 3}
KEYS = {"P256": 1, "SECP256K1": 2}


def evidence(j):
    st = b""
    if "statement" in j:
        s = j["statement"]
        st = (field(1, s.get("attestation_type", 0), "varint") + field(2, unhex(s["evidence_hash"])) +
              field(3, s.get("expiry_height", 0), "varint") + field(4, unhex(s["signature"])))
    # Repeated bytes: each element is its own field 6, even an empty one.
    chain = b"".join(varint(6 << 3 | 2) + varint(len(c)) + c for c in map(unhex, j.get("cert_chain", [])))
    return (field(1, KINDS[j["kind"]], "varint") + field(2, j.get("device_class", 0), "varint") +
            field(3, KEYS[j["key_type"]], "varint") + field(4, unhex(j["device_key"])) +
            field(5, unhex(j["anchor_id"])) + chain + field(7, st) +
            field(8, j.get("ref_height", 0), "varint") + field(9, unhex(j["ref_block_hash"])) +
            field(10, unhex(j["pop_signature"])))


def tx(payload_number, payload, gas_limit=2_000_000):
    body = (field(1, "physis-devnet-1") + field(3, gas_limit, "varint") + field(4, 1, "varint") +
            field(payload_number, payload))
    # The harness takes the sender as given, so any 65-byte signature decodes.
    return field(1, body) + field(2, bytes(range(1, 66)))


def main():
    corpus = os.path.join(HERE, "corpus")
    ev_dir = os.path.join(corpus, "evidence_json")
    se = json.load(open(os.path.join(ev_dir, "se_p256.json")))
    reg = json.load(open(os.path.join(ev_dir, "registrar.json")))
    genesis = json.load(open(os.path.join(HERE, "..", "..", "genesis", "devnet.json")))
    seeds = {
        "attestation/se_p256.bin": evidence(se),
        "attestation/registrar.bin": evidence(reg),
    }
    location = field(2, field(1, 387100000, "sint") + field(2, -91100000, "sint"))
    device_id = unhex(se["device_id"])
    anchor = genesis["depin"]["anchors"][0]
    anchor_msg = (field(1, unhex(anchor["spki"])) + field(2, 1, "varint") + field(3, bytes([1])) +
                  field(5, anchor["max_chain_len"], "varint") + field(8, "fuzz anchor"))
    proof = (field(1, device_id) + field(2, 1, "varint") + field(4, 0, "varint") + field(5, bytes(32)) +
             field(6, field(1, 1, "varint") + field(2, 3600, "varint")) + field(7, bytes(64)))
    seeds.update({
        "apply/transfer.bin": tx(10, field(1, bytes(range(20))) + field(2, bytes([0x0f, 0x42, 0x40]))),
        "apply/register_anchor.bin": tx(11, field(1, anchor_msg)),
        "apply/revoke_anchor.bin": tx(12, field(1, bytes(32)) + field(2, 5, "varint")),
        "apply/revoke_key.bin": tx(13, field(1, bytes(32))),
        "apply/register_device.bin": tx(14, field(1, evidence(se)) + field(2, location)),
        "apply/update_device.bin": tx(15, field(1, device_id) + field(2, field(1, 0x8928308280FFFFF, "varint"))),
        "apply/submit_proofs.bin": tx(16, field(1, proof)),
        "apply/claim_rewards.bin": tx(17, field(1, device_id)),
    })
    for name, data in seeds.items():
        path = os.path.join(corpus, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        print(f"{path}: {len(data)} bytes")


if __name__ == "__main__":
    main()
