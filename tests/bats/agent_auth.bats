#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Who may do what: the role matrix (every role × every route, from one
# table), bearer token expiry and revocation, cookie sessions with the CSRF
# header, the failed-login limiter, and the audit of auth failures.
bats_require_minimum_version 1.5.0
load agent_helpers

setup_file() {
	agent_start
	api PUT /secrets/hqkey '{"type":"psk","value":"a good long psk"}'
	api POST /connections '{"name":"hq","remote_addrs":["192.0.2.9"],"psk":"hqkey","children":[{"name":"lan"}]}'
	for role in viewer operator admin; do
		api POST /users "{\"name\":\"u-$role\",\"role\":\"$role\",\"password\":\"pass-$role-123\"}"
		[[ $STATUS == 201 ]]
		api POST /tokens "{\"name\":\"t-$role\",\"user\":\"u-$role\"}"
		[[ $STATUS == 201 ]]
		printf '%s' "$(jq_body .token)" >"$BATS_FILE_TMPDIR/token-$role"
	done
}

teardown_file() {
	agent_stop
}

# The role matrix: METHOD PATH LEAST-ROLE BODY. Bodies of mutations are
# deliberately invalid (or name nothing that exists), so an allowed call
# answers 4xx-but-not-403 and the matrix changes nothing.
MATRIX='
GET    /health                                public   -
GET    /metrics                               viewer   -
GET    /openapi.json                          viewer   -
GET    /events                                viewer   -
GET    /session                               viewer   -
POST   /session                               public   {"username":"nobody"}
DELETE /session                               viewer   -
GET    /connections                           viewer   -
POST   /connections                           operator {"name":"bad name"}
GET    /connections/{name}                    viewer   -
PUT    /connections/{name}                    operator {"bogus":1}
PATCH  /connections/{name}                    operator {"bogus":1}
DELETE /connections/{name}                    operator -
POST   /connections/{name}/initiate           operator -
POST   /connections/{name}/terminate          operator -
GET    /connections/{name}/children           viewer   -
POST   /connections/{name}/children           operator {"name":"bad name"}
GET    /connections/{name}/children/{child}   viewer   -
PUT    /connections/{name}/children/{child}   operator {"bogus":1}
PATCH  /connections/{name}/children/{child}   operator {"bogus":1}
DELETE /connections/{name}/children/{child}   operator -
POST   /connections/{name}/children/{child}/initiate  operator -
POST   /connections/{name}/children/{child}/terminate operator -
GET    /sas                                   viewer   -
GET    /secrets                               operator -
GET    /secrets/{name}                        operator -
PUT    /secrets/{name}                        operator {"bogus":1}
DELETE /secrets/{name}                        operator -
GET    /users                                 admin    -
POST   /users                                 admin    {"bogus":1}
GET    /users/{name}                          admin    -
PATCH  /users/{name}                          admin    {"bogus":1}
DELETE /users/{name}                          admin    -
GET    /tokens                                viewer   -
POST   /tokens                                viewer   {"bogus":1}
GET    /tokens/{id}                           viewer   -
DELETE /tokens/{id}                           viewer   -
GET    /audit                                 admin    -
GET    /revisions                             viewer   -
GET    /revisions/{n}                         viewer   -
GET    /revisions/{a}/diff/{b}                viewer   -
POST   /revisions/{n}/rollback                operator -
GET    /commit/confirm                        viewer   -
POST   /commit/confirm                        operator -
GET    /export                                operator -
POST   /import                                operator {"bogus":1}
'

rank() {
	case $1 in public) echo 0 ;; viewer) echo 1 ;; operator) echo 2 ;; admin) echo 3 ;; esac
}

# Concrete URL for a pattern: an existing connection/child for reads, a
# missing secret/user/token for writes (so an allowed DELETE is a 404).
concrete() {
	local p=$1
	p=${p//\{child\}/lan}
	case $p in
	/connections/*) p=${p//\{name\}/hq} ;;
	*) p=${p//\{name\}/nosuch} ;;
	esac
	p=${p//\{n\}/999999}
	p=${p//\{a\}/1}
	p=${p//\{b\}/999999}
	echo "${p//\{id\}/999999}"
}

@test "the matrix lists every route of docs/openapi.json, and only those" {
	local from_doc from_matrix
	from_doc=$(jq -r '.paths | to_entries[] | .key as $p | .value | keys[] | select(. != "parameters") | "\(ascii_upcase) \($p)"' \
		"$SECGW_ROOT/docs/openapi.json" | sort)
	from_matrix=$(awk 'NF { print $1, $2 }' <<<"$MATRIX" | sort)
	diff <(echo "$from_doc") <(echo "$from_matrix")
}

@test "role matrix: each role × each route is allowed or refused (403, nothing changed) as documented" {
	local method path least body url role
	while read -r method path least body; do
		[[ -n $method ]] || continue
		url=$(concrete "$path")
		[[ $body == - ]] && body=
		for role in none viewer operator admin; do
			local tok=
			[[ $role != none ]] && tok=$(cat "$BATS_FILE_TMPDIR/token-$role")
			local allowed=0
			if [[ $least == public ]] || { [[ $role != none ]] && (($(rank "$role") >= $(rank "$least"))); }; then
				allowed=1
			fi
			if [[ $path == /events && $allowed == 1 ]]; then
				"$TC" events "$AGENT_URL/api/v1/events" -t "$tok" --until hello --max-time 5 >/dev/null ||
					{ echo "events refused for $role" >&2; return 1; }
				continue
			fi
			local before=$(db_sum)
			API_TOKEN=$tok api "$method" "$url" "$body"
			if ((allowed)); then
				if [[ $STATUS == 401 || $STATUS == 403 || $STATUS == 000 ]]; then
					echo "$role: $method $url refused ($STATUS), should be allowed:" >&2
					cat "$RESP" >&2
					return 1
				fi
			else
				local want=403
				[[ $role == none ]] && want=401
				if [[ $STATUS != "$want" ]]; then
					echo "$role: $method $url got $STATUS, want $want:" >&2
					cat "$RESP" >&2
					return 1
				fi
				[[ $(db_sum) == "$before" ]] || { echo "$role: $method $url changed the database" >&2; return 1; }
			fi
		done
	done <<<"$MATRIX"
}

@test "a viewer never sees a secret, not even its name" {
	API_TOKEN=$(cat "$BATS_FILE_TMPDIR/token-viewer") api GET /secrets
	expect_status 403
	absent hqkey "$RESP"
}

@test "token expiry: a token with expires_in stops working when it expires" {
	api POST /tokens '{"name":"short","expires_in":1}'
	expect_status 201
	local t=$(jq_body .token)
	[[ $(jq_body .expires) -gt $(date +%s -d '-5 seconds') ]]
	API_TOKEN=$t api GET /connections
	[[ $STATUS == 200 || $STATUS == 401 ]]
	expired() { API_TOKEN=$t api GET /connections; [[ $STATUS == 401 ]]; }
	wait_until 10 expired
	API_TOKEN=$t api GET /connections
	[[ $(jq_body .detail) == *expired* ]]
}

@test "token revocation: a revoked token is refused at once; others keep working" {
	local op=$(cat "$BATS_FILE_TMPDIR/token-operator")
	API_TOKEN=$op api POST /tokens '{"name":"mine"}'
	expect_status 201
	local t=$(jq_body .token) id=$(jq_body .id)
	# Another user's token is not theirs to see or revoke.
	API_TOKEN=$(cat "$BATS_FILE_TMPDIR/token-viewer") api DELETE "/tokens/$id"
	expect_status 404
	API_TOKEN=$t api GET /connections
	expect_status 200
	API_TOKEN=$op api DELETE "/tokens/$id"
	expect_status 204
	API_TOKEN=$t api GET /connections
	expect_status 401
	[[ $(jq_body .detail) == *revoked* ]]
	API_TOKEN=$op api GET /connections
	expect_status 200
}

@test "sessions: cookie HttpOnly SameSite=Strict; mutations need the CSRF header" {
	local jar=$BATS_TEST_TMPDIR/jar
	API_TOKEN= api POST /session '{"username":"u-operator","password":"pass-operator-123"}' -c "$jar"
	expect_status 201
	local csrf=$(jq_body .csrf_token)
	[[ -n $csrf && $csrf != null ]]
	local cookie=$(header Set-Cookie)
	[[ $cookie == secgw_session=*HttpOnly* && $cookie == *SameSite=Strict* && $cookie != *Secure* ]]
	API_TOKEN= api GET /connections '' -c "$jar"
	expect_status 200
	local before=$(db_sum)
	API_TOKEN= api POST /connections '{"name":"viacookie","psk":"hqkey"}' -c "$jar"
	expect_status 403
	[[ $(jq_body .type) == urn:secgw:problem:csrf ]]
	API_TOKEN= api POST /connections '{"name":"viacookie","psk":"hqkey"}' -c "$jar" -H "X-CSRF-Token: wrong"
	expect_status 403
	[[ $(db_sum) == "$before" ]]
	API_TOKEN= api POST /connections '{"name":"viacookie","psk":"hqkey"}' -c "$jar" -H "X-CSRF-Token: $csrf"
	expect_status 201
	API_TOKEN= api GET /session '' -c "$jar"
	[[ $(jq_body .user) == u-operator && $(jq_body .csrf_token) == "$csrf" ]]
	API_TOKEN= api DELETE /session '' -c "$jar"
	expect_status 403
	API_TOKEN= api DELETE /session '' -c "$jar" -H "X-CSRF-Token: $csrf"
	expect_status 204
	API_TOKEN= api GET /connections '' -c "$jar"
	expect_status 401
}

@test "a wrong password is refused and audited" {
	API_TOKEN= api POST /session '{"username":"u-viewer","password":"not-the-password"}'
	expect_status 401
	API_TOKEN= api POST /session '{"username":"ghost","password":"not-the-password"}'
	expect_status 401
	[[ $(sqlite3 "$AGENT_DB" "SELECT count(*) FROM audit WHERE action='login.failed' AND target IN ('u-viewer','ghost')") == 2 ]]
}

@test "failed logins are rate limited per user and source address (429 + Retry-After)" {
	local i
	for i in 1 2 3 4 5; do
		API_TOKEN= api POST /session '{"username":"u-admin","password":"wrong-password"}'
		expect_status 401
	done
	API_TOKEN= api POST /session '{"username":"u-admin","password":"wrong-password"}'
	expect_status 429
	local ra=$(header Retry-After)
	[[ $ra =~ ^[0-9]+$ ]] && ((ra > 0 && ra <= 300))
	# Locked out even with the right password, from this address…
	API_TOKEN= api POST /session '{"username":"u-admin","password":"pass-admin-123"}'
	expect_status 429
	# …but not from another one, and not for another user.
	API_TOKEN= api POST /session '{"username":"u-admin","password":"pass-admin-123"}' --interface 127.0.0.2
	expect_status 201
	API_TOKEN= api POST /session '{"username":"u-viewer","password":"pass-viewer-123"}'
	expect_status 201
	[[ $(sqlite3 "$AGENT_DB" "SELECT count(*) FROM audit WHERE action='login.limited' AND target='u-admin'") -ge 2 ]]
}

@test "auth failures are audited: bad token, forbidden role, missing CSRF" {
	API_TOKEN=sgw_not-a-real-token api GET /connections
	expect_status 401
	API_TOKEN=$(cat "$BATS_FILE_TMPDIR/token-viewer") api GET /users
	expect_status 403
	[[ $(sqlite3 "$AGENT_DB" "SELECT count(*) FROM audit WHERE action='auth.failed' AND detail='unknown bearer token'") -ge 1 ]]
	[[ $(sqlite3 "$AGENT_DB" "SELECT count(*) FROM audit WHERE action='auth.forbidden' AND user='u-viewer' AND target='/api/v1/users'") -ge 1 ]]
	[[ $(sqlite3 "$AGENT_DB" "SELECT count(*) FROM audit WHERE action='auth.csrf'") -ge 1 ]]
}
