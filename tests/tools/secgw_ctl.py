#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Test helpers that need a socket: talk to secgw-iked's control socket, and
inject a captured ESP packet again (replay).

  secgw_ctl.py ctl SOCK LINE         send LINE, print the one reply line
  secgw_ctl.py raw SOCK BYTES        send BYTES as given (no newline added), print replies until idle
  secgw_ctl.py esp-from-pcap PCAP N  print the Nth plain-ESP packet's ESP bytes (from SPI) as hex
  secgw_ctl.py send-esp DST HEX      send HEX as an IP protocol 50 payload to DST (raw socket)
  secgw_ctl.py events SOCK FILE      subscribe; append every event line to FILE (flushed) until
                                     the socket closes; prints "subscribed" once the reply is in
"""
import socket
import struct
import sys

TIMEOUT = 10


def ctl(path, line, raw=False):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.connect(path)
    s.sendall(line.encode() if raw else line.encode() + b"\n")
    buf = b""
    try:
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    except socket.timeout:
        pass
    s.close()
    sys.stdout.write(buf.decode(errors="replace"))


def esp_from_pcap(path, n):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic != 0xA1B2C3D4:
        raise SystemExit("not a little-endian pcap")
    link = struct.unpack("<I", data[20:24])[0]
    off, seen = 24, 0
    while off + 16 <= len(data):
        caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        ip = frame[14:] if link == 1 else frame
        if link == 113:  # Linux cooked capture
            ip = frame[16:]
        if ip and ip[0] >> 4 == 4 and ip[9] == 50:
            payload = ip[(ip[0] & 15) * 4:]
        elif ip and ip[0] >> 4 == 6 and ip[6] == 50:
            payload = ip[40:]
        else:
            continue
        if seen == n:
            print(payload.hex())
            return
        seen += 1
    raise SystemExit("no such ESP packet")


def send_esp(dst, hexdata):
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_RAW, 50)
    s.sendto(bytes.fromhex(hexdata), (dst, 0))


def events(path, out):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(b'{"id":"events","cmd":"subscribe"}\n')
    buf = b""
    with open(out, "ab", buffering=0) as f:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if b'"event"' in line:
                    f.write(line + b"\n")
                elif b'"id": "events"' in line or b'"id":"events"' in line:
                    print("subscribed", flush=True)


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    cmd = sys.argv[1]
    if cmd == "ctl":
        ctl(sys.argv[2], sys.argv[3])
    elif cmd == "raw":
        ctl(sys.argv[2], sys.argv[3].encode().decode("unicode_escape"), raw=True)
    elif cmd == "esp-from-pcap":
        esp_from_pcap(sys.argv[2], int(sys.argv[3]))
    elif cmd == "send-esp":
        send_esp(sys.argv[2], sys.argv[3])
    elif cmd == "events":
        events(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
