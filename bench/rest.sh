#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/rest.sh — secgw-agent's REST API against the floor, in one go:
#   (a) wrk: authenticated GET /api/v1/connections with 100 connections stored
#   (b) wrk: the same request to bench-rest-floor, a bare libmicrohttpd server
#       (same epoll thread pool) answering a prebuilt body of the same size
#   (c) the agent's resident memory with 10,000 connections stored
#   (d) POST /import of 10,000 new tunnels (one CSV, one child each) into that
#       agent: one transaction, one revision; the floor is sqlite3's own .import
#       of the same CSV into a bare table (what a row costs at the least)
# and ends with:  bench rest: ratio=(a)/(b) rss_mib=(c) import_10k_s=(d) import_floor_s=
# Targets: ratio >= 0.5, rss_mib <= 16, import_10k_s <= 1.5. Release build
# (make), loopback only.
#
# Environment: DURATION (wrk seconds, default 10), CONNS (wrk connections, 16),
# B (build directory, default build).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
DURATION=${DURATION:-10}
CONNS=${CONNS:-16}

command -v wrk >/dev/null || tools/deps.sh wrk
make --no-print-directory B="$B" "$B/bin/secgw-agent" "$B/bin/secgw-testclient" "$B/bin/bench-rest-floor" >/dev/null

tmp=$(mktemp -d /tmp/secgw-bench.XXXXXX)
agent_pid= floor_pid=
cleanup() {
	[[ -z $agent_pid ]] || { kill "$agent_pid" 2>/dev/null; wait "$agent_pid" 2>/dev/null || true; }
	[[ -z $floor_pid ]] || { kill "$floor_pid" 2>/dev/null; wait "$floor_pid" 2>/dev/null || true; }
	rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

wait_http() {	# wait_http URL: until it answers at all (20 s at most)
	local i
	for i in $(seq 1 400); do
		[[ $("$B/bin/secgw-testclient" GET "$1" 2>/dev/null) =~ ^[0-9]+$ ]] && return 0
		sleep 0.05
	done
	echo "bench rest: $1 did not come up" >&2
	exit 1
}

rps() {		# rps URL [HEADER]: wrk's requests per second
	local out
	out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" ${2:+-H "$2"} "$1")
	grep -q 'Non-2xx' <<<"$out" && { echo "$out" >&2; echo "bench rest: errors from $1" >&2; exit 1; }
	awk '/^Requests\/sec:/ { print $2 }' <<<"$out"
}

port=$(free_port)
url=http://127.0.0.1:$port/api/v1
"$B/bin/secgw-agent" --state-dir "$tmp/state" --listen "127.0.0.1:$port" --log-level warn \
	>"$tmp/agent.out" 2>"$tmp/agent.log" &
agent_pid=$!
wait_http "$url/health"
token=$("$B/bin/secgw-agent" bootstrap-token --state-dir "$tmp/state")
[[ $("$B/bin/secgw-testclient" -t "$token" -d '{"type":"psk","value":"bench psk 123"}' \
	PUT "$url/secrets/burst-psk") == 201 ]]

# (a) 100 connections (each with one child), the default page holds them all.
n=$("$B/bin/secgw-testclient" burst "$url/connections" -t "$token" --count 100 --prefix a)
[[ $n == 100 ]] || { echo "bench rest: stored $n of 100 connections" >&2; exit 1; }
[[ $("$B/bin/secgw-testclient" -t "$token" -o "$tmp/list.json" GET "$url/connections") == 200 ]]
size=$(stat -c %s "$tmp/list.json")
[[ $(jq '.items|length' "$tmp/list.json") == 100 ]]
a=$(rps "$url/connections" "Authorization: Bearer $token")
echo "agent:  GET /api/v1/connections (100 stored, ${size} B): ${a} req/s"

# (b) the floor: same body size, same server library and threads.
fport=$(free_port)
"$B/bin/bench-rest-floor" "$fport" "$size" >"$tmp/floor.out" &
floor_pid=$!
wait_http "http://127.0.0.1:$fport/"
b=$(rps "http://127.0.0.1:$fport/api/v1/connections" "Authorization: Bearer $token")
echo "floor:  bench-rest-floor (${size} B): ${b} req/s"

# (c) 10,000 connections stored, then the pages a client would read.
n=$("$B/bin/secgw-testclient" burst "$url/connections" -t "$token" --count 9900 --prefix c)
[[ $n == 9900 ]] || { echo "bench rest: stored $n of 9900 more connections" >&2; exit 1; }
cursor=
for _ in $(seq 1 10); do
	[[ $("$B/bin/secgw-testclient" -t "$token" -o "$tmp/page.json" GET "$url/connections?limit=1000${cursor:+&cursor=$cursor}") == 200 ]]
	cursor=$(jq -r '.next_cursor // empty' "$tmp/page.json")
done
[[ -z $cursor ]] || { echo "bench rest: 10 pages of 1000 did not cover 10,000 connections" >&2; exit 1; }
[[ $("$B/bin/secgw-testclient" -t "$token" -o "$tmp/metrics" GET "$url/metrics") == 200 ]]
grep -qx 'secgw_connections 10000' "$tmp/metrics"
rss_kib=$(awk '/^VmRSS:/ { print $2 }' "/proc/$agent_pid/status")
rss=$(awk -v k="$rss_kib" 'BEGIN { printf "%.1f", k / 1024 }')
echo "agent:  RSS with 10,000 connections stored: ${rss} MiB"

# (d) 10,000 tunnels in one import. curl measures the whole request: upload,
# validation of every row, the one transaction, and the answer.
{
	echo 'name,remote_addrs,psk,child.name,child.local_ts,child.remote_ts,child.start_action'
	for ((i = 0; i < 10000; i++)); do
		echo "i-$i,10.$((i / 256 % 256)).$((i % 256)).1,burst-psk,lan,192.168.0.0/24,10.$((i / 256)).$((i % 256)).0/24,none"
	done
} >"$tmp/10k.csv"
imp=$(curl -s -o "$tmp/import.json" -w '%{http_code} %{time_total}' -X POST -H "Authorization: Bearer $token" \
	-H 'Content-Type: text/csv' --data-binary "@$tmp/10k.csv" "$url/import")
[[ ${imp%% *} == 200 && $(jq .diff.summary.added "$tmp/import.json") == 10000 ]] ||
	{ echo "bench rest: the import failed ($imp)" >&2; head -c 500 "$tmp/import.json" >&2; exit 1; }
imp_s=$(awk -v t="${imp#* }" 'BEGIN { printf "%.2f", t }')
echo "agent:  POST /import of 10,000 tunnels (CSV, $(stat -c %s "$tmp/10k.csv") B): ${imp_s} s"
floor_t0=$(date +%s%N)
sqlite3 "$tmp/floor.db" 'PRAGMA journal_mode=WAL;' '.mode csv' ".import $tmp/10k.csv t" >/dev/null
floor_s=$(awk -v n="$(( $(date +%s%N) - floor_t0 ))" 'BEGIN { printf "%.2f", n / 1e9 }')
echo "floor:  sqlite3 .import of the same CSV into a bare table: ${floor_s} s"

ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
echo "bench rest: ratio=$ratio rss_mib=$rss import_10k_s=$imp_s import_floor_s=$floor_s"
