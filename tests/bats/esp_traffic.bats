#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# Two secgw-iked instances with matching manual SAs carry real traffic:
# ping and an iperf3 TCP transfer for every combination of tunnel/transport
# mode, IPv4/IPv6 outer family, plain ESP/ESP in UDP, and both AEADs. Tunnel
# mode carries both inner families over each outer family. The SA counters
# must show the bytes, and 4 MB of random data must arrive unchanged
# (socat, compared byte for byte) over the other inner family or, in
# transport mode, the same path. Each case reloads both daemons over the control
# socket, so every case also exercises a "changed" reconcile.
#
# Every case moves 100 MB, as the issue asks (about a second each even under
# AddressSanitizer). ESP_BIG_MB / ESP_SMALL_MB shrink them for quick local
# runs; the defaults are what CI runs.
#
#   netns eA                                   netns eB
#   lo 10.1.0.1 fd00:1::1                      lo 10.2.0.1 fd00:2::1
#   ea 192.0.2.1 2001:db8::1  <--- veth --->   eb 192.0.2.2 2001:db8::2
#   secgw-iked (TUN secgw0)                    secgw-iked (TUN secgw0)

load helpers
load esp_lib

# esp_lib provides setup_file/teardown_file: the topology, a secgw-iked on
# each side, and their removal.

setup() {
	require_root
	require_cmd iperf3 jq python3 socat
}

# transfer NS_CLIENT SERVER_NS DST SRC MB: an iperf3 TCP transfer of MB
# megabytes; sets RECEIVED to the bytes the server read (iperf3 -n stops
# counting at the client's end of test, so this is a little less than MB).
transfer() {
	local cns=$1 sns=$2 dst=$3 src=$4 mb=$5 port
	port=$(( 5201 + RANDOM % 1000 ))
	ip netns exec "$sns" iperf3 -s -1 -p "$port" >"$DIR/iperf-s.log" 2>&1 &
	local spid=$!
	wait_until 5 bash -c "ip netns exec $sns ss -Htln 'sport = :$port' | grep -q ."
	run ip netns exec "$cns" timeout 120 iperf3 -c "$dst" -B "$src" -p "$port" -n "${mb}M" -J
	wait "$spid" || true
	[ "$status" -eq 0 ] || { echo "$output" | tail -20; return 1; }
	RECEIVED=$(jq -r '.end.sum_received.bytes' <<<"$output")
	echo "# $mb MB: $(jq -r '.end.sum_sent.bits_per_second / 1e6 | floor' <<<"$output") Mbit/s" >&3
	[ "$(jq -r '.end.sum_sent.bytes' <<<"$output")" -ge $((mb * 1000000)) ]
}

# intact NS_CLIENT SERVER_NS DST SRC: 4 MB of random bytes arrive unchanged.
intact() {
	local cns=$1 sns=$2 dst=$3 src=$4 port
	[[ -f $DIR/blob ]] || head -c 4000000 /dev/urandom >"$DIR/blob"
	port=$(( 6300 + RANDOM % 1000 ))
	rm -f "$DIR/blob.got"
	local listen=TCP4-LISTEN
	[[ $dst == *:* ]] && listen=TCP6-LISTEN
	ip netns exec "$sns" socat -u "$listen:$port,reuseaddr" "CREATE:$DIR/blob.got" &
	local spid=$!
	wait_until 5 bash -c "ip netns exec $sns ss -Htln 'sport = :$port' | grep -q ."
	[[ $dst == *:* ]] && dst="[$dst]"
	ip netns exec "$cns" timeout 60 socat -u "FILE:$DIR/blob" "TCP:$dst:$port,bind=${src/*:*/[$src]}"
	wait "$spid"
	cmp "$DIR/blob" "$DIR/blob.got"
}

# one MODE FAMILY ENCAP ALG MB
one() {
	local mode=$1 fam=$2 encap=$3 alg=$4 mb=$5 before after
	if [[ $alg == aes256gcm16 ]] && ! grep -qw aes /proc/cpuinfo; then
		skip "AES-256-GCM needs AES-NI here"
	fi
	REV=$RANDOM load A "$(conf A "$mode" "$fam" "$encap" "$alg")" >/dev/null
	REV=$RANDOM load B "$(conf B "$mode" "$fam" "$encap" "$alg")" >/dev/null
	[ "$(child_field A state)" = installed ]
	before=$(child_field B bytes_in)
	if [[ $mode == tunnel ]]; then
		wait_until 10 pinged "$NSA" 10.1.0.1 10.2.0.1
		wait_until 10 pinged "$NSA" fd00:1::1 fd00:2::1
		if [[ $fam == 4 ]]; then
			transfer "$NSA" "$NSB" 10.2.0.1 10.1.0.1 "$mb"
			intact "$NSA" "$NSB" fd00:2::1 fd00:1::1
		else
			transfer "$NSA" "$NSB" fd00:2::1 fd00:1::1 "$mb"
			intact "$NSA" "$NSB" 10.2.0.1 10.1.0.1
		fi
	else
		local a=192.0.2.1 b=192.0.2.2
		[[ $fam == 6 ]] && a=2001:db8::1 b=2001:db8::2
		wait_until 10 pinged "$NSA" "$a" "$b"
		transfer "$NSA" "$NSB" "$b" "$a" "$mb"
		intact "$NSA" "$NSB" "$b" "$a"
	fi
	after=$(child_field B bytes_in)
	# Everything the receivers read went through the SA, not around it.
	[ $((after - before)) -ge $((RECEIVED + 4000000)) ]
	[ "$(child_field B drops.auth)" -eq 0 ]
	[ "$(child_field B packets_out)" -gt 0 ]
}

BIG=${ESP_BIG_MB:-100}
SMALL=${ESP_SMALL_MB:-100}

@test "tunnel, IPv4 outer, plain ESP, chacha20poly1305" { one tunnel 4 plain chacha20poly1305 "$BIG"; }
@test "tunnel, IPv4 outer, ESP in UDP, chacha20poly1305" { one tunnel 4 udp chacha20poly1305 "$BIG"; }
@test "transport, IPv4, plain ESP, chacha20poly1305" { one transport 4 plain chacha20poly1305 "$BIG"; }
@test "transport, IPv4, ESP in UDP, chacha20poly1305" { one transport 4 udp chacha20poly1305 "$BIG"; }
@test "tunnel, IPv6 outer, plain ESP, chacha20poly1305" { one tunnel 6 plain chacha20poly1305 "$SMALL"; }
@test "tunnel, IPv6 outer, ESP in UDP, chacha20poly1305" { one tunnel 6 udp chacha20poly1305 "$SMALL"; }
@test "transport, IPv6, plain ESP, chacha20poly1305" { one transport 6 plain chacha20poly1305 "$SMALL"; }
@test "transport, IPv6, ESP in UDP, chacha20poly1305" { one transport 6 udp chacha20poly1305 "$SMALL"; }
@test "tunnel, IPv4 outer, plain ESP, aes256gcm16" { one tunnel 4 plain aes256gcm16 "$SMALL"; }
@test "tunnel, IPv4 outer, ESP in UDP, aes256gcm16" { one tunnel 4 udp aes256gcm16 "$SMALL"; }
@test "transport, IPv4, plain ESP, aes256gcm16" { one transport 4 plain aes256gcm16 "$SMALL"; }
@test "transport, IPv4, ESP in UDP, aes256gcm16" { one transport 4 udp aes256gcm16 "$SMALL"; }
@test "tunnel, IPv6 outer, plain ESP, aes256gcm16" { one tunnel 6 plain aes256gcm16 "$SMALL"; }
@test "tunnel, IPv6 outer, ESP in UDP, aes256gcm16" { one tunnel 6 udp aes256gcm16 "$SMALL"; }
@test "transport, IPv6, plain ESP, aes256gcm16" { one transport 6 plain aes256gcm16 "$SMALL"; }
@test "transport, IPv6, ESP in UDP, aes256gcm16" { one transport 6 udp aes256gcm16 "$SMALL"; }

@test "both daemons stop cleanly, with no sanitizer report" {
	iked_stop_clean A
	iked_stop_clean B
}
