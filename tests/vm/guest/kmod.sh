# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# secgw_esp.ko as one side of an SA pair (the other being Linux's own ESP,
# xfrm.sh): the same SA_* description installed through the module's
# generic netlink family by one `espnl batch` per namespace, kept running
# as the namespace's control client (it also holds the ESP-in-UDP socket
# it hands to the module, as secgw-iked would).
#
#	kmod_load
#	kmod_ctl_start gr                 # espnl in gr, fds in KCTL_W_gr/KCTL_R_gr
#	kmod_install gr b                 # side b of the current pair, routes too
#	kmod_ctl gr stats                 # one command; its answer in KANSWER
#
# Routing: tunnel mode sends the peer's network into ipsec0. Transport mode
# protects the peer's address itself, which is also where the ciphertext
# goes: its route into ipsec0 lives in table KMOD_TABLE, which only packets
# without KMOD_MARK consult, and the module marks what it sends.
#
# vm-needs: build:kmod/linux/secgw_esp.ko build:tests/vm/espnl

KMOD_KO=$VM_BUILD/kmod/linux/secgw_esp.ko
KMOD_MARK=0x5ec
KMOD_TABLE=100

# kmod_load : insert the module once (busybox insmod: no dependency to pull).
kmod_load() {
	[ -d /sys/module/secgw_esp ] || /bin/busybox insmod "$KMOD_KO" "$@"
}

# kmod_ctl_start NS : an espnl batch running in NS, talked to through two
# FIFOs (several can run at once, unlike bash coprocesses).
kmod_ctl_start() {
	local ns=$1 dir=$VM_STATE/kctl.$1 w r
	mkdir -p "$dir" && mkfifo "$dir/in" "$dir/out" || return 1
	net_in "$ns" espnl batch <"$dir/in" >"$dir/out" 2>&1 &
	exec {w}>"$dir/in" {r}<"$dir/out"
	eval "KCTL_W_$ns=$w KCTL_R_$ns=$r"
	kmod_ctl "$ns" version >/dev/null
	[ "$KANSWER" = "version 1" ]
}

# kmod_ctl NS WORD... : one command; the answer in KANSWER (and on stdout);
# true when it is "ok…" or "version…".
kmod_ctl() {
	local ns=$1 w r
	shift
	eval "w=\$KCTL_W_$ns r=\$KCTL_R_$ns"
	KANSWER=
	echo "$*" >&"$w" && read -r -t 30 KANSWER <&"$r"
	case $KANSWER in ok* | version*) return 0 ;; esac
	echo "espnl in $ns: $1: ${KANSWER:-no answer}"
	return 1
}

# kmod_install NS a|b : one side of the current SA pair through the module
# (replacing whatever the namespace had), and the routes into ipsec0.
kmod_install() {
	local ns=$1 me peer net_me net_peer spi_out spi_in key_out key_in encap= six= host
	sa_side "$2"
	me=$SIDE_ME peer=$SIDE_PEER net_me=$SIDE_NET_ME net_peer=$SIDE_NET_PEER
	spi_out=$SIDE_SPI_OUT key_out=$SIDE_KEY_OUT spi_in=$SIDE_SPI_IN key_in=$SIDE_KEY_IN
	case $me in *:*) six=-6 host=128 ;; *) host=32 ;; esac
	[ "$SA_ENCAP" = udp ] && encap="encap=$SA_PORT"
	kmod_ctl "$ns" flush &&
	kmod_ctl "$ns" sa-add dir=out spi="$spi_out" mode="$SA_MODE" src="$me" dst="$peer" \
		alg="$SA_ALG" key="$key_out" lts="$net_me" rts="$net_peer" $encap &&
	kmod_ctl "$ns" sa-add dir=in spi="$spi_in" mode="$SA_MODE" src="$peer" dst="$me" \
		alg="$SA_ALG" key="$key_in" lts="$net_me" rts="$net_peer" \
		window="$SA_REPLAY_WINDOW" $encap &&
	kmod_ctl "$ns" policy-add id=1 action=protect src="$net_me" dst="$net_peer" \
		spi="$spi_out" sadst="$peer" || return 1
	if [ "$SA_MODE" = tunnel ]; then
		net_batch "$ns" <<-EOF
			link set ipsec0 up
			route replace $net_peer dev ipsec0
		EOF
	else
		kmod_ctl "$ns" mark "$KMOD_MARK" >/dev/null &&
		net_batch "$ns" <<-EOF
			link set ipsec0 up
			route replace $peer/$host dev ipsec0 src $me table $KMOD_TABLE
		EOF
		ip -n "$ns" $six rule show | grep -q "lookup $KMOD_TABLE" ||
			ip -n "$ns" $six rule add not fwmark "$KMOD_MARK" lookup "$KMOD_TABLE" pref 100
	fi
}

# kmod_sa_counts NS DIR SPI DST : "PACKETS AUTH_FAILED REPLAYED" of one SA.
kmod_sa_counts() {
	local a
	kmod_ctl "$1" sa-get dir="$2" spi="$3" dst="$4" >/dev/null || return 1
	set -- $KANSWER
	a=" $* "
	a=${a#* packets }
	echo "${a%% *} $(_kmod_field drop_auth) $(_kmod_field drop_replay)"
}

# _kmod_field NAME : NAME=N from KANSWER (0 when absent).
_kmod_field() {
	local v=" $KANSWER "
	case $v in *" $1="*) v=${v#* $1=}; echo "${v%% *}" ;; *) echo 0 ;; esac
}
