#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# The IKEv2 engine against a real strongSwan 5.9 charon, at the IKE level:
# bench/ikepeer (the engine on UDP sockets, no datapath) in one namespace,
# charon in the other. Both directions, both suites, rekeys, failures,
# liveness and deletes; what each side believes is read from its own
# output (ikepeer's event lines, swanctl --list-sas).
#
#   netns iA                                   netns iB
#   ikepeer 192.0.2.1 (a0) <----- veth -----> (b0) 192.0.2.2 charon
#   lo 10.1.0.1/24                                 lo 10.2.0.1/24

load helpers

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
	export NETNS_MADE
}

teardown_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	source "$SECGW_ROOT/tests/tools/netns.bash"
	netns_cleanup
}

setup() {
	require_root
	require_cmd swanctl
	[[ -x $SECGW_BIN/ikepeer ]] || skip "ikepeer not built"
	source "$SECGW_ROOT/tests/tools/swan.bash"
	DIR=$BATS_TEST_TMPDIR
	PEER_PID=
	mkdir -p "$DIR/B"
}

teardown() {
	if [[ -z ${BATS_TEST_COMPLETED:-} && -d ${DIR:-}/B ]]; then
		# A failure shows both sides' view.
		echo "--- ikepeer stdout"; cat "$DIR/peer.out" 2>/dev/null
		echo "--- ikepeer stderr (tail)"; tail -n 30 "$DIR/peer.err" 2>/dev/null
		echo "--- charon (tail)"; tail -n 40 "$DIR/B/charon.log" 2>/dev/null
	fi
	[[ -n ${PEER_PID:-} ]] && stop_pid "$PEER_PID" 5
	[[ -d ${DIR:-}/B ]] && swan_stop "$DIR/B"
	return 0
}

# swan CONF-VARS...: write charon's swanctl.conf (defaults for this topology) and start it.
swan() {
	env SWAN_LOCAL_ADDRS=192.0.2.2 SWAN_REMOTE_ADDRS=192.0.2.1 SWAN_LOCAL_ID=b.swan.test \
		SWAN_REMOTE_ID=a.swan.test SWAN_PSK=$PSK SWAN_LOCAL_TS=10.2.0.0/24 \
		SWAN_REMOTE_TS=10.1.0.0/24 "$@" bash -c \
		"source '$SECGW_ROOT/tests/tools/swan.bash'; swan_conn_conf" >"$DIR/B/swanctl.conf"
	swan_start "$DIR/B" "$NSB"
}

# peer ARGS...: ikepeer in iA with this topology's defaults, output in $DIR/peer.out.
peer() {
	ip netns exec "$NSA" "$SECGW_BIN/ikepeer" --local 192.0.2.1 --remote 192.0.2.2 \
		--psk "$PSK" --local-id a.swan.test --remote-id b.swan.test \
		--local-ts 10.1.0.0/24 --remote-ts 10.2.0.0/24 --log info "$@" \
		>"$DIR/peer.out" 2>"$DIR/peer.err" &
	PEER_PID=$!
	wait_until 5 grep -q '^ready' "$DIR/peer.out"
}

says() { grep -q -- "$1" "$DIR/peer.out"; }
count() { grep -c -- "$1" "$DIR/peer.out"; }
swan_sas() { swan_ctl "$DIR/B" --list-sas --noblock 2>/dev/null; }
no_swan_sa() { ! swan_sas | grep -q 'ESTABLISHED\|CONNECTING'; }
charon_log() { grep -q -- "$1" "$DIR/B/charon.log"; }

# installed_is N: charon shows exactly N installed CHILD SAs.
installed_is() { [[ $(swan_sas | grep -c 'INSTALLED') -eq $1 ]]; }
# lines_are N PATTERN: ikepeer printed PATTERN exactly N times.
lines_are() { [[ $(count "$2") -eq $1 ]]; }
lines_at_least() { [[ $(count "$2") -ge $1 ]]; }

# The SPIs charon shows for its CHILD SA: "in SPI_IN out SPI_OUT".
swan_spis() {
	swan_sas | awk '/^ +in /{i=$2} /^ +out /{o=$2} END{print i, o}' | tr -d ','
}

@test "secgw initiates to strongSwan (chacha20poly1305)" {
	swan
	peer --initiate
	wait_until 10 says '^child-up peer/net'
	wait_until 5 swan_child_installed "$DIR/B" net
	says '^ike-up peer proposal=chacha20poly1305-prfsha256-x25519'
	swan_sas | grep -q 'CHACHA20_POLY1305/PRF_HMAC_SHA2_256/CURVE_25519'
	# Both sides agree on the SPIs: ours in is charon's out and back.
	read -r sin sout < <(swan_spis)
	says "spi_in=$sout spi_out=$sin"
	# IKE moved to 4500: charon fakes a NAT for kernel-libipsec.
	swan_sas | grep -q "192.0.2.1\[4500\]"
}

@test "secgw initiates to strongSwan (aes256gcm16, prfsha512)" {
	grep -qw aes /proc/cpuinfo || skip "no AES instructions"
	swan SWAN_IKE_PROPOSALS=aes256gcm16-prfsha512-x25519 SWAN_ESP_PROPOSALS=aes256gcm16
	peer --initiate --ike aes256gcm16-prfsha512-x25519 --esp aes256gcm16
	wait_until 10 says '^child-up peer/net.*proposal=aes256gcm16'
	wait_until 5 swan_child_installed "$DIR/B" net
	swan_sas | grep -q 'AES_GCM_16-256/PRF_HMAC_SHA2_512/CURVE_25519'
}

@test "strongSwan initiates to secgw, both suites offered" {
	swan SWAN_IKE_PROPOSALS=aes256gcm16-prfsha256-x25519,chacha20poly1305-prfsha256-x25519
	peer --ike chacha20poly1305-prfsha256-x25519 --ike aes256gcm16-prfsha256-x25519
	swan_ctl "$DIR/B" --initiate --child net --timeout 10 >"$DIR/init.out"
	wait_until 10 says '^child-up peer/net'
	swan_child_installed "$DIR/B" net
	# We choose in our configured order: chacha20poly1305 first.
	says '^ike-up peer proposal=chacha20poly1305-prfsha256-x25519'
}

@test "CHILD SA rekey from either side, old SAs gone on both" {
	swan
	peer --initiate
	wait_until 10 says '^child-up peer/net'
	wait_until 5 swan_child_installed "$DIR/B" net
	read -r in1 out1 < <(swan_spis)
	kill -HUP "$PEER_PID"
	wait_until 10 says '^rekeyed peer/net'
	wait_until 10 charon_log "closing CHILD_SA net{1}"
	read -r in2 out2 < <(swan_spis)
	[[ $in2 != "$in1" && $out2 != "$out1" ]]
	installed_is 1
	swan_ctl "$DIR/B" --rekey --child net >/dev/null
	wait_until 10 lines_are 2 '^rekeyed peer/net'
	wait_until 10 installed_is 1
	read -r in3 out3 < <(swan_spis)
	[[ $in3 != "$in2" ]]
	says "spi_in=$out3 spi_out=$in3"
}

@test "IKE SA rekey from either side keeps the CHILD SA" {
	swan
	peer --initiate
	wait_until 10 says '^child-up peer/net'
	wait_until 5 swan_child_installed "$DIR/B" net
	kill -USR2 "$PEER_PID"
	wait_until 10 says '^rekeyed peer proposal'
	wait_until 10 charon_log 'IKE_SA net\[1\] state change: .* => DESTROYING'
	swan_ike_established "$DIR/B" net
	swan_child_installed "$DIR/B" net
	swan_ctl "$DIR/B" --rekey --ike net >/dev/null
	wait_until 10 lines_are 2 '^rekeyed peer proposal'
	# The child survived both and still rekeys over the newest IKE SA.
	kill -HUP "$PEER_PID"
	wait_until 10 says '^rekeyed peer/net'
	! says '^ike-down'
	! says '^child-down'
}

@test "short lifetimes: both rekey by themselves" {
	swan SWAN_CHILD_OPTS='rekey_time = 6s
		life_time = 9s' SWAN_CONN_OPTS='rekey_time = 8s'
	peer --initiate --child-rekey-time 3 --rekey-time 5
	wait_until 10 says '^child-up peer/net'
	wait_until 20 lines_at_least 2 '^rekeyed peer/net'
	wait_until 20 lines_at_least 1 '^rekeyed peer proposal'
	! says '^ike-down'
	swan_child_installed "$DIR/B" net
}

@test "wrong PSK: AUTHENTICATION_FAILED on both sides, no SA left" {
	swan SWAN_PSK=a-different-psk-0123456789
	peer --initiate
	wait_until 10 says '^auth-failed peer'
	wait_until 5 charon_log 'tried .* shared key for .* but MAC mismatched'
	charon_log 'generating IKE_AUTH response 1 \[ N(AUTH_FAILED) \]'
	no_swan_sa
	! says '^ike-up'
}

@test "strongSwan with a wrong PSK initiates: we refuse, and say why" {
	swan SWAN_PSK=a-different-psk-0123456789
	peer
	swan_ctl "$DIR/B" --initiate --child net --timeout 5 >"$DIR/init.out" 2>&1 || true
	wait_until 10 says "^auth-failed peer .*reason=\"AUTH from 'b.swan.test' does not verify"
	wait_until 5 charon_log 'received AUTHENTICATION_FAILED notify error'
	no_swan_sa
}

@test "no common IKE proposal: NO_PROPOSAL_CHOSEN, with the offer explained" {
	swan SWAN_IKE_PROPOSALS=aes128gcm16-prfsha384-x25519
	peer
	swan_ctl "$DIR/B" --initiate --child net --timeout 5 >"$DIR/init.out" 2>&1 || true
	wait_until 10 says '^negotiation-failed peer stage=ike-proposal'
	says '  offered  #1 IKE aes128gcm16-prfsha384-x25519: no common ENCR'
	says '  accepted IKE chacha20poly1305-prfsha256-x25519'
	charon_log 'received NO_PROPOSAL_CHOSEN notify error'
}

@test "mismatched selectors: TS_UNACCEPTABLE, selector by selector" {
	swan SWAN_REMOTE_TS=10.9.0.0/24
	peer --initiate
	wait_until 10 says '^negotiation-failed peer stage=ts'
	says 'reason="TS_UNACCEPTABLE from peer"'
	says '  offered  TSi 10.1.0.0/24'
	charon_log 'failed to establish CHILD_SA, keeping IKE_SA\|no acceptable traffic selectors'
	stop_pid "$PEER_PID" 5; PEER_PID=
	# And the other way round: strongSwan's offer, explained by us.
	swan_stop "$DIR/B"
	swan SWAN_LOCAL_TS=10.8.0.0/24
	peer
	swan_ctl "$DIR/B" --initiate --child net --timeout 5 >"$DIR/init.out" 2>&1 || true
	wait_until 10 says '^negotiation-failed peer stage=ts'
	says 'reason="TS_UNACCEPTABLE: TSi 10.8.0.0/24 shares nothing with our 10.2.0.0/24"'
	says '  accepted TSi 10.2.0.0/24'
}

@test "narrowing: strongSwan offers more, we narrow to our policy" {
	swan SWAN_LOCAL_TS=10.2.0.0/16 SWAN_REMOTE_TS=10.0.0.0/8
	peer --remote-ts 10.2.0.0/24
	swan_ctl "$DIR/B" --initiate --child net --timeout 10 >"$DIR/init.out"
	wait_until 10 says '^child-up peer/net'
	swan_sas | grep -q 'local  10.2.0.0/24'
	swan_sas | grep -q 'remote 10.1.0.0/24'
}

@test "liveness: strongSwan stops, we detect the dead peer and clear" {
	swan
	peer --initiate --dpd 2 --retransmit-ms 500 --tries 2
	wait_until 10 says '^child-up peer/net'
	local pid; pid=$(swan_pid "$DIR/B")
	kill -KILL "$pid"
	# dpd 2 s + retransmissions 0.5 + 1 + 2 s
	wait_until 12 says '^ike-down peer .*reason="dead peer"'
	says '^child-down peer/net .*reason="dead peer"'
}

@test "terminate from either side removes the SAs on both" {
	swan
	peer --initiate
	wait_until 10 says '^child-up peer/net'
	wait_until 5 swan_ike_established "$DIR/B" net
	kill -USR1 "$PEER_PID"
	wait_until 10 no_swan_sa
	says '^ike-down peer .*reason="deleted"'
	swan_ctl "$DIR/B" --initiate --child net --timeout 10 >/dev/null
	wait_until 10 lines_are 2 '^ike-up'
	swan_ctl "$DIR/B" --terminate --ike net --timeout 10 >/dev/null
	wait_until 10 says '^ike-down peer .*reason="deleted by peer"'
	says '^child-down peer/net .*reason="deleted by peer"'
}
