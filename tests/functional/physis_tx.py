"""Signing Physis transactions in the tests without the CLI, Python 3 standard library only: keccak-256,
secp256k1 recoverable signatures (r ‖ s ‖ v, low-S) and the canonical protobuf encoding of the bodies
the hostile-input tests need (src/primitives/physis.proto). Test code: slow, not constant-time."""
import json
import secrets

# ---- keccak-256 (the original Keccak padding, as Ethereum and Physis use; not SHA3-256) ----
_RC = [0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
       0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
       0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
       0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
       0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
       0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008]
_ROT = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61], [28, 55, 25, 21, 56],
        [27, 20, 39, 8, 14]]
_M64 = (1 << 64) - 1


def _rol(v, n):
    return ((v << n) | (v >> (64 - n))) & _M64 if n else v


def _keccak_f(a):
    for rc in _RC:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rol(c[(x + 1) % 5], 1) for x in range(5)]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = _rol(a[x][y] ^ d[x], _ROT[x][y])
        a = [[b[x][y] ^ (~b[(x + 1) % 5][y] & b[(x + 2) % 5][y]) for y in range(5)] for x in range(5)]
        a[0][0] ^= rc
    return a


def keccak256(data):
    rate = 136
    msg = bytearray(data) + b"\x01" + b"\x00" * ((-len(data) - 1) % rate)
    msg[-1] |= 0x80
    a = [[0] * 5 for _ in range(5)]
    for off in range(0, len(msg), rate):
        for i in range(rate // 8):
            a[i % 5][i // 5] ^= int.from_bytes(msg[off + 8 * i:off + 8 * i + 8], "little")
        a = _keccak_f(a)
    return b"".join(a[i % 5][i // 5].to_bytes(8, "little") for i in range(4))


assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"

# ---- secp256k1 ----
_P = 2 ** 256 - 2 ** 32 - 977
_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
      0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def _jac_double(p):
    x, y, z = p
    if y == 0:
        return (0, 0, 0)
    s = 4 * x * y * y % _P
    m = 3 * x * x % _P
    nx = (m * m - 2 * s) % _P
    return (nx, (m * (s - nx) - 8 * pow(y, 4, _P)) % _P, 2 * y * z % _P)


def _jac_add(p, q):
    if p[2] == 0:
        return q
    if q[2] == 0:
        return p
    u1, u2 = p[0] * q[2] ** 2 % _P, q[0] * p[2] ** 2 % _P
    s1, s2 = p[1] * q[2] ** 3 % _P, q[1] * p[2] ** 3 % _P
    if u1 == u2:
        return _jac_double(p) if s1 == s2 else (0, 0, 0)
    h, r = (u2 - u1) % _P, (s2 - s1) % _P
    h2 = h * h % _P
    h3 = h * h2 % _P
    nx = (r * r - h3 - 2 * u1 * h2) % _P
    return (nx, (r * (u1 * h2 - nx) - s1 * h3) % _P, h * p[2] * q[2] % _P)


def _mul(k, point=_G):
    acc, add = (0, 0, 0), (point[0], point[1], 1)
    while k:
        if k & 1:
            acc = _jac_add(acc, add)
        add = _jac_double(add)
        k >>= 1
    zi = pow(acc[2], -1, _P)
    return (acc[0] * zi * zi % _P, acc[1] * zi ** 3 % _P)


class Key:
    """A secp256k1 account key: a random one, or one read from a physis key file."""

    def __init__(self, secret=None):
        self.secret = secret or (secrets.randbelow(_N - 1) + 1)
        x, y = _mul(self.secret)
        self.address_bytes = keccak256(x.to_bytes(32, "big") + y.to_bytes(32, "big"))[12:]
        self.address = "0x" + self.address_bytes.hex()

    @staticmethod
    def from_file(path):
        with open(path) as f:
            return Key(int(json.load(f)["private_key"], 16))

    def sign(self, digest):
        z = int.from_bytes(digest, "big")
        while True:
            k = secrets.randbelow(_N - 1) + 1
            rx, ry = _mul(k)
            r = rx % _N
            s = pow(k, -1, _N) * (z + r * self.secret) % _N
            if r == 0 or s == 0 or rx >= _N:
                continue
            v = ry & 1
            if s > _N // 2:
                s, v = _N - s, v ^ 1
            return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])


# ---- canonical protobuf ----
def _varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def f_uint(num, v):
    return _varint(num << 3) + _varint(v) if v else b""


def f_bytes(num, b):
    if isinstance(b, str):
        b = b.encode()
    return _varint(num << 3 | 2) + _varint(len(b)) + b if b else b""


def f_msg(num, b):
    return _varint(num << 3 | 2) + _varint(len(b)) + b


def amount_bytes(v):
    return v.to_bytes((v.bit_length() + 7) // 8, "big")


def body(chain_id, nonce, gas_limit, gas_price, payload_field, payload):
    return (f_bytes(1, chain_id) + f_uint(2, nonce) + f_uint(3, gas_limit) + f_uint(4, gas_price) +
            f_msg(payload_field, payload))


def transfer_payload(to_hex, amount):
    return f_bytes(1, bytes.fromhex(to_hex[2:])) + f_bytes(2, amount_bytes(amount))


def proof(device_id_hex, seq, epoch, signature, ref_height=0, ref_block_hash=bytes(32), payload=b""):
    """A proof (empty payload unless given, e.g. location_payload or data_payload). ref_block_hash must be
    32 bytes (checked at decode)."""
    return (f_bytes(1, bytes.fromhex(device_id_hex[2:] if device_id_hex.startswith("0x") else device_id_hex)) +
            f_uint(2, seq) + f_uint(3, epoch) + f_uint(4, ref_height) + f_bytes(5, ref_block_hash) +
            (f_msg(6, payload) if payload else b"") + f_bytes(7, signature))


def _zigzag32(v):
    return (v << 1) ^ (v >> 31)


def latlon_location(lat_e7, lon_e7):
    """A Location { latlon: LatLon { lat_e7, lon_e7 } } (sint32 fields)."""
    return f_msg(2, f_uint(1, _zigzag32(lat_e7) & 0xFFFFFFFF) + f_uint(2, _zigzag32(lon_e7) & 0xFFFFFFFF))


LOCATION_ASSERTION, DATA_CONTRIBUTION = 10, 3  # pb::ProofKind


def location_payload(lat_e7, lon_e7):
    """A ProofPayload asserting the device's location (doc/depin.md "Locations"); the device signs the proof."""
    return f_uint(1, LOCATION_ASSERTION) + f_msg(20, latlon_location(lat_e7, lon_e7))


def usage_receipt(consumer_key, chain_id, device_id_hex, data_bytes, seq, ref_height, ref_block_hash):
    """A UsageReceipt signed by the consumer's account key over keccak256 of the usage message
    (doc/depin.md "Usage")."""
    device = bytes.fromhex(device_id_hex[2:] if device_id_hex.startswith("0x") else device_id_hex)
    cid = chain_id.encode()
    message = (b"PHYSIS/USAGE/v1" + len(cid).to_bytes(4, "big") + cid + device + consumer_key.address_bytes +
               data_bytes.to_bytes(8, "big") + seq.to_bytes(8, "big") + ref_height.to_bytes(8, "big") +
               ref_block_hash)
    signature = consumer_key.sign(keccak256(message))
    return (f_bytes(1, consumer_key.address_bytes) + f_uint(2, data_bytes) + f_uint(3, seq) +
            f_uint(4, ref_height) + f_bytes(5, ref_block_hash) + f_bytes(6, signature))


def data_payload(data_bytes, receipt=b""):
    """A data-contribution ProofPayload with its usage receipt (usage_receipt); without one it is rejected
    usage_missing."""
    return f_uint(1, DATA_CONTRIBUTION) + f_uint(6, data_bytes) + (f_msg(21, receipt) if receipt else b"")


def submit_proofs_payload(proofs):
    return b"".join(f_msg(1, p) for p in proofs)


TRANSFER, SUBMIT_PROOFS = 10, 16


def sign_tx(key, body_bytes):
    """The raw transaction as 0x-hex, and its hash (keccak256 of the raw bytes) as 0x-hex."""
    sig = key.sign(keccak256(b"PHYSIS/TX/v1" + body_bytes))
    raw = f_bytes(1, body_bytes) + f_bytes(2, sig)
    return "0x" + raw.hex(), "0x" + keccak256(raw).hex()
