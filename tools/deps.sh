#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian packages named as arguments that are not installed yet.
# Idempotent: when everything is present it prints nothing and exits 0, so the
# Makefile can call it before every `make run` and `make check`.
set -eu

missing=""
for p in "$@"; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q ' installed$'; then
		missing="$missing $p"
	fi
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		echo "deps: missing Debian packages:$missing" >&2
		echo "deps: run as root, or install them: apt-get install$missing" >&2
		exit 1
	fi
else
	SUDO=
fi

echo "deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt="$SUDO apt-get -y -q -o DPkg::Lock::Timeout=600"
# A fresh machine may have stale or no package lists: update once, then retry.
# shellcheck disable=SC2086
if ! $apt install --no-install-recommends $missing >/tmp/secgw-deps.$$.log 2>&1; then
	$apt update >>/tmp/secgw-deps.$$.log 2>&1 || true
	if ! $apt install --no-install-recommends $missing >>/tmp/secgw-deps.$$.log 2>&1; then
		tail -n 30 /tmp/secgw-deps.$$.log >&2
		echo "deps: apt-get install failed (full log: /tmp/secgw-deps.$$.log)" >&2
		exit 1
	fi
fi
rm -f /tmp/secgw-deps.$$.log
echo "deps: done" >&2
