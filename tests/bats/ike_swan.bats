#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# secgw-iked (IKE, user datapath) against a real strongSwan 5.9 charon
# (kernel-libipsec): tunnels negotiated either way with both suites, and
# over IPv6, carry ping and TCP both ways; INVALID_KE_PAYLOAD; COOKIEs under
# a half-open flood; rekeys while traffic flows, and rekeys that cross;
# failures explained on both sides; liveness, terminate, shutdown, trap; a
# second CHILD SA on the same IKE SA from either side. What each side believes comes from
# its own mouth: secgw-iked's events and list-sas, swanctl --list-sas and
# charon's log.
#
#   netns iA                                          netns iB
#   secgw-iked 192.0.2.1 (a0) <----- veth -----> (b0) 192.0.2.2 charon
#              fd00:2::1                              fd00:2::2
#   lo 10.1.0.1/24, fd01::1/64, TUN secgw0            lo 10.2.0.1/24, fd02::1/64, TUN ipsec0

load helpers
load ike_lib

PSK=ike-swan-test-psk-0123456789

setup_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	source "$SECGW_ROOT/tests/tools/netns.bash"
	local t; t=$(run_tag)
	export NSA=iA$t NSB=iB$t
	netns_add "$NSA"; netns_add "$NSB"
	netns_veth "$NSA" a0 "$NSB" b0
	netns_addr "$NSA" a0 192.0.2.1/24; netns_addr "$NSA" lo 10.1.0.1/24
	netns_addr "$NSB" b0 192.0.2.2/24; netns_addr "$NSB" lo 10.2.0.1/24
	netns_addr "$NSA" a0 fd00:2::1/64; netns_addr "$NSA" lo fd01::1/64
	netns_addr "$NSB" b0 fd00:2::2/64; netns_addr "$NSB" lo fd02::1/64
	export NETNS_MADE
}

teardown_file() {
	netns_file_cleanup
}

setup() {
	require_root
	require_cmd swanctl jq iperf3
	source "$SECGW_ROOT/tests/tools/swan.bash"
	DIR=$BATS_TEST_TMPDIR
	mkdir -p "$DIR/B"
	ike_start A "$NSA"
}

teardown() {
	if [[ -z ${BATS_TEST_COMPLETED:-} && -d ${DIR:-}/B ]]; then
		echo "--- charon (tail)"; tail -n 40 "$DIR/B/charon.log" 2>/dev/null
	fi
	ike_teardown
	[[ -d ${DIR:-}/B ]] && swan_stop "$DIR/B"
	return 0
}

# swan_conf CONF-VARS...: charon's swanctl.conf for this topology.
swan_conf() {
	env SWAN_LOCAL_ADDRS=192.0.2.2 SWAN_REMOTE_ADDRS=192.0.2.1 SWAN_LOCAL_ID=b.swan.test \
		SWAN_REMOTE_ID=a.swan.test SWAN_PSK=$PSK SWAN_LOCAL_TS=10.2.0.0/24 \
		SWAN_REMOTE_TS=10.1.0.0/24 "$@" bash -c \
		"source '$SECGW_ROOT/tests/tools/swan.bash'; swan_conn_conf"
}

# swan CONF-VARS...: that configuration, and start charon with it.
swan() {
	swan_conf "$@" >"$DIR/B/swanctl.conf"
	swan_start "$DIR/B" "$NSB"
}

# ours [CONN-JSON [CHILD-JSON]]: load our side of this topology on A.
ours() {
	ike_load A "$(ike_conf t 192.0.2.1 192.0.2.2 a.swan.test b.swan.test 10.1.0.0/24 10.2.0.0/24 "$@")" >/dev/null
}

swan_sas() { swan_ctl "$DIR/B" --list-sas --noblock 2>/dev/null; }
no_swan_sa() { ! swan_sas | grep -q 'ESTABLISHED\|CONNECTING\|INSTALLED'; }
installed_is() { [[ $(swan_sas | grep -c 'INSTALLED') -eq $1 ]]; }
charon_log() { grep -q -- "$1" "$DIR/B/charon.log"; }
swan_initiate() { swan_ctl "$DIR/B" --initiate --child net --timeout "${1:-10}" >"$DIR/init.out" 2>&1; }
# The SPIs charon shows for its CHILD SA: "IN OUT".
swan_spis() { swan_sas | awk '/^ +in /{i=$2} /^ +out /{o=$2} END{print i, o}' | tr -d ','; }
up() { wait_until 10 ev A '.event == "child-up"' && wait_until 5 swan_child_installed "$DIR/B" net; }

# Both ways: ping, then TCP.
traffic() {
	wait_until 10 pinged "$NSA" 10.1.0.1 10.2.0.1
	wait_until 5 pinged "$NSB" 10.2.0.1 10.1.0.1
	tcp_both "$NSA" "$NSB" 10.2.0.1 10.1.0.1 "${1:-5}"
}

@test "secgw initiates (chacha20poly1305): SPIs agree, ping and TCP both ways" {
	swan
	ours '{}' '{"start_action": "start"}'
	up
	[ "$(sa A '.connections[0].ike.proposal')" = chacha20poly1305-prfsha256-x25519 ]
	swan_sas | grep -q 'CHACHA20_POLY1305/PRF_HMAC_SHA2_256/CURVE_25519'
	# list-sas: state, identities, SPIs as charon has them, times to rekey.
	[ "$(sa A '.connections[0] | [.state, .ike.state, .ike.initiator, .ike.local_id, .ike.remote_id] | map(tostring) | join(" ")')" = \
		"established established true a.swan.test b.swan.test" ]
	swan_sas | grep -q "$(sa A '.connections[0].ike | .spi_i + "_i " + .spi_r + "_r"')"
	[ "$(sa A '.connections[0].ike.rekey_in')" -gt 0 ] && [ "$(sa A '.connections[0].children[0].rekey_in')" -gt 0 ]
	[ "$(sa A '.connections[0].children[0] | [.state, .mode, .proposal] | join(" ")')" = "installed tunnel chacha20poly1305" ]
	# Ours in is charon's out and back.
	read -r sin sout < <(swan_spis)
	[ "$(sa A '.connections[0].children[0] | .spi_in + " " + .spi_out')" = "$sout $sin" ]
	# charon fakes a NAT for kernel-libipsec: IKE moved to 4500 on both sides.
	[ "$(sa A '.connections[0].ike.local')" = "192.0.2.1[4500]" ]
	swan_sas | grep -q "192.0.2.1\[4500\]"
	traffic
	# What crossed is counted on our CHILD SA, as charon counts it (give or
	# take what charon's receive buffer dropped and TCP sent again).
	local ours_b theirs_b
	ours_b=$(sa A '.connections[0].children[0].bytes_out')
	theirs_b=$(swan_sas | awk -v s="$sin," '$1 == "in" && $2 == s { print $3 }')
	echo "# bytes out: ours $ours_b, charon's in $theirs_b" >&3
	[ "$ours_b" -gt 2000000 ] && [ "$(sa A '.connections[0].children[0].bytes_in')" -gt 2000000 ]
	[ $((ours_b - theirs_b)) -le $((ours_b / 10)) ] && [ "$theirs_b" -le "$ours_b" ]
	[ "$(sa A '.connections[0].children[0].drops | add')" -eq 0 ]
	ike_stop A
}

@test "secgw initiates (aes256gcm16, prfsha512): ping and TCP both ways" {
	grep -qw aes /proc/cpuinfo || skip "no AES instructions"
	swan SWAN_IKE_PROPOSALS=aes256gcm16-prfsha512-x25519 SWAN_ESP_PROPOSALS=aes256gcm16
	ours '{"ike_proposals": ["aes256gcm16-prfsha512-x25519"]}' \
		'{"start_action": "start", "esp_proposals": ["aes256gcm16"]}'
	up
	swan_sas | grep -q 'AES_GCM_16-256/PRF_HMAC_SHA2_512/CURVE_25519'
	[ "$(sa A '.connections[0].children[0].proposal')" = aes256gcm16 ]
	traffic
}

@test "strongSwan initiates (chacha20poly1305 preferred by us): ping and TCP both ways" {
	swan SWAN_IKE_PROPOSALS=aes256gcm16-prfsha256-x25519,chacha20poly1305-prfsha256-x25519 \
		SWAN_ESP_PROPOSALS=aes256gcm16,chacha20poly1305
	ours '{"ike_proposals": ["chacha20poly1305-prfsha256-x25519", "aes256gcm16-prfsha256-x25519"]}' \
		'{"esp_proposals": ["chacha20poly1305", "aes256gcm16"]}'
	swan_initiate
	up
	# We choose in our configured order.
	[ "$(sa A '.connections[0].ike | .proposal + " " + (.initiator | tostring)')" = "chacha20poly1305-prfsha256-x25519 false" ]
	[ "$(sa A '.connections[0].children[0].proposal')" = chacha20poly1305 ]
	traffic
}

@test "strongSwan initiates (aes256gcm16): ping and TCP both ways" {
	grep -qw aes /proc/cpuinfo || skip "no AES instructions"
	swan SWAN_IKE_PROPOSALS=aes256gcm16-prfsha256-x25519 SWAN_ESP_PROPOSALS=aes256gcm16
	ours
	swan_initiate
	up
	swan_sas | grep -q 'ESP:AES_GCM_16-256'
	traffic
}

@test "IPv6 outside and inside: secgw initiates, then strongSwan does; ping and TCP both ways" {
	swan SWAN_LOCAL_ADDRS=fd00:2::2 SWAN_REMOTE_ADDRS=fd00:2::1 SWAN_LOCAL_TS=fd02::/64 SWAN_REMOTE_TS=fd01::/64
	ike_load A "$(ike_conf t fd00:2::1 fd00:2::2 a.swan.test b.swan.test fd01::/64 fd02::/64 \
		'{}' '{"start_action": "start"}')" >/dev/null
	up
	swan_sas | grep -q 'fd00:2::1\[4500\]'
	[ "$(sa A '.connections[0].children[0] | .local_ts[0] + " " + .remote_ts[0]')" = "fd01::/64 fd02::/64" ]
	wait_until 10 pinged "$NSA" fd01::1 fd02::1
	wait_until 5 pinged "$NSB" fd02::1 fd01::1
	tcp_both "$NSA" "$NSB" fd02::1 fd01::1 2
	# The other way round: charon ends it and starts again.
	swan_ctl "$DIR/B" --terminate --ike net --timeout 10 >/dev/null
	wait_until 10 child_is A t down
	swan_initiate
	wait_until 10 child_is A t installed
	[ "$(sa A '.connections[0].ike.initiator')" = false ]
	wait_until 10 pinged "$NSB" fd02::1 fd01::1
	wait_until 5 pinged "$NSA" fd01::1 fd02::1
}

@test "INVALID_KE_PAYLOAD: strongSwan sends a MODP-2048 key first, we ask for Curve25519, it retries, also on a PFS rekey" {
	SWAN_PLUGINS="$SWAN_DEFAULT_PLUGINS gmp" swan SWAN_IKE_PROPOSALS=chacha20poly1305-prfsha256-modp2048-x25519 \
		SWAN_ESP_PROPOSALS=chacha20poly1305-modp2048-x25519
	ours '{}' '{"esp_proposals": ["chacha20poly1305-x25519"]}'
	swan_initiate
	up
	charon_log "peer didn't accept DH group MODP_2048, it requested CURVE_25519"
	[ "$(sa A '.connections[0].ike.proposal')" = chacha20poly1305-prfsha256-x25519 ]
	wait_until 5 pinged "$NSA" 10.1.0.1 10.2.0.1
	# A CHILD rekey with PFS: the same dance inside CREATE_CHILD_SA.
	swan_ctl "$DIR/B" --rekey --child net >/dev/null
	wait_until 10 ev A '.event == "rekeyed" and .child == "net"'
	[ "$(grep -c "peer didn't accept DH group MODP_2048, it requested CURVE_25519" "$DIR/B/charon.log")" -eq 2 ]
	wait_until 10 installed_is 1
	wait_until 5 pinged "$NSA" 10.1.0.1 10.2.0.1
}

@test "half-open flood: COOKIEs past the threshold, no state for the flood, and strongSwan still gets in" {
	ike_stop A
	ike_start A "$NSA" --cookie-threshold 8 --half-open-max 16
	swan
	ours '{"remote_addrs": ["%any"]}'
	# 200 IKE_SA_INITs from an address that never follows up.
	ip -n "$NSB" addr add 192.0.2.3/24 dev b0
	local out
	out=$(ip netns exec "$NSB" "$IKE_PY" "$SECGW_ROOT/tests/tools/ike_flood.py" 192.0.2.3 192.0.2.1 200)
	ip -n "$NSB" addr del 192.0.2.3/24 dev b0
	echo "# flood: $out" >&3
	# (A socket buffer may drop part of the burst: every answer past the
	# threshold is a COOKIE, and iked counts exactly those.)
	local answered cookies other
	read -r _ _ _ answered _ cookies _ other <<<"$out"
	[ "$answered" -eq 8 ] && [ "$other" -eq 0 ] && [ "$cookies" -ge 100 ]
	[ "$(ctl A '{"id":1,"cmd":"stats"}' | jq .result.ike.half_open)" -le 8 ]
	[ "$(ctl A '{"id":1,"cmd":"stats"}' | jq .result.ike.cookies_sent)" -eq "$cookies" ]
	# charon meets a COOKIE too, returns it, and is let in.
	swan_initiate
	up
	[ "$(ctl A '{"id":1,"cmd":"stats"}' | jq .result.ike.cookies_sent)" -eq $((cookies + 1)) ]
	wait_until 5 pinged "$NSA" 10.1.0.1 10.2.0.1
}

# IKE messages into charon's namespace (UDP 4500, non-ESP marker) held
# back: responses (first rule, counted) and requests (second rule).
hold_ike() {
	ip netns exec "$NSB" nft -f - <<-'EOF'
		table inet hold {
			chain in {
				type filter hook input priority 0;
				udp dport 4500 @th,64,32 0 @th,250,1 1 counter drop
				udp dport 4500 @th,64,32 0 counter drop
			}
		}
	EOF
}
held_responses() {
	[[ $(ip netns exec "$NSB" nft list chain inet hold in | sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | head -n 1) -ge 1 ]]
}
pass_requests() {
	ip netns exec "$NSB" nft flush chain inet hold in &&
		ip netns exec "$NSB" nft add rule inet hold in udp dport 4500 @th,64,32 0 @th,250,1 1 drop
}
release_ike() { ip netns exec "$NSB" nft delete table inet hold; }

# Exactly one CHILD SA on each side, and the same one.
one_child_agreed() {
	local sin sout
	installed_is 1 || return 1
	[[ $(swan_sas | grep -Ec '^ +net: #') -eq 1 ]] || return 1
	read -r sin sout < <(swan_spis)
	[[ $(sa A '[.connections[0].children[] | select(.spi_in != null)] | map(.spi_in + " " + .spi_out) | join(",")') == "$sout $sin" ]]
}

# cross OUR-REKEY-ARGS SWANCTL-ARGS OUR-LOG-LINE: make two rekeys cross.
# Ours is held back at charon, charon's reaches us while ours is
# outstanding, our answer is held back. Then our retransmission passes
# and meets charon's own outstanding rekey (a collision there), and charon's
# answer tells us; last, charon's retransmission gets our cached answer, so
# both sides settle the collision knowing both exchanges.
cross() {
	hold_ike
	ctl A "{\"id\":1,\"cmd\":\"rekey\",\"connection\":\"t\",$1}" | jq -e .ok
	swan_ctl "$DIR/B" --rekey $2 >/dev/null
	wait_until 5 held_responses
	pass_requests
	wait_until 10 grep -q "$3" "$DIR/A.log"
	release_ike
}

@test "simultaneous rekeys (RFC 7296 2.8.1): CHILD and IKE rekeys that cross are settled alike on both sides" {
	require_cmd nft
	SWAN_CHARON_OPTS='retransmit_timeout = 1' swan
	ours '{}' '{"start_action": "start"}'
	up
	wait_until 5 pinged "$NSA" 10.1.0.1 10.2.0.1
	cross '"child":"net"' '--child net' 'rekey collision on net'
	wait_until 10 charon_log 'detected CHILD_REKEY collision'
	# The redundant pair is gone on both sides, the survivor is the same.
	wait_until 15 one_child_agreed
	wait_until 5 pinged "$NSA" 10.1.0.1 10.2.0.1
	cross '"ike":true' '--ike net' 'IKE rekey collision'
	wait_until 10 charon_log 'detected IKE_REKEY collision'
	wait_until 20 bash -c "[[ \$($IKE_PY '$CTL' ctl '$DIR/A.sock' '{\"id\":1,\"cmd\":\"list-sas\"}' | jq '.result.connections[0].ike_sas | length') -eq 1 ]]"
	wait_until 10 bash -c "[[ \$(STRONGSWAN_CONF='$DIR/B/strongswan.conf' swanctl --list-sas --noblock --uri unix://$DIR/B/charon.vici | grep -c ESTABLISHED) -eq 1 ]]"
	grep 'collision' "$DIR/A.log" "$DIR/B/charon.log" | sed 's/^/# /' >&3
	! ev A '.event == "child-down" or .event == "ike-down"' || false
	wait_until 15 one_child_agreed
	wait_until 5 pinged "$NSA" 10.1.0.1 10.2.0.1
}

@test "rekeys while a ping flood flows: CHILD and IKE SAs from both sides, few losses, old SAs gone" {
	# charon rekeys its CHILD SA every 3-5 s and its IKE SA every 6-8 s by
	# itself; we rekey on command (our shortest rekey_time is 60 s).
	swan SWAN_CHILD_OPTS='rekey_time = 5s
		life_time = 7s' SWAN_CONN_OPTS='rekey_time = 8s
		over_time = 3s'
	ours '{}' '{"start_action": "start"}'
	up
	ip netns exec "$NSA" ping -q -i 0.02 -c 600 -I 10.1.0.1 10.2.0.1 >"$DIR/ping.out" 2>&1 &
	local ping=$! n
	wait_until 10 ev A '.event == "rekeyed" and .child == "net"'
	ctl A '{"id":1,"cmd":"rekey","connection":"t","child":"net"}' | jq -e .ok
	wait_until 10 ev A '.event == "rekeyed" and (has("child") | not)'
	ctl A '{"id":1,"cmd":"rekey","connection":"t","ike":true}' | jq -e .ok
	wait_until 15 bash -c "[[ \$(jq -c 'select(.event == \"rekeyed\" and (has(\"child\") | not))' '$DIR/A.ev' | wc -l) -ge 2 ]]"
	wait "$ping" || true
	n=$(echoes_back "$DIR/ping.out")
	echo "# $((600 - n)) of 600 echoes lost across $(ev_count A '.event == "rekeyed"') rekeys" >&3
	[ "$n" -ge 597 ]
	[ "$(ev_count A '.event == "rekeyed" and .child == "net"')" -ge 3 ]
	! ev A '.event == "child-down" or .event == "ike-down"' || false
	# Old SAs are gone on both sides: one IKE SA, one CHILD SA each.
	wait_until 10 installed_is 1
	wait_until 10 child_is A t installed
	[ "$(sa A '.connections[0].ike_sas | length')" -eq 1 ]
	[ "$(ctl A '{"id":1,"cmd":"stats"}' | jq .result.ike.children_installed)" -eq 1 ]
	pinged "$NSA" 10.1.0.1 10.2.0.1
}

@test "wrong PSK, we initiate: AUTHENTICATION_FAILED on both sides, no SA left" {
	swan SWAN_PSK=a-different-psk-0123456789
	ours '{}' '{"start_action": "start"}'
	wait_until 10 ev A '.event == "auth-failed"'
	ev A '.event == "auth-failed" and (.reason | test("AUTHENTICATION_FAILED"))'
	wait_until 5 charon_log 'tried .* shared key for .* but MAC mismatched'
	no_swan_sa
	[ "$(sa A '.connections[0].state')" = down ]
	[ "$(sa A '.connections[0].children[0].state')" = down ]
	! ev A '.event == "ike-up"' || false
}

@test "wrong PSK, strongSwan initiates: we refuse and say why" {
	swan SWAN_PSK=a-different-psk-0123456789
	ours
	swan_initiate 5 || true
	wait_until 10 ev A '.event == "auth-failed" and (.reason | test("does not verify"))'
	wait_until 5 charon_log 'received AUTHENTICATION_FAILED notify error'
	no_swan_sa
	[ "$(sa A '.connections[0].ike_sas | length')" -eq 0 ]
}

@test "no common proposal: NO_PROPOSAL_CHOSEN, the offer explained transform by transform" {
	swan SWAN_IKE_PROPOSALS=aes128gcm16-prfsha384-x25519
	ours
	swan_initiate 5 || true
	wait_until 10 ev A '.event == "negotiation-failed" and .stage == "ike-proposal"'
	ev A '.event == "negotiation-failed" and (.offered | index("#1 IKE aes128gcm16-prfsha384-x25519: no common ENCR (we accept chacha20poly1305)"))'
	ev A '.event == "negotiation-failed" and (.accepted | index("IKE chacha20poly1305-prfsha256-x25519"))'
	charon_log 'received NO_PROPOSAL_CHOSEN notify error'
	# The same for ESP, with us initiating: charon refuses our CHILD SA.
	swan_stop "$DIR/B"
	swan SWAN_ESP_PROPOSALS=aes128gcm16
	ours '{}' '{"start_action": "start", "esp_proposals": ["chacha20poly1305"]}'
	wait_until 10 ev A '.event == "negotiation-failed" and .stage == "esp-proposal"'
	ev A '.reason == "NO_PROPOSAL_CHOSEN from peer" and (.offered | index("ESP chacha20poly1305"))'
	[ "$(sa A '.connections[0].children[0].state')" = down ]
}

@test "mismatched selectors: TS_UNACCEPTABLE either way, selector by selector" {
	swan SWAN_REMOTE_TS=10.9.0.0/24
	ours '{}' '{"start_action": "start"}'
	wait_until 10 ev A '.event == "negotiation-failed" and .stage == "ts"'
	ev A '.reason == "TS_UNACCEPTABLE from peer" and (.offered | index("TSi 10.1.0.0/24"))'
	wait_until 5 charon_log 'no acceptable traffic selectors\|failed to establish CHILD_SA'
	# And the other way round: strongSwan's offer, explained by us.
	swan_stop "$DIR/B"
	swan SWAN_LOCAL_TS=10.8.0.0/24
	ours	# a changed connection: re-established
	swan_initiate 5 || true
	wait_until 10 ev A '.event == "negotiation-failed" and (.reason | test("TSi 10.8.0.0/24 shares nothing with our 10.2.0.0/24"))'
	ev A '.event == "negotiation-failed" and (.accepted | index("TSi 10.2.0.0/24"))'
	! swan_child_installed "$DIR/B" net || false
}

@test "narrowing: strongSwan offers more, we narrow to our policy, and the narrowed tunnel carries traffic" {
	swan SWAN_LOCAL_TS=10.2.0.0/16 SWAN_REMOTE_TS=10.0.0.0/8
	ours
	swan_initiate
	up
	swan_sas | grep -q 'local  10.2.0.0/24'
	swan_sas | grep -q 'remote 10.1.0.0/24'
	[ "$(sa A '.connections[0].children[0] | .local_ts[0] + " " + .remote_ts[0]')" = "10.1.0.0/24 10.2.0.0/24" ]
	wait_until 10 pinged "$NSB" 10.2.0.1 10.1.0.1
	wait_until 10 pinged "$NSA" 10.1.0.1 10.2.0.1
}

@test "dead peer: charon stopped, detected within dpd_delay and the retransmissions, restarted when it returns" {
	swan
	# dpd_delay 2 s, then 3 retransmissions: 0.5 + 1 + 2 + 4 s.
	ours '{"dpd_delay": 2, "dpd_action": "restart"}' '{"start_action": "start"}'
	up
	wait_until 5 pinged "$NSA" 10.1.0.1 10.2.0.1
	local pid t0=$SECONDS
	pid=$(swan_pid "$DIR/B")
	kill -STOP "$pid"
	wait_until 14 ev A '.event == "ike-down" and .reason == "dead peer"'
	echo "# dead peer detected after $((SECONDS - t0)) s (configured: 2 + 7.5 s)" >&3
	ev A '.event == "child-down" and .child == "net" and .reason == "dead peer"'
	# The action: our side starts over at once, and keeps knocking.
	wait_until 2 bash -c "[[ \$($IKE_PY '$CTL' ctl '$DIR/A.sock' '{\"id\":1,\"cmd\":\"list-sas\"}' | jq -r '.result.connections[0].state') == connecting ]]"
	kill -CONT "$pid"
	wait_until 10 bash -c "[[ \$(jq -c 'select(.event == \"child-up\")' '$DIR/A.ev' | wc -l) -ge 2 ]]"
	wait_until 10 pinged "$NSA" 10.1.0.1 10.2.0.1
	[ "$(ctl A '{"id":1,"cmd":"stats"}' | jq .result.ike.children_installed)" -eq 1 ]
}

@test "terminate from either side removes the SAs on both" {
	swan
	ours '{}' '{"start_action": "start"}'
	up
	ctl A '{"id":1,"cmd":"terminate","connection":"t"}' | jq -e .ok
	wait_until 10 no_swan_sa
	wait_until 5 ev A '.event == "ike-down" and .reason == "deleted"'
	[ "$(sa A '.connections[0].state')" = down ]
	[ "$(ctl A '{"id":1,"cmd":"stats"}' | jq .result.ike.children_installed)" -eq 0 ]
	! pinged "$NSA" 10.1.0.1 10.2.0.1 || false
	swan_initiate
	wait_until 10 child_is A t installed
	swan_ctl "$DIR/B" --terminate --ike net --timeout 10 >/dev/null
	wait_until 10 ev A '.event == "ike-down" and .reason == "deleted by peer"'
	ev A '.event == "child-down" and .child == "net" and .reason == "deleted by peer"'
	wait_until 5 child_is A t down
	[ "$(ctl A '{"id":1,"cmd":"stats"}' | jq .result.ike.children_installed)" -eq 0 ]
	# And our shutdown: a Delete that charon honours.
	swan_initiate
	wait_until 10 child_is A t installed
	ike_stop A
	wait_until 10 no_swan_sa
	charon_log 'received DELETE for IKE_SA'
}

# Charon's configuration with a second child, net2 (10.2.1.0/24 ===
# 10.1.1.0/24), after the first.
swan_two_children() {
	swan_conf | awk '
		{ print }
		/^\t\t\t}$/ && !done {
			print "\t\t\tnet2 {"
			print "\t\t\t\tlocal_ts = 10.2.1.0/24"
			print "\t\t\t\tremote_ts = 10.1.1.0/24"
			print "\t\t\t\tesp_proposals = chacha20poly1305"
			print "\t\t\t}"
			done = 1
		}' >"$DIR/B/swanctl.conf"
	swan_start "$DIR/B" "$NSB"
}

ike_sa_count() { sa A '.connections[0].ike_sas | length'; }
no_swan_net2() { ! swan_sas | grep -q '^ *net2:'; }
net2_ups_are() { [[ $(ev_count A '.event == "child-up" and .child == "net2"') -eq $1 ]]; }

@test "a second CHILD SA on the same IKE SA (CREATE_CHILD_SA), made by either side, carries its own traffic" {
	ip -n "$NSA" addr add 10.1.1.1/24 dev lo
	ip -n "$NSB" addr add 10.2.1.1/24 dev lo
	swan_two_children
	ike_load A "$(ike_conf t 192.0.2.1 192.0.2.2 a.swan.test b.swan.test 10.1.0.0/24 10.2.0.0/24 |
		jq -c '.connections[0].children += [{name: "net2", local_ts: ["10.1.1.0/24"],
							remote_ts: ["10.2.1.0/24"]}]')" >/dev/null
	ctl A '{"id":1,"cmd":"initiate","connection":"t","child":"net"}' | jq -e .ok
	up
	# Ours: a CREATE_CHILD_SA on the IKE SA that is up, not a second IKE SA.
	ctl A '{"id":1,"cmd":"initiate","connection":"t","child":"net2"}' | jq -e .ok
	wait_until 10 ev A '.event == "child-up" and .child == "net2"'
	wait_until 5 swan_child_installed "$DIR/B" net2
	[ "$(ike_sa_count)" -eq 1 ]
	[ "$(swan_sas | grep -c ESTABLISHED)" -eq 1 ]
	wait_until 5 pinged "$NSA" 10.1.1.1 10.2.1.1
	wait_until 5 pinged "$NSB" 10.2.1.1 10.1.1.1
	pinged "$NSA" 10.1.0.1 10.2.0.1
	# Ours ends: charon keeps the IKE SA and net.
	ctl A '{"id":1,"cmd":"terminate","connection":"t","child":"net2"}' | jq -e .ok
	wait_until 10 no_swan_net2
	swan_child_installed "$DIR/B" net
	# Charon's: its CREATE_CHILD_SA, which we answer on the same IKE SA.
	swan_ctl "$DIR/B" --initiate --child net2 --timeout 10 >"$DIR/init.out" 2>&1
	wait_until 10 net2_ups_are 2
	charon_log 'CREATE_CHILD_SA'
	[ "$(ike_sa_count)" -eq 1 ]
	wait_until 5 pinged "$NSB" 10.2.1.1 10.1.1.1
	wait_until 5 pinged "$NSA" 10.1.1.1 10.2.1.1
	! ev A '.event == "ike-down"' || false
	ip -n "$NSA" addr del 10.1.1.1/24 dev lo
	ip -n "$NSB" addr del 10.2.1.1/24 dev lo
}

@test "start_action trap: the first packet brings the tunnel up" {
	swan
	ours '{}' '{"start_action": "trap"}'
	[ "$(sa A '.connections[0].children[0].state')" = trap ]
	! ev A '.event == "ike-up"' || false
	# The first echo meets the trap policy (and is lost); the acquire
	# starts the negotiation, and the echoes after it pass.
	wait_until 10 pinged "$NSA" 10.1.0.1 10.2.0.1
	ev A '.event == "child-up"'
	[ "$(ctl A '{"id":1,"cmd":"stats"}' | jq .result.ike.acquires)" -ge 1 ]
	# Once deleted, it falls back to the trap.
	swan_ctl "$DIR/B" --terminate --ike net --timeout 10 >/dev/null
	wait_until 10 child_is A t trap
	ike_stop A
}
