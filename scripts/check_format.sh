#!/usr/bin/env bash
# Usage: check_format.sh DIR
# Checks every *.h, *.cc and *.c under DIR against the repository's .clang-format. Prints each file
# that clang-format would change and exits 1 if there is any, 0 otherwise (2 on a usage error).
set -euo pipefail

if (($# != 1)) || [[ ! -d $1 ]]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
command -v clang-format >/dev/null || {
  echo "check_format: clang-format not found; run scripts/setup.sh" >&2
  exit 2
}

bad=0
checked=0
while IFS= read -r -d '' f; do
  checked=$((checked + 1))
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "needs clang-format: $f"
    bad=$((bad + 1))
  fi
done < <(find "$1" -type f \( -name '*.h' -o -name '*.cc' -o -name '*.c' \) -print0 | sort -z)

if ((bad > 0)); then
  echo "check_format: $bad of $checked files need formatting (run: make format)"
  exit 1
fi
echo "check_format: $checked files ok"
