#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/esp.sh — ESP throughput, one run, same two namespaces, same AEAD:
#   (a) secgw: two secgw-iked (user datapath, release build), manual SAs
#   (b) strongSwan 5.9 (charon, kernel-libipsec userspace ESP)
#   (c) no tunnel
#   (d) the AEAD's raw single-core speed on 1400-byte packets (esp_seal)
# All tunnels carry ESP in UDP 4500 (kernel-libipsec always encapsulates).
# Ends with: bench esp: … ratio_vs_strongswan=a/b ratio_vs_aead=a/d
#
#   bench/esp.sh [seconds]        (root; ALG=aes256gcm16 for the other AEAD)
#
#   netns bA: ea 192.0.2.1, lo 10.1.0.1  <--- veth --->  netns bB: eb 192.0.2.2, lo 10.2.0.1
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECS=${1:-10}
ALG=${ALG:-chacha20poly1305}
B=${B:-build}
[[ $(id -u) -eq 0 ]] || { echo "bench/esp.sh: needs root (network namespaces)" >&2; exit 1; }
tools/deps.sh iperf3 jq socat strongswan-charon strongswan-swanctl libcharon-extra-plugins \
	libstrongswan-extra-plugins libsodium-dev libjansson-dev libmnl-dev gcc make pkg-config
make -s B="$B" all >/dev/null

source tests/tools/netns.bash
source tests/tools/swan.bash
tag=$(printf '%04x%04x' $RANDOM $(($$ & 0xffff)))
NSA=bA$tag NSB=bB$tag
WORK=$(mktemp -d /tmp/secgw-bench-esp.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	swan_stop "$WORK/sA" 2>/dev/null || true
	swan_stop "$WORK/sB" 2>/dev/null || true
	netns_cleanup
	rm -rf "$WORK"
}
trap cleanup EXIT

netns_add "$NSA"
netns_add "$NSB"
netns_veth "$NSA" ea "$NSB" eb
netns_addr "$NSA" ea 192.0.2.1/24
netns_addr "$NSB" eb 192.0.2.2/24
netns_addr "$NSA" lo 10.1.0.1/24
netns_addr "$NSB" lo 10.2.0.1/24

# iperf SRC DST: Mbit/s received over SECS seconds of one TCP stream.
iperf() {
	local port=$((5201 + RANDOM % 1000)) out spid
	ip netns exec "$NSB" iperf3 -s -1 -p "$port" >/dev/null 2>&1 &
	spid=$!
	for _ in $(seq 100); do
		ip netns exec "$NSB" ss -Htln "sport = :$port" | grep -q . && break
		sleep 0.05
	done
	out=$(ip netns exec "$NSA" iperf3 -c "$2" -B "$1" -p "$port" -t "$SECS" -J)
	wait "$spid" || true
	jq -r '.end.sum_received.bits_per_second / 1e6 | . * 10 | round / 10' <<<"$out"
}

wait_ping() {
	for _ in $(seq 200); do
		ip netns exec "$NSA" ping -c 1 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "bench/esp.sh: the tunnel did not come up" >&2
	return 1
}

# (c) no tunnel
plain=$(iperf 192.0.2.1 192.0.2.2)
echo "no tunnel:        $plain Mbit/s"

# (b) strongSwan
mkdir -p "$WORK/sA" "$WORK/sB"
common=(SWAN_PSK=bench-psk-0123456789abcdef SWAN_IKE_PROPOSALS="$ALG-prfsha256-x25519" SWAN_ESP_PROPOSALS="$ALG")
env "${common[@]}" SWAN_LOCAL_ADDRS=192.0.2.1 SWAN_REMOTE_ADDRS=192.0.2.2 SWAN_LOCAL_ID=a.bench \
	SWAN_REMOTE_ID=b.bench SWAN_LOCAL_TS=10.1.0.0/24 SWAN_REMOTE_TS=10.2.0.0/24 \
	bash -c "source tests/tools/swan.bash; swan_conn_conf" >"$WORK/sA/swanctl.conf"
env "${common[@]}" SWAN_LOCAL_ADDRS=192.0.2.2 SWAN_REMOTE_ADDRS=192.0.2.1 SWAN_LOCAL_ID=b.bench \
	SWAN_REMOTE_ID=a.bench SWAN_LOCAL_TS=10.2.0.0/24 SWAN_REMOTE_TS=10.1.0.0/24 \
	bash -c "source tests/tools/swan.bash; swan_conn_conf" >"$WORK/sB/swanctl.conf"
SWAN_LOGLEVEL=0 SWAN_IKE_LOGLEVEL=0 swan_start "$WORK/sA" "$NSA"
SWAN_LOGLEVEL=0 SWAN_IKE_LOGLEVEL=0 swan_start "$WORK/sB" "$NSB"
swan_ctl "$WORK/sA" --initiate --child net --timeout 10 >/dev/null
wait_ping
swan=$(iperf 10.1.0.1 10.2.0.1)
echo "strongSwan 5.9:   $swan Mbit/s ($ALG, charon kernel-libipsec, ESP in UDP)"
swan_stop "$WORK/sA"
swan_stop "$WORK/sB"

# (a) secgw
KAB=$(head -c 36 /dev/urandom | od -An -tx1 | tr -d ' \n')
KBA=$(head -c 36 /dev/urandom | od -An -tx1 | tr -d ' \n')
conf() { # LOCAL REMOTE LNET RNET SPI_IN SPI_OUT KEY_IN KEY_OUT
	cat <<JSON
{"connections": [{"name": "bench", "keying": "manual", "local_addrs": ["$1"], "remote_addrs": ["$2"],
  "nat_t": "force", "children": [{"name": "net", "local_ts": ["$3"], "remote_ts": ["$4"],
  "esp_proposals": ["$ALG"], "manual": {"spi_in": $5, "spi_out": $6, "key_in": "hex:$7", "key_out": "hex:$8"}}]}]}
JSON
}
conf 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 4096 8192 "$KBA" "$KAB" >"$WORK/a.json"
conf 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 8192 4096 "$KAB" "$KBA" >"$WORK/b.json"
ip netns exec "$NSA" "$B/bin/secgw-iked" --config "$WORK/a.json" --control "$WORK/a.sock" --log-level warn &
PIDS+=($!)
ip netns exec "$NSB" "$B/bin/secgw-iked" --config "$WORK/b.json" --control "$WORK/b.sock" --log-level warn &
PIDS+=($!)
wait_ping
secgw=$(iperf 10.1.0.1 10.2.0.1)
echo "secgw (user):     $secgw Mbit/s ($ALG, manual SAs, ESP in UDP)"

# (d) the AEAD alone, one core
gcc -O2 -std=c11 -D_GNU_SOURCE -I. -Ilib -o "$WORK/aead_speed" bench/aead_speed.c \
	kmod/core/*.c kmod/user/aead_sodium.c -lsodium -lmbedcrypto
aead_line=$("$WORK/aead_speed" "$ALG" 3)
aead=$(awk '{ print $3 }' <<<"$aead_line")
echo "AEAD alone:       $aead Mbit/s (esp_seal of 1400-byte packets, one core)"

rs=$(awk -v a="$secgw" -v b="$swan" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
ra=$(awk -v a="$secgw" -v d="$aead" 'BEGIN { printf "%.3f", (d > 0 ? a / d : 0) }')
echo "bench esp: alg=$ALG secgw_mbps=$secgw strongswan_mbps=$swan plain_mbps=$plain aead_mbps=$aead ratio_vs_strongswan=$rs ratio_vs_aead=$ra"
