#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The web UI as the agent serves it (no browser: tests/web/suite has that):
# every file of web/ at its path, byte for byte, with its content type, a
# strong ETag and revalidation (304), the security headers on every answer
# outside /api/v1, nothing but the compiled-in files, read-only, and the
# size budget.
bats_require_minimum_version 1.5.0
load agent_helpers

BUDGET=$((200 * 1024))

setup_file() {
	agent_start
}

teardown_file() {
	agent_stop
}

# ui METHOD PATH [testclient options…]: like api, outside /api/v1.
ui() {
	local method=$1 path=$2
	shift 2
	RESP=$BATS_TEST_TMPDIR/resp
	HDRS=$BATS_TEST_TMPDIR/hdrs
	STATUS=$("$TC" -o "$RESP" -D "$HDRS" "$@" "$method" "$AGENT_URL$path") || STATUS=000
}

web_files() {
	(cd "$SECGW_ROOT/web" && find . -type f \( -name '*.html' -o -name '*.js' -o -name '*.css' -o -name '*.svg' \) | sed 's|^\./||' | sort)
}

# security_headers: the last answer carries the UI's policy.
security_headers() {
	local csp
	csp=$(header Content-Security-Policy)
	[[ $csp == *"default-src 'none'"* && $csp == *"script-src 'self'"* && $csp == *"style-src 'self'"* ]] ||
		{ echo "CSP: $csp" >&2; return 1; }
	[[ $csp == *"frame-ancestors 'none'"* && $csp == *"base-uri 'none'"* && $csp == *"form-action 'self'"* ]] ||
		{ echo "CSP: $csp" >&2; return 1; }
	[[ $csp != *unsafe-inline* && $csp != *unsafe-eval* && $csp != *'*'* && $csp != *data:* ]] ||
		{ echo "CSP too loose: $csp" >&2; return 1; }
	[[ $(header X-Content-Type-Options) == nosniff ]]
	[[ $(header Referrer-Policy) == no-referrer ]]
	[[ $(header X-Frame-Options) == DENY ]]
}

@test "every file of web/ is served at its path, byte for byte, with its content type, an ETag and the security headers" {
	local f n=0 want
	while read -r f; do
		ui GET "/$f"
		expect_status 200
		cmp "$RESP" "$SECGW_ROOT/web/$f"
		case $f in
		*.html) want='text/html; charset=utf-8' ;;
		*.js) want='text/javascript; charset=utf-8' ;;
		*.css) want='text/css; charset=utf-8' ;;
		*.svg) want='image/svg+xml' ;;
		esac
		[[ $(header Content-Type) == "$want" ]] || { echo "$f: $(header Content-Type)" >&2; return 1; }
		[[ $(header ETag) =~ ^\"[0-9a-f]{32}\"$ ]] || { echo "$f: ETag $(header ETag)" >&2; return 1; }
		[[ $(header Cache-Control) == no-cache ]]
		security_headers
		n=$((n + 1))
	done < <(web_files)
	((n >= 5))
	ui GET /
	expect_status 200
	cmp "$RESP" "$SECGW_ROOT/web/index.html"
	security_headers
}

@test "ETags: the same file answers 304 to If-None-Match (strong or weak), another file's tag gets the file" {
	ui GET /app.js
	local tag=$(header ETag)
	ui GET /style.css
	local other=$(header ETag)
	[[ $tag != "$other" ]]
	ui GET /app.js -H "If-None-Match: $tag"
	expect_status 304
	[[ ! -s $RESP ]]
	[[ $(header ETag) == "$tag" ]]
	ui GET /app.js -H "If-None-Match: W/$tag"
	expect_status 304
	ui GET /app.js -H "If-None-Match: \"x\", $tag"
	expect_status 304
	ui GET /app.js -H "If-None-Match: $other"
	expect_status 200
	cmp "$RESP" "$SECGW_ROOT/web/app.js"
}

@test "HEAD answers the headers of GET and no body" {
	run -0 curl -sS -I "$AGENT_URL/style.css"
	[[ $output == "HTTP/1.1 200"* ]]
	[[ ${output,,} == *"content-type: text/css; charset=utf-8"* ]]
	[[ ${output,,} == *"content-length: $(wc -c <"$SECGW_ROOT/web/style.css")"* ]]
	[[ ${output,,} == *"content-security-policy: "* ]]
}

@test "nothing but the compiled-in files: unknown paths, dot segments and encoded traversal are 404 with the headers" {
	local p
	for p in /nope /index.htm /pages /pages/ //index.html /app.js/ /index.html%00.js; do
		ui GET "$p"
		expect_status 404
		[[ $(header Content-Type) == application/problem+json ]]
		security_headers
	done
	for p in /../agent/static.c /pages/../index.html /%2e%2e/agent/static.c /..%2fMakefile /%2e%2e%2f%2e%2e%2fetc%2fpasswd; do
		run -0 curl -sS --path-as-is -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' "$AGENT_URL$p"
		[[ $output == 404 ]] || { echo "$p: $output" >&2; return 1; }
		absent 'SPDX' "$BATS_TEST_TMPDIR/body"
		absent 'root:' "$BATS_TEST_TMPDIR/body"
	done
}

@test "a NUL in the URL never cuts the path short (UI or API)" {
	ui GET /index.html%00.js
	expect_status 404
	[[ $(jq_body .detail) == *'/index.html%00.js'* ]]
	api PUT /secrets/nulkey '{"type":"psk","value":"a good long psk"}'
	api PUT /connections/nul '{"name":"nul","psk":"nulkey"}'
	expect_status 201
	api GET /connections/nul%00x
	expect_status 404
	api DELETE /connections/nul%00x
	expect_status 404
	api GET /connections/nul
	expect_status 200
	api GET /connections/%6eul
	expect_status 200
}

@test "the UI is read-only: other methods get 405 with Allow: GET, HEAD, and change nothing" {
	local before=$(db_sum) m
	for m in POST PUT PATCH DELETE; do
		ui "$m" /index.html -d '{"x":1}'
		expect_status 405
		[[ $(header Allow) == "GET, HEAD" ]]
		security_headers
	done
	[[ $(db_sum) == "$before" ]]
}

@test "API answers are still never cached, and not mistaken for UI files" {
	api GET /health
	expect_status 200
	[[ $(header Cache-Control) == no-store ]]
	api GET /nosuch
	expect_status 404
	[[ $(jq_body .detail) == "no such route: /api/v1/nosuch" ]]
	ui GET /api/v1
	expect_status 404
}

@test "the size budget: everything in web/ fits in 200 KiB" {
	local total
	total=$(cd "$SECGW_ROOT/web" && cat $(web_files) | wc -c)
	echo "# web/: $total bytes (budget $BUDGET)" >&3
	((total > 0 && total <= BUDGET))
}
