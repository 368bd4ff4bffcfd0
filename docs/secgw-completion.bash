# SPDX-License-Identifier: MIT
# bash completion for secgw. Install as /usr/share/bash-completion/completions/secgw
# (or source it). Nouns, verbs and field names come from secgw itself
# (`secgw __complete …`, `secgw fields …`), so they follow the binary; names
# of connections are asked from the agent with the same URL and token.

_secgw() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local i noun= verb= nounpos=0 secgw=${COMP_WORDS[0]}
	local -a words

	# Skip the global options (and their values) to find NOUN and VERB.
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--url|--token|--output|-o|--comment|--confirm|--cacert) ((i++)) ;;
		-*) ;;
		*) if [[ -z $noun ]]; then noun=${COMP_WORDS[i]}; nounpos=$i
		   elif [[ -z $verb ]]; then verb=${COMP_WORDS[i]}; fi ;;
		esac
	done
	case $prev in
	--output|-o) COMPREPLY=($(compgen -W "table json" -- "$cur")); return ;;
	--cacert) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--url|--token|--comment|--confirm|--expires-in|--limit|--since|--prefix) return ;;
	--role) COMPREPLY=($(compgen -W "admin operator viewer" -- "$cur")); return ;;
	--type) COMPREPLY=($(compgen -W "psk key" -- "$cur")); return ;;
	esac
	if [[ -z $noun ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--url --token --output --comment --confirm --cacert --help --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$("$secgw" __complete nouns 2>/dev/null)" -- "$cur"))
		fi
		return
	fi
	if [[ -z $verb ]]; then
		case $noun in
		import) COMPREPLY=($(compgen -f -- "$cur")); return ;;
		initiate|terminate) COMPREPLY=($(compgen -W "$("$secgw" __complete conns 2>/dev/null)" -- "$cur")); return ;;
		help) COMPREPLY=($(compgen -W "$("$secgw" __complete nouns 2>/dev/null)" -- "$cur")); return ;;
		fields) COMPREPLY=($(compgen -W "conn child" -- "$cur")); return ;;
		esac
		COMPREPLY=($(compgen -W "$("$secgw" __complete verbs "$noun" 2>/dev/null)" -- "$cur"))
		return
	fi
	# After NOUN VERB: a connection name first, then key=value fields.
	local argn=$((COMP_CWORD - nounpos - 1))
	case $noun in
	conn|child)
		if ((argn == 1)) && [[ $verb != list ]] || [[ $noun == child && $verb == list && $argn == 1 ]]; then
			COMPREPLY=($(compgen -W "$("$secgw" __complete conns 2>/dev/null)" -- "$cur"))
		elif [[ $verb == add || $verb == set ]] && { [[ $noun == conn ]] || ((argn >= 3)); }; then
			words=($("$secgw" fields "$noun" 2>/dev/null))
			COMPREPLY=($(compgen -S = -W "${words[*]}" -- "$cur"))
			compopt -o nospace 2>/dev/null
		fi ;;
	secret)
		[[ $verb == set ]] && ((argn == 2)) && COMPREPLY=($(compgen -f -- "$cur") -) ;;
	import) COMPREPLY=($(compgen -f -- "$cur")) ;;
	esac
}
complete -F _secgw secgw
