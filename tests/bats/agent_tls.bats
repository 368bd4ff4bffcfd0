#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# HTTPS: the agent with --tls-cert/--tls-key (libmicrohttpd's GnuTLS), a
# certificate made here with openssl for 127.0.0.1, a client that trusts
# only that certificate. The session cookie gains Secure under HTTPS.
bats_require_minimum_version 1.5.0
load agent_helpers

setup_file() {
	require_cmd openssl
	local d=$BATS_FILE_TMPDIR
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=secgw test" -addext "subjectAltName=IP:127.0.0.1" \
		-keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
	export CACERT=$d/cert.pem AGENT_SCHEME=https
	agent_start --tls-cert "$d/cert.pem" --tls-key "$d/key.pem"
}

teardown_file() {
	agent_stop
}

@test "HTTPS: health and an authenticated request over TLS, verified against the test certificate" {
	grep -q "listening on https://127.0.0.1:$AGENT_PORT/" "$AGENT_OUT"
	API_TOKEN= api GET /health
	expect_status 200
	api PUT /secrets/k '{"type":"psk","value":"over tls 12345"}'
	expect_status 201
	api POST /connections '{"name":"tls","psk":"k"}'
	expect_status 201
	api GET /connections/tls
	expect_status 200
}

@test "HTTPS: the session cookie is Secure" {
	API_TOKEN= api POST /session "{\"username\":\"admin\",\"password\":\"$ADMIN_PASSWORD\"}"
	expect_status 201
	[[ $(header Set-Cookie) == *"; Secure"* ]]
}

@test "HTTPS: a client that does not trust the certificate is refused; plain HTTP gets no answer" {
	run "$TC" --cacert /etc/ssl/certs/ca-certificates.crt GET "$AGENT_URL/api/v1/health"
	[[ $status -eq 3 ]]
	run "$TC" GET "http://127.0.0.1:$AGENT_PORT/api/v1/health"
	[[ $status -eq 3 || $output != 200 ]]
}

@test "a certificate and key that do not load: the agent says so and exits" {
	echo "not a pem" >"$BATS_TEST_TMPDIR/bad.pem"
	run "$AGENT" --state-dir "$BATS_TEST_TMPDIR/s2" --listen 127.0.0.1:0 \
		--tls-cert "$BATS_TEST_TMPDIR/bad.pem" --tls-key "$BATS_TEST_TMPDIR/bad.pem"
		echo "$output"
	[[ $status -ne 0 ]]
	[[ $output == *"did not start"* ]]
	run "$AGENT" --state-dir "$BATS_TEST_TMPDIR/s3" --tls-cert "$CACERT"
	echo "$output"
	[[ $status -eq 2 && $output == *"go together"* ]]
}
