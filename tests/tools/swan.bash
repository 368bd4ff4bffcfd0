# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# A real strongSwan peer (Debian's charon 5.9) in a network namespace, for the
# interoperability tests and the benchmarks. Source this file; it needs root.
#
# The host kernel has XFRM but no ESP, so charon runs with kernel-libipsec
# (userspace ESP over a TUN device ipsec0, always UDP-encapsulated: IKE moves
# to 4500 after IKE_SA_INIT and ESP travels in UDP 4500). charon writes
# /run/charon.pid (compiled in) and refuses to start when it names a live
# process, so each instance gets a private mount namespace with its own /run.
#
#   swan_conn_conf > "$dir/swanctl.conf"   # from SWAN_* variables, see below
#   swan_start "$dir" "$netns"             # start, wait for VICI, load config
#   swan_ctl "$dir" --initiate --child net # swanctl against this instance
#   swan_stop "$dir"                        # SIGTERM, then SIGKILL; only our pid
#
# Environment read by swan_start:
#   SWAN_PLUGINS       charon plugin list (default below; needs kdf, see notes)
#   SWAN_CHARON_OPTS   raw lines for the charon { } section (DoS limits, threads…)
#   SWAN_LOGLEVEL      default log level (1); SWAN_IKE_LOGLEVEL (2)
# Packages: strongswan-charon strongswan-swanctl libcharon-extra-plugins
# libstrongswan-extra-plugins.

SWAN_CHARON=${SWAN_CHARON:-/usr/lib/ipsec/charon}
SWAN_DEFAULT_PLUGINS="aesni random nonce sha1 sha2 hmac kdf aes gcm chapoly curve25519 kernel-libipsec kernel-netlink socket-default vici"

swan_uri() { printf 'unix://%s/charon.vici' "$1"; }

# swan_ctl DIR COMMAND [ARGS...]: swanctl takes the command first, then --uri.
swan_ctl() {
	local dir=$1 cmd=$2; shift 2
	STRONGSWAN_CONF="$dir/strongswan.conf" swanctl "$cmd" --uri "$(swan_uri "$dir")" "$@"
}

# Is PID a charon started for DIR (by its binary and its STRONGSWAN_CONF)?
swan_is_ours() {
	local pid=$1 dir=$2
	[[ -n $pid && -d /proc/$pid ]] || return 1
	[[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$(readlink -f "$SWAN_CHARON")" ]] || return 1
	tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "STRONGSWAN_CONF=$dir/strongswan.conf"
}

swan_pid() { cat "$1/started.pid" 2>/dev/null; }

# swan_conn_conf: a swanctl.conf for one PSK connection with one child, from
#   SWAN_CONN (net)  SWAN_LOCAL_ADDRS  SWAN_REMOTE_ADDRS  SWAN_LOCAL_ID  SWAN_REMOTE_ID
#   SWAN_PSK  SWAN_IKE_PROPOSALS (chacha20poly1305-prfsha256-x25519)
#   SWAN_ESP_PROPOSALS (chacha20poly1305)  SWAN_LOCAL_TS  SWAN_REMOTE_TS
#   SWAN_MODE (tunnel)  SWAN_START_ACTION (none)
#   SWAN_CONN_OPTS / SWAN_CHILD_OPTS: raw lines added to the connection / child
swan_conn_conf() {
	local conn=${SWAN_CONN:-net}
	cat <<EOF
connections {
	$conn {
		version = 2
		local_addrs = ${SWAN_LOCAL_ADDRS:?}
		remote_addrs = ${SWAN_REMOTE_ADDRS:?}
		proposals = ${SWAN_IKE_PROPOSALS:-chacha20poly1305-prfsha256-x25519}
		encap = yes
		mobike = no
		send_certreq = no
		dpd_delay = 0
		${SWAN_CONN_OPTS:-}
		local {
			auth = psk
			id = ${SWAN_LOCAL_ID:?}
		}
		remote {
			auth = psk
			id = ${SWAN_REMOTE_ID:?}
		}
		children {
			$conn {
				local_ts = ${SWAN_LOCAL_TS:?}
				remote_ts = ${SWAN_REMOTE_TS:?}
				esp_proposals = ${SWAN_ESP_PROPOSALS:-chacha20poly1305}
				mode = ${SWAN_MODE:-tunnel}
				start_action = ${SWAN_START_ACTION:-none}
				${SWAN_CHILD_OPTS:-}
			}
		}
	}
}
secrets {
	ike-$conn {
		id-local = ${SWAN_LOCAL_ID}
		id-remote = ${SWAN_REMOTE_ID}
		secret = "${SWAN_PSK:?}"
	}
}
EOF
}

# swan_start DIR NETNS: DIR (not under /run) must hold swanctl.conf. Writes
# DIR/strongswan.conf, starts charon in NETNS, waits for its VICI socket (up
# to 10 s) and loads swanctl.conf. Logs: DIR/charon.log, DIR/charon.out.
swan_start() {
	local dir=$1 ns=$2 pid i
	case $dir in /run | /run/* | /var/run/*) echo "swan_start: DIR must not be under /run" >&2; return 1 ;; esac
	mkdir -p "$dir/run" "$dir/swanctl"
	[[ -f $dir/swanctl.conf ]] || { echo "swan_start: $dir/swanctl.conf missing" >&2; return 1; }
	cp "$dir/swanctl.conf" "$dir/swanctl/swanctl.conf"
	cat >"$dir/strongswan.conf" <<EOF
charon {
	load_modular = no
	load = ${SWAN_PLUGINS:-$SWAN_DEFAULT_PLUGINS}
	port = 500
	port_nat_t = 4500
	install_routes = yes
	${SWAN_CHARON_OPTS:-}
	plugins {
		vici {
			socket = $(swan_uri "$dir")
		}
		kernel-libipsec {
			allow_peer_ts = no
		}
	}
	filelog {
		test {
			path = $dir/charon.log
			time_format = %H:%M:%S
			time_add_ms = yes
			ike_name = yes
			append = no
			flush_line = yes
			default = ${SWAN_LOGLEVEL:-1}
			ike = ${SWAN_IKE_LOGLEVEL:-2}
		}
	}
	syslog {
		daemon {
			default = -1
		}
	}
}
# swanctl itself needs no crypto for PSK configurations.
swanctl {
	load = random nonce
}
EOF
	: >"$dir/charon.out"
	# setsid: its own session, so it outlives the caller's job control. ip
	# netns exec, unshare (without --fork) and sh's exec all exec in place, so
	# $! is charon's pid; charon's own pid file cross-checks it below.
	STRONGSWAN_CONF="$dir/strongswan.conf" setsid \
		ip netns exec "$ns" unshare -m --propagation private \
		sh -c 'mount --bind "$1" /run && exec "$2"' swan "$dir/run" "$SWAN_CHARON" \
		</dev/null >>"$dir/charon.out" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/started.pid"
	for ((i = 0; i < 200; i++)); do
		[[ -S $dir/charon.vici ]] && swan_ctl "$dir" --stats >/dev/null 2>&1 && break
		if [[ ! -d /proc/$pid ]]; then
			echo "swan_start: charon died during start-up:" >&2
			cat "$dir/charon.out" "$dir/charon.log" >&2 2>/dev/null
			return 1
		fi
		sleep 0.05
	done
	swan_ctl "$dir" --stats >/dev/null 2>&1 || { echo "swan_start: VICI not answering" >&2; return 1; }
	if [[ -f $dir/run/charon.pid && $(cat "$dir/run/charon.pid") != "$pid" ]]; then
		local p2
		p2=$(cat "$dir/run/charon.pid")
		swan_is_ours "$p2" "$dir" || { echo "swan_start: pid mismatch ($pid/$p2)" >&2; return 1; }
		echo "$p2" >"$dir/started.pid"
	fi
	SWANCTL_DIR="$dir/swanctl" swan_ctl "$dir" --load-all --noprompt >"$dir/load.out" 2>&1 || {
		cat "$dir/load.out" >&2
		return 1
	}
}

# swan_stop DIR: SIGTERM, up to 5 s, then SIGKILL — only the charon we started.
swan_stop() {
	local dir=$1 pid i
	pid=$(swan_pid "$dir")
	swan_is_ours "$pid" "$dir" || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		[[ -d /proc/$pid ]] || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	return 0
}

# swan_child_installed DIR CHILD: is there an INSTALLED CHILD_SA named CHILD?
swan_child_installed() {
	swan_ctl "$1" --list-sas --noblock 2>/dev/null | grep -Eq "^ +$2: #[0-9]+, reqid [0-9]+, INSTALLED"
}

# swan_ike_established DIR CONN
swan_ike_established() {
	swan_ctl "$1" --list-sas --noblock 2>/dev/null | grep -Eq "^$2: #[0-9]+, ESTABLISHED"
}
