#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/bfin.sh — Blackfin figures, measured in the simulator (bfin-elf-run).
#
#   - cycles per byte (core CYCLES counter) and instructions per byte (the
#     simulator's count, -v) to seal and to open 1400-byte ESP payloads with
#     libsodium's ChaCha20-Poly1305, and the throughput they would give on a
#     600 MHz BF537 if memory never stalled (it does: an upper bound);
#   - cycles of one X25519 (the DH of each IKE SA);
#   - code size (text, data, bss) of the libsodium objects the AEAD links in.
# The ESP core's own figures join when kmod/core is built for Blackfin.
#
# Needs bfin/toolchain.sh's prefix. Ends with the line
#   bench bfin: cycles_per_byte_seal=… cycles_per_byte_open=… …
# Environment: B (build dir, default build), ITERS (packets timed, default 200).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
ITERS=${ITERS:-200}
PAYLOAD=1400
BF537_HZ=600000000

if ! bfin/toolchain.sh --check; then
	echo "bench/bfin.sh: the Blackfin toolchain is not built; run bfin/toolchain.sh (~16 min)" >&2
	exit 1
fi
mk() { make --no-print-directory -s B="$B" "$@"; }
mk bfin-bench-build
RUN=$(mk bfin-print VAR=BFIN_RUN)
CROSS=$(mk bfin-print VAR=BFIN_CROSS)
BIN=$B/bfin/bfin_aead

# --- cycles, from the CYCLES register around the timed loops ----------------
out=$($RUN "$BIN" both "$ITERS")
echo "$out"
cycles() { sed -n "s/^op=$1 .* cycles=\([0-9]*\)$/\1/p" <<<"$out"; }
seal_c=$(cycles seal)
open_c=$(cycles open)
if [ -z "$seal_c" ] || [ -z "$open_c" ]; then
	echo "bench/bfin.sh: no cycle counts in: $out" >&2
	exit 1
fi
x_out=$($RUN "$BIN" x25519 3)
echo "$x_out"
x_c=$(sed -n 's/^op=x25519 .* cycles=\([0-9]*\)$/\1/p' <<<"$x_out")

# --- instructions: two runs per operation, the difference is the loop -------
insns() { # OP N -> total instructions the simulator executed
	# "Total instructions:      319,834" among the program's own output
	$RUN -v "$BIN" "$1" "$2" 2>&1 | sed -n 's/.*Total instructions:[[:space:]]*\([0-9,]*\).*/\1/p' | tr -d , | head -n 1
}
lo=$((ITERS / 4)); [ "$lo" -ge 1 ] || lo=1
i_seal=$(( $(insns seal "$ITERS") - $(insns seal "$lo") ))
i_open=$(( $(insns open "$ITERS") - $(insns open "$lo") ))
n_i=$(( (ITERS - lo) * PAYLOAD ))

# --- code size: what libsodium.a contributes to the linked program ----------
# The link map lists every input section kept (after --gc-sections) with the
# archive member it came from; long section names put the address on the
# next line. (Sections it discarded are listed before the memory map: skipped.)
# Members of the X25519 code (curve25519, the ed25519 field arithmetic it
# shares) are counted apart from the rest: the AEAD and what it calls.
read -r s_text s_data s_bss x_text x_data x_bss < <(awk '
	function hex(s,   i, v) {	# mawk has no strtonum
		v = 0
		for (i = 3; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
		return v
	}
	/^Linker script and memory map/ { inmap = 1; next }
	!inmap { next }
	/^ *\.[A-Za-z0-9_.]+ *$/ { pend = $1; next }
	{
		line = $0
		if (pend != "" && $1 ~ /^0x/) line = pend " " $0
		pend = ""
		n = split(line, f, " ")
		if (n < 4 || f[2] !~ /^0x/ || f[3] !~ /^0x/ || f[4] !~ /libsodium\.a\(/) next
		g = (f[4] ~ /curve25519|scalarmult|ed25519|x25519/) ? "x" : "a"
		size = hex(f[3])
		if (f[1] ~ /^\.(text|rodata)/) t[g] += size
		else if (f[1] ~ /^\.(bss|sbss)/ || f[1] == "COMMON") b[g] += size
		else if (f[1] ~ /^\.(data|sdata)/) d[g] += size
	}
	END { printf "%d %d %d %d %d %d\n", t["a"], d["a"], b["a"], t["x"], d["x"], b["x"] }' "$BIN.map")
read -r p_text p_data p_bss _ < <("${CROSS}size" "$BIN" | awk 'NR == 2')

div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cpb_seal=$(div "$seal_c" $((ITERS * PAYLOAD)))
cpb_open=$(div "$open_c" $((ITERS * PAYLOAD)))
ipb_seal=$(div "$i_seal" "$n_i")
ipb_open=$(div "$i_open" "$n_i")
mbps() { awk -v hz=$BF537_HZ -v cpb="$1" 'BEGIN { printf "%.1f", hz / cpb * 8 / 1e6 }'; }
x_kc=$(div "${x_c:-0}" 3000)

echo
echo "ChaCha20-Poly1305 (libsodium $(sed -n 's/^libsodium_\(.*\)\.dsc$/\1/p' "$(bfin/toolchain.sh --print-prefix)/.secgw/versions" | head -n 1), portable C, gcc -O2), ${PAYLOAD}-byte payloads, $ITERS packets:"
echo "  seal: $cpb_seal cycles/byte, $ipb_seal instructions/byte -> $(mbps "$cpb_seal") Mbit/s at 600 MHz (no memory stalls)"
echo "  open: $cpb_open cycles/byte, $ipb_open instructions/byte -> $(mbps "$cpb_open") Mbit/s at 600 MHz (no memory stalls)"
echo "X25519: $x_kc kcycles per shared secret ($(div "${x_c:-0}" $((3 * BF537_HZ / 1000))) ms at 600 MHz)"
echo "libsodium linked for the AEAD: text $s_text B, data $s_data B, bss $s_bss B; for X25519: text $x_text B, data $x_data B, bss $x_bss B"
echo "whole benchmark program: text $p_text B, data $p_data B, bss $p_bss B"
echo "bench bfin: cycles_per_byte_seal=$cpb_seal cycles_per_byte_open=$cpb_open" \
	"insns_per_byte_seal=$ipb_seal insns_per_byte_open=$ipb_open" \
	"mbps_600mhz_seal=$(mbps "$cpb_seal") mbps_600mhz_open=$(mbps "$cpb_open")" \
	"x25519_kcycles=$x_kc aead_text_kib=$(div "$s_text" 1024)" \
	"aead_data_b=$s_data aead_bss_b=$s_bss x25519_text_kib=$(div "$x_text" 1024)"
