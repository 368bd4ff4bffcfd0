#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# The whole product between two routers (tests/bats/e2e_lib.bash): a tunnel
# defined through the REST API or the CLI comes up, carries traffic, is
# visible in /sas, /events, /metrics and the audit log, and follows
# changes, rollbacks, commit-confirmed reverts, initiate and terminate.

load helpers
load e2e_lib

setup() {
	e2e_setup
}

teardown() {
	e2e_teardown
}

# proposal_is R P: connection t's installed CHILD SA uses P.
proposal_is() {
	[[ $(sas "$1" '.connections[] | select(.name == "t") | .children[] | select(.state == "installed") | .proposal') == "$2" ]]
}

# applied R: iked runs the agent's latest revision.
applied() {
	[[ $(health "$1" '.revision == .revision_applied and .engine == "up"') == true ]]
}

@test "REST: a tunnel defined on both routers comes up by itself, carries ping, and /sas counters rise on both sides" {
	routers
	# The agent runs unprivileged; only iked is root.
	[ "$(ps -o user= -p "$(cat "$DIR/A/agent.pid")")" = nobody ]
	[ "$(ps -o user= -p "$(cat "$DIR/A/iked.pid")")" = root ]
	# The answering side first: A's first IKE_SA_INIT then finds B ready.
	tunnel B
	local t0; t0=$(date +%s%N)
	tunnel A
	wait_until 15 installed A
	wait_until 5 installed B
	wait_until 10 pinged A
	echo "# POST to first ping across: $((($(date +%s%N) - t0) / 1000000)) ms" >&3
	wait_until 5 applied A
	wait_until 5 applied B
	# The SPIs agree and the algorithms and identities are shown.
	[ "$(sas A '.connections[0].children[0] | .spi_in + .spi_out')" = "$(sas B '.connections[0].children[0] | .spi_out + .spi_in')" ]
	[ "$(sas A '.connections[0].ike.remote_id')" = B.e2e.test ]
	[ "$(sas A '.connections[0].ike.state')" = established ]
	[ -n "$(sas A '.connections[0].children[0].proposal')" ]
	local a0 b0
	a0=$(sas A '.connections[0].children[0].packets_out')
	b0=$(sas B '.connections[0].children[0].packets_in')
	ip netns exec "$NSA" ping -q -c 20 -i 0.01 -I 10.1.0.1 10.2.0.1
	[ "$(sas A '.connections[0].children[0].packets_out')" -ge $((a0 + 20)) ]
	[ "$(sas B '.connections[0].children[0].packets_in')" -ge $((b0 + 20)) ]
	[ "$(sas B '.connections[0].children[0].bytes_out')" -gt 0 ]
	# Metrics count the tunnel; the audit log has its state change.
	curl -fsS -H "Authorization: Bearer $(cat "$DIR/A/token")" "$(url A)/api/v1/metrics" >"$DIR/metrics"
	grep -qx 'secgw_engine_connected 1' "$DIR/metrics"
	grep -qx 'secgw_child_sas 1' "$DIR/metrics"
	grep -q '^secgw_engine_events_total{kind="child-up"} [1-9]' "$DIR/metrics"
	rapi_ok A GET '/audit?action=tunnel.'
	[ "$(jq -r '[.items[].action] | index("tunnel.child-up") != null' "$RESP")" = true ]
	# The PSK never comes back from any endpoint.
	! grep -q "$E2E_PSK" "$DIR/responses.log" "$DIR/metrics" || false
}

@test "CLI: secret, connection and child through secgw on both routers; sa list shows the tunnel as a table" {
	routers
	local r
	for r in B A; do
		printf '%s' "$E2E_PSK" | cli "$r" secret set k - --type psk
		cli "$r" conn add t "local_addrs=$(local_addr $r)" "remote_addrs=$(remote_addr $r)" \
			"local_id=$r.e2e.test" "remote_id=$([[ $r == A ]] && echo B || echo A).e2e.test" psk=k dpd_delay=0
		# Both start it, B first (A is not configured yet: B retries until it is).
		cli "$r" child add t net "local_ts=$(local_net $r)" "remote_ts=$(remote_net $r)" start_action=start
	done
	wait_until 30 installed A
	wait_until 30 installed B
	wait_until 10 pinged A
	wait_until 10 pinged B
	run cli A sa list
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} =~ ^CONN[[:space:]]+STATE ]]
	[[ $output =~ t[[:space:]]+establi.*[[:space:]]net[[:space:]]+installed ]]
	run cli B --output json sa list
	[ "$(jq -r '.connections[0].children[0].state' <<<"$output")" = installed ]
}

@test "PATCH the proposal: the tunnel is re-established with the new algorithms; an unrelated tunnel keeps its SPIs" {
	routers
	local r
	for r in B A; do
		tunnel "$r" '{"ike_proposals": ["aes256gcm16-prfsha256-x25519"]}' '{"esp_proposals": ["aes256gcm16"]}'
		# A second, unrelated tunnel between other hosts.
		rapi_ok "$r" POST /connections "$(jq -nc --arg la "$(local_addr $r)" --arg ra "$(remote_addr $r)" --arg r "$r" \
			'{name: "u", local_addrs: [$la], remote_addrs: [$ra], local_port: 4501, remote_port: 4501,
			  local_id: ($r + ".u.test"), remote_id: ((if $r == "A" then "B" else "A" end) + ".u.test"),
			  psk: "k", dpd_delay: 0, children: [{name: "h", start_action: (if $r == "A" then "start" else "none" end),
			  local_ts: [(if $r == "A" then "10.1.0.9/32" else "10.2.0.9/32" end)],
			  remote_ts: [(if $r == "A" then "10.2.0.9/32" else "10.1.0.9/32" end)]}]}')"
	done
	wait_until 15 installed A t
	wait_until 15 installed A u
	wait_until 5 installed B u
	[ "$(sas A '.connections[] | select(.name == "t") | .children[0].proposal')" = aes256gcm16 ]
	local u_spis; u_spis=$(sas A '.connections[] | select(.name == "u") | .children[] | select(.state == "installed") | .spi_in + .spi_out')
	[ -n "$u_spis" ]
	for r in B A; do
		rapi_ok "$r" PATCH /connections/t/children/net '{"esp_proposals": ["chacha20poly1305"]}'
	done
	wait_until 15 proposal_is A chacha20poly1305
	wait_until 10 pinged A
	[ "$(sas A '.connections[] | select(.name == "u") | .children[] | select(.state == "installed") | .spi_in + .spi_out')" = "$u_spis" ]
}
