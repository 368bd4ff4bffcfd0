#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/kmod.sh — TCP throughput through secgw_esp.ko against Linux's own
# ESP, in ONE boot of Debian's kernel under qemu (TCG: absolute figures are
# the emulator's, the ratio is the point). On the same namespaces (hl — gl
# ═ gr — hr, tunnel mode between the routers, plain ESP, iperf3 hl -> hr for
# SECS seconds): no tunnel, native XFRM, secgw_esp.ko, native XFRM again
# (to see drift), for AES-256-GCM and ChaCha20-Poly1305 with the same
# algorithm on both datapaths. The guest half is bench/vm/kmod.sh.
#
# Ends with the line
#   bench kmod: ratio_vs_native=… kmod_mbps=… native_mbps=… plain_mbps=… …
# ratio_vs_native is AES-GCM's kmod / native (the mean of the two native
# runs); ratio_chacha the same for ChaCha20-Poly1305. Environment: B (build
# dir, default build), SECS (seconds per run, default 8).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
SECS=${SECS:-8}

make --no-print-directory -s B="$B" kmod "$B/tests/vm/espnl" "$B/tests/vm/udpencap" >/dev/null
results=$B/vm/bench-kmod
out=$(SECGW_BUILD=$(pwd)/$B VM_ENV_KMOD_BENCH_SECS=$SECS tests/vm/run -r "$results" bench/vm/kmod.sh) || {
	echo "$out"
	echo "bench/kmod.sh: the VM run failed (details above, logs in $results)" >&2
	exit 1
}
echo "$out" | grep -E '^(ok|not ok|#)' | grep -v '^#   ' || true
fig() { sed -n "s/.*bench: $1_mbps=\([0-9.]*\).*/\1/p" <<<"$out" | head -n 1; }
plain=$(fig plain)
line="bench kmod:"
for aead in aes256gcm16 chacha20poly1305; do
	k=$(fig "kmod_$aead") n1=$(fig "native_$aead") n2=$(fig "native_${aead}_again")
	echo "$aead: kmod $k Mbit/s, native $n1 then $n2 Mbit/s, no tunnel $plain Mbit/s"
	r=$(awk -v k="$k" -v a="$n1" -v b="$n2" 'BEGIN { n = (a + b) / 2; if (n > 0) printf "%.2f", k / n; else print "nan" }')
	if [ "$aead" = aes256gcm16 ]; then
		line="$line ratio_vs_native=$r kmod_mbps=$k native_mbps=$n1/$n2"
	else
		line="$line ratio_chacha=$r kmod_chacha_mbps=$k native_chacha_mbps=$n1/$n2"
	fi
done
echo "$line plain_mbps=$plain secs=$SECS"
