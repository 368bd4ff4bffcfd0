#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# Two secgw-iked (IKE, user datapath) that both want the tunnel up
# (start_action start on both ends), and one that wants it up before its
# peer exists:
#  - both ends initiate at once, round after round: every round ends with
#    exactly one IKE SA and one CHILD SA pair that both sides agree on, and
#    traffic both ways (half the rounds hold IKE back until both have sent
#    their IKE_SA_INIT, so that the two initiations surely cross);
#  - the peer's iked starts 10+ s after the initiator: the initiator's
#    retries bring the tunnel up without anyone asking;
#  - removing (or terminating) a retrying connection ends its attempts.
#
#   netns sL                           netns sR
#   192.0.2.1/24 (l0) <------------> (r0) 192.0.2.2/24
#   lo 10.1.0.1/24                        lo 10.2.0.1/24

load helpers
load ike_lib

PSK=ike-simul-test-psk-0123456789

setup_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	source "$SECGW_ROOT/tests/tools/netns.bash"
	local t; t=$(run_tag)
	export NSL=sL$t NSR=sR$t
	netns_add "$NSL"; netns_add "$NSR"
	netns_veth "$NSL" l0 "$NSR" r0
	netns_addr "$NSL" l0 192.0.2.1/24; netns_addr "$NSL" lo 10.1.0.1/24
	netns_addr "$NSR" r0 192.0.2.2/24; netns_addr "$NSR" lo 10.2.0.1/24
	export NETNS_MADE
}

teardown_file() {
	netns_file_cleanup
}

setup() {
	require_root
	require_cmd nft jq
	DIR=$BATS_TEST_TMPDIR
	ip netns exec "$NSL" nft flush ruleset
}

teardown() {
	ike_teardown
	return 0
}

# lconf CONN [CONN-JSON [CHILD-JSON]] / rconf …: the two ends of connection CONN.
lconf() {
	ike_conf "$1" 192.0.2.1 192.0.2.2 left.test right.test 10.1.0.0/24 10.2.0.0/24 "${2:-{\}}" "${3:-{\}}"
}
rconf() {
	ike_conf "$1" 192.0.2.2 192.0.2.1 right.test left.test 10.2.0.0/24 10.1.0.0/24 "${2:-{\}}" "${3:-{\}}"
}

# one_pair CONN: on both sides CONN has exactly one IKE SA, established,
# and exactly one CHILD SA, installed, and the two sides' SPIs match. (A
# half-open responder SA whose initiator gave up waits for its timeout; it
# carries nothing.)
one_pair() {
	local l r
	l=$(sa L ".connections[] | select(.name == \"$1\") | [(.ike_sas | map(select(.state != \"half-open\") | .state) | join(\",\")), (.children | map(.state) | join(\",\")), .children[0].spi_in, .children[0].spi_out, .ike.spi_i, .ike.spi_r] | join(\" \")")
	r=$(sa R ".connections[] | select(.name == \"$1\") | [(.ike_sas | map(select(.state != \"half-open\") | .state) | join(\",\")), (.children | map(.state) | join(\",\")), .children[0].spi_out, .children[0].spi_in, .ike.spi_i, .ike.spi_r] | join(\" \")")
	[[ $l == "established installed "* && $l == "$r" ]]
}

# Neither side lists any connection (or SA of one).
no_connections() {
	[[ $(sa L '.connections | length') -eq 0 && $(sa R '.connections | length') -eq 0 ]]
}

# block / unblock: IKE from the left side is dropped (as if the path were down).
block() {
	ip netns exec "$NSL" nft -f - <<-'EOF'
		table inet hold {
			chain out {
				type filter hook output priority 0;
				udp dport { 500, 4500 } counter drop
			}
		}
	EOF
}
unblock() { ip netns exec "$NSL" nft delete table inet hold; }

@test "both ends start at once, ten rounds: each ends with one IKE SA and one CHILD SA pair both agree on, ping both ways" {
	# Retransmissions for 31 s: a loaded machine must not make the held
	# first attempts fail before they are let through.
	ike_start L "$NSL" --retransmit-tries 5
	ike_start R "$NSR" --retransmit-tries 5
	local i lp dups=0
	for i in $(seq 1 10); do
		# Each round a new connection on a clean slate: the last one is
		# removed on both sides first. (Renaming it in one load would
		# let a side that loads first reach a peer still running the old
		# name, which accepts it there and then, reloading, deletes it:
		# an honest ike-down, but not what this test is about.)
		if (( i > 1 )); then
			REV=$((2 * i - 1)) ike_load L '{"connections": [], "secrets": {}}' >/dev/null &
			lp=$!
			REV=$((2 * i - 1)) ike_load R '{"connections": [], "secrets": {}}' >/dev/null
			wait "$lp"
			wait_until 10 no_connections
		fi
		(( i % 2 )) && block
		REV=$((2 * i)) ike_load L "$(lconf "c$i" '{}' '{"start_action": "start"}')" >/dev/null &
		lp=$!
		REV=$((2 * i)) ike_load R "$(rconf "c$i" '{}' '{"start_action": "start"}')" >/dev/null
		wait "$lp"
		if (( i % 2 )); then
			# Both IKE_SA_INIT requests are out (L's held back): they cross.
			wait_until 5 bash -c "ip netns exec $NSL nft list table inet hold | grep -q 'packets [1-9]'"
			wait_until 5 bash -c "[[ \$($IKE_PY '$CTL' ctl '$DIR/R.sock' '{\"id\":1,\"cmd\":\"list-sas\"}' | jq -r '.result.connections[0].ike_sas | map(.state) | join(\",\")') == *connecting* ]]"
			unblock
		fi
		wait_until 20 one_pair "c$i"
		wait_until 5 pinged "$NSL" 10.1.0.1 10.2.0.1
		pinged "$NSR" 10.2.0.1 10.1.0.1
		# A duplicate pair, if any, went as a replacement, not as a failure.
		! ev L ".connection == \"c$i\" and (.event == \"ike-down\" or .event == \"auth-failed\")" || false
		! ev R ".connection == \"c$i\" and (.event == \"ike-down\" or .event == \"auth-failed\")" || false
		dups=$((dups + $(grep -c "IKE SA c$i\[.*duplicate of one the peer initiated" "$DIR/L.log" || true)))
	done
	echo "# duplicate IKE SAs resolved in 10 rounds (left side's count): $dups" >&3
	# The crossing rounds must have produced duplicates to resolve.
	[ "$dups" -ge 5 ]
	[ "$(ctl L '{"id":1,"cmd":"stats"}' | jq .result.ike.children_installed)" -eq 1 ]
	[ "$(ctl R '{"id":1,"cmd":"stats"}' | jq .result.ike.children_installed)" -eq 1 ]
	ike_stop L
	ike_stop R
}

@test "the peer's iked starts 10 s after the initiator: retries bring the tunnel up unasked" {
	ike_start L "$NSL" --retransmit-ms 200 --retransmit-tries 2
	local t0; t0=$(date +%s)
	ike_load L "$(lconf s '{}' '{"start_action": "start"}')" >/dev/null
	# The first attempt gets no answer; the connection says it will retry.
	wait_until 10 bash -c "[[ \$($IKE_PY '$CTL' ctl '$DIR/L.sock' '{\"id\":1,\"cmd\":\"list-sas\"}' | jq -r '.result.connections[0] | .state + \" \" + (.retry_in | tostring)') =~ ^retrying\ [0-9]+$ ]]"
	wait_until 20 bash -c "grep -q 's: trying again (attempt 3)' '$DIR/L.log'"
	# Ten seconds after the start, the peer appears, as a responder only.
	wait_until 20 bash -c "(( \$(date +%s) - $t0 >= 10 ))"
	ike_start R "$NSR"
	ike_load R "$(rconf s)" >/dev/null
	wait_until 30 one_pair s
	wait_until 5 pinged "$NSL" 10.1.0.1 10.2.0.1
	pinged "$NSR" 10.2.0.1 10.1.0.1
	echo "# up $(($(date +%s) - t0)) s after the initiator's load" >&3
	[ "$(sa L '.connections[0].state')" = established ]
	[ "$(sa L '.connections[0] | has("retry_in")')" = false ]
	ike_stop L
	ike_stop R
}

@test "retries stop when the connection is removed, and when it is terminated" {
	ike_start L "$NSL" --retransmit-ms 200 --retransmit-tries 1
	local conf tries
	conf=$( (lconf gone '{}' '{"start_action": "start"}'; lconf keep '{}' '{"start_action": "start"}') |
		jq -sc '{connections: map(.connections[0]), secrets: .[0].secrets}')
	ike_load L "$conf" >/dev/null
	wait_until 10 bash -c "grep -q 'gone: not up, attempt 2' '$DIR/L.log'"
	REV=2 ike_load L "$(lconf keep '{}' '{"start_action": "start"}')" | jq -e '.result.removed == ["gone"]'
	tries=$(grep -c 'gone: trying again' "$DIR/L.log" || true)
	# "keep", started with it, retries on the same schedule: two more of
	# its attempts are well past when "gone" would have tried again.
	local k; k=$(grep -c 'keep: trying again' "$DIR/L.log" || true)
	wait_until 30 bash -c "(( \$(grep -c 'keep: trying again' '$DIR/L.log') >= $k + 2 ))"
	[ "$(grep -c 'gone: trying again' "$DIR/L.log")" -eq "$tries" ]
	[ "$(sa L '[.connections[].name] | join(",")')" = keep ]
	# Terminating "keep" ends its attempts too: it is down, with none due.
	wait_until 10 bash -c "[[ \$($IKE_PY '$CTL' ctl '$DIR/L.sock' '{\"id\":1,\"cmd\":\"list-sas\"}' | jq -r '.result.connections[0].state') == retrying ]]"
	ctl L '{"id":1,"cmd":"terminate","connection":"keep"}' | jq -e .ok
	[ "$(sa L '.connections[0] | .state + " " + (has("retry_in") | tostring)')" = "down false" ]
	ike_stop L
}
