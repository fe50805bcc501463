#!/usr/bin/env bash
# Checks that test files are named by tier (tests/README.md): a *_bpf_test.cc declares at least
# one suite named *Bpf* (tests that load BPF and need root), a plain *_test.cc declares none, and
# a unit test's name starts with the src/ folder it tests (<folder>_<topic>_test.cc).
# Usage: scripts/check_test_names.sh [TESTS_DIR]. Prints every file off the rule; exits 1 if any.
set -euo pipefail
tests=${1:-$(dirname "$0")/../tests}
suite_re='^TEST(_F|_P)?\([A-Za-z0-9_]*Bpf[A-Za-z0-9_]*,'

status=0
count=0
while IFS= read -r file; do
  count=$((count + 1))
  if [[ $file == *_bpf_test.cc ]]; then
    grep -qE "$suite_re" "$file" ||
      { echo "check_test_names: ${file#"$tests"/} needs no root: name it *_test.cc"; status=1; }
  else
    grep -qE "$suite_re" "$file" &&
      { echo "check_test_names: ${file#"$tests"/} has *Bpf* suites: name it *_bpf_test.cc"; status=1; }
  fi
  if [[ $file == "$tests"/unit/* ]]; then
    folder=$(basename "$file")
    folder=${folder%%_*}
    [[ -d $tests/../src/$folder ]] ||
      { echo "check_test_names: ${file#"$tests"/} does not start with a src/ folder"; status=1; }
  fi
done < <(find "$tests" -name '*_test.cc' -not -path '*/fixtures/*' | sort)
((status == 0)) && echo "check_test_names: $count test files named by tier"
exit $status
