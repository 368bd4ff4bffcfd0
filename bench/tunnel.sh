#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/tunnel.sh — the whole product's reaction times and footprint, two
# routers (netns, secgw-iked with the user datapath, secgw-agent on
# 127.0.0.1 each), release binaries:
#
#   (a probe ping waits 0.2 s for its answer: that is the resolution.)
#   create_ms  REST POST of a connection with start_action start on router A
#              (router B already has its side) → the first ping across it;
#              median of N (fresh connection, inside hosts 10.1.0.i ↔ 10.2.0.i)
#   patch_ms   PATCH of the child's esp_proposals on A → a CHILD SA with the
#              new proposal installed and a ping across; median of N
#   100 tunnels imported on both sides (one revision each) → RSS of the agent
#              and of iked on A once all 100 are installed
#
# No peer runs the same REST-to-packet path, so no ratio: the figures stand
# for themselves (bench/ike.sh compares the IKE engine with strongSwan).
# Ends with: bench tunnel: create_ms=… patch_ms=… up100_s=… agent_rss_mib=… iked_rss_mib=…
#   N=10 T=100 bench/tunnel.sh
set -u
cd "$(dirname "$0")/.." || exit 1
N=${N:-10}
T=${T:-100}
BIN=${BIN:-$PWD/build/bin}
PSK=bench-tunnel-psk-0123456789
[[ $(id -u) -eq 0 ]] || { echo "bench/tunnel.sh: needs root (network namespaces)" >&2; exit 1; }
make -s -j2 all >/dev/null || { echo "bench/tunnel.sh: build failed" >&2; exit 1; }
source tests/tools/netns.bash

tag=$(printf '%04x' $((RANDOM)))
NSA=tA$tag NSB=tB$tag
WORK=$(mktemp -d /tmp/bench-tunnel.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	netns_cleanup
	rm -rf "$WORK"
}
trap cleanup EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }
until_ok() {
	local end=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do ((SECONDS < end)) || return 1; sleep 0.01; done
}
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

netns_add "$NSA"; netns_add "$NSB"
netns_veth "$NSA" ta "$NSB" tb
netns_addr "$NSA" ta 192.0.2.1/24
netns_addr "$NSB" tb 192.0.2.2/24
for i in $(seq 1 $((N > T ? N : T))); do
	netns_addr "$NSA" lo "10.1.$((i / 250)).$((i % 250 + 1))/32"
	netns_addr "$NSB" lo "10.2.$((i / 250)).$((i % 250 + 1))/32"
done
host() { echo "10.$1.$(($2 / 250)).$(($2 % 250 + 1))"; }

declare -A URL TOK
for r in A B; do
	ns=$NSA; [[ $r == B ]] && ns=$NSB
	mkdir -p "$WORK/$r"
	ip netns exec "$ns" "$BIN/secgw-iked" --control "$WORK/$r/iked.sock" --log "$WORK/$r/iked.log" &
	pids+=($!); echo $! >"$WORK/$r/iked.pid"
	port=$((30000 + RANDOM % 20000))
	"$BIN/secgw-agent" --state-dir "$WORK/$r/state" --listen "127.0.0.1:$port" --engine "$WORK/$r/iked.sock" \
		--log "$WORK/$r/agent.log" >/dev/null 2>&1 &
	pids+=($!); echo $! >"$WORK/$r/agent.pid"
	URL[$r]=http://127.0.0.1:$port/api/v1
	until_ok 20 bash -c "curl -fs ${URL[$r]}/health | grep -q '\"engine\":\"up\"'" || { echo "router $r did not start" >&2; exit 1; }
	TOK[$r]=$("$BIN/secgw-agent" bootstrap-token --state-dir "$WORK/$r/state")
done
api() {	# api R METHOD PATH [BODY]
	curl -fsS -X "$2" -H "Authorization: Bearer ${TOK[$1]}" ${4:+-H 'Content-Type: application/json' -d "$4"} \
		"${URL[$1]}$3"
}
for r in A B; do api "$r" PUT /secrets/k "{\"type\":\"psk\",\"value\":\"$PSK\"}" >/dev/null; done
# conn R NAME I START [ESP]: the connection document for inside hosts number I.
conn() {
	local me=1 peer=2 la=192.0.2.1 ra=192.0.2.2
	[[ $1 == B ]] && { me=2; peer=1; la=192.0.2.2; ra=192.0.2.1; }
	jq -nc --arg n "$2" --arg la "$la" --arg ra "$ra" --arg lts "$(host $me "$3")/32" \
		--arg rts "$(host $peer "$3")/32" --arg s "$4" --arg id "$2" --arg me "$1" \
		'{name: $n, local_addrs: [$la], remote_addrs: [$ra], psk: "k", dpd_delay: 0,
		  local_id: ($id + "." + $me + ".bench"), remote_id: ($id + "." + (if $me == "A" then "B" else "A" end) + ".bench"),
		  children: [{name: "net", local_ts: [$lts], remote_ts: [$rts], start_action: $s}]}'
}
pinged() { ip netns exec "$NSA" ping -c 1 -W 0.2 -I "$(host 1 "$1")" "$(host 2 "$1")"; }

echo "== create: POST (start_action start) → first ping across, $N times"
: >"$WORK/create"
for i in $(seq 1 "$N"); do
	api B POST /connections "$(conn B "c$i" "$i" none)" >/dev/null
	until_ok 10 bash -c "curl -fs ${URL[B]}/health | jq -e '.revision == .revision_applied' >/dev/null"
	t0=$(now_ms)
	api A POST /connections "$(conn A "c$i" "$i" start)" >/dev/null
	until_ok 20 pinged "$i" || { echo "tunnel c$i did not carry a ping" >&2; exit 1; }
	echo $(($(now_ms) - t0)) | tee -a "$WORK/create"
done
create_ms=$(median <"$WORK/create")

echo "== patch: PATCH esp_proposals → CHILD SA with the new proposal, ping across, $N times"
: >"$WORK/patch"
for i in $(seq 1 "$N"); do
	p=aes256gcm16; ((i % 2)) || p=chacha20poly1305
	t0=$(now_ms)
	api A PATCH /connections/c1/children/net "{\"esp_proposals\": [\"$p\"]}" >/dev/null
	until_ok 20 bash -c "curl -fs -H 'Authorization: Bearer ${TOK[A]}' '${URL[A]}/sas?connection=c1' |
		jq -e '[.connections[0].children[] | select(.state == \"installed\" and .proposal == \"$p\")] | length > 0' >/dev/null" ||
		{ echo "c1 not re-established with $p" >&2; exit 1; }
	until_ok 10 pinged 1
	echo $(($(now_ms) - t0)) | tee -a "$WORK/patch"
done
patch_ms=$(median <"$WORK/patch")

echo "== $T tunnels: one import on each side, then wait until all are installed"
for r in B A; do
	start=none; [[ $r == A ]] && start=start
	for i in $(seq 1 "$T"); do conn "$r" "m$i" "$i" "$start"; done | jq -sc '{connections: .}' >"$WORK/import-$r.json"
	api "$r" DELETE /connections/c1 >/dev/null
	for i in $(seq 2 "$N"); do api "$r" DELETE "/connections/c$i" >/dev/null; done
	t0=$(now_ms)
	curl -fsS -X POST -H "Authorization: Bearer ${TOK[$r]}" -H 'Content-Type: application/json' \
		--data-binary @"$WORK/import-$r.json" "${URL[$r]}/import?mode=merge" >/dev/null || exit 1
done
installed_n() {
	curl -fs -H "Authorization: Bearer ${TOK[A]}" "${URL[A]}/sas" |
		jq '[.connections[].children[] | select(.state == "installed")] | length'
}
until_ok 120 bash -c "[[ \$(curl -fs -H 'Authorization: Bearer ${TOK[A]}' '${URL[A]}/sas' | jq '[.connections[].children[] | select(.state == \"installed\")] | length') -ge $T ]]" ||
	{ echo "only $(installed_n) of $T installed" >&2; exit 1; }
up_s=$(awk -v ms=$(($(now_ms) - t0)) 'BEGIN { printf "%.1f", ms / 1000 }')
pinged "$T" >/dev/null || { echo "tunnel m$T carries no ping" >&2; exit 1; }
rss() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$(cat "$WORK/A/$1.pid")/status"; }
agent_rss=$(rss agent) iked_rss=$(rss iked)
echo "$T tunnels installed in ${up_s}s after the import on A; RSS on A: agent ${agent_rss} MiB, iked ${iked_rss} MiB"
echo "bench tunnel: create_ms=$create_ms patch_ms=$patch_ms up${T}_s=$up_s agent_rss_mib=$agent_rss iked_rss_mib=$iked_rss"
