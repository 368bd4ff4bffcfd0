#!/bin/bash
# SPDX-License-Identifier: MIT
#
# secgw_esp.ko in the booted kernel: built for it; loads and unloads 50
# times, its generic netlink family answering GET_INFO with version 1 after
# every load and gone after every unload, while another process keeps
# asking the family for its version (espnl loop); refuses malformed
# attributes with EINVAL (the policy table at work); is loaded on demand by
# a lookup of its family name (MODULE_ALIAS_GENL_FAMILY). Then 50 more
# loads and unloads, each with two SAs and a protect policy installed and
# a pinger pushing packets through ipsec0 (sealed, then dropped for want of
# a route to the peer) while the module goes: afterwards no SA, table or
# socket of the module is left (its own object counters, read before each
# unload, match what was installed). The kernel log stays clean throughout.
#
# vm-needs: build:kmod/linux/secgw_esp.ko build:tests/vm/espnl
# vm-modules: crypto-rfc4106 crypto-gcm crypto-ctr crypto-ghash aesni_intel
. /vm/lib/tap.sh
. /vm/lib/dmesg.sh

KO=$VM_BUILD/kmod/linux/secgw_esp.ko
LOADS=50
tap_plan 16

tap_is "$(modinfo -F vermagic "$KO" | cut -d' ' -f1)" "$(uname -r)" \
	"secgw_esp.ko was built for the booted kernel"

# Busybox's insmod and rmmod: no dynamic loader to start 100 times.
load() { /bin/busybox insmod "$KO"; }
unload() { /bin/busybox rmmod secgw_esp; }
loaded() { [ -d /sys/module/secgw_esp ]; }

# One espnl answers all the questions (a coprocess: one exec, not 110).
coproc ESPNL { espnl batch 2>&1; }
# ask COMMAND… : its one-line answer in ANSWER (empty when espnl is gone
# or silent), and in ERRNO the "error ENAME" part of an error. No command
# substitution: each would fork a shell.
ask() {
	ANSWER=
	echo "$*" >&"${ESPNL[1]}" && read -r -t 20 ANSWER <&"${ESPNL[0]}"
	ERRNO=${ANSWER%%:*}
}

mark=$(dmesg_mark)
# While the module is out, every lookup of the family makes the kernel run
# modprobe for it (an exec, costly under TCG, hundreds of times with the
# racing client below, and the module is not installed yet). An empty
# modprobe path makes request_module fail at once, until the on-demand test.
modprobe_path=$(cat /proc/sys/kernel/modprobe)
echo >/proc/sys/kernel/modprobe
# A client that keeps looking the family up and asking it for its version
# while the module comes and goes: replies, ENOENT and unloads racing with
# requests must all be harmless. It pauses a little between rounds: under
# TCG a spinning client takes a host core from the loader.
espnl loop 10 >"$VM_STATE/querier.out" 2>&1 &
querier=$!

cycles=0 answered=0 gone=0 problem=
for i in $(seq 1 "$LOADS"); do
	load || { problem="insmod failed on load $i"; break; }
	loaded || { problem="/sys/module/secgw_esp missing after load $i"; break; }
	ask version
	[ "$ANSWER" = "version 1" ] && answered=$((answered + 1))
	unload || { problem="rmmod failed on unload $i"; break; }
	! loaded || { problem="/sys/module/secgw_esp still there after unload $i"; break; }
	ask version
	[ "$ERRNO" = "error ENOENT" ] && gone=$((gone + 1))
	cycles=$i
done
kill -TERM "$querier"
wait "$querier"
qrc=$?
echo "$modprobe_path" >/proc/sys/kernel/modprobe
if [ -z "$problem" ]; then
	tap_ok "loaded and unloaded $LOADS times"
else
	tap_not_ok "loaded and unloaded $LOADS times"
	tap_diag "$problem (after $cycles full cycles)"
fi
tap_is "$answered/$LOADS" "$LOADS/$LOADS" "GET_INFO answers 'version 1' after every load"
tap_is "$gone/$LOADS" "$LOADS/$LOADS" "the family is gone (ENOENT) after every unload"
# The racing client must have seen both states, and no error but ENOENT.
read -r _ q_answered _ q_absent <"$VM_STATE/querier.out"
if [ "$qrc" -eq 0 ] && [ "${q_answered:-0}" -gt 0 ] && [ "${q_absent:-0}" -gt 0 ]; then
	tap_ok "a racing client got answers and ENOENT, nothing else ($(cat "$VM_STATE/querier.out"))"
else
	tap_not_ok "a racing client got answers and ENOENT, nothing else"
	tap_diag "exit status $qrc: $(cat "$VM_STATE/querier.out")"
fi
dmesg_check "$mark" "kernel log clean over $LOADS loads and unloads"

# Hostile attributes, hand-made (little-endian nla_len, nla_type, payload).
# The module's policy table makes the generic netlink core refuse them.
load
ask get-info 0800010001000000
tap_is "$ANSWER" "version 1" "GET_INFO with a well-formed VERSION attribute is answered"
ask get-info 0600010001000000
tap_is "$ERRNO" "error EINVAL" "VERSION of 2 bytes instead of 4: EINVAL"
ask get-info 08007f0001000000
tap_is "$ERRNO" "error EINVAL" "unknown attribute type 127: EINVAL"
ask get-info 0c00010001000000
tap_is "$ERRNO" "error EINVAL" "attribute claiming 12 bytes in an 8-byte message: EINVAL"
ask get-info 0400000008000100
tap_is "$ERRNO" "error EINVAL" "attribute type 0 (unspecified): EINVAL"
unload

# Loads and unloads with state and traffic present. The SAs' AEAD
# modules are loaded once up front: the kernel asks for them by alias.
modprobe -a aesni_intel gcm ctr ghash-generic 2>/dev/null
KEY=0x$(printf '%072d' 7)
SA_OUT="sa-add dir=out spi=0x1001 mode=tunnel src=192.0.2.1 dst=192.0.2.99 alg=rfc4106(gcm(aes)) key=$KEY lts=10.98.0.0/24 rts=10.99.0.0/24"
SA_IN="sa-add dir=in spi=0x1002 mode=tunnel src=192.0.2.99 dst=192.0.2.1 alg=rfc4106(gcm(aes)) key=$KEY lts=10.98.0.0/24 rts=10.99.0.0/24"
POLICY="policy-add id=1 action=protect src=0.0.0.0/0 dst=10.99.0.0/24 spi=0x1001 sadst=192.0.2.99"
/bin/busybox ip addr add 10.98.0.1/32 dev lo 2>/dev/null
echo >/proc/sys/kernel/modprobe
(while :; do /bin/busybox ping -q -c 20 -i 0.05 -W 1 10.99.0.1 >/dev/null 2>&1; done) &
pinger=$!
mark=$(dmesg_mark)
cycles=0 problem= counted=0
for i in $(seq 1 "$LOADS"); do
	load || { problem="insmod failed on load $i"; break; }
	/bin/busybox ip link set ipsec0 up &&
	/bin/busybox ip route add 10.99.0.0/24 dev ipsec0 src 10.98.0.1 ||
		{ problem="no ipsec0 to route into on load $i"; break; }
	for c in "$SA_OUT" "$SA_IN" "$POLICY"; do
		ask "$c"
		[ "$ANSWER" = ok ] || { problem="load $i: '$c' answered '$ANSWER'"; break 2; }
	done
	ask stats
	case " $ANSWER " in *" obj_sas=2 "*" obj_sockets=0 "*) counted=$((counted + 1)) ;; esac
	unload || { problem="rmmod failed with SAs on load $i"; break; }
	cycles=$i
done
kill "$pinger"
wait "$pinger" 2>/dev/null
echo "$modprobe_path" >/proc/sys/kernel/modprobe
if [ -z "$problem" ]; then
	tap_ok "loaded, given two SAs, a policy and traffic, and unloaded $LOADS times"
else
	tap_not_ok "loaded, given two SAs, a policy and traffic, and unloaded $LOADS times"
	tap_diag "$problem (after $cycles full cycles)"
fi
tap_is "$counted/$LOADS" "$LOADS/$LOADS" "the module counted exactly its two SAs and no socket before every unload"
dmesg_check "$mark" "kernel log clean over $LOADS loads and unloads with SAs and traffic"

# On-demand loading: the family lookup makes the kernel ask modprobe for
# net-pf-16-proto-16-family-secgw_esp, which only modules.alias resolves.
mkdir -p "/lib/modules/$(uname -r)/extra"
cp "$KO" "/lib/modules/$(uname -r)/extra/"
depmod -a
ask version
tap_is "$ANSWER" "version 1" "a lookup of the family loads the module on demand"
loaded && unload
! loaded && tap_ok "unloaded at the end" || tap_not_ok "unloaded at the end"
exec {ESPNL[1]}>&-
wait "$ESPNL_PID"
