#!/usr/bin/python3
"""Writes fixtures/stun/*.bin: the RFC 5769 sample messages and the edge_ and
malform_ seeds that tests/test_stun_codec.c and probe/stun_codec_fuzz.c use.

The RFC 5769 bytes are typed from the RFC; before writing them this script
recomputes their MESSAGE-INTEGRITY and FINGERPRINT with Python's own hmac and
zlib, so a typo fails here rather than in the C tests. Every other fixture is
built from parts, and the integrity values in them come from this script, not
from the C code under test.

Run from the repository root:  /usr/bin/python3 tests/gen_stun_fixtures.py
"""
import hashlib
import hmac
import os
import struct
import sys
import zlib

OUT = os.path.join("fixtures", "stun")
COOKIE = 0x2112A442
SHORT_PW = b"VOkJxbRl1RmTxUk/WvJxBt"


def unhex(s):
    return bytes.fromhex("".join(s.split()))


# RFC 5769 §2.1 Sample Request (padding bytes are 0x20 in the RFC).
RFC_REQUEST = unhex("""
00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
00 24 00 04 6e 00 01 ff
80 29 00 08 93 2f f9 b1 51 26 3b 36
00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
80 28 00 04 e5 7a 3b cf
""")

# RFC 5769 §2.2 Sample IPv4 Response: 192.0.2.1 port 32853.
RFC_RESP4 = unhex("""
01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
00 20 00 08 00 01 a1 47 e1 12 a6 43
00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
80 28 00 04 c0 7d 4c 96
""")

# RFC 5769 §2.3 Sample IPv6 Response: 2001:db8:1234:5678:11:2233:4455:6677
# port 32853.
RFC_RESP6 = unhex("""
01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
80 28 00 04 c8 fb 0b 4c
""")

# RFC 5769 §2.4 Sample Request with Long-Term Authentication (zero padding,
# no FINGERPRINT).
RFC_LONGTERM = unhex("""
00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46
            53 54 76 79 36 34 73 41
00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66
""")

LT_USER = "\u30de\u30c8\u30ea\u30c3\u30af\u30b9".encode("utf-8")
LT_KEY = hashlib.md5(LT_USER + b":example.org:TheMatrIX").digest()


def attrs_of(msg):
    """(type, value, offset) for each attribute; asserts the layout."""
    length = struct.unpack(">H", msg[2:4])[0]
    assert length + 20 == len(msg) and length % 4 == 0
    out, off = [], 20
    while off < len(msg):
        t, n = struct.unpack(">HH", msg[off:off + 4])
        out.append((t, msg[off + 4:off + 4 + n], off))
        off += 4 + n + (-n) % 4
    assert off == len(msg)
    return out


def verify(name, msg, key):
    for t, v, off in attrs_of(msg):
        if t in (0x0008, 0x001C):
            head = bytearray(msg[:off])
            struct.pack_into(">H", head, 2, off + 4 + len(v) - 20)
            algo = hashlib.sha1 if t == 0x0008 else hashlib.sha256
            mac = hmac.new(key, bytes(head), algo).digest()[:len(v)]
            assert mac == v, "%s: integrity 0x%04x does not verify" % (name, t)
        if t == 0x8028:
            head = bytearray(msg[:off])
            struct.pack_into(">H", head, 2, off + 8 - 20)
            crc = (zlib.crc32(bytes(head)) ^ 0x5354554E) & 0xFFFFFFFF
            assert struct.pack(">I", crc) == v, "%s: fingerprint" % name


# Building blocks for the other fixtures.
def msg_type(method, cls):
    return ((method & 0x00F) | (method & 0x070) << 1 | (method & 0xF80) << 2
            | (cls & 1) << 4 | (cls & 2) << 7)


def attr(t, v, pad=b"\x00"):
    return struct.pack(">HH", t, len(v)) + v + pad * ((-len(v)) % 4)


def header(method, cls, body_len, tid):
    return struct.pack(">HHI", msg_type(method, cls), body_len, COOKIE) + tid


def message(method, cls, tid, attrs, mi_key=None, mi256=None, fp=False):
    """Assembles a message; MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT are
    computed over the header with its length already counting them."""
    body = b"".join(attrs)
    if mi_key is not None:
        head = header(method, cls, len(body) + 24, tid)
        body += attr(0x0008, hmac.new(mi_key, head + body,
                                      hashlib.sha1).digest())
    if mi256 is not None:
        key, size = mi256
        head = header(method, cls, len(body) + 4 + size, tid)
        body += attr(0x001C, hmac.new(key, head + body,
                                      hashlib.sha256).digest()[:size])
    if fp:
        head = header(method, cls, len(body) + 8, tid)
        crc = (zlib.crc32(head + body) ^ 0x5354554E) & 0xFFFFFFFF
        body += attr(0x8028, struct.pack(">I", crc))
    return header(method, cls, len(body), tid) + body


def append(msg, attrs):
    """Appends attributes to a finished message, fixing its length."""
    out = msg + b"".join(attrs)
    return out[:2] + struct.pack(">H", len(out) - 20) + out[4:]


def xor_addr(family, port, ip, tid):
    mask = struct.pack(">I", COOKIE) + tid
    xport = port ^ (COOKIE >> 16)
    xip = bytes(a ^ b for a, b in zip(ip, mask))
    return struct.pack(">BBH", 0, family, xport) + xip


def plain_addr(family, port, ip):
    return struct.pack(">BBH", 0, family, port) + ip


TID = bytes(range(0xA0, 0xAC))
U32 = lambda v: struct.pack(">I", v)


def fixtures():
    f = {}
    f["valid_rfc5769_request"] = RFC_REQUEST
    f["valid_rfc5769_ipv4_response"] = RFC_RESP4
    f["valid_rfc5769_ipv6_response"] = RFC_RESP6
    f["valid_rfc5769_long_term_request"] = RFC_LONGTERM

    # RFC 3489 §11.1 Binding Response: no magic cookie, a 128-bit ID, and
    # MAPPED-, SOURCE- and CHANGED-ADDRESS.
    tid16 = bytes(range(0x10, 0x20))
    body = (attr(0x0001, plain_addr(1, 40000, bytes([198, 51, 100, 7])))
            + attr(0x0004, plain_addr(1, 3478, bytes([192, 0, 2, 10])))
            + attr(0x0005, plain_addr(1, 3479, bytes([192, 0, 2, 11]))))
    f["edge_classic_rfc3489_response"] = (
        struct.pack(">HH", 0x0101, len(body)) + tid16 + body)

    f["edge_zero_attributes"] = message(0x001, 0, TID, [])

    # Exactly STUN_MAX_ATTRS (48) attributes.
    f["edge_max_attributes"] = message(
        0x001, 0, TID, [attr(0x0024, U32(i)) for i in range(47)], fp=True)

    v6 = bytes.fromhex("20010db8000000000000000000000001")
    f["edge_xor_mapped_ipv6"] = message(
        0x001, 2, TID, [attr(0x0020, xor_addr(2, 61000, v6, TID)),
                        attr(0x802B, plain_addr(2, 3478, v6)),
                        attr(0x802C, plain_addr(1, 3479, bytes([203, 0, 113, 2])))],
        fp=True)

    # 420 with UNKNOWN-ATTRIBUTES listing three types (6 bytes + 2 padding).
    f["edge_error_420_unknown_attributes"] = message(
        0x001, 3, TID, [attr(0x0009, b"\x00\x00\x04\x14Unknown Attribute"),
                        attr(0x000A, struct.pack(">HHH", 0x7F01, 0x0031,
                                                 0x0032)),
                        attr(0x8022, b"natprobe fixture")], fp=True)

    # 401 from a TURN server offering both password algorithms.
    algs = struct.pack(">HH", 1, 0) + struct.pack(">HH", 2, 0)
    f["edge_turn_401_password_algorithms"] = message(
        0x003, 3, TID, [attr(0x0009, b"\x00\x00\x04\x01Unauthorized"),
                        attr(0x0014, b"example.org"),
                        attr(0x0015, b"obMatJos2AAABadl7W7PeDU4hKE72jda"),
                        attr(0x8002, algs)], fp=True)

    # RFC 8489 §14.5: a SOFTWARE after MESSAGE-INTEGRITY is ignored.
    # MESSAGE-INTEGRITY stays valid when more follows: its header length is
    # patched to end at the attribute.
    f["edge_attribute_after_integrity_ignored"] = append(
        message(0x001, 0, TID, [attr(0x0006, b"evtj:h6vY")],
                mi_key=SHORT_PW), [attr(0x8022, b"ignored"),
                                   attr(0x7F01, b"also ignored")])

    f["edge_mi_sha256"] = message(
        0x001, 0, TID, [attr(0x0006, b"evtj:h6vY")],
        mi256=(SHORT_PW, 32), fp=True)
    f["edge_mi_sha256_truncated_16"] = message(
        0x001, 0, TID, [attr(0x0006, b"evtj:h6vY")],
        mi256=(SHORT_PW, 16), fp=True)
    f["edge_mi_and_mi_sha256"] = message(
        0x001, 0, TID, [attr(0x0006, b"evtj:h6vY")],
        mi_key=SHORT_PW, mi256=(SHORT_PW, 32), fp=True)

    # RFC 5780 §7: CHANGE-REQUEST, RESPONSE-PORT and PADDING.
    f["edge_rfc5780_change_request"] = message(
        0x001, 0, TID, [attr(0x0003, U32(0x6)),
                        attr(0x0027, struct.pack(">HH", 50000, 0)),
                        attr(0x0026, bytes(37))], fp=True)

    # A comprehension-optional type nobody knows is skipped silently.
    f["edge_unknown_optional"] = message(
        0x001, 2, TID, [attr(0xC0DE, b"vendor"),
                        attr(0x0020, xor_addr(1, 1234, bytes([1, 2, 3, 4]),
                                              TID))])

    # Malformed. Each name maps to one code in tests/test_stun_codec.c.
    good = message(0x001, 0, TID, [attr(0x8022, b"abcd")], fp=True)
    f["malform_truncated_header"] = good[:12]
    f["malform_top_bits_set"] = b"\xc0" + good[1:]
    f["malform_length_exceeds_datagram"] = (
        good[:2] + struct.pack(">H", len(good) - 20 + 8) + good[4:])
    # A zero-length USE-CANDIDATE, then 2 bytes that cannot hold a header.
    f["malform_length_not_multiple_of_4"] = (
        header(0x001, 0, 6, TID) + attr(0x0025, b"") + b"\x00\x00")
    f["malform_attribute_overruns_message"] = (
        header(0x001, 2, 8, TID) + struct.pack(">HH", 0x0020, 12)
        + b"\x00\x01\xa1\x47")
    # SOFTWARE of 11 bytes and no padding byte after it.
    f["malform_missing_padding"] = (
        header(0x001, 0, 15, TID) + struct.pack(">HH", 0x8022, 11)
        + b"test vector")
    f["malform_bad_family"] = message(
        0x001, 2, TID, [attr(0x0020, b"\x00\x03\xa1\x47\xe1\x12\xa6\x43")])
    f["malform_ipv6_family_with_ipv4_length"] = message(
        0x001, 2, TID, [attr(0x0001, b"\x00\x02\x0d\x96\xc0\x00\x02\x01")])
    f["malform_attribute_after_fingerprint"] = (
        good[:2] + struct.pack(">H", len(good) - 20 + 8) + good[4:]
        + attr(0x8022, b"late"))
    f["malform_unknown_required"] = message(
        0x001, 0, TID, [attr(0x7F01, b"\x01\x02\x03\x04")], fp=True)
    f["malform_integrity_wrong_length"] = message(
        0x001, 0, TID, [attr(0x0008, bytes(16))])
    f["malform_too_many_attributes"] = message(
        0x001, 0, TID, [attr(0x0024, U32(i)) for i in range(49)])
    bad_fp = bytearray(good)
    bad_fp[-1] ^= 0x01
    f["malform_bad_fingerprint"] = bytes(bad_fp)
    return f


def main():
    verify("request", RFC_REQUEST, SHORT_PW)
    verify("ipv4 response", RFC_RESP4, SHORT_PW)
    verify("ipv6 response", RFC_RESP6, SHORT_PW)
    verify("long-term request", RFC_LONGTERM, LT_KEY)
    os.makedirs(OUT, exist_ok=True)
    for name, data in sorted(fixtures().items()):
        if name.startswith("edge_") and name != "edge_classic_rfc3489_response":
            verify(name, data, SHORT_PW)
        with open(os.path.join(OUT, name + ".bin"), "wb") as fh:
            fh.write(data)
        print("%-48s %4d bytes" % (name + ".bin", len(data)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
