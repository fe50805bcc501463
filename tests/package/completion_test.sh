#!/usr/bin/env bash
# Checks the bash completion against the binary it completes:
#   completion_test.sh GOTAP COMPLETION_FILE
# - `gotap <TAB>` offers exactly the subcommands of `gotap --help`;
# - `gotap SUB -<TAB>` offers exactly the options of `gotap SUB --help`;
# - -p/--pid completes running pids, BINARY completes files, --by its values.
# Needs no root and no BPF: it runs `gotap --help` and calls the completion function.
set -u
gotap=${1:?usage: completion_test.sh GOTAP COMPLETION_FILE}
completion=${2:?usage: completion_test.sh GOTAP COMPLETION_FILE}
failures=0
words() { tr '\n' ' ' <<<"$1"; }
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

[[ -x $gotap ]] || { echo "FAIL: no gotap binary at $gotap" >&2; exit 1; }
[[ -r $completion ]] || { echo "FAIL: no completion file at $completion" >&2; exit 1; }
# shellcheck source=/dev/null
source "$completion" || { echo "FAIL: $completion does not source" >&2; exit 1; }
complete -p gotap >/dev/null 2>&1 || fail "$completion does not register a completion for gotap"

# complete WORD...: the completions when the cursor is at the end of the last word.
complete_words() {
    COMP_WORDS=(gotap "$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="${COMP_WORDS[*]}"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _gotap gotap "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
    printf '%s\n' "${COMPREPLY[@]}" | sort -u
}

# The subcommands and options of a CLI11 help text (first column of its sections).
help_subcommands() {
    "$gotap" --help | awk '/^Subcommands:/{s=1; next} /^$/{s=0} s && /^  [a-z]/{print $1}' | sort -u
}
help_options() {
    "$gotap" "$1" --help |
        awk '/^Options:/{s=1; next} /^$/{s=0} s && /^  -/{split($1, n, ","); for (i in n) print n[i]}' |
        sort -u
}

subs=$(help_subcommands)
[[ -n $subs ]] || fail "'$gotap --help' lists no subcommands"
got=$(complete_words "" | grep -v '^-')
[[ $got == "$subs" ]] || fail "subcommands: completion offers [$(words "$got")], --help has [$(words "$subs")]"

for sub in $subs; do
    want=$(help_options "$sub")
    got=$(complete_words "$sub" -)
    [[ $got == "$want" ]] ||
        fail "gotap $sub: completion offers [$(words "$got")], --help has [$(words "$want")]"
done

complete_words trace -p "" | grep -qx "$$" || fail "gotap trace -p <TAB> does not offer pid $$"
complete_words goroutines --pid "" | grep -qx "$$" || fail "gotap goroutines --pid <TAB> misses $$"
complete_words info /us | grep -qx /usr || fail "gotap info /us<TAB> does not offer /usr"
complete_words trace /us | grep -qx /usr || fail "gotap trace /us<TAB> does not offer /usr"
[[ -z $(complete_words trace -p 1 /us) ]] || fail "gotap trace -p 1 /us<TAB>: probes are no files"
[[ $(complete_words latency --by "" | tr '\n' ' ') == "goid pid tid " ]] ||
    fail "gotap latency --by <TAB> does not offer goid pid tid"

if ((failures > 0)); then
    echo "completion_test: $failures failure(s)" >&2
    exit 1
fi
echo "completion_test: ok ($(wc -w <<<"$subs") subcommands, options match --help)"
