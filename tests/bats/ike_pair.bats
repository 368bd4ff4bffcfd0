#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# Two secgw-iked instances (IKE, user datapath) against each other over real
# namespaces: through a NAT that masquerades the left side (and the same
# with strongSwan on the right); NAT-T forced without one; through a path
# that loses 20 % of IKE datagrams (nftables numgen; the host kernel has no
# netem); rekeys driven by the datapath's packet limit under a ping flood;
# reconcile of a changed configuration; a Delete on shutdown.
#
#   netns pL                  netns pM (router)                 netns pR
#   10.0.1.2/24 (l0) <--> (m0) 10.0.1.1/24
#                              192.0.2.1/24 (m1) <--> (r0) 192.0.2.2/24
#   lo 10.1.0.1/24             nft: masquerade out m1,           lo 10.2.0.1/24
#                              or 20 % loss, on demand
#   secgw-iked L                                                 secgw-iked R

load helpers
load ike_lib

PSK=ike-pair-test-psk-0123456789

setup_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	source "$SECGW_ROOT/tests/tools/netns.bash"
	local t; t=$(run_tag)
	export NSL=pL$t NSM=pM$t NSR=pR$t
	netns_add "$NSL"; netns_add "$NSM"; netns_add "$NSR"
	netns_veth "$NSL" l0 "$NSM" m0
	netns_veth "$NSM" m1 "$NSR" r0
	netns_addr "$NSL" l0 10.0.1.2/24; netns_addr "$NSL" lo 10.1.0.1/24
	netns_addr "$NSM" m0 10.0.1.1/24
	netns_addr "$NSM" m1 192.0.2.1/24
	netns_addr "$NSR" r0 192.0.2.2/24; netns_addr "$NSR" lo 10.2.0.1/24
	ip -n "$NSL" route add default via 10.0.1.1
	ip -n "$NSR" route add 10.0.1.0/24 via 192.0.2.1
	ip netns exec "$NSM" sysctl -qw net.ipv4.ip_forward=1
	export NETNS_MADE
}

teardown_file() {
	netns_file_cleanup
}

setup() {
	require_root
	require_cmd nft jq iperf3 socat
	DIR=$BATS_TEST_TMPDIR
	ip netns exec "$NSM" nft flush ruleset
}

teardown() {
	[[ -z ${BATS_TEST_COMPLETED:-} ]] && ip netns exec "$NSM" nft list ruleset
	ike_teardown
	if [[ -d ${DIR:-}/S ]]; then
		[[ -z ${BATS_TEST_COMPLETED:-} ]] && tail -n 40 "$DIR/S/charon.log"
		source "$SECGW_ROOT/tests/tools/swan.bash"
		swan_stop "$DIR/S"
	fi
	return 0
}

masquerade() {
	ip netns exec "$NSM" nft -f - <<-'EOF'
		table ip nat {
			chain post {
				type nat hook postrouting priority srcnat;
				oifname "m1" masquerade
			}
			chain counts {
				type filter hook forward priority 0;
				udp dport 4500 counter
				ip protocol esp counter
			}
		}
	EOF
}

# The right side answers anyone with the PSK for the left inside network.
right() {
	ike_start R "$NSR" "$@"
	ike_load R "$(ike_conf r 192.0.2.2 %any right.test %any 10.2.0.0/24 10.1.0.0/24)" >/dev/null
}

# left CONN-JSON CHILD-JSON [iked args]: one connection "l" to the right side.
left() {
	local cx=$1 chx=$2; shift 2
	ike_start L "$NSL" "$@"
	ike_load L "$(ike_conf l 10.0.1.2 192.0.2.2 left.test right.test 10.1.0.0/24 10.2.0.0/24 "$cx" "$chx")" >/dev/null
}

stats() { ctl "$1" '{"id":1,"cmd":"stats"}' | jq -r ".result.ike.$2"; }

@test "through a masquerading NAT: IKE moves to 4500, ESP in UDP to the mapped port, ping and TCP both ways" {
	masquerade
	right
	left '{}' '{"start_action": "start"}'
	wait_until 10 ev L '.event == "child-up"'
	wait_until 5 ev R '.event == "child-up"'
	# Each side knows which one is behind the NAT.
	[ "$(sa L '.connections[0].ike | .local + " " + .remote + " " + (.nat.local | tostring)')" = "10.0.1.2[4500] 192.0.2.2[4500] true" ]
	[[ $(sa R '.connections[0].ike | .remote + " " + (.nat.remote | tostring)') =~ ^192\.0\.2\.1\[[0-9]+\]\ true$ ]]
	# The SPIs agree across the NAT.
	[ "$(sa L '.connections[0].children[0] | .spi_in + .spi_out')" = "$(sa R '.connections[0].children[0] | .spi_out + .spi_in')" ]
	wait_until 10 pinged "$NSL" 10.1.0.1 10.2.0.1
	wait_until 5 pinged "$NSR" 10.2.0.1 10.1.0.1
	tcp_both "$NSL" "$NSR" 10.2.0.1 10.1.0.1 5
	# It all crossed the NAT as ESP in UDP, none as plain ESP.
	# (Bytes: UDP GSO trains cross the router as one packet each.)
	local b udp esp
	b=$(ip netns exec "$NSM" nft list chain ip nat counts | sed -n 's/.*counter packets [0-9]* bytes \([0-9]*\).*/\1/p')
	udp=$(head -n 1 <<<"$b") esp=$(tail -n 1 <<<"$b")
	echo "# through the NAT: $udp bytes to UDP 4500, $esp bytes of plain ESP" >&3
	[ "$udp" -gt 8000000 ] && [ "$esp" -eq 0 ]
	[ "$(sa R '.connections[0].children[0].packets_in')" -gt 1000 ]
}

@test "through the NAT to strongSwan: each side knows who is behind it, ping and TCP both ways" {
	require_cmd swanctl
	source "$SECGW_ROOT/tests/tools/swan.bash"
	masquerade
	mkdir -p "$DIR/S"
	env SWAN_LOCAL_ADDRS=192.0.2.2 SWAN_REMOTE_ADDRS=%any SWAN_LOCAL_ID=right.test \
		SWAN_REMOTE_ID=left.test SWAN_PSK=$PSK SWAN_LOCAL_TS=10.2.0.0/24 SWAN_REMOTE_TS=10.1.0.0/24 \
		bash -c "source '$SECGW_ROOT/tests/tools/swan.bash'; swan_conn_conf" >"$DIR/S/swanctl.conf"
	swan_start "$DIR/S" "$NSR"
	left '{}' '{"start_action": "start"}'
	wait_until 10 ev L '.event == "child-up"'
	wait_until 5 swan_child_installed "$DIR/S" net
	[ "$(sa L '.connections[0].ike | .local + " " + .remote + " " + (.nat.local | tostring)')" = "10.0.1.2[4500] 192.0.2.2[4500] true" ]
	grep -q 'remote host is behind NAT' "$DIR/S/charon.log"
	swan_ctl "$DIR/S" --list-sas --noblock | grep -q 'remote.*192\.0\.2\.1\[[0-9]*\]'
	wait_until 10 pinged "$NSL" 10.1.0.1 10.2.0.1
	wait_until 5 pinged "$NSR" 10.2.0.1 10.1.0.1
	tcp_both "$NSL" "$NSR" 10.2.0.1 10.1.0.1 2
}

@test "nat_t force without a NAT: IKE moves to 4500 anyway, ESP travels in UDP, both sides agree" {
	ip netns exec "$NSM" nft -f - <<-'EOF'
		table inet tally {
			chain seen {
				type filter hook forward priority 0;
				udp dport 4500 counter
				ip protocol esp counter
			}
		}
	EOF
	right
	left '{"nat_t": "force"}' '{"start_action": "start"}'
	wait_until 10 ev L '.event == "child-up"'
	wait_until 5 ev R '.event == "child-up"'
	[ "$(sa L '.connections[0].ike | .local + " " + .remote')" = "10.0.1.2[4500] 192.0.2.2[4500]" ]
	[ "$(sa R '.connections[0].ike | .local + " " + .remote')" = "192.0.2.2[4500] 10.0.1.2[4500]" ]
	# No NAT is detected by L; L's faked NAT_DETECTION_SOURCE_IP (RFC 7296
	# 2.23) makes R treat it as behind one.
	[ "$(sa L '.connections[0].ike.nat | tojson')" = '{"local":false,"remote":false}' ]
	[ "$(sa R '.connections[0].ike.nat.remote')" = true ]
	wait_until 10 pinged "$NSL" 10.1.0.1 10.2.0.1
	wait_until 5 pinged "$NSR" 10.2.0.1 10.1.0.1
	ip netns exec "$NSL" ping -q -c 20 -i 0.01 -I 10.1.0.1 10.2.0.1 >/dev/null
	local p udp esp
	p=$(ip netns exec "$NSM" nft list chain inet tally seen | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
	udp=$(head -n 1 <<<"$p") esp=$(tail -n 1 <<<"$p")
	echo "# UDP 4500 datagrams: $udp, plain ESP packets: $esp" >&3
	[ "$udp" -ge 40 ] && [ "$esp" -eq 0 ]
}

@test "20 % loss on the path: ten IKE SAs still come up through retransmissions, and carry traffic" {
	# No NAT: ESP is IP protocol 50 and crosses untouched; a fifth of all
	# IKE datagrams (UDP 500 and 4500) is lost, both ways.
	ip netns exec "$NSM" nft -f - <<-'EOF'
		table inet loss {
			chain lossy {
				type filter hook forward priority 0;
				udp dport { 500, 4500 } numgen random mod 100 < 20 counter drop
			}
		}
	EOF
	right --retransmit-ms 200 --retransmit-tries 8
	ike_start L "$NSL" --retransmit-ms 200 --retransmit-tries 8
	# Ten connections with their own identities and inside hosts.
	local i conf
	conf=$(for i in $(seq 1 10); do
		ike_conf "l$i" 10.0.1.2 192.0.2.2 "l$i.left.test" right.test "10.1.0.$i/32" "10.2.0.$i/32" \
			'{}' '{"start_action": "start"}'
	done | jq -sc '{connections: map(.connections[0]), secrets: .[0].secrets}')
	ike_load L "$conf" >/dev/null
	wait_until 60 bash -c "[[ \$(jq -c 'select(.event == \"child-up\")' '$DIR/L.ev' | wc -l) -ge 10 ]]"
	local dropped
	dropped=$(ip netns exec "$NSM" nft list table inet loss | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
	echo "# IKE datagrams dropped: $dropped; retransmitted: $(stats L retransmits) + $(stats R retransmits), replayed: $(stats L replays) + $(stats R replays)" >&3
	[ "$dropped" -gt 0 ]
	[ $(($(stats L retransmits) + $(stats R retransmits))) -gt 0 ]
	[ "$(sa R '.connections[0].ike_sas | length')" -eq 10 ]
	[ "$(sa R '[.connections[0].children[] | select(.state == "installed")] | length')" -eq 10 ]
	! ev L '.event == "ike-down" or .event == "auth-failed"' || false
	for i in 1 5 10; do
		wait_until 5 pinged "$NSL" "10.1.0.$i" "10.2.0.$i"
	done
	[ "$(sa L "[.connections[] | select(.name == \"l5\") | .children[0].packets_out] | .[0]")" -ge 1 ]
}

@test "packet limits rekey the CHILD SA under a ping flood, and an IKE rekey on command: nothing lost, old SAs gone" {
	right
	# life_packets 300: the datapath's soft limit (90 %) asks for a rekey
	# every 2.7 s of this flood, the hard one would end the SA at 3 s.
	left '{}' '{"start_action": "start", "life_packets": 300}'
	wait_until 10 ev L '.event == "child-up"'
	wait_until 10 pinged "$NSL" 10.1.0.1 10.2.0.1
	ip netns exec "$NSL" ping -q -i 0.01 -c 1000 -I 10.1.0.1 10.2.0.1 >"$DIR/ping.out" 2>&1 &
	local ping=$! n
	wait_until 10 ev L '.event == "rekeyed" and .child == "net"'
	ctl R '{"id":1,"cmd":"rekey","connection":"r","ike":true}' | jq -e .ok
	wait_until 10 ev L '.event == "rekeyed" and (has("child") | not)'
	wait "$ping" || true
	n=$(echoes_back "$DIR/ping.out")
	echo "# $((1000 - n)) of 1000 echoes lost across $(ev_count L '.event == "rekeyed" and .child') CHILD rekeys" >&3
	[ "$n" -ge 998 ]
	[ "$(ev_count L '.event == "rekeyed" and .child == "net"')" -ge 2 ]
	[ "$(stats L expires)" -ge 1 ]
	! ev L '.event == "child-down" or .event == "ike-down"' || false
	! ev R '.event == "child-down" or .event == "ike-down"' || false
	wait_until 5 child_is L l installed
	wait_until 5 child_is R r installed
	[ "$(stats L children_installed)" -eq 1 ] && [ "$(stats R children_installed)" -eq 1 ]
	[ "$(sa R '.connections[0].ike_sas | length')" -eq 1 ]
}

@test "reconcile: an unchanged connection keeps its SAs, a changed one is re-established, a removed one deleted at the peer" {
	right
	ike_start L "$NSL"
	local two one a1 b1
	one=$(ike_conf x 10.0.1.2 192.0.2.2 x.left.test right.test 10.1.0.1/32 10.2.0.1/32 '{}' '{"start_action": "start"}')
	two=$(ike_conf y 10.0.1.2 192.0.2.2 y.left.test right.test 10.1.0.2/32 10.2.0.2/32 '{}' '{"start_action": "start"}')
	ike_load L "$(jq -sc '{connections: map(.connections[0]), secrets: .[0].secrets}' <<<"$one $two")" >/dev/null
	wait_until 10 bash -c "[[ \$(jq -c 'select(.event == \"child-up\")' '$DIR/L.ev' | wc -l) -ge 2 ]]"
	a1=$(sa L '.connections[] | select(.name == "x") | .children[0].spi_in')
	b1=$(sa L '.connections[] | select(.name == "y") | .children[0].spi_in')
	# y changes (its rekey_time), x does not.
	two=$(jq -c '.connections[0].rekey_time = 7200' <<<"$two")
	REV=2 ike_load L "$(jq -sc '{connections: map(.connections[0]), secrets: .[0].secrets}' <<<"$one $two")" |
		jq -e '.result.unchanged == ["x"] and .result.changed == ["y"]'
	wait_until 10 bash -c "[[ \$(jq -c 'select(.event == \"child-up\")' '$DIR/L.ev' | wc -l) -ge 3 ]]"
	[ "$(sa L '.connections[] | select(.name == "x") | .children[0].spi_in')" = "$a1" ]
	wait_until 5 bash -c "[[ \$($IKE_PY '$CTL' ctl '$DIR/L.sock' '{\"id\":1,\"cmd\":\"list-sas\",\"connection\":\"y\"}' | jq -r '.result.connections[0].children[0].state') == installed ]]"
	[ "$(sa L '.connections[] | select(.name == "y") | .children[0].spi_in')" != "$b1" ]
	wait_until 5 pinged "$NSL" 10.1.0.2 10.2.0.2
	# y goes: the right side hears of it; x is still there.
	REV=3 ike_load L "$one" | jq -e '.result.removed == ["y"]'
	wait_until 5 bash -c "[[ \$(jq -c 'select(.event == \"ike-down\" and .reason == \"deleted by peer\")' '$DIR/R.ev' | wc -l) -ge 2 ]]"
	[ "$(sa R '.connections[0].ike_sas | length')" -eq 1 ]
	[ "$(sa L '.connections[0].children[0].spi_in')" = "$a1" ]
	pinged "$NSL" 10.1.0.1 10.2.0.1
	! pinged "$NSL" 10.1.0.2 10.2.0.2 || false
	# Shutdown sends a Delete for what is left.
	ike_stop L
	wait_until 5 bash -c "[[ \$(jq -c 'select(.event == \"ike-down\" and .reason == \"deleted by peer\")' '$DIR/R.ev' | wc -l) -ge 3 ]]"
	wait_until 5 bash -c "[[ \$($IKE_PY '$CTL' ctl '$DIR/R.sock' '{\"id\":1,\"cmd\":\"stats\"}' | jq .result.ike.children_installed) -eq 0 ]]"
}
