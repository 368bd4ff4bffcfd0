#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/bfin.sh — Blackfin figures, measured in the simulator (bfin-elf-run).
#
#   - the ESP core itself (kmod/core esp_seal / esp_open with the host's AEAD
#     glue, bench/bfin_esp.c): cycles per packet for 64-, 512- and 1400-byte
#     payloads with ChaCha20-Poly1305 (libsodium) and AES-256-GCM (Mbed TLS,
#     portable C: libsodium's needs AES-NI); per byte at 1400, from the core
#     CYCLES counter and from the simulator's instruction count (-v); and the
#     throughput that would give on a 600 MHz BF537 if memory never stalled
#     (it does: an upper bound);
#   - the named comparison: libsodium's ChaCha20-Poly1305 called directly on
#     the same payloads (bench/bfin_aead.c), so the core's own cost per packet
#     (framing, padding, replay window) is the difference; and AES-GCM
#     against ChaCha20-Poly1305 on this CPU;
#   - cycles of one X25519 (the DH of each IKE SA);
#   - code size (text, data, bss) of the core (kmod/core objects), of the
#     AEAD glue, and of the libsodium and Mbed TLS code linked for each AEAD.
#
# Needs bfin/toolchain.sh's prefix. Ends with the line
#   bench bfin: cycles_per_byte_seal=… cycles_per_byte_open=… core_text_kib=… …
# (cycles_per_byte_* are ChaCha20-Poly1305 through the ESP core, 1400 bytes.)
# Environment: B (build dir, default build), ITERS (packets timed for the
# direct AEAD, default 200), ESP_ITERS (packets per ESP case, default 100).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
ITERS=${ITERS:-200}
ESP_ITERS=${ESP_ITERS:-100}
SIZES="64 512 1400"
ALGS="chacha20poly1305 aes256gcm16"
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
ESP=$B/bfin/bfin_esp

div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mbps() { awk -v hz=$BF537_HZ -v cpb="$1" 'BEGIN { printf "%.1f", hz / cpb * 8 / 1e6 }'; }
insns() { # PROGRAM ARGS... -> total instructions the simulator executed
	# "Total instructions:      319,834" among the program's own output
	$RUN -v "$@" 2>&1 | sed -n 's/.*Total instructions:[[:space:]]*\([0-9,]*\).*/\1/p' | tr -d , | head -n 1
}

# --- the ESP core: cycles per packet, both AEADs, three sizes ---------------
declare -A esp_c
for alg in $ALGS; do
	for n in $SIZES; do
		o=$($RUN "$ESP" "$alg" both "$n" "$ESP_ITERS")
		echo "$o"
		for op in seal open; do
			c=$(sed -n "s/^alg=$alg op=$op bytes=$n iters=[0-9]* cycles=\([0-9]*\)$/\1/p" <<<"$o")
			if [ -z "$c" ]; then
				echo "bench/bfin.sh: no $op cycle count for $alg, $n bytes in: $o" >&2
				exit 1
			fi
			esp_c[$alg.$op.$n]=$c
		done
	done
done
# Instructions of the ChaCha20-Poly1305 1400-byte case: each run does the
# work of the one before plus one operation, so differences isolate it.
e_fill=$(insns "$ESP" chacha20poly1305 fill $PAYLOAD "$ESP_ITERS")
e_seal=$(insns "$ESP" chacha20poly1305 seal $PAYLOAD "$ESP_ITERS")
e_open=$(insns "$ESP" chacha20poly1305 open $PAYLOAD "$ESP_ITERS")
n_e=$((ESP_ITERS * PAYLOAD))
ipb_seal=$(div $((e_seal - e_fill)) $n_e)
ipb_open=$(div $((e_open - e_seal)) $n_e)

# --- the comparison: libsodium's AEAD called directly, no ESP core ----------
out=$($RUN "$BIN" both "$ITERS")
echo "$out"
cycles() { sed -n "s/^op=$1 .* cycles=\([0-9]*\)$/\1/p" <<<"$out"; }
raw_seal_c=$(cycles seal)
raw_open_c=$(cycles open)
if [ -z "$raw_seal_c" ] || [ -z "$raw_open_c" ]; then
	echo "bench/bfin.sh: no cycle counts in: $out" >&2
	exit 1
fi
x_out=$($RUN "$BIN" x25519 3)
echo "$x_out"
x_c=$(sed -n 's/^op=x25519 .* cycles=\([0-9]*\)$/\1/p' <<<"$x_out")

# --- code size ---------------------------------------------------------------
# The core: every kmod/core object as compiled for Blackfin (what a router's
# datapath links; the benchmark itself uses only part of it).
read -r core_text core_data core_bss < <("${CROSS}size" "$B"/bfin/obj/kmod/core/*.o |
	awk 'NR > 1 { t += $1; d += $2; b += $3 } END { print t, d, b }')
read -r glue_text _ < <("${CROSS}size" "$B/bfin/obj/kmod/user/aead_sodium.o" | awk 'NR == 2')
# The crypto: the link map lists every input section kept (after
# --gc-sections) with the archive member it came from; long section names
# put the address on the next line (sections discarded are listed before the
# memory map: skipped). Sums per group of members, "text data bss".
linked() { # MAP ARCHIVE-REGEX [MEMBER-REGEX [EXCLUDE]]
	awk -v ar="$2" -v mem="${3:-.}" -v ex="${4:-^$}" '
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
		if (n < 4 || f[2] !~ /^0x/ || f[3] !~ /^0x/ || f[4] !~ ar) next
		m = f[4]; sub(/^[^(]*\(/, "", m)
		if (m !~ mem || m ~ ex) next
		size = hex(f[3])
		if (f[1] ~ /^\.(text|rodata)/) t += size
		else if (f[1] ~ /^\.(bss|sbss)/ || f[1] == "COMMON") b += size
		else if (f[1] ~ /^\.(data|sdata)/) d += size
	}
	END { printf "%d %d %d\n", t, d, b }' "$1"
}
X25519_MEMBERS='curve25519|scalarmult|ed25519|x25519'
read -r s_text s_data s_bss < <(linked "$BIN.map" 'libsodium[.]a[(]' . "$X25519_MEMBERS")
read -r x_text _ _ < <(linked "$BIN.map" 'libsodium[.]a[(]' "$X25519_MEMBERS")
read -r m_text m_data m_bss < <(linked "$ESP.map" 'libmbedcrypto[.]a[(]')
read -r p_text p_data p_bss _ < <("${CROSS}size" "$ESP" | awk 'NR == 2')

# --- the figures -------------------------------------------------------------
per_pkt() { div "${esp_c[$1.$2.$3]}" "$ESP_ITERS" | cut -d. -f1; }
cpb_seal=$(div "${esp_c[chacha20poly1305.seal.$PAYLOAD]}" $n_e)
cpb_open=$(div "${esp_c[chacha20poly1305.open.$PAYLOAD]}" $n_e)
gcm_cpb_seal=$(div "${esp_c[aes256gcm16.seal.$PAYLOAD]}" $n_e)
gcm_cpb_open=$(div "${esp_c[aes256gcm16.open.$PAYLOAD]}" $n_e)
raw_cpb_seal=$(div "$raw_seal_c" $((ITERS * PAYLOAD)))
raw_cpb_open=$(div "$raw_open_c" $((ITERS * PAYLOAD)))
# The core's own cycles per 1400-byte packet: through the core minus direct.
over_seal=$(awk -v e="${esp_c[chacha20poly1305.seal.$PAYLOAD]}" -v ei="$ESP_ITERS" \
	-v r="$raw_seal_c" -v ri="$ITERS" 'BEGIN { printf "%d", e / ei - r / ri }')
over_open=$(awk -v e="${esp_c[chacha20poly1305.open.$PAYLOAD]}" -v ei="$ESP_ITERS" \
	-v r="$raw_open_c" -v ri="$ITERS" 'BEGIN { printf "%d", e / ei - r / ri }')
x_kc=$(div "${x_c:-0}" 3000)
prefix=$(bfin/toolchain.sh --print-prefix)
ver() { sed -n "s/^$1_\(.*\)\.dsc$/\1/p" "$prefix/.secgw/versions" | tail -n 1; }

echo
echo "ESP core (kmod/core esp_seal/esp_open, gcc 12 -O2), cycles per packet, $ESP_ITERS packets per case:"
# shellcheck disable=SC2086 # a list of sizes
printf '  %-52s %8s %8s %8s\n' "payload bytes" $SIZES
for alg in $ALGS; do
	case $alg in
	chacha20poly1305) label="ChaCha20-Poly1305 (libsodium $(ver libsodium))" ;;
	aes256gcm16) label="AES-256-GCM (Mbed TLS $(ver mbedtls))" ;;
	esac
	for op in seal open; do
		row=()
		for n in $SIZES; do row+=("$(per_pkt "$alg" "$op" "$n")"); done
		printf '  %-52s %8s %8s %8s\n' "$op ${label}" "${row[@]}"
	done
done
echo "At $PAYLOAD bytes, per byte, and on a 600 MHz BF537 with no memory stalls (an upper bound):"
echo "  ChaCha20-Poly1305 seal: $cpb_seal cycles/byte, $ipb_seal instructions/byte -> $(mbps "$cpb_seal") Mbit/s"
echo "  ChaCha20-Poly1305 open: $cpb_open cycles/byte, $ipb_open instructions/byte -> $(mbps "$cpb_open") Mbit/s"
echo "  AES-256-GCM seal:       $gcm_cpb_seal cycles/byte -> $(mbps "$gcm_cpb_seal") Mbit/s"
echo "  AES-256-GCM open:       $gcm_cpb_open cycles/byte -> $(mbps "$gcm_cpb_open") Mbit/s"
echo "Compared with libsodium's ChaCha20-Poly1305 called directly ($ITERS packets of $PAYLOAD bytes):"
echo "  direct seal $raw_cpb_seal, open $raw_cpb_open cycles/byte; the ESP core adds $over_seal cycles per packet to seal, $over_open to open"
echo "  AES-256-GCM (Mbed TLS, portable) costs $(div "$gcm_cpb_seal" "$cpb_seal")x ChaCha20-Poly1305 to seal on this CPU"
echo "X25519: $x_kc kcycles per shared secret ($(div "${x_c:-0}" $((3 * BF537_HZ / 1000))) ms at 600 MHz)"
echo "Code size: kmod/core text $core_text B, data $core_data B, bss $core_bss B; AEAD glue text $glue_text B"
echo "  libsodium linked for ChaCha20-Poly1305: text $s_text B, data $s_data B, bss $s_bss B; for X25519: text $x_text B"
echo "  Mbed TLS linked for AES-256-GCM: text $m_text B, data $m_data B, bss $m_bss B"
echo "  whole ESP benchmark program: text $p_text B, data $p_data B, bss $p_bss B"
echo "bench bfin: cycles_per_byte_seal=$cpb_seal cycles_per_byte_open=$cpb_open" \
	"core_text_kib=$(div "$core_text" 1024)" \
	"insns_per_byte_seal=$ipb_seal insns_per_byte_open=$ipb_open" \
	"mbps_600mhz_seal=$(mbps "$cpb_seal") mbps_600mhz_open=$(mbps "$cpb_open")" \
	"gcm_cycles_per_byte_seal=$gcm_cpb_seal gcm_cycles_per_byte_open=$gcm_cpb_open" \
	"$(for alg in chacha gcm; do for op in seal open; do for n in $SIZES; do
		a=$([ $alg = chacha ] && echo chacha20poly1305 || echo aes256gcm16)
		printf '%s_%s_%s=%s\n' "$alg" "$op" "$n" "$(per_pkt "$a" "$op" "$n")"; done; done; done | paste -sd ' ')" \
	"direct_cycles_per_byte_seal=$raw_cpb_seal direct_cycles_per_byte_open=$raw_cpb_open" \
	"core_overhead_cycles_seal=$over_seal core_overhead_cycles_open=$over_open" \
	"x25519_kcycles=$x_kc aead_text_kib=$(div "$s_text" 1024) gcm_text_kib=$(div "$m_text" 1024)"
