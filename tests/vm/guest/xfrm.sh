# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Linux's own ESP (esp4/esp6 through XFRM), keyed by hand with `ip xfrm`: the
# reference side every secgw datapath is tested against. An SA pair is
# described once in SA_* variables and each side installed on its own, so a
# test can put the native side in one namespace and secgw's in the other:
#
#	sa_pair tunnel chacha20poly1305 udp "$TOPO_GL4" "$TOPO_GR4" \
#		"$TOPO_NET_L4" "$TOPO_NET_R4"
#	xfrm_modules_load
#	xfrm_native_install gl a && xfrm_native_install gr b
#	xfrm_sa_stats gl        # per SA: SPI, bytes, packets, drops
#
# Side a sends with SA_SPI_AB/SA_KEY_AB and receives with SA_SPI_BA/SA_KEY_BA;
# side b the other way round. The SA_* variables:
#   SA_MODE     tunnel | transport
#   SA_AEAD     chacha20poly1305 (rfc7539esp) | aes256gcm16 (rfc4106(gcm(aes)));
#               swanctl names, 36-byte keys (key + 4-byte salt), 128-bit ICV;
#               SA_ALG is the kernel's name for it
#   SA_ENCAP    none (IP protocol 50) | udp (ESP-in-UDP, RFC 3948, SA_PORT both ends)
#   SA_A SA_B   outer addresses of sides a and b
#   SA_NET_A SA_NET_B   protected networks (tunnel); the two hosts (transport)
#   SA_SPI_AB SA_SPI_BA SA_KEY_AB SA_KEY_BA SA_REQID   fresh for every pair
#
# UDP encapsulation needs a UDP_ENCAP socket on SA_PORT on each receiving
# side, with a per-socket policy bypass, as an IKE daemon would hold:
# xfrm_udpencap_start NS.
#
# The kernel loads algorithms on demand by alias, which modules.dep does not
# follow: ESP wraps each AEAD in seqiv(), which needs a random number
# generator (stdrng: drbg, which uses hmac(sha512) and is seeded by
# jitterentropy, which uses sha3-256). AES is aesni_intel by name: the
# crypto-aes alias also means padlock_aes, which no CPU here has. Misses
# land in the results as modprobe-failed.txt.
# vm-modules: xfrm_user esp4 esp6 crypto-seqiv crypto-stdrng crypto-sha512
# vm-modules: crypto-jitterentropy_rng crypto-sha3-256-generic
# vm-modules: crypto-rfc7539esp crypto-chacha20 crypto-poly1305
# vm-modules: crypto-rfc4106 crypto-gcm crypto-ctr crypto-ghash aesni_intel
# vm-needs: build:tests/vm/udpencap

SA_PORT=4500
SA_ICV_BITS=128
# Wider than the classic 32 (iproute2 then sends the window as replay state,
# XFRMA_REPLAY_ESN_VAL): forwarded TCP on two emulated CPUs is reordered far
# more than on hardware.
SA_REPLAY_WINDOW=128

# xfrm_modules_load : every module this file names in its vm-modules lines,
# in one modprobe. Otherwise the kernel asks for them one by one as SAs
# appear, each request a modprobe exec (slow under TCG), and tests running
# side by side wait on each other's first SA.
xfrm_modules_load() {
	local mods
	mods=$(sed -n 's/^# vm-modules: *//p' /vm/lib/xfrm.sh)
	# shellcheck disable=SC2086 # one word per module
	modprobe -a $mods
}

# xfrm_aead_alg NAME : the kernel's algorithm for a swanctl AEAD name.
xfrm_aead_alg() {
	case $1 in
	chacha20poly1305) echo 'rfc7539esp(chacha20,poly1305)' ;;
	aes256gcm16) echo 'rfc4106(gcm(aes))' ;;
	*) echo "xfrm_aead_alg: unknown AEAD '$1'" >&2; return 1 ;;
	esac
}

# sa_pair MODE AEAD ENCAP A B [NET_A NET_B] : describe a fresh SA pair (new
# SPIs and keys); transport mode protects A and B themselves.
sa_pair() {
	local r
	SA_MODE=$1 SA_AEAD=$2 SA_ENCAP=$3 SA_A=$4 SA_B=$5
	SA_ALG=$(xfrm_aead_alg "$SA_AEAD") || return 1
	if [ "$SA_MODE" = transport ]; then
		case $SA_A in
		*:*) SA_NET_A=$SA_A/128 SA_NET_B=$SA_B/128 ;;
		*) SA_NET_A=$SA_A/32 SA_NET_B=$SA_B/32 ;;
		esac
	else
		SA_NET_A=$6 SA_NET_B=$7
	fi
	# All the randomness in one read: 3+3 SPI bytes, 36+36 key bytes, 2 for
	# the reqid. SPIs below 256 are reserved (RFC 4303): the top nibble is
	# never zero.
	r=$(xxd -p -c 80 -l 80 /dev/urandom)
	SA_SPI_AB=0xa${r:0:6}1 SA_SPI_BA=0xb${r:6:6}2
	SA_KEY_AB=0x${r:12:72} SA_KEY_BA=0x${r:84:72}
	SA_REQID=$((0x${r:156:4} + 1))
}

# _xfrm_state SRC DST SPI KEY : the batch line of one SA from SRC to DST.
_xfrm_state() {
	local encap= oa=0.0.0.0
	case $1 in *:*) oa=:: ;; esac
	[ "$SA_ENCAP" = udp ] && encap="encap espinudp $SA_PORT $SA_PORT $oa"
	echo "xfrm state add src $1 dst $2 proto esp spi $3 reqid $SA_REQID" \
		"mode $SA_MODE replay-window $SA_REPLAY_WINDOW" \
		"aead $SA_ALG $4 $SA_ICV_BITS $encap"
}

# _xfrm_policy DIR FROM_NET TO_NET TMPL_SRC TMPL_DST : one policy's batch line.
_xfrm_policy() {
	echo "xfrm policy add src $2 dst $3 dir $1" \
		"tmpl src $4 dst $5 proto esp reqid $SA_REQID mode $SA_MODE"
}

# sa_matrix 4|6 : every mode, encapsulation and AEAD (the case's MODES,
# ENCAPS, AEADS) between the routers of topo_routers' copy for that family:
# a fresh SA pair each, installed by the case's `install_pair GL GR`, ping
# and an iperf3 transfer both ways, then the case's `counters_rose GL GR`.
# Six tests per combination; MATRIX_INSTALLED and MATRIX_COUNTED word the
# first and the last.
MATRIX_INSTALLED="SAs and policies installed"
MATRIX_COUNTED="all four SAs counted traffic, none dropped"
sa_matrix() {
	local fam=$1 gl=gl$1 gr=gr$1 gl_wan gr_wan hl hr net_l net_r
	local mode encap aead name left right left_addr right_addr
	eval "gl_wan=\$TOPO_GL$fam gr_wan=\$TOPO_GR$fam"
	eval "hl=\$TOPO_HL$fam hr=\$TOPO_HR$fam net_l=\$TOPO_NET_L$fam net_r=\$TOPO_NET_R$fam"
	for mode in $MODES; do
		if [ "$mode" = tunnel ]; then
			left=hl$fam right=hr$fam left_addr=$hl right_addr=$hr
		else
			left=$gl right=$gr left_addr=$gl_wan right_addr=$gr_wan
		fi
		for encap in $ENCAPS; do
			for aead in $AEADS; do
				name="IPv$fam $mode ESP $aead"
				[ "$encap" = udp ] && name="IPv$fam $mode ESP-in-UDP $aead"
				sa_pair "$mode" "$aead" "$encap" "$gl_wan" "$gr_wan" "$net_l" "$net_r"
				tap_check "$name: $MATRIX_INSTALLED" install_pair "$gl" "$gr"
				tap_check "$name: ping ${left%?} -> ${right%?}" net_ping "$left" "$right_addr"
				tap_check "$name: ping ${right%?} -> ${left%?}" net_ping "$right" "$left_addr"
				tap_check "$name: iperf3 TCP ${left%?} -> ${right%?}" net_iperf "$left" "$right_addr"
				tap_check "$name: iperf3 TCP ${right%?} -> ${left%?}" net_iperf "$left" "$right_addr" -R
				tap_check "$name: $MATRIX_COUNTED" counters_rose "$gl" "$gr"
			done
		done
	done
}

# sa_side a|b : the current pair seen from one side, in SIDE_* variables
# (ME PEER NET_ME NET_PEER SPI_OUT KEY_OUT SPI_IN KEY_IN).
sa_side() {
	if [ "$1" = a ]; then
		SIDE_ME=$SA_A SIDE_PEER=$SA_B SIDE_NET_ME=$SA_NET_A SIDE_NET_PEER=$SA_NET_B
		SIDE_SPI_OUT=$SA_SPI_AB SIDE_KEY_OUT=$SA_KEY_AB SIDE_SPI_IN=$SA_SPI_BA SIDE_KEY_IN=$SA_KEY_BA
	else
		SIDE_ME=$SA_B SIDE_PEER=$SA_A SIDE_NET_ME=$SA_NET_B SIDE_NET_PEER=$SA_NET_A
		SIDE_SPI_OUT=$SA_SPI_BA SIDE_KEY_OUT=$SA_KEY_BA SIDE_SPI_IN=$SA_SPI_AB SIDE_KEY_IN=$SA_KEY_AB
	fi
}

# xfrm_native_install NS a|b [replace] : the native side of the current SA
# pair in NS (both SAs, and the policies that send the protected traffic
# through them), in one ip process; "replace" flushes NS's SAs and policies
# first, in the same process.
xfrm_native_install() {
	local ns=$1 me peer net_me net_peer spi_out spi_in key_out key_in
	sa_side "$2"
	me=$SIDE_ME peer=$SIDE_PEER net_me=$SIDE_NET_ME net_peer=$SIDE_NET_PEER
	spi_out=$SIDE_SPI_OUT key_out=$SIDE_KEY_OUT spi_in=$SIDE_SPI_IN key_in=$SIDE_KEY_IN
	{
		[ "${3:-}" = replace ] && printf 'xfrm policy flush\nxfrm state flush\n'
		_xfrm_state "$me" "$peer" "$spi_out" "$key_out"
		_xfrm_state "$peer" "$me" "$spi_in" "$key_in"
		_xfrm_policy out "$net_me" "$net_peer" "$me" "$peer"
		_xfrm_policy in "$net_peer" "$net_me" "$peer" "$me"
		# Decrypted packets a router passes on meet the fwd policy.
		[ "$SA_MODE" = tunnel ] && _xfrm_policy fwd "$net_peer" "$net_me" "$peer" "$me"
	} | ip -n "$ns" -batch -
}

# xfrm_native_flush NS : remove every SA and policy in NS.
xfrm_native_flush() {
	printf 'xfrm policy flush\nxfrm state flush\n' | ip -n "$1" -batch -
}

# xfrm_sa_stats NS : one line per SA in NS, from one `ip -s xfrm state`:
#   SPI BYTES PACKETS OUTSIDE_WINDOW REPLAYED INTEGRITY_FAILED
# (SPI as ip prints it, 0x%08x like sa_pair makes them; the last three
# count packets dropped as too old for the replay window, as replays, and
# for a bad ICV).
xfrm_sa_stats() {
	ip -n "$1" -s xfrm state | awk '
		function flush() { if (spi != "") print spi, bytes, packets, window, replay, failed; spi = "" }
		/^src / { flush() }
		/proto esp spi / { s = $0; sub(/.* spi /, "", s); sub(/\(.*/, "", s); spi = s }
		/lifetime current:/ { getline; gsub(/\([a-z]+\),?/, ""); bytes = $1; packets = $2 }
		/^[ \t]*replay-window [0-9]+ replay [0-9]+ failed [0-9]+/ { window = $2; replay = $4; failed = $6 }
		END { flush() }'
}

# xfrm_udpencap_start NS : hold a UDP_ENCAP socket on SA_PORT (IPv4 and
# IPv6) in NS, as an IKE daemon would, until net_cleanup kills it.
xfrm_udpencap_start() {
	local out=$VM_STATE/udpencap.$1
	: >"$out"
	# Socket policies need a key manager (xfrm_user) to exist first.
	modprobe -q xfrm_user || return 1
	net_in "$1" udpencap "$SA_PORT" >"$out" 2>&1 &
	wait_until 10 grep -qx ready "$out"
}
