#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes into tests/fuzz/corpus/ike_parse/ (the ike_parse fuzz seeds): hand-made IKEv2 messages that lie
about their lengths and counts, one file each, named after the expected
refusal (NAME.ERROR.bin, ERROR being the pld_err the codec must return).
tests/unit/test_ike_pld.c checks each one; the fuzz targets start from them.
Run it again after changing a case; the output is deterministic."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "ike_parse")

SA, KE, IDI, AUTH, NONCE, N, D, TSI, SK = 33, 34, 35, 39, 40, 41, 42, 44, 46


def hdr(first, body_len, exch=34, flags=0x08, version=0x20, length=None):
    total = 28 + body_len if length is None else length
    return struct.pack(">QQBBBBII", 0x1122334455667788, 0, first, version, exch, flags, 0, total)


def pld(nxt, body, crit=False, length=None):
    ln = 4 + len(body) if length is None else length
    return struct.pack(">BBH", nxt, 0x80 if crit else 0, ln) + body


def msg(chain, exch=34, **kw):
    """chain: list of (type, body[, crit])"""
    out = b""
    for i, p in enumerate(chain):
        nxt = chain[i + 1][0] if i + 1 < len(chain) else 0
        out += pld(nxt, p[1], crit=len(p) > 2 and p[2])
    return hdr(chain[0][0] if chain else 0, len(out), exch=exch, **kw) + out


def transform(ttype, tid, last=False, attrs=b""):
    return struct.pack(">BBHBBH", 0 if last else 3, 0, 8 + len(attrs), ttype, 0, tid) + attrs


def proposal(num, trs, last=True, proto=1, spi=b"", ntr=None, length=None):
    body = b"".join(trs)
    ln = 8 + len(spi) + len(body) if length is None else length
    return struct.pack(">BBHBBBB", 0 if last else 2, 0, ln, num, proto, len(spi),
                       len(trs) if ntr is None else ntr) + spi + body


GOOD_TR = [transform(1, 28), transform(2, 5), transform(4, 31, last=True)]
NONCE_OK = (NONCE, b"\x07" * 32)
KE_OK = (KE, struct.pack(">HH", 31, 0) + b"\x09" * 32)


def sa_msg(sa_body):
    return msg([(SA, sa_body), KE_OK, NONCE_OK])


cases = {
    "short_header.PLD_E_SHORT": hdr(0, 0)[:20],
    "bad_version.PLD_E_VERSION": hdr(0, 0, version=0x10),
    "length_mismatch.PLD_E_LENGTH": hdr(0, 0, length=100),
    "length_huge.PLD_E_LENGTH": hdr(0, 0, length=0xFFFFFFFF),
    "pld_len_below_header.PLD_E_PLD_LENGTH": hdr(NONCE, 36) + pld(0, b"\x07" * 32, length=2),
    "loop_zero_length.PLD_E_PLD_LENGTH": hdr(N, 8) + pld(N, b"", length=0) + b"\x00" * 4,
    "pld_overrun.PLD_E_TRUNCATED": hdr(NONCE, 36) + pld(0, b"\x07" * 32, length=400),
    "chain_claims_more.PLD_E_TRUNCATED": hdr(NONCE, 36) + pld(N, b"\x07" * 32),
    "trailing_bytes.PLD_E_TRAILING": hdr(NONCE, 40) + pld(0, b"\x07" * 32) + b"\xde\xad\xbe\xef",
    "unknown_critical.PLD_E_CRITICAL": msg([(200, b"\x00" * 4, True), NONCE_OK]),
    "sk_not_last.PLD_E_SK_NOT_LAST": msg([(SK, b"\x00" * 30), NONCE_OK], exch=35),
    "too_many_payloads.PLD_E_TOO_MANY": msg([(N, struct.pack(">BBH", 0, 0, 16384))] * 41),
    "same_type_chain.PLD_E_TOO_MANY": msg([(NONCE, b"\x07" * 16)] * 60),
    "sa_proposal_overrun.PLD_E_SYNTAX": sa_msg(proposal(1, GOOD_TR, length=200)),
    "sa_transform_count_lies.PLD_E_SYNTAX": sa_msg(proposal(1, GOOD_TR, ntr=5)),
    "sa_transform_count_huge.PLD_E_TOO_MANY": sa_msg(proposal(1, GOOD_TR, ntr=255)),
    "sa_attribute_overrun.PLD_E_SYNTAX": sa_msg(proposal(1, [
        transform(1, 20, attrs=struct.pack(">HH", 14, 400) + b"\x00" * 4),
        transform(2, 5), transform(4, 31, last=True)])),
    "sa_numbering_zero.PLD_E_SYNTAX": sa_msg(proposal(0, GOOD_TR)),
    "sa_numbering_jumps.PLD_E_SYNTAX": sa_msg(proposal(1, GOOD_TR, last=False) + proposal(3, GOOD_TR)),
    "sa_last_flag_lies.PLD_E_SYNTAX": sa_msg(proposal(1, GOOD_TR, last=False)),
    "sa_too_many_proposals.PLD_E_TOO_MANY": sa_msg(b"".join(
        proposal(i + 1, GOOD_TR, last=(i == 32)) for i in range(33))),
    "sa_spi_size_huge.PLD_E_SYNTAX": sa_msg(proposal(1, GOOD_TR, spi=b"\x01" * 16)),
    "sa_empty.PLD_E_SYNTAX": sa_msg(b""),
    "ts_count_huge.PLD_E_TOO_MANY": msg([(TSI, struct.pack(">B3x", 200) +
                                          struct.pack(">BBHHH4s4s", 7, 0, 16, 0, 65535, b"\x0a\0\0\0", b"\x0a\0\0\xff"))], exch=35),
    "ts_count_lies.PLD_E_SYNTAX": msg([(TSI, struct.pack(">B3x", 2) +
                                        struct.pack(">BBHHH4s4s", 7, 0, 16, 0, 65535, b"\x0a\0\0\0", b"\x0a\0\0\xff"))], exch=35),
    "ts_selector_length_lies.PLD_E_SYNTAX": msg([(TSI, struct.pack(">B3x", 1) +
                                                  struct.pack(">BBHHH4s4s", 8, 0, 16, 0, 65535, b"\x0a\0\0\0", b"\x0a\0\0\xff"))], exch=35),
    "ts_zero.PLD_E_SYNTAX": msg([(TSI, struct.pack(">B3x", 0))], exch=35),
    "delete_count_huge.PLD_E_TOO_MANY": msg([(D, struct.pack(">BBH", 3, 4, 1000) + b"\x01" * 8)], exch=37),
    "delete_count_lies.PLD_E_SYNTAX": msg([(D, struct.pack(">BBH", 3, 4, 3) + b"\x01" * 8)], exch=37),
    "delete_ike_with_spis.PLD_E_SYNTAX": msg([(D, struct.pack(">BBH", 1, 8, 1) + b"\x01" * 8)], exch=37),
    "nonce_short.PLD_E_SYNTAX": msg([(NONCE, b"\x07" * 8)]),
    "nonce_long.PLD_E_SYNTAX": msg([(NONCE, b"\x07" * 300)]),
    "notify_spi_overrun.PLD_E_SYNTAX": msg([(N, struct.pack(">BBH", 3, 200, 16393) + b"\x01" * 4)]),
    "ke_empty.PLD_E_SYNTAX": msg([(KE, struct.pack(">HH", 31, 0))]),
    "id_empty.PLD_E_SYNTAX": msg([(IDI, struct.pack(">B3x", 2))], exch=35),
    "auth_empty.PLD_E_SYNTAX": msg([(AUTH, struct.pack(">B3x", 2))], exch=35),
    "sk_too_short.PLD_E_SYNTAX": msg([(SK, b"\x00" * 10)], exch=35),
}

os.makedirs(OUT, exist_ok=True)
for f in os.listdir(OUT):
    if ".PLD_E_" in f:      # ours; the strongSwan messages stay
        os.unlink(os.path.join(OUT, f))
for name, data in sorted(cases.items()):
    with open(os.path.join(OUT, name + ".bin"), "wb") as f:
        f.write(data)
print(f"{len(cases)} cases written to {OUT}")
