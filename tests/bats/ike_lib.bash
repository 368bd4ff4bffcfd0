# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Shared by the ike_*.bats suites: secgw-iked (user datapath) with IKE
# connections, driven and watched over its control socket, and traffic
# across the tunnels it negotiates.
#
#   ike_start NAME NS [ARGS…]   secgw-iked in NS; control $DIR/NAME.sock, log
#                               $DIR/NAME.log, its events in $DIR/NAME.ev
#   ike_load NAME CONFIG        load (must be accepted)
#   ike_conf …                  a one-connection, one-child configuration
#   ev NAME 'JQ-CONDITION'      has NAME emitted an event matching it?
#   sa NAME 'JQ-FILTER'         apply a filter to NAME's list-sas result
#   pinged NS SRC DST           one echo answered
#   tcp_both CNS SNS DST SRC MB an iperf3 TCP transfer of MB megabytes each way

CTL=$SECGW_ROOT/tests/tools/secgw_ctl.py
IKE_PIDS=()

# ike_start NAME NS [ARGS...]
ike_start() {
	local name=$1 ns=$2; shift 2
	: >"$DIR/$name.ev"
	ip netns exec "$ns" "$SECGW_BIN/secgw-iked" --control "$DIR/$name.sock" --workers 1 \
		--retransmit-ms 500 --retransmit-tries 3 "$@" >"$DIR/$name.log" 2>&1 &
	echo $! >"$DIR/$name.pid"
	IKE_PIDS+=($!)
	wait_until 10 test -S "$DIR/$name.sock"
	python3 "$CTL" events "$DIR/$name.sock" "$DIR/$name.ev" >"$DIR/$name.sub" 2>&1 &
	IKE_PIDS+=($!)
	wait_until 5 grep -q subscribed "$DIR/$name.sub"
}

# ike_stop NAME: SIGTERM; fails on a sanitizer report or an unclean stop.
ike_stop() {
	stop_pid "$(cat "$DIR/$1.pid" 2>/dev/null)" 10
	if grep -q 'ERROR: \(Address\|Leak\)Sanitizer\|runtime error:' "$DIR/$1.log"; then
		grep -m1 -A30 'ERROR: \(Address\|Leak\)Sanitizer\|runtime error:' "$DIR/$1.log"
		return 1
	fi
	grep -q 'secgw-iked\[info\] stopped' "$DIR/$1.log"
}

# ike_teardown: stop what ike_start started (teardown), showing logs on failure.
ike_teardown() {
	local p f
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		for f in "$DIR"/*.log "$DIR"/*.ev; do
			[[ -f $f ]] || continue
			echo "--- $f (tail)"
			tail -n 40 "$f"
		done
	fi
	for p in "${IKE_PIDS[@]}"; do stop_pid "$p" 10; done
	IKE_PIDS=()
}

ctl() {
	python3 "$CTL" ctl "$DIR/$1.sock" "$2"
}

ike_load() {
	local r
	r=$(ctl "$1" "{\"id\":1,\"cmd\":\"load\",\"revision\":${REV:-1},\"config\":$(jq -c . <<<"$2")}")
	if [[ $(jq -r .ok <<<"$r") != true ]]; then
		echo "load on $1 failed: $r" >&2
		return 1
	fi
	echo "$r"
}

# ike_conf CONN LOCAL REMOTE LOCAL_ID REMOTE_ID LOCAL_TS REMOTE_TS [CONN-JSON [CHILD-JSON]]:
# one connection CONN with one child "net", PSK secret "k" = $PSK; the
# JSON objects are merged into the connection and the child (and win).
ike_conf() {
	jq -nc --arg n "$1" --arg la "$2" --arg ra "$3" --arg lid "$4" --arg rid "$5" \
		--arg lts "$6" --arg rts "$7" --arg psk "$PSK" --argjson cx "${8:-{\}}" \
		--argjson chx "${9:-{\}}" \
		'{connections: [{name: $n, local_addrs: [$la], remote_addrs: [$ra], local_id: $lid,
		  remote_id: $rid, psk: "k", dpd_delay: 0,
		  children: [{name: "net", local_ts: [$lts], remote_ts: [$rts]} + $chx]} + $cx],
		  secrets: {k: {type: "psk", value: $psk}}}'
}

# ev NAME CONDITION: an event line of NAME for which the jq condition holds.
ev() {
	jq -e "select($2)" "$DIR/$1.ev" 2>/dev/null | grep -q .
}

# ev_count NAME CONDITION
ev_count() {
	jq -c "select($2)" "$DIR/$1.ev" 2>/dev/null | wc -l
}

# sa NAME FILTER: FILTER applied to NAME's list-sas result.
sa() {
	ctl "$1" '{"id":2,"cmd":"list-sas"}' | jq -r ".result | $2"
}

# child_is NAME CONN STATE: the CHILD SAs of CONN are exactly one, in STATE.
child_is() {
	[[ $(sa "$1" "[.connections[] | select(.name == \"$2\") | .children[]] | map(.state) | join(\",\")") == "$3" ]]
}

pinged() {
	ip netns exec "$1" ping -c 1 -W 1 -I "$2" "$3"
}

# tcp_both CLIENT_NS SERVER_NS DST SRC MB: MB megabytes each way (iperf3,
# the second run reversed), then 1 MB of random bytes each way that must
# arrive unchanged (iperf3 counts what was written, not what arrived).
tcp_both() {
	local cns=$1 sns=$2 dst=$3 src=$4 mb=$5 port rev out
	for rev in "" -R; do
		port=$((5201 + RANDOM % 2000))
		ip netns exec "$sns" iperf3 -s -1 -p "$port" >"$DIR/iperf-s.log" 2>&1 &
		local spid=$!
		wait_until 5 bash -c "ip netns exec $sns ss -Htln 'sport = :$port' | grep -q ."
		out=$(ip netns exec "$cns" timeout 60 iperf3 -c "$dst" -B "$src" -p "$port" -n "${mb}M" $rev -J) ||
			{ echo "$out" | tail -20; return 1; }
		wait "$spid" || true
		echo "# TCP ${rev:-forward} $mb MB: $(jq -r '.end.sum_sent.bits_per_second / 1e6 | floor' <<<"$out") Mbit/s" >&3
		[ "$(jq -r '.end.sum_sent.bytes' <<<"$out")" -ge $((mb * 1000000)) ] || return 1
	done
	intact "$cns" "$sns" "$dst" "$src" && intact "$sns" "$cns" "$src" "$dst"
}

# intact FROM_NS TO_NS DST SRC: 1 MB of random bytes from FROM_NS (bound to
# SRC) to a listener at DST in TO_NS arrives byte for byte.
intact() {
	local fns=$1 tns=$2 dst=$3 src=$4 port
	[[ -f $DIR/blob ]] || head -c 1000000 /dev/urandom >"$DIR/blob"
	rm -f "$DIR/blob.got"
	port=$((7300 + RANDOM % 1000))
	ip netns exec "$tns" socat -u "TCP4-LISTEN:$port,bind=$dst,reuseaddr" "CREATE:$DIR/blob.got" &
	local spid=$!
	wait_until 5 bash -c "ip netns exec $tns ss -Htln 'sport = :$port' | grep -q ."
	ip netns exec "$fns" timeout 30 socat -u "FILE:$DIR/blob" "TCP4:$dst:$port,bind=$src" || return 1
	wait "$spid" || return 1
	cmp "$DIR/blob" "$DIR/blob.got"
}
