#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bfin/nofork.sh [ROOT] — find calls that need fork() in the router's programs.
#
# Blackfin has no MMU: uClinux cannot copy an address space, so fork() does
# not exist there, and neither do the library calls built on it (daemon(),
# forkpty()). Our programs use vfork()/posix_spawn() instead. This scans the C
# sources (*.c, *.h) of the folders that end up on the router — agent/ ikev2/
# kmod/ cli/ lib/ under ROOT (default: the repository) — with comments and
# string literals blanked, so a comment that says "never fork()" is not a hit
# and vfork() is not either.
#
# Prints "FILE:LINE: TEXT" for every hit and exits 1 if there is any; prints
# "scanned N files" and exits 0 if there is none; exits 2 on a usage error.
set -euo pipefail

ROOT=${1:-$(cd "$(dirname "$0")/.." && pwd)}
[ -d "$ROOT" ] || { echo "nofork: $ROOT is not a directory" >&2; exit 2; }
DIRS=(agent ikev2 kmod cli lib)

files=()
for d in "${DIRS[@]}"; do
	[ -d "$ROOT/$d" ] || continue
	while IFS= read -r -d '' f; do
		files+=("$f")
	done < <(find "$ROOT/$d" -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z)
done
[ ${#files[@]} -gt 0 ] || { echo "nofork: no C sources under $ROOT/{${DIRS[*]}}" >&2; exit 2; }

# One perl pass per file: blank comments (keeping their newlines, so line
# numbers stay right), empty string and character literals, then report every
# line that names a fork-family call.
hits=$(perl -e '
	my $bad = qr/\b(?:fork|forkpty|daemon)\s*\(|\b(?:SYS_fork|__NR_fork)\b/;
	for my $file (@ARGV) {
		open(my $fh, "<", $file) or die "nofork: $file: $!\n";
		local $/;
		my $src = <$fh>;
		close $fh;
		$src =~ s{(/\*.*?\*/)|(//[^\n]*)|("(?:\\.|[^"\\\n])*")|(\x27(?:\\.|[^\x27\\\n])*\x27)}{
			defined $1 ? "\n" x ($1 =~ tr/\n//) : defined $2 ? "" : defined $3 ? "\"\"" : "\x27\x27"
		}gse;
		my $n = 0;
		for my $line (split /\n/, $src, -1) {
			$n++;
			next unless $line =~ $bad;
			$line =~ s/^\s+//;
			print "$file:$n: $line\n";
		}
	}' "${files[@]}")

if [ -n "$hits" ]; then
	printf '%s\n' "${hits//"$ROOT/"/}"
	echo "nofork: fork-family calls found: use vfork() or posix_spawn() (Blackfin has no MMU)" >&2
	exit 1
fi
echo "scanned ${#files[@]} files"
