#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# The xfrm datapath (secgw-iked --datapath xfrm) on the build host's kernel.
# That kernel has XFRM but neither ESP nor the AEAD templates, so no ESP
# state can be added here: what this file covers is everything around the
# states — the kernel's refusal reaching the operator, trap policies and
# routes, the acquire event driving IKE, what is left and removed on stop,
# two instances and a foreign (strongSwan-like) policy side by side, and
# the netlink error paths. SAs, traffic, rekeys and counters are proven in
# the VM suite (tests/vm/cases/xfrm-iked*.sh), on a kernel with ESP.
#
#   netns xX<tag>                               netns xU<tag>
#   lo  10.1.0.1/24                             lo  10.2.0.1/24
#   xa  192.0.2.1/24  <------- veth ------->    xb  192.0.2.2/24
#   secgw-iked X (--datapath xfrm)              secgw-iked U (--datapath user)

load helpers
load ike_lib

PSK=dp-xfrm-test-psk-0123456789abcdef

setup_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	source "$SECGW_ROOT/tests/tools/netns.bash"
	local t; t=$(run_tag)
	export NSX=xX$t NSU=xU$t
	netns_add "$NSX"
	netns_add "$NSU"
	netns_veth "$NSX" xa "$NSU" xb
	netns_addr "$NSX" xa 192.0.2.1/24
	netns_addr "$NSU" xb 192.0.2.2/24
	netns_addr "$NSX" lo 10.1.0.1/24
	netns_addr "$NSU" lo 10.2.0.1/24
	export NETNS_MADE
}

teardown_file() {
	netns_file_cleanup
}

setup() {
	require_root
	DIR=$BATS_TEST_TMPDIR
	IKE_PIDS=()
}

teardown() {
	ike_teardown
	# What a failed test left in the namespaces must not leak into the next.
	ip -n "$NSX" xfrm policy flush 2>/dev/null || true
	ip -n "$NSX" xfrm state flush 2>/dev/null || true
}

# x_start NAME NS [ARGS…]: secgw-iked in NS (x_start without the event
# subscriber: these tests read list-sas, and a Python start under load
# takes longer than x_start allows).
x_start() {
	local name=$1 ns=$2; shift 2
	ip netns exec "$ns" "$SECGW_BIN/secgw-iked" --control "$DIR/$name.sock" --workers 1 \
		--retransmit-ms 500 --retransmit-tries 3 "$@" >"$DIR/$name.log" 2>&1 &
	echo $! >"$DIR/$name.pid"
	IKE_PIDS+=($!)
	wait_until 10 test -S "$DIR/$name.sock"
}

# trap_conf CONN LTS RTS [CONN-JSON]: the xfrm side's connection, initiating
# on the first packet.
trap_conf() {
	ike_conf "$1" 192.0.2.1 192.0.2.2 x.test u.test "$2" "$3" \
		"$(jq -nc --argjson x "${4:-{\}}" '{datapath: "xfrm"} + $x')" '{"start_action": "trap"}'
}

# reqid_of NAME: the reqid the instance logged at start.
reqid_of() {
	sed -n 's/.*xfrm datapath: reqid \([0-9]*\).*/\1/p' "$DIR/$1.log" | head -1
}

# all_pols NS: the policies of NS in one line each ("src … dst … dir … reqid …").
all_pols() {
	ip -n "$1" xfrm policy list | awk '
		/^src/ { if (cur) print cur; cur = $0; next }
		{ cur = cur " " $0 }
		END { if (cur) print cur }' | tr -s ' \t' ' '
}

# pols NS: the SPD entries; sock_pols NS: the per-socket ones (IKE bypass).
pols() {
	all_pols "$1" | grep -v ' socket ' || true
}
sock_pols() {
	all_pols "$1" | grep ' socket ' || true
}

@test "the host kernel's refusal of an ESP state reaches the operator; nothing is left installed" {
	# Find out what this kernel does with an AEAD ESP state, independently of us.
	if ip -n "$NSX" xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x777 mode tunnel \
		aead 'rfc4106(gcm(aes))' 0x$(printf '%072d' 0) 128 2>/dev/null; then
		ip -n "$NSX" xfrm state flush
		skip "this kernel has ESP and AES-GCM: SAs are tested here only in the VM suite"
	fi
	x_start X "$NSX" --datapath xfrm
	local key; key=$(head -c 36 /dev/urandom | od -An -tx1 | tr -d ' \n')
	r=$(ike_load X "$(jq -nc --arg k "$key" '{connections: [{name: "m", keying: "manual", datapath: "xfrm",
		local_addrs: ["192.0.2.1"], remote_addrs: ["192.0.2.2"], children: [{name: "c",
		local_ts: ["10.1.0.0/24"], remote_ts: ["10.2.0.0/24"], esp_proposals: ["aes256gcm16"],
		manual: {spi_in: 4096, spi_out: 8192, key_in: "k", key_out: "k"}}]}],
		secrets: {k: {type: "key", value: $k}}}')")
	echo "$r"
	# The kernel's own words (extended ack), not just an errno.
	jq -e '.result.failed[0].message | test("inbound SA 00001000: the kernel refused the SA: .*\\(.*not found\\)")' <<<"$r"
	[ -z "$(ip -n "$NSX" xfrm state list)" ]
	[ -z "$(pols "$NSX")" ]
	! grep -q "$key" "$DIR/X.log" || false
	ike_stop X
}

@test "trap policies: out, in and fwd under the instance's reqid toward the peer; a route with a source inside the local selectors" {
	x_start X "$NSX" --datapath xfrm
	ike_load X "$(trap_conf t 10.1.0.0/24 10.2.0.0/24)"
	local reqid; reqid=$(reqid_of X)
	[ "$reqid" -eq $((0x40000000 + $(cat "$DIR/X.pid"))) ]
	run pols "$NSX"
	echo "$output"
	[ "${#lines[@]}" -eq 3 ]
	[[ $output == *"src 10.1.0.0/24 dst 10.2.0.0/24 dir out priority 1000 "*"tmpl src 0.0.0.0 dst 192.0.2.2 proto esp reqid $reqid mode tunnel"* ]]
	[[ $output == *"src 10.2.0.0/24 dst 10.1.0.0/24 dir in priority 1000 "*"tmpl src 192.0.2.2 dst 0.0.0.0 proto esp reqid $reqid mode tunnel"* ]]
	[[ $output == *"src 10.2.0.0/24 dst 10.1.0.0/24 dir fwd priority 1000 "*"reqid $reqid"* ]]
	run ip -n "$NSX" route show 10.2.0.0/24
	echo "$output"
	[[ $output == "10.2.0.0/24 dev xa proto 201 src 10.1.0.1 "* ]]
	[ "$(sa X '.connections[0].children[0].state')" = trap ]
	# An address added now is seen by the next child (iked keeps the
	# host's addresses until the kernel reports a change).
	ip -n "$NSX" addr add 10.3.0.1/24 dev lo
	ike_load X "$(jq -c --argjson b "$(trap_conf t2 10.3.0.0/24 10.4.0.0/24)" \
		'.connections += $b.connections' <<<"$(trap_conf t 10.1.0.0/24 10.2.0.0/24)")" >/dev/null
	run ip -n "$NSX" route show 10.4.0.0/24
	echo "$output"
	ip -n "$NSX" addr del 10.3.0.1/24 dev lo
	[[ $output == "10.4.0.0/24 dev xa proto 201 src 10.3.0.1 "* ]]
	ike_load X "$(trap_conf t 10.1.0.0/24 10.2.0.0/24)" >/dev/null
	# IKE's sockets (IPv4 and IPv6 on 500) pass both ways whatever the SPD says.
	run sock_pols "$NSX"
	echo "$output"
	[ "$(grep -c 'socket in priority 0' <<<"$output")" -ge 1 ]
	[ "$(grep -c 'socket out priority 0' <<<"$output")" -ge 1 ]
	# Stop: every policy and the route go.
	ike_stop X
	[ -z "$(all_pols "$NSX")" ]
	[ -z "$(ip -n "$NSX" route show proto 201)" ]
}

@test "acquire: a packet caught by the trap makes the xfrm side initiate IKE with the peer" {
	x_start U "$NSU"
	ike_load U "$(ike_conf t 192.0.2.2 192.0.2.1 u.test x.test 10.2.0.0/24 10.1.0.0/24)"
	x_start X "$NSX" --datapath xfrm --log-level debug
	ike_load X "$(trap_conf t 10.1.0.0/24 10.2.0.0/24)"
	[ "$(sa X '.connections[0].state')" = down ]
	# The packet itself is dropped (no SA yet); the kernel's acquire is what counts.
	ip netns exec "$NSX" ping -c 1 -W 1 -I 10.1.0.1 10.2.0.1 || true
	wait_until 20 grep -q "traffic on its trap policy, initiating" "$DIR/X.log"
	wait_until 20 bash -c "[ \"\$(python3 '$CTL' ctl '$DIR/U.sock' '{\"id\":2,\"cmd\":\"list-sas\"}' | jq -r '.result.connections[0].state')\" = established ]"
	ike_stop X
	ike_stop U
	[ -z "$(pols "$NSX")" ]
}

@test "selectors XFRM cannot express are refused with a clear answer, nothing half-installed" {
	x_start X "$NSX" --datapath xfrm
	r=$(ike_load X "$(trap_conf t 10.1.0.1-10.1.0.5 10.2.0.0/24)")
	echo "$r"
	jq -e '.result.failed[0].message | test("refused its trap policies")' <<<"$r"
	grep -q "policy: the xfrm datapath needs selectors of one family, each one prefix" "$DIR/X.log"
	[ -z "$(pols "$NSX")" ]
	[ -z "$(ip -n "$NSX" route show proto 201)" ]
	ike_stop X
}

@test "a policy the kernel refuses (one already there) rolls back what was added; the other one stays" {
	# Someone else's out and fwd policies on the very selectors. Ours go in
	# as out, in, fwd: first the out fails; with the foreign out gone, the
	# fwd fails and the out and in added before it must be undone.
	ip -n "$NSX" xfrm policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir out priority 1000 \
		tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel
	ip -n "$NSX" xfrm policy add src 10.2.0.0/24 dst 10.1.0.0/24 dir fwd priority 1000 \
		tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 1 mode tunnel
	x_start X "$NSX" --datapath xfrm
	r=$(ike_load X "$(trap_conf t 10.1.0.0/24 10.2.0.0/24)")
	echo "$r"
	jq -e '.result.failed[0].message | test("refused its trap policies")' <<<"$r"
	[ "$(grep -c "policy: the kernel refused the policy: File exists" "$DIR/X.log")" -eq 1 ]
	run pols "$NSX"
	echo "$output"
	[ "${#lines[@]}" -eq 2 ]
	[[ $output != *"reqid $(reqid_of X)"* ]]
	ip -n "$NSX" xfrm policy delete src 10.1.0.0/24 dst 10.2.0.0/24 dir out
	r=$(REV=2 ike_load X "$(trap_conf t 10.1.0.0/24 10.2.0.0/24 '{"rekey_time": 3600}')")
	echo "$r"
	jq -e '.result.failed[0].message | test("refused its trap policies")' <<<"$r"
	[ "$(grep -c "policy: the kernel refused the policy: File exists" "$DIR/X.log")" -eq 2 ]
	run pols "$NSX"
	echo "$output"
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == *"dir fwd"*"reqid 1 "* ]]
	ike_stop X
	[ "$(pols "$NSX" | wc -l)" -eq 1 ]
}

@test "two instances and a strongSwan-like policy in one namespace: each removes only its own" {
	ip -n "$NSX" xfrm policy add src 10.9.0.0/24 dst 10.8.0.0/24 dir out \
		tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel
	ip -n "$NSX" xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1234 reqid 1 mode tunnel \
		enc 'cipher_null' '' 2>/dev/null || true	# absent on this kernel: the policy alone then
	x_start X "$NSX" --datapath xfrm
	x_start X2 "$NSX" --datapath xfrm
	ike_load X "$(trap_conf t 10.1.0.0/24 10.2.0.0/24)"
	ike_load X2 "$(trap_conf t2 10.1.1.0/24 10.2.1.0/24)"
	local r1 r2; r1=$(reqid_of X) r2=$(reqid_of X2)
	[ "$r1" != "$r2" ]
	[ "$(pols "$NSX" | grep -c "reqid $r1 ")" -eq 3 ]
	[ "$(pols "$NSX" | grep -c "reqid $r2 ")" -eq 3 ]
	[ "$(ip -n "$NSX" route show proto 201 | wc -l)" -eq 2 ]
	ike_stop X2
	[ "$(pols "$NSX" | grep -c "reqid $r2 ")" -eq 0 ]
	[ "$(pols "$NSX" | grep -c "reqid $r1 ")" -eq 3 ]
	[ "$(ip -n "$NSX" route show proto 201)" = "$(ip -n "$NSX" route show 10.2.0.0/24 proto 201)" ]
	ike_stop X
	run pols "$NSX"
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == "src 10.9.0.0/24 dst 10.8.0.0/24 dir out"*"reqid 1 "* ]]
	[ -z "$(ip -n "$NSX" route show proto 201)" ]
}

@test "a route that existed before is used and left alone" {
	ip -n "$NSX" route add 10.2.0.0/24 dev xa
	x_start X "$NSX" --datapath xfrm
	ike_load X "$(trap_conf t 10.1.0.0/24 10.2.0.0/24)"
	grep -q "a route to the remote selectors exists already" "$DIR/X.log"
	ike_stop X
	[ "$(ip -n "$NSX" route show 10.2.0.0/24)" = "10.2.0.0/24 dev xa scope link " ]
	ip -n "$NSX" route del 10.2.0.0/24 dev xa
}

@test "a connection for another datapath fails visibly on an xfrm instance" {
	x_start X "$NSX" --datapath xfrm
	r=$(ike_load X "$(ike_conf t 192.0.2.1 192.0.2.2 x.test u.test 10.1.0.0/24 10.2.0.0/24)")
	echo "$r"
	jq -e '.result.failed[0].message == "the connection asks for the user datapath; this secgw-iked runs xfrm (--datapath)"' <<<"$r"
	[ "$(sa X '.connections[0].state')" = failed ]
	ike_stop X
}
