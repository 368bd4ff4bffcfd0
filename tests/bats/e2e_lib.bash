# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Shared by the e2e_*.bats suites: two routers, each a network namespace
# with secgw-iked (user datapath) inside and a secgw-agent on the host's
# loopback driving it through its control socket — the whole product.
#
#   netns A                                   netns B
#   192.0.2.1/24 (ea) <------ veth ------> (eb) 192.0.2.2/24
#   lo 10.1.0.1/24                            lo 10.2.0.1/24
#   secgw-iked A  <- $HOME_E2E/A/iked.sock -> secgw-iked B
#   secgw-agent A on 127.0.0.1:$PORT_A        secgw-agent B on 127.0.0.1:$PORT_B
#
# The agents run unprivileged, as they should in production (docs/run.md):
# user nobody, state in $HOME_E2E/R/state; only the control socket's group
# (nogroup) lets them in. Logs, tokens and pids stay in $DIR/R.
#
#   e2e_net                  make the namespaces (setup_file)
#   iked_start R / iked_kill R    secgw-iked of router R (A or B)
#   agent_up R / agent_kill R     secgw-agent of router R
#   rapi R METHOD PATH [BODY]      REST call to R's agent: STATUS, $RESP
#   cli R ARGS…                    the secgw CLI against R's agent
#   tunnel R [CONN-JSON] [CHILD-JSON]  the PSK, connection "t" and child "net" via REST
#   sas R FILTER                   jq FILTER over R's GET /sas
#   health R FILTER                jq FILTER over R's /health
#   pinged R                       one echo across the tunnel from R

E2E_PSK=e2e-shared-secret-0123456789
TC=$SECGW_BIN/secgw-testclient
E2E_PIDS=()

e2e_net() {
	source "$SECGW_ROOT/tests/tools/netns.bash"
	local t; t=$(run_tag)
	export NSA=eA$t NSB=eB$t
	netns_add "$NSA"; netns_add "$NSB"
	netns_veth "$NSA" ea "$NSB" eb
	netns_addr "$NSA" ea 192.0.2.1/24; netns_addr "$NSA" lo 10.1.0.1/24
	netns_addr "$NSB" eb 192.0.2.2/24; netns_addr "$NSB" lo 10.2.0.1/24
	export NETNS_MADE
}

e2e_net_cleanup() {
	source "$SECGW_ROOT/tests/tools/netns.bash"
	netns_cleanup
}

# Every e2e file's namespaces (once per file) and per-test set-up: a file
# loading this library gets them; its setup() calls e2e_setup [CMD…].
setup_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	e2e_net
}

teardown_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	e2e_net_cleanup
}

e2e_setup() {
	require_root
	require_cmd jq "$@"
	DIR=$BATS_TEST_TMPDIR
}

ns_of() { [[ $1 == A ]] && echo "$NSA" || echo "$NSB"; }
local_addr() { [[ $1 == A ]] && echo 192.0.2.1 || echo 192.0.2.2; }
remote_addr() { [[ $1 == A ]] && echo 192.0.2.2 || echo 192.0.2.1; }
local_net() { [[ $1 == A ]] && echo 10.1.0.0/24 || echo 10.2.0.0/24; }
remote_net() { [[ $1 == A ]] && echo 10.2.0.0/24 || echo 10.1.0.0/24; }
local_host() { [[ $1 == A ]] && echo 10.1.0.1 || echo 10.2.0.1; }
remote_host() { [[ $1 == A ]] && echo 10.2.0.1 || echo 10.1.0.1; }

# e2e_home R: R's directory for what the unprivileged agent must reach
# (BATS' own temporary directory is root's alone): mode 0750, group nogroup.
e2e_home() {
	if [[ -z ${HOME_E2E:-} ]]; then
		HOME_E2E=$(mktemp -d /tmp/secgw-e2e.XXXXXX)
		chmod 711 "$HOME_E2E"
	fi
	mkdir -p "$DIR/$1" "$HOME_E2E/$1"
	chgrp nogroup "$HOME_E2E/$1"
	chmod 750 "$HOME_E2E/$1"
}

sock() { echo "$HOME_E2E/$1/iked.sock"; }

# iked_start R: secgw-iked (root) in R's namespace; its socket's group lets R's agent in.
iked_start() {
	local r=$1
	e2e_home "$r"
	rm -f "$(sock "$r")"
	ip netns exec "$(ns_of "$r")" "$SECGW_BIN/secgw-iked" --control "$(sock "$r")" --workers 1 \
		--retransmit-ms 300 --retransmit-tries 5 >>"$DIR/$r/iked.log" 2>&1 &
	echo $! >"$DIR/$r/iked.pid"
	E2E_PIDS+=($!)
	wait_until 10 test -S "$(sock "$r")"
	chgrp nogroup "$(sock "$r")"
}

iked_kill() {
	local pid; pid=$(cat "$DIR/$1/iked.pid")
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
}

# agent_up R: R's agent as nobody on a free port (state $HOME_E2E/R/state), an admin token.
agent_up() {
	local r=$1 try port pid
	e2e_home "$r"
	for try in 1 2 3; do
		port=$(free_port)
		"$SECGW_BIN/secgw-agent" --state-dir "$HOME_E2E/$r/state" --listen "127.0.0.1:$port" --user nobody \
			--engine "$(sock "$r")" --log-level debug >>"$DIR/$r/agent.out" 2>>"$DIR/$r/agent.log" &
		pid=$!
		wait_until 20 bash -c "! kill -0 $pid 2>/dev/null || [[ \$('$TC' GET http://127.0.0.1:$port/api/v1/health) == 200 ]]" || true
		[[ $("$TC" GET "http://127.0.0.1:$port/api/v1/health") == 200 ]] && break
		wait "$pid" 2>/dev/null || true
	done
	echo "$pid" >"$DIR/$r/agent.pid"
	echo "http://127.0.0.1:$port" >"$DIR/$r/url"
	E2E_PIDS+=($pid)
	# As the agent's user: files it creates in the state stay the agent's.
	[[ -s $DIR/$r/token ]] || setpriv --reuid nobody --regid nogroup --clear-groups \
		"$SECGW_BIN/secgw-agent" bootstrap-token --state-dir "$HOME_E2E/$r/state" >"$DIR/$r/token"
}

agent_kill() {
	local pid; pid=$(cat "$DIR/$1/agent.pid")
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
}

url() { cat "$DIR/$1/url"; }

# rapi R METHOD PATH [BODY] [testclient options…]: STATUS and $RESP.
rapi() {
	local r=$1 method=$2 path=$3 body=${4-}
	shift 3
	(($# > 0)) && shift
	RESP=$DIR/resp
	local args=(-o "$RESP" -t "$(cat "$DIR/$r/token")")
	[[ -n $body ]] && args+=(-d "$body")
	STATUS=$("$TC" "${args[@]}" "$@" "$method" "$(url "$r")/api/v1$path") || STATUS=000
	{ echo "== $r $method $path $STATUS"; cat "$RESP" 2>/dev/null; echo; } >>"$DIR/responses.log"
}

# rapi_ok R METHOD PATH [BODY]: the call must answer 2xx.
rapi_ok() {
	rapi "$@"
	if [[ $STATUS != 2* ]]; then
		echo "$1 $2 $3: HTTP $STATUS: $(cat "$RESP")" >&2
		return 1
	fi
}

cli() {
	local r=$1; shift
	"$SECGW_BIN/secgw" --url "$(url "$r")" --token "$(cat "$DIR/$r/token")" "$@"
}

# tunnel R [CONN-JSON] [CHILD-JSON]: secret "k", connection "t", child "net" through REST.
tunnel() {
	local r=$1 cx=${2:-'{}'} chx=${3:-'{}'} body
	rapi_ok "$r" PUT /secrets/k "{\"type\":\"psk\",\"value\":\"$E2E_PSK\"}" || return 1
	body=$(jq -nc --arg la "$(local_addr "$r")" --arg ra "$(remote_addr "$r")" \
		--arg lts "$(local_net "$r")" --arg rts "$(remote_net "$r")" --arg r "$r" \
		--argjson cx "$cx" --argjson chx "$chx" \
		'{name: "t", local_addrs: [$la], remote_addrs: [$ra], local_id: ($r + ".e2e.test"),
		  remote_id: ((if $r == "A" then "B" else "A" end) + ".e2e.test"), psk: "k", dpd_delay: 0,
		  children: [{name: "net", local_ts: [$lts], remote_ts: [$rts],
		              start_action: (if $r == "A" then "start" else "none" end)} + $chx]} + $cx')
	rapi_ok "$r" POST /connections "$body"
}

sas() {
	"$TC" -o "$DIR/sas.json" -t "$(cat "$DIR/$1/token")" GET "$(url "$1")/api/v1/sas" >/dev/null || return 1
	jq -r "$2" "$DIR/sas.json"
}

health() {
	"$TC" -o "$DIR/health.json" GET "$(url "$1")/api/v1/health" >/dev/null || return 1
	jq -r "$2" "$DIR/health.json"
}

# engine_is R up|down
engine_is() { [[ $(health "$1" .engine) == "$2" ]]; }

# child_state R CONN: the states of CONN's CHILD SAs, comma-separated.
child_state() {
	sas "$1" "[.connections[] | select(.name == \"$2\") | .children[].state] | join(\",\")"
}

installed() { [[ ,$(child_state "$1" "${2:-t}"), == *,installed,* ]]; }
no_sa() { [[ $(sas "$1" "[.connections[] | select(.name == \"${2:-t}\") | .children[] | select(.state == \"installed\")] | length") == 0 ]]; }

pinged() {
	ip netns exec "$(ns_of "$1")" ping -c 1 -W 1 -I "$(local_host "$1")" "$(remote_host "$1")"
}

# e2e_teardown: stop what this test started (by pid), logs on failure.
e2e_teardown() {
	local p f
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		for f in "$DIR"/*/*.log "$DIR"/responses.log "$DIR"/*.ev; do
			[[ -f $f ]] || continue
			echo "--- $f (tail)"
			tail -n 30 "$f"
		done
	fi
	for p in "${E2E_PIDS[@]}"; do stop_pid "$p" 10; done
	E2E_PIDS=()
	[[ -n ${HOME_E2E:-} && $HOME_E2E == /tmp/secgw-e2e.* ]] && rm -rf "$HOME_E2E"
	HOME_E2E=
	# The sanitizers' word on every agent and iked this test ran.
	if grep -l 'ERROR: \(Address\|Leak\)Sanitizer\|runtime error:' "$DIR"/*/*.log 2>/dev/null; then
		grep -h -A20 'ERROR: \(Address\|Leak\)Sanitizer\|runtime error:' "$DIR"/*/*.log | head -60
		return 1
	fi
}

# routers: iked and agent on both sides.
routers() {
	iked_start A; iked_start B
	agent_up A; agent_up B
	wait_until 10 engine_is A up
	wait_until 10 engine_is B up
}
