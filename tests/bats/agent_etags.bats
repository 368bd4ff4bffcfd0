#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# ETags on the resources that are not configuration (users, tokens, audit,
# the history, the pending confirm): they make no revision, so their tag is
# a digest of what is served (and of the password hash for a user). Each
# must answer 304 to its own tag, refuse a stale If-Match with 412 while
# changing nothing, and move when the resource changes.
bats_require_minimum_version 1.5.0
load agent_helpers

setup_file() {
	agent_start
}

teardown_file() {
	agent_stop
}

content_tag() {
	[[ $(header ETag) =~ ^\"c[0-9a-f]{32}\"$ ]] || { echo "ETag: $(header ETag)" >&2; return 1; }
}

@test "users: ETag on GET and 304; a new password alone moves it; stale If-Match is 412 and changes nothing" {
	api POST /users '{"name":"olga","role":"operator","password":"first password 1"}'
	expect_status 201
	content_tag
	local created=$(header ETag)
	api GET /users/olga
	expect_status 200
	[[ $(header ETag) == "$created" ]]
	api GET /users/olga '' -H "If-None-Match: $created"
	expect_status 304
	# Same role, same second, new password: the served JSON may be identical, the tag is not.
	api PATCH /users/olga '{"password":"second password 2"}' -H "If-Match: $created"
	expect_status 200
	local second=$(header ETag)
	[[ $second != "$created" ]]
	local sum=$(db_sum)
	api PATCH /users/olga '{"role":"viewer"}' -H "If-Match: $created"
	expect_status 412
	[[ $(jq_body .type) == urn:secgw:problem:precondition-failed ]]
	api DELETE /users/olga '' -H "If-Match: $created"
	expect_status 412
	[[ $(db_sum) == "$sum" ]]
	api GET /users/olga
	[[ $(jq_body .role) == operator ]]
	api DELETE /users/olga '' -H "If-Match: $second"
	expect_status 204
	api GET /users/olga
	expect_status 404
}

@test "users list: 304 on its tag, a new tag once a user is added" {
	api GET /users
	expect_status 200
	content_tag
	local tag=$(header ETag)
	api GET /users '' -H "If-None-Match: $tag"
	expect_status 304
	api POST /users '{"name":"pavel","role":"viewer","password":"pavel password 3"}'
	expect_status 201
	api GET /users '' -H "If-None-Match: $tag"
	expect_status 200
	[[ $(header ETag) != "$tag" ]]
}

@test "tokens: GET has a tag; revoking with a stale If-Match is 412 and the token keeps working" {
	api POST /tokens '{"name":"ci"}'
	expect_status 201
	local id=$(jq_body .id) secret=$(jq_body .token)
	api GET /tokens/$id
	expect_status 200
	content_tag
	local tag=$(header ETag)
	api GET /tokens/$id '' -H "If-None-Match: $tag"
	expect_status 304
	api DELETE /tokens/$id '' -H 'If-Match: "c00000000000000000000000000000000"'
	expect_status 412
	API_TOKEN=$secret api GET /session
	expect_status 200
	api DELETE /tokens/$id '' -H "If-Match: $tag"
	expect_status 204
	API_TOKEN=$secret api GET /session
	expect_status 401
	api GET /tokens/$id '' -H "If-None-Match: $tag"
	expect_status 200
	[[ $(jq_body .revoked) != null ]]
}

@test "audit, revisions, a diff and the pending confirm: 304 on their own tag, 200 once they change" {
	local path tag
	api PUT /secrets/k1 '{"type":"psk","value":"etag test key"}'
	expect_status 201
	api POST /connections '{"name":"e1","remote_addrs":["192.0.2.1"],"psk":"k1","children":[{"name":"c","local_ts":["10.9.0.0/24"],"remote_ts":["10.8.0.0/24"]}]}'
	expect_status 201
	for path in /audit /revisions "/revisions/1/diff/2" /commit/confirm; do
		api GET "$path"
		expect_status 200
		content_tag
		tag=$(header ETag)
		api GET "$path" '' -H "If-None-Match: $tag"
		expect_status 304
	done
	api GET /audit
	tag=$(header ETag)
	api GET /revisions
	local rtag=$(header ETag)
	api PATCH /connections/e1 '{"dpd_delay":45}'
	expect_status 200
	api GET /audit '' -H "If-None-Match: $tag"
	expect_status 200
	api GET /revisions '' -H "If-None-Match: $rtag"
	expect_status 200
}
