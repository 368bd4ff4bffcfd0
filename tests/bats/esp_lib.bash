# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Shared by the esp_*.bats suites: two namespaces joined by a veth pair, a
# secgw-iked in each, manual-keying configurations for every combination of
# mode, outer family, encapsulation and AEAD.
#
#   netns eA<tag>                               netns eB<tag>
#   lo  10.1.0.1/24  fd00:1::1/64               lo  10.2.0.1/24  fd00:2::1/64
#   ea  192.0.2.1/24 2001:db8::1/64 <--veth-->  eb  192.0.2.2/24 2001:db8::2/64
#   secgw0 (TUN of secgw-iked, user datapath)   secgw0

CTL=$SECGW_ROOT/tests/tools/secgw_ctl.py

# esp_topology: namespaces and addresses (names exported for the tests).
esp_topology() {
	source "$SECGW_ROOT/tests/tools/netns.bash"
	local t; t=$(run_tag)
	export NSA=eA$t NSB=eB$t
	netns_add "$NSA"
	netns_add "$NSB"
	netns_veth "$NSA" ea "$NSB" eb
	netns_addr "$NSA" ea 192.0.2.1/24 2001:db8::1/64
	netns_addr "$NSB" eb 192.0.2.2/24 2001:db8::2/64
	netns_addr "$NSA" lo 10.1.0.1/24 fd00:1::1/64
	netns_addr "$NSB" lo 10.2.0.1/24 fd00:2::1/64
	export NETNS_MADE
	# Keys: 32-byte key + 4-byte salt each way, fresh per run.
	export KEY_AB KEY_BA
	KEY_AB=$(head -c 36 /dev/urandom | od -An -tx1 | tr -d ' \n')
	KEY_BA=$(head -c 36 /dev/urandom | od -An -tx1 | tr -d ' \n')
}

# setup_file/teardown_file for every file that loads this one: the topology
# and a daemon on each side, and their removal.
setup_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	export DIR=$BATS_FILE_TMPDIR
	esp_topology
	iked_start A
	iked_start B
}

teardown_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	iked_stop A
	iked_stop B
	source "$SECGW_ROOT/tests/tools/netns.bash"
	netns_cleanup
}

# iked_start SIDE(A|B) [extra args]: start secgw-iked in that namespace with
# an empty configuration; pid in $DIR/SIDE.pid, log in $DIR/SIDE.log.
iked_start() {
	local side=$1 ns; shift
	ns=$([[ $side == A ]] && echo "$NSA" || echo "$NSB")
	echo '{"connections": []}' >"$DIR/empty.json"
	ip netns exec "$ns" "$SECGW_BIN/secgw-iked" --config "$DIR/empty.json" \
		--control "$DIR/$side.sock" --workers 2 "$@" >"$DIR/$side.log" 2>&1 &
	echo $! >"$DIR/$side.pid"
	wait_until 10 test -S "$DIR/$side.sock"
}

iked_stop() {
	stop_pid "$(cat "$DIR/$1.pid" 2>/dev/null)" 10
}

# ctl SIDE JSON-LINE: the reply line (socat as a co-process, so the call
# returns as soon as the reply is read).
ctl() {
	local reply=
	coproc CTLC { exec socat - "UNIX-CONNECT:$DIR/$1.sock" 2>/dev/null; }
	printf '%s\n' "$2" >&"${CTLC[1]}"
	IFS= read -r -t 30 reply <&"${CTLC[0]}" || true
	kill "$CTLC_PID" 2>/dev/null
	wait "$CTLC_PID" 2>/dev/null || true
	printf '%s\n' "$reply"
}

# load SIDE CONFIG-JSON: ok:true or the test fails with the reply.
load() {
	local r c
	c=$(jq -c . <<<"$2") || return 1
	r=$(ctl "$1" "{\"id\":1,\"cmd\":\"load\",\"revision\":${REV:-1},\"config\":$c}")
	if [[ $(jq -r .ok <<<"$r") != true ]]; then
		echo "load on $1 failed: $r" >&2
		return 1
	fi
	echo "$r"
}

# conf SIDE MODE(tunnel|transport) OUTER(4|6) ENCAP(plain|udp) ALG [child-extra-json]
conf() {
	local side=$1 mode=$2 fam=$3 encap=$4 alg=$5 extra=${6:-}
	local la ra lts rts spi_in spi_out kin kout nat
	if [[ $fam == 4 ]]; then
		la=192.0.2.1 ra=192.0.2.2
	else
		la=2001:db8::1 ra=2001:db8::2
	fi
	lts='"10.1.0.0/24","fd00:1::/64"' rts='"10.2.0.0/24","fd00:2::/64"'
	spi_in=4096 spi_out=8192 kin=kba kout=kab
	if [[ $side == B ]]; then
		local x=$la; la=$ra; ra=$x
		x=$lts; lts=$rts; rts=$x
		spi_in=8192 spi_out=4096 kin=kab kout=kba
	fi
	[[ $mode == transport ]] && lts='"dynamic"' rts='"dynamic"'
	nat=off
	[[ $encap == udp ]] && nat=force
	cat <<EOF
{"connections": [{"name": "t", "keying": "manual", "local_addrs": ["$la"], "remote_addrs": ["$ra"],
  "nat_t": "$nat", "children": [{"name": "c", "mode": "$mode", "local_ts": [$lts], "remote_ts": [$rts],
  "esp_proposals": ["$alg"], $extra "manual": {"spi_in": $spi_in, "spi_out": $spi_out,
  "key_in": "$kin", "key_out": "$kout"}}]}],
 "secrets": {"kab": {"type": "key", "value": "$KEY_AB"}, "kba": {"type": "key", "value": "$KEY_BA"}}}
EOF
}

# child_field SIDE FIELD: a field of child c of connection t.
child_field() {
	ctl "$1" '{"id":2,"cmd":"list-sas","connection":"t"}' |
		jq -r ".result.connections[0].children[0].$2"
}

# pinged NS SRC DST: one echo answered.
pinged() {
	ip netns exec "$1" ping -c 1 -W 1 -I "$2" "$3"
}

# iked_stop_clean SIDE: stop it and fail on any sanitizer report in its log.
iked_stop_clean() {
	iked_stop "$1"
	if grep -q 'ERROR: \(Address\|Leak\)Sanitizer\|runtime error:' "$DIR/$1.log"; then
		grep -m1 -A30 'ERROR: \(Address\|Leak\)Sanitizer\|runtime error:' "$DIR/$1.log"
		return 1
	fi
	grep -q 'secgw-iked\[info\] stopped' "$DIR/$1.log"
}
