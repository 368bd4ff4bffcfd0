#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The CLI describes itself: `secgw help`, `secgw NOUN --help`, the man page
# (docs/secgw.1, rendered by groff without warnings) and bash completion
# (docs/secgw-completion.bash) cover every noun the binary has, and the
# completion offers verbs, field names and connection names from a real agent.
bats_require_minimum_version 1.5.0
load agent_helpers

setup_file() {
	agent_start
	export SECGW_URL=$AGENT_URL SECGW_TOKEN=$TOKEN HOME=$BATS_FILE_TMPDIR/home
	mkdir -p "$HOME"
	api PUT /secrets/k '{"type":"psk","value":"docs psk 12345"}'
	api POST /connections '{"name":"hq-east","psk":"k"}'
}

teardown_file() {
	agent_stop
}

S() {
	"$SECGW_BIN/secgw" "$@"
}

@test "help lists every noun; NOUN --help shows its verbs; exit 0" {
	local noun help
	run S help
	[[ $status -eq 0 ]]
	help=$output
	for noun in $(S __complete nouns); do
		[[ $noun == help || $noun == fields ]] && continue
		grep -qE "^  $noun( |\$)" <<<"$help" || { echo "help lacks $noun" >&2; return 1; }
		run S "$noun" --help
		[[ $status -eq 0 && $output == "$noun"* ]] || { echo "$noun --help" >&2; return 1; }
	done
	run S --version
	[[ $output == "secgw "* ]]
}

@test "the man page renders cleanly and documents every noun and exit status" {
	local noun
	run groff -man -Tutf8 -ww "$SECGW_ROOT/docs/secgw.1"
	[[ $status -eq 0 && -z $(groff -man -Tutf8 -ww "$SECGW_ROOT/docs/secgw.1" 2>&1 >/dev/null) ]]
	for noun in $(S __complete nouns); do
		grep -q "^secgw $noun\|^secgw .*$noun\|^\.SS .*$noun" "$SECGW_ROOT/docs/secgw.1" ||
			{ echo "man page lacks $noun" >&2; return 1; }
	done
	grep -q '^\.SH EXIT STATUS' "$SECGW_ROOT/docs/secgw.1"
	grep -q '^\.SH COMMIT-CONFIRMED' "$SECGW_ROOT/docs/secgw.1"
}

# complete WORDS…: run the completion function as bash would, print COMPREPLY.
complete_words() {
	bash -c '
		source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_secgw
		printf "%s\n" "${COMPREPLY[@]}"' _ "$SECGW_ROOT/docs/secgw-completion.bash" "$@"
}

@test "bash completion: nouns, verbs, fields and connection names" {
	PATH=$SECGW_BIN:$PATH
	export PATH
	run complete_words secgw co
	[[ $output == *conn* && $output == *confirm* ]]
	run complete_words secgw conn ""
	[[ $output == *list* && $output == *add* && $output == *rm* ]]
	run complete_words secgw conn show ""
	[[ $output == hq-east ]]
	run complete_words secgw conn set hq-east remote_
	[[ $output == *remote_addrs=* && $output == *remote_port=* ]]
	run complete_words secgw child add hq-east lan manual.sp
	[[ $output == *manual.spi_in=* ]]
	run complete_words secgw --output ""
	[[ $output == *json* ]]
}
