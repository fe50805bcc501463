#!/usr/bin/env bash
# Runs clang-tidy (the checks of .clang-tidy) on every src/ file of the compilation database and
# fails on any finding, in src/ or in a header of src/ (seen through the build's per-layer
# include directories, BUILD_DIR/include/<layer>/<layer> -> src/<layer>).
#
# A whole sweep of src/ costs 4-9 s of CPU per file (base/status.cc 4.5 s, trace/tracer.cc
# 8.9 s: clang parses each translation unit and matches the checks against all of it, system
# headers included), so 122 files take 7-10 minutes on this 2-core machine. So by default it
# checks what changed: the src/ files that differ from the merge base with main (committed,
# uncommitted or new), and the .cc files that include a changed header; on main itself, what HEAD changed
# against its first parent (for a merge: the whole branch). Every file was clean when it
# landed, so this keeps src/ clean. `--all` sweeps everything (make tidy).
# Usage: scripts/check_tidy.sh [--all] BUILD_DIR [JOBS]. JOBS (default 2) processes at once.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
all=0
if [[ ${1:-} == --all ]]; then
  all=1
  shift
fi
build=$(cd "${1:?usage: check_tidy.sh [--all] BUILD_DIR [JOBS]}" && pwd)
jobs=${2:-2}
db=$build/compile_commands.json
[[ -f $db ]] || { echo "check_tidy: no $db (configure first)"; exit 1; }
tidy=$(command -v clang-tidy-14 || command -v clang-tidy)

mapfile -t files < <(python3 -c '
import json, sys
for entry in json.load(open(sys.argv[1])):
    if entry["file"].startswith(sys.argv[2] + "/src/"):
        print(entry["file"])' "$db" "$root" | sort -u)

if ((all == 0)); then
  cd "$root"
  head=$(git rev-parse HEAD 2>/dev/null) || all=1
  base=$(git merge-base HEAD main 2>/dev/null || true)
  if [[ -z $base || $base == "${head:-}" ]]; then
    base=$(git rev-parse --verify -q 'HEAD^1' || true)
  fi
  [[ -z $base ]] && all=1 # no history to compare with: sweep everything
fi
if ((all == 0)); then
  mapfile -t changed < <({
    git diff --name-only "$base" -- 'src/*.cc' 'src/*.h'
    git ls-files --others --exclude-standard -- 'src/*.cc' 'src/*.h'
  } | sort -u)
  declare -A wanted=()
  for path in "${changed[@]}"; do
    [[ -f $path ]] || continue # deleted or renamed away
    if [[ $path == *.h ]]; then
      # The .cc files that include it (by its "layer/name.h" spelling) stand for the header.
      while IFS= read -r user; do wanted[$root/$user]=1; done < \
        <(grep -rlF "#include \"${path#src/}\"" src --include='*.cc' || true)
    else
      wanted[$root/$path]=1
    fi
  done
  selected=()
  for file in "${files[@]}"; do [[ -n ${wanted[$file]+set} ]] && selected+=("$file"); done
  echo "check_tidy: ${#selected[@]} of ${#files[@]} files changed since ${base:0:12}"
  files=("${selected[@]}")
fi

if ((${#files[@]} == 0)); then
  echo "check_tidy: nothing to check"
  exit 0
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$SECONDS
status=0
printf '%s\0' "${files[@]}" |
  xargs -0 -r -n 1 -P "$jobs" "$tidy" -p "$build" --quiet --warnings-as-errors='*' \
    --header-filter="^($root/src|$build/include)/" >"$log" 2>&1 || status=1
# clang-tidy's own chatter ("N warnings generated.") is about system headers it filtered out.
grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^Error while processing' "$log" || true
echo "check_tidy: ${#files[@]} files in $((SECONDS - start)) s with $jobs jobs: $( ((status == 0)) && echo clean || echo FINDINGS)"
exit $status
