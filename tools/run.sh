#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tools/run.sh BINDIR [LISTEN]: the README's main job (`make run`).
# secgw-iked (user datapath) and secgw-agent in the foreground, state in
# ./var, both stopped by Ctrl-C. iked needs root (a TUN device, UDP 500 and
# 4500); without it the agent runs alone and says so: the configuration can
# be edited, tunnels cannot come up. A bash script for development (no fork() in our C);
# on a router, an init script starts each program (docs/run.md).
set -u
BIN=${1:?usage: tools/run.sh BINDIR [LISTEN]}
LISTEN=${2:-127.0.0.1:8080}
STATE=var
mkdir -p "$STATE"
chmod 700 "$STATE"

IKED_PID=
AGENT_PID=

stop() {
	trap - INT TERM
	[ -n "$AGENT_PID" ] && kill -TERM "$AGENT_PID" 2>/dev/null
	[ -n "$IKED_PID" ] && kill -TERM "$IKED_PID" 2>/dev/null
	[ -n "$AGENT_PID" ] && wait "$AGENT_PID" 2>/dev/null
	[ -n "$IKED_PID" ] && wait "$IKED_PID" 2>/dev/null
	exit 0
}
trap stop INT TERM

if [ "$(id -u)" -eq 0 ]; then
	rm -f "$STATE/iked.sock"
	"$BIN/secgw-iked" --control "$STATE/iked.sock" --datapath user &
	IKED_PID=$!
	# The agent connects whenever the socket appears (and after any restart).
	echo "secgw-iked: started (pid $IKED_PID, control socket $STATE/iked.sock, user datapath)"
else
	echo "secgw-iked: NOT started: tunnels need root (a TUN device and UDP ports 500/4500)."
	echo "secgw-iked: the agent runs alone; its /health says engine \"down\". Run 'sudo make run' for live tunnels."
fi
"$BIN/secgw-agent" --state-dir "$STATE" --listen "$LISTEN" --engine "$STATE/iked.sock" &
AGENT_PID=$!
echo "secgw-agent: started (pid $AGENT_PID); Ctrl-C stops both"

# Either one ending ends the job: a half-running gateway is worse than none.
while kill -0 "$AGENT_PID" 2>/dev/null && { [ -z "$IKED_PID" ] || kill -0 "$IKED_PID" 2>/dev/null; }; do
	wait -n
done
echo "run.sh: a program ended; stopping the other"
stop
