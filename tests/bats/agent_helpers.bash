# SPDX-License-Identifier: MIT
# Helpers for the agent suites (tests/bats/agent_*.bats): start a real
# secgw-agent on a free loopback port with its own state directory, talk to it
# through secgw-testclient (libcurl), and compare the database before/after.
#
#   agent_start [ARGS…]   start it (state in $AGENT_DIR), wait for /health,
#                         set AGENT_PID AGENT_URL AGENT_DB ADMIN_PASSWORD TOKEN
#   agent_stop            SIGTERM it (by pid) and wait
#   api METHOD PATH [BODY] [testclient options…]
#                         sets STATUS; the body is in $RESP, headers in $HDRS
#   jq_body FILTER        jq -r FILTER on the last body
#   db_sum                a checksum of every table a request could change
load helpers

TC=$SECGW_BIN/secgw-testclient
AGENT=$SECGW_BIN/secgw-agent

agent_start() {
	AGENT_DIR=${AGENT_DIR:-$BATS_FILE_TMPDIR/state}
	AGENT_DB=$AGENT_DIR/secgw.db
	AGENT_OUT=$BATS_FILE_TMPDIR/agent.out
	AGENT_LOG=${AGENT_LOG:-$BATS_FILE_TMPDIR/agent.log}
	local try
	# A free port can be taken by someone else before the agent binds it
	# (other suites run concurrently on this machine): then try another.
	for try in 1 2 3; do
		AGENT_PORT=$(free_port)
		AGENT_URL=${AGENT_SCHEME:-http}://127.0.0.1:$AGENT_PORT
		"$AGENT" --state-dir "$AGENT_DIR" --listen "127.0.0.1:$AGENT_PORT" "$@" \
			>>"$AGENT_OUT" 2>>"$AGENT_LOG" &
		AGENT_PID=$!
		wait_until 20 agent_up_or_gone || break
		agent_healthy && break
		wait "$AGENT_PID" 2>/dev/null || true
		grep -q "cannot listen on 127.0.0.1:$AGENT_PORT" "$AGENT_LOG" || break
	done
	agent_healthy || { cat "$AGENT_LOG" >&2; return 1; }
	ADMIN_PASSWORD=$(cat "$AGENT_DIR/admin-password")
	if [[ -z ${TOKEN:-} ]]; then
		TOKEN=$("$AGENT" bootstrap-token --state-dir "$AGENT_DIR")
	fi
	export AGENT_DIR AGENT_PORT AGENT_URL AGENT_DB AGENT_OUT AGENT_LOG AGENT_PID ADMIN_PASSWORD TOKEN
}

agent_up_or_gone() {
	agent_healthy || ! pid_alive "$AGENT_PID"
}

agent_healthy() {
	pid_alive "$AGENT_PID" && [[ $("$TC" ${CACERT:+--cacert "$CACERT"} GET "$AGENT_URL/api/v1/health" 2>/dev/null) == 200 ]]
}

# agent_stop: SIGTERM, wait, and fail if the sanitizers reported anything.
agent_stop() {
	stop_pid "$AGENT_PID" 20
	agent_log_clean
}

agent_log_clean() {
	if grep -q 'Sanitizer\|runtime error:' "$AGENT_LOG" 2>/dev/null; then
		grep -A 30 'Sanitizer\|runtime error:' "$AGENT_LOG" | head -n 60 >&2
		return 1
	fi
}

RESP=${BATS_TEST_TMPDIR:-/tmp}/resp
HDRS=${BATS_TEST_TMPDIR:-/tmp}/hdrs

api() {
	local method=$1 path=$2 body=${3-}
	shift 2
	(($# > 0)) && shift
	RESP=$BATS_TEST_TMPDIR/resp
	HDRS=$BATS_TEST_TMPDIR/hdrs
	local args=(-o "$RESP" -D "$HDRS")
	[[ -n ${API_TOKEN-$TOKEN} ]] && args+=(-t "${API_TOKEN-$TOKEN}")
	[[ -n ${CACERT:-} ]] && args+=(--cacert "$CACERT")
	[[ -n $body ]] && args+=(-d "$body")
	STATUS=$("$TC" "${args[@]}" "$@" "$method" "$AGENT_URL/api/v1$path") || STATUS=000
	# Every answer from the agent is logged for the secret scan (agent_secrets.bats).
	{ echo "== $method $path $STATUS"; cat "$HDRS" "$RESP" 2>/dev/null; echo; } >>"$BATS_FILE_TMPDIR/responses.log"
}

jq_body() {
	jq -r "$1" <"$RESP"
}

# header NAME: the value of a response header of the last answer.
header() {
	local line want=${1,,}
	while IFS= read -r line; do
		line=${line%$'\r'}
		if [[ ${line,,} == "$want:"* ]]; then
			line=${line#*:}
			echo "${line# }"
			return 0
		fi
	done <"$HDRS"
}

# expect_status WANT: fail with the body shown when the last answer differs.
expect_status() {
	if [[ $STATUS != "$1" ]]; then
		echo "expected HTTP $1, got $STATUS:" >&2
		cat "$RESP" >&2
		echo >&2
		return 1
	fi
}

# db_sum: a SHA3 of every table a request could change (the audit log
# aside: refusals are audited on purpose), in one sqlite3 process.
db_sum() {
	sqlite3 "$AGENT_DB" "SELECT hex(sha3_query('
		SELECT name, config, psk, revision FROM connections ORDER BY name;
		SELECT conn_id, name, position, config FROM children ORDER BY conn_id, position;
		SELECT name, type, box, revision FROM secrets ORDER BY name;
		SELECT number, author, comment, summary FROM revisions ORDER BY number;
		SELECT revision, seq, kind, name, old, new FROM revision_changes ORDER BY revision, seq;
		SELECT name, role, pwhash FROM users ORDER BY name;
		SELECT id, name, revoked FROM tokens ORDER BY id'))"
}

# absent TEXT FILE…: fail (naming the file) when TEXT occurs in any FILE.
# (A bare `! grep …` never fails a Bats test: errexit ignores negations.)
absent() {
	local text=$1 f
	shift
	for f in "$@"; do
		if grep -qaF -- "$text" "$f"; then
			echo "found '$text' in $f" >&2
			return 1
		fi
	done
}
