#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# Two secgw IKEv2 engines (bench/ikepeer: the engine on UDP sockets, no
# datapath) against each other over real namespaces: through a NAT that
# masquerades the left side, and through a path that loses 20 % of IKE
# datagrams (nftables numgen; the host kernel has no netem).
#
#   netns pL                  netns pM (router)                 netns pR
#   10.0.1.2/24 (l0) <--> (m0) 10.0.1.1/24                       
#                              192.0.2.1/24 (m1) <--> (r0) 192.0.2.2/24
#                              nft: masquerade out m1; 20 % loss on demand

load helpers

PSK=ike-pair-test-psk-0123456789

setup_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	source "$SECGW_ROOT/tests/tools/netns.bash"
	local t; t=$(run_tag)
	export NSL=pL$t NSM=pM$t NSR=pR$t
	netns_add "$NSL"; netns_add "$NSM"; netns_add "$NSR"
	netns_veth "$NSL" l0 "$NSM" m0
	netns_veth "$NSM" m1 "$NSR" r0
	netns_addr "$NSL" l0 10.0.1.2/24
	netns_addr "$NSM" m0 10.0.1.1/24
	netns_addr "$NSM" m1 192.0.2.1/24
	netns_addr "$NSR" r0 192.0.2.2/24
	ip -n "$NSL" route add default via 10.0.1.1
	ip -n "$NSR" route add 10.0.1.0/24 via 192.0.2.1
	ip netns exec "$NSM" sysctl -qw net.ipv4.ip_forward=1
	export NETNS_MADE
}

teardown_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	source "$SECGW_ROOT/tests/tools/netns.bash"
	netns_cleanup
}

setup() {
	require_root
	require_cmd nft
	[[ -x $SECGW_BIN/ikepeer ]] || skip "ikepeer not built"
	DIR=$BATS_TEST_TMPDIR
	PIDS=()
	ip netns exec "$NSM" nft flush ruleset
}

teardown() {
	local p
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		for f in "$DIR"/*.out; do echo "--- $f"; cat "$f"; done
		ip netns exec "$NSM" nft list ruleset
	fi
	for p in "${PIDS[@]}"; do stop_pid "$p" 5; done
	return 0
}

# run_peer NAME NS ARGS...: an ikepeer whose output goes to $DIR/NAME.out
run_peer() {
	local name=$1 ns=$2; shift 2
	ip netns exec "$ns" "$SECGW_BIN/ikepeer" --psk "$PSK" --log info "$@" \
		>"$DIR/$name.out" 2>"$DIR/$name.err" &
	PIDS+=($!)
	wait_until 5 grep -q '^ready' "$DIR/$name.out"
}

says() { grep -q -- "$2" "$DIR/$1.out"; }
lines_at_least() { [[ $(grep -c -- "$3" "$DIR/$2.out") -ge $1 ]]; }

responder() {
	run_peer right "$NSR" --local 192.0.2.2 --remote %any --local-id right.test --remote-id %any \
		--local-ts 10.2.0.0/24 --remote-ts 10.0.0.0/8 "$@"
}

@test "through a masquerading NAT: IKE moves to 4500, ESP is encapsulated to the mapped port" {
	ip netns exec "$NSM" nft -f - <<-'EOF'
		table ip nat {
			chain post {
				type nat hook postrouting priority srcnat;
				oifname "m1" masquerade
			}
		}
	EOF
	responder
	run_peer left "$NSL" --local 10.0.1.2 --remote 192.0.2.2 --local-id left.test \
		--remote-id right.test --local-ts 10.1.0.0/24 --remote-ts 10.2.0.0/24 --initiate
	wait_until 10 says left '^child-up peer/net'
	wait_until 5 says right '^child-up peer/net'
	# The left side knows it is behind a NAT and encapsulates from 4500.
	says left 'install peer/net .* 10.0.1.2\[4500\] -> 192.0.2.2\[4500\] encap=yes'
	# The right side sees the NAT's address and whatever port it mapped 4500 to.
	says right 'install peer/net .* 192.0.2.2\[4500\] -> 192.0.2.1\[[0-9]*\] encap=yes'
	# The SPIs agree across the NAT.
	local in out
	read -r in out < <(sed -n 's/^child-up peer\/net spi_in=\([0-9a-f]*\) spi_out=\([0-9a-f]*\).*/\1 \2/p' "$DIR/left.out")
	says right "spi_in=$out spi_out=$in"
}

@test "without a NAT, nothing moves to 4500" {
	responder
	# The router itself talks to the right side: no translation on the way.
	run_peer left "$NSM" --local 192.0.2.1 --remote 192.0.2.2 --local-id left.test \
		--remote-id right.test --local-ts 10.1.0.0/24 --remote-ts 10.2.0.0/24 --initiate
	wait_until 10 says left '^child-up peer/net'
	says left 'install peer/net .* 192.0.2.1\[500\] -> 192.0.2.2\[500\] encap=no'
	says right 'install peer/net .* 192.0.2.2\[500\] -> 192.0.2.1\[500\] encap=no'
}

@test "20 % random loss on the path: every SA still comes up, through retransmissions" {
	# Lose a fifth of all IKE datagrams crossing the router, both ways.
	ip netns exec "$NSM" nft -f - <<-'EOF'
		table inet loss {
			chain lossy {
				type filter hook forward priority 0;
				udp dport { 500, 4500 } numgen random mod 100 < 20 counter drop
			}
		}
	EOF
	responder
	run_peer left "$NSL" --local 10.0.1.2 --remote 192.0.2.2 --remote-id right.test \
		--local-ts 10.1.0.1 --remote-ts 10.2.0.0/24 --count 20 --parallel 5 \
		--retransmit-ms 200 --tries 10
	wait_until 60 says left '^all-up 20 '
	local dropped
	dropped=$(ip netns exec "$NSM" nft list table inet loss | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
	echo "datagrams dropped: $dropped"
	[[ $dropped -gt 0 ]]
	kill -TERM "${PIDS[1]}"
	wait_until 5 says left '^stats '
	sed -n 's/^stats .*retransmits=\([0-9]*\).*/\1/p' "$DIR/left.out" | grep -qv '^0$' ||
		sed -n 's/^stats .*replays=\([1-9][0-9]*\).*/\1/p' "$DIR/right.out" | grep -q .
}
