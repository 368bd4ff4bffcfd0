#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# secgw-iked's control plane with the user datapath: the control protocol
# (bad lines, unknown commands, the IKE commands' arguments), configuration
# errors (every error named by its JSON path, nothing installed), reconcile
# by connection name (unchanged SAs keep their counters), IKE connections
# beside manual ones, and clean shutdown (SIGTERM removes SAs, routes,
# rules, TUN).
#
#   netns eA  ea 192.0.2.1  <--- veth --->  eb 192.0.2.2  netns eB
#             lo 10.1.0.1                     lo 10.2.0.1

load helpers
load esp_lib

# esp_lib provides setup_file/teardown_file: the topology, a secgw-iked on
# each side, and their removal.

setup() {
	require_root
	require_cmd jq socat
}

# A manual tunnel connection NAME between the inside /24s of A and B, with
# an inbound SPI base; KEYNAME names the secret (both sides share it here).
mconn() {
	local side=$1 name=$2 spi=$3 la=192.0.2.1 ra=192.0.2.2 l=10.1.0.0/24 r=10.2.0.0/24 in out
	in=$spi out=$((spi + 1))
	if [[ $side == B ]]; then la=192.0.2.2 ra=192.0.2.1 l=10.2.0.0/24 r=10.1.0.0/24 in=$((spi + 1)) out=$spi; fi
	printf '{"name":"%s","keying":"manual","local_addrs":["%s"],"remote_addrs":["%s"],"children":[{"name":"c","local_ts":["%s"],"remote_ts":["%s"],"esp_proposals":["chacha20poly1305"],"manual":{"spi_in":%d,"spi_out":%d,"key_in":"k","key_out":"k"}}]}' \
		"$name" "$la" "$ra" "$l" "$r" "$in" "$out"
}

secret() {
	printf '"secrets":{"k":{"type":"key","value":"%s"}}' "${1:-$KEY_AB}"
}

names() {
	jq -c "[.result.$1[]] | sort" <<<"$2"
}

@test "lines that are not requests get an answer, not a crash" {
	run ctl A 'this is not json'
	[ "$(jq -r .ok <<<"$output")" = false ] && [ "$(jq -r .id <<<"$output")" = null ]
	run ctl A '{"id":5}'
	[ "$(jq -r .ok <<<"$output")" = false ] && [ "$(jq -r .id <<<"$output")" = 5 ]
	[[ $(jq -r .error.message <<<"$output") == *cmd* ]]
	run ctl A '{"id":"x","cmd":"frobnicate"}'
	[ "$(jq -r .id <<<"$output")" = x ]
	[[ $(jq -r .error.message <<<"$output") == *"unknown cmd"*list-sas* ]]
	run ctl A '[1,2,3]'
	[ "$(jq -r .ok <<<"$output")" = false ]
	run ctl A '{"id":6,"cmd":"stats"}'
	[ "$(jq -r .ok <<<"$output")" = true ]
	[ "$(jq -r '.result.datapath.drops | has("replay") and has("auth") and has("selector")' <<<"$output")" = true ]
}

@test "initiate, terminate and rekey check what they are asked to act on; subscribe answers" {
	load A "{\"connections\":[$(mconn A m 4096)],$(secret)}" >/dev/null
	local c
	for c in initiate terminate rekey; do
		run ctl A "{\"id\":1,\"cmd\":\"$c\",\"connection\":\"x\"}"
		[ "$(jq -r .ok <<<"$output")" = false ]
		[ "$(jq -r .error.message <<<"$output")" = "no connection x" ]
		run ctl A "{\"id\":1,\"cmd\":\"$c\",\"connection\":\"m\"}"
		[[ $(jq -r .error.message <<<"$output") == "m uses manual keying"* ]]
		run ctl A "{\"id\":1,\"cmd\":\"$c\"}"
		[ "$(jq -r .error.errors[0].field <<<"$output")" = connection ]
		run ctl A "{\"id\":1,\"cmd\":\"$c\",\"connection\":7}"
		[ "$(jq -r .error.errors[0].message <<<"$output")" = "must be a string" ]
	done
	run ctl A '{"id":1,"cmd":"rekey","connection":"m","ike":"yes"}'
	[ "$(jq -r .error.errors[0].field <<<"$output")" = ike ]
	run ctl A '{"id":9,"cmd":"subscribe"}'
	[ "$(jq -c . <<<"$output")" = '{"id":9,"ok":true,"result":{}}' ]
}

@test "a bad configuration is refused whole, every error named by its path" {
	local bad r
	load A "{\"connections\":[$(mconn A good 4096)],$(secret)}" >/dev/null
	bad='{"connections":[{"name":"x y","local_port":0,"keying":"manual","local_addrs":["%any"],
	  "remote_addrs":["192.0.2.2"],"frobnicate":1,
	  "children":[{"name":"c","local_ts":["10.1.0.1/24"],"remote_ts":["10.2.0.0/24"],
	  "esp_proposals":["aes128cbc"],"replay_window":16,
	  "manual":{"spi_in":5,"spi_out":4097,"key_in":"nokey","key_out":"hex:00"}}]}],
	  "secrets":{"s":{"type":"key","value":"abcd"}}}'
	r=$(ctl A "{\"id\":3,\"cmd\":\"load\",\"revision\":9,\"config\":$(jq -c . <<<"$bad")}")
	echo "$r" | jq .
	[ "$(jq -r .ok <<<"$r")" = false ]
	[ "$(jq -r .error.message <<<"$r")" = "invalid configuration" ]
	for f in connections[0].name connections[0].local_port connections[0].frobnicate \
		connections[0].local_addrs[0] connections[0].children[0].local_ts[0] \
		connections[0].children[0].esp_proposals[0] connections[0].children[0].replay_window \
		connections[0].children[0].manual.spi_in connections[0].children[0].manual.key_in \
		connections[0].children[0].manual.key_out secrets.s.value; do
		jq -e --arg f "$f" '.error.errors | map(.field) | index($f)' <<<"$r" >/dev/null ||
			{ echo "no error for $f"; return 1; }
	done
	[[ $(jq -r '.error.errors[] | select(.field == "connections[0].children[0].local_ts[0]") | .message' <<<"$r") == *"host bits"* ]]
	[[ $(jq -r '.error.errors[] | select(.field == "connections[0].children[0].manual.key_out") | .message' <<<"$r") == *"--config file"* ]]
	# Nothing changed: the previous revision and its connection are there.
	r=$(ctl A '{"id":4,"cmd":"list-sas"}')
	[ "$(jq -r '.result.connections | map(.name) | join(",")' <<<"$r")" = good ]
	[ "$(jq -r .result.connections[0].state <<<"$r")" = installed ]
}

@test "IKE connections sit beside manual ones: down until initiated, then connecting" {
	local r cfg hq
	cfg="{\"connections\":[$(mconn A m 4096),{\"name\":\"hq\",\"remote_addrs\":[\"192.0.2.9\"],\"psk\":\"p\",
	  \"children\":[{\"name\":\"lan\",\"local_ts\":[\"10.1.0.0/24\"],\"remote_ts\":[\"10.9.0.0/24\"]}]}],
	  \"secrets\":{\"k\":{\"type\":\"key\",\"value\":\"$KEY_AB\"},\"p\":{\"type\":\"psk\",\"value\":\"a-long-enough-psk\"}}}"
	load A "$cfg" >/dev/null
	r=$(ctl A '{"id":1,"cmd":"list-sas"}')
	hq='.result.connections[] | select(.name == "hq")'
	[ "$(jq -r "$hq | .state" <<<"$r")" = down ]
	[ "$(jq -r "$hq | .ike" <<<"$r")" = null ]
	[ "$(jq -r "$hq | .ike_sas | length" <<<"$r")" = 0 ]
	[ "$(jq -c "$hq | .children[0] | [.name, .state, .spi_in, .remote_ts, .bytes_in]" <<<"$r")" = '["lan","down",null,["10.9.0.0/24"],0]' ]
	[ "$(jq -r '.result.connections[] | select(.name == "m") | .state' <<<"$r")" = installed ]
	[ "$(jq -r '.result.connections[] | select(.name == "m") | .ike' <<<"$r")" = null ]
	# Nobody answers at 192.0.2.9: the IKE SA stays on its way up.
	run ctl A '{"id":2,"cmd":"initiate","connection":"hq"}'
	[ "$(jq -c .result <<<"$output")" = '{}' ]
	r=$(ctl A '{"id":3,"cmd":"list-sas","connection":"hq"}')
	[ "$(jq -r '.result.connections | length' <<<"$r")" = 1 ]
	[ "$(jq -r '.result.connections[0].state' <<<"$r")" = connecting ]
	[ "$(jq -r '.result.connections[0].ike.state' <<<"$r")" = connecting ]
	[ "$(jq -r '.result.connections[0].ike.initiator' <<<"$r")" = true ]
	run ctl A '{"id":4,"cmd":"rekey","connection":"hq","ike":true}'
	[ "$(jq -r .error.message <<<"$output")" = "hq has no established IKE SA to rekey" ]
	run ctl A '{"id":5,"cmd":"terminate","connection":"hq"}'
	[ "$(jq -r .ok <<<"$output")" = true ]
	[ "$(ctl A '{"id":6,"cmd":"list-sas","connection":"hq"}' | jq -r '.result.connections[0].state')" = down ]
	[ "$(ctl A '{"id":7,"cmd":"stats"}' | jq -r '.result.ike.tx')" -ge 1 ]
}

@test "reconcile by name: unchanged SAs keep their counters, changed ones are replaced, removed ones go" {
	local r c1 c2
	load A "{\"connections\":[$(mconn A one 4096),$(mconn A two 5000)],$(secret)}" >/dev/null
	load B "{\"connections\":[$(mconn B one 4096),$(mconn B two 5000)],$(secret)}" >/dev/null
	wait_until 10 pinged "$NSA" 10.1.0.1 10.2.0.1
	ip netns exec "$NSA" ping -c 3 -i 0.2 -I 10.1.0.1 10.2.0.1 >/dev/null
	c1=$(ctl B '{"id":1,"cmd":"list-sas","connection":"one"}' | jq .result.connections[0].children[0].packets_in)
	[ "$c1" -ge 3 ]
	# two gets new SPIs, three is new, one is byte-for-byte the same.
	r=$(REV=2 load B "{\"connections\":[$(mconn B one 4096),$(mconn B two 6000),$(mconn B three 7000)],$(secret)}")
	[ "$(names unchanged "$r")" = '["one"]' ]
	[ "$(names changed "$r")" = '["two"]' ]
	[ "$(names added "$r")" = '["three"]' ]
	[ "$(names removed "$r")" = '[]' ]
	c2=$(ctl B '{"id":1,"cmd":"list-sas","connection":"one"}' | jq .result.connections[0].children[0].packets_in)
	[ "$c2" -eq "$c1" ]
	wait_until 10 pinged "$NSA" 10.1.0.1 10.2.0.1
	# The same connection with another key value is a changed connection.
	r=$(REV=3 load B "{\"connections\":[$(mconn B one 4096)],$(secret "$KEY_BA")}")
	[ "$(names changed "$r")" = '["one"]' ]
	[ "$(names removed "$r")" = '["three","two"]' ]
	[ "$(ctl B '{"id":1,"cmd":"list-sas"}' | jq .result.connections[0].children[0].packets_in)" -eq 0 ]
	[ "$(ctl B '{"id":1,"cmd":"list-sas"}' | jq .result.revision)" -eq 3 ]
	# Now the keys differ: A's packets fail the ICV at B, and are counted.
	ip netns exec "$NSA" ping -c 2 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null || true
	[ "$(ctl B '{"id":1,"cmd":"list-sas"}' | jq .result.connections[0].children[0].drops.auth)" -ge 1 ]
	# Removing everything removes the routes too.
	load B '{"connections":[]}' >/dev/null
	[ -z "$(ip -n "$NSB" route show table 1516)" ]
}

@test "--config with errors: exits non-zero, names the fields, leaves nothing behind" {
	local ns=$NSA t
	cat >"$DIR/bad.json" <<'JSON'
{"connections": [{"name": "b", "keying": "manual", "local_addrs": ["192.0.2.1"], "remote_addrs": ["192.0.2.2"],
  "children": [{"name": "c", "manual": {"spi_in": 4096, "spi_out": 4097, "key_in": "hex:0011", "key_out": "missing"}}],
  "dpd_delay": 99999}]}
JSON
	t=$(ip -n "$ns" -o link show | grep -c secgw || true)
	run ip netns exec "$ns" "$SECGW_BIN/secgw-iked" --config "$DIR/bad.json" --control "$DIR/bad.sock" --tun esptst0
	[ "$status" -eq 3 ]
	[[ $output == *"connections[0].dpd_delay"* ]]
	[[ $output == *"connections[0].children[0].manual.key_in"* ]]
	[[ $output == *"connections[0].children[0].manual.key_out"*"missing"* ]]
	[[ $output == *"nothing installed"* ]]
	! ip -n "$ns" link show esptst0 2>/dev/null || false
	[ ! -e "$DIR/bad.sock" ]
}

@test "SIGTERM removes SAs, routes, rules and the TUN device, and exits 0" {
	local pid tun rc
	iked_stop A
	# A child of this shell, so that its exit status can be read.
	ip netns exec "$NSA" "$SECGW_BIN/secgw-iked" --control "$DIR/A.sock" >"$DIR/A2.log" 2>&1 &
	pid=$!
	wait_until 10 test -S "$DIR/A.sock"
	load A "{\"connections\":[$(mconn A one 4096)],$(secret)}" >/dev/null
	tun=$(ip -n "$NSA" -o link show | awk -F': ' '/secgw/ { print $2 }')
	[ -n "$tun" ]
	[ -n "$(ip -n "$NSA" route show table 1516)" ]
	ip -n "$NSA" rule | grep -q 'lookup 1516'
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ]
	grep -q "connection one removed" "$DIR/A2.log"
	! ip -n "$NSA" link show "$tun" 2>/dev/null || false
	[ -z "$(ip -n "$NSA" route show table 1516 2>/dev/null)" ]
	! ip -n "$NSA" rule | grep -q 'lookup 1516' || false
	! ip -n "$NSA" -6 rule | grep -q 'lookup 1516' || false
	[ ! -e "$DIR/A.sock" ]
	iked_start A	# for teardown symmetry
}

@test "both daemons stop cleanly, with no sanitizer report" {
	iked_stop_clean A
	iked_stop_clean B
}
