#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# An independent decoder accepts our ESP: the ciphertext side is captured
# and tshark decrypts it with the keys (its esp_sa table). The decrypted
# inner packets must be exactly the pings that were sent. tshark 4.0 has no
# ChaCha20-Poly1305 for ESP, so these runs use AES-256-GCM. Then a captured
# ESP packet is replayed into the receiver: dropped, and the replay counter
# rises.
#
#   netns eA  ea 192.0.2.1 2001:db8::1  <--- veth --->  eb 192.0.2.2 2001:db8::2  netns eB
#             lo 10.1.0.1 fd00:1::1                      lo 10.2.0.1 fd00:2::1
#             (capture on eb)

load helpers
load esp_lib

# esp_lib provides setup_file/teardown_file: the topology, a secgw-iked on
# each side, and their removal.

setup() {
	require_root
	require_cmd tshark jq python3 socat
	grep -qw aes /proc/cpuinfo || skip "AES-256-GCM needs AES-NI here (tshark cannot decrypt ChaCha20-Poly1305)"
}

# esp_sa_opts FAMILY: tshark options with both SAs (A->B: SPI 8192, key
# KEY_AB; B->A: SPI 4096, key KEY_BA).
esp_sa_opts() {
	local f a b
	if [[ $1 == 4 ]]; then f=IPv4 a=192.0.2.1 b=192.0.2.2; else f=IPv6 a=2001:db8::1 b=2001:db8::2; fi
	printf '%s\0' -o esp.enable_encryption_decode:TRUE \
		-o "uat:esp_sa:\"$f\",\"$a\",\"$b\",\"0x00002000\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x$KEY_AB\",\"NULL\",\"\"" \
		-o "uat:esp_sa:\"$f\",\"$b\",\"$a\",\"0x00001000\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x$KEY_BA\",\"NULL\",\"\""
}

# capture_pings FAMILY ENCAP FILE: capture the ESP of 10 tunnelled ping
# messages. The pings run until the capture is complete, since tshark may
# report "Capturing on" a moment before its filter is in place.
capture_pings() {
	local fam=$1 encap=$2 file=$3 filter=esp pid ppid
	[[ $encap == udp ]] && filter="udp port 4500"
	load A "$(conf A tunnel "$fam" "$encap" aes256gcm16)" >/dev/null
	load B "$(conf B tunnel "$fam" "$encap" aes256gcm16)" >/dev/null
	wait_until 10 pinged "$NSA" 10.1.0.1 10.2.0.1
	rm -f "$file" "$DIR/tshark.err"
	ip netns exec "$NSB" tshark -i eb -f "$filter" -c 10 -F pcap -w "$file" 2>"$DIR/tshark.err" &
	pid=$!
	# tshark loads every dissector before it captures: seconds on an idle
	# machine, over 20 s on a loaded one.
	wait_until 90 grep -q "Capturing on" "$DIR/tshark.err"
	# Echo requests with a payload pattern that can only come from here.
	ip netns exec "$NSA" ping -c 600 -i 0.1 -s 120 -p 5ec05ec0 -I 10.1.0.1 10.2.0.1 >/dev/null &
	ppid=$!
	wait_until 60 eval "! kill -0 $pid"
	kill "$ppid" 2>/dev/null || true
	wait "$ppid" 2>/dev/null || true
	wait "$pid" || true
}

# decoded FILE FAMILY: "type seq payload-hex" of each decrypted ICMP message.
decoded() {
	local -a opts
	mapfile -d '' opts < <(esp_sa_opts "$2")
	tshark -r "$1" "${opts[@]}" -Y "icmp && ip.src == 10.0.0.0/8" -T fields \
		-e icmp.type -e icmp.seq -e data.data 2>/dev/null
}

# field_at_least SIDE FIELD N
field_at_least() {
	[ "$(child_field "$1" "$2")" -ge "$3" ]
}

# check_pings DECODED: 10 decrypted messages, requests and replies, all
# with our pattern, the requests' sequence numbers consecutive.
check_pings() {
	local out=$1 n req rep seqs first
	n=$(wc -l <<<"$out")
	req=$(awk '$1 == 8' <<<"$out" | wc -l)
	rep=$(awk '$1 == 0' <<<"$out" | wc -l)
	echo "$out" | head -3
	[ "$n" -eq 10 ] && [ "$req" -ge 4 ] && [ "$rep" -ge 4 ]
	# Payload: 16 bytes of timestamp, then the pattern repeated.
	[ "$(awk '{ print substr($3, 33, 16) }' <<<"$out" | sort -u)" = 5ec05ec05ec05ec0 ]
	seqs=$(awk '$1 == 8 { print $2 }' <<<"$out")
	first=$(head -1 <<<"$seqs")
	[ "$seqs" = "$(seq "$first" $((first + req - 1)))" ]
}

@test "tshark decrypts our plain ESP over IPv4 to the pings sent" {
	capture_pings 4 plain "$DIR/esp4.pcap"
	check_pings "$(decoded "$DIR/esp4.pcap" 4)"
}

@test "tshark decrypts our ESP in UDP over IPv4 to the pings sent" {
	capture_pings 4 udp "$DIR/udp4.pcap"
	check_pings "$(decoded "$DIR/udp4.pcap" 4)"
}

@test "tshark decrypts our plain ESP over IPv6 to the pings sent" {
	capture_pings 6 plain "$DIR/esp6.pcap"
	check_pings "$(decoded "$DIR/esp6.pcap" 6)"
}

@test "a replayed ESP packet is dropped and counted as a replay" {
	local pkt before_rp before_in
	capture_pings 4 plain "$DIR/replay.pcap"
	# The capture holds both directions and may begin with a reply (B -> A):
	# replay the first request, A -> B, SPI 8192.
	local i
	for i in $(seq 0 9); do
		pkt=$(python3 "$CTL" esp-from-pcap "$DIR/replay.pcap" "$i")
		[[ ${pkt:0:8} == 00002000 ]] && break
	done
	[[ ${pkt:0:8} == 00002000 ]]
	wait_until 5 field_at_least B packets_in 5
	before_rp=$(child_field B drops.replay)
	before_in=$(child_field B packets_in)
	ip netns exec "$NSA" python3 "$CTL" send-esp 192.0.2.2 "$pkt"
	wait_until 10 field_at_least B drops.replay $((before_rp + 1))
	[ "$(child_field B packets_in)" -eq "$before_in" ]
	[ "$(ctl B '{"id":9,"cmd":"stats"}' | jq .result.datapath.drops.replay)" -ge 1 ]
}

@test "both daemons stop cleanly, with no sanitizer report" {
	iked_stop_clean A
	iked_stop_clean B
}
