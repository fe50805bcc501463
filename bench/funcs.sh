# shellcheck shell=bash disable=SC2154
# Benchmark 1: `gotap funcs` over every function of esbuild 0.24.2 (stripped, go1.23), with
# return-site analysis. For scale: GNU `objdump -d` (a linear disassembly of all code, without
# function boundaries). `go tool objdump` would be the natural peer, but it needs a symbol table
# and refuses stripped binaries; the script checks and says so. Sourced by bench/run.sh.

bench_funcs() {
  echo "== 1. funcs: every function of esbuild 0.24.2 ($(du -m "$esbuild" | cut -f1) MB, stripped)"
  local json objdump_error
  json=$(mktemp)
  if objdump_error=$("$go" tool objdump "$esbuild" 2>&1 >/dev/null); then
    note "go tool objdump reads stripped esbuild now; consider adding it back as a peer"
  else
    note "go tool objdump cannot compare: on stripped esbuild it says \"$objdump_error\""
  fi
  hf "$json" --warmup 3 --runs "${BENCH_FUNCS_RUNS:-20}" \
    -n "gotap funcs --json" "$gotap funcs --json $esbuild" \
    -n "gotap funcs (text)" "$gotap funcs $esbuild"
  result funcs "gotap funcs --json wall" s "" "$(hyperfine_samples "$json" 0)"
  result funcs "gotap funcs (text) wall" s "" "$(hyperfine_samples "$json" 1)"
  result funcs "gotap funcs --json CPU, user+sys (mean of the runs)" s "" \
    "$(jq '.results[0] | .user + .system' "$json")"
  # objdump takes seconds: fewer runs.
  hf "$json" --warmup 1 --runs 3 \
    -n objdump "objdump -d --no-show-raw-insn $esbuild"
  result funcs "objdump -d --no-show-raw-insn wall (GNU binutils)" s "" \
    "$(hyperfine_samples "$json" 0)"
  rm -f "$json"
  local rss=()
  for _ in 1 2 3 4 5; do rss+=("$(peak_mib "$gotap" funcs --json "$esbuild")"); done
  result funcs "gotap funcs --json peak RSS" MiB "" "${rss[*]}"
  result funcs "objdump -d peak RSS" MiB "" "$(peak_mib objdump -d --no-show-raw-insn "$esbuild")"
  local listed returns
  listed=$("$gotap" funcs --json "$esbuild" | wc -l)
  returns=$("$gotap" funcs --json "$esbuild" | jq -s 'map(.returns // [] | length) | add')
  result funcs "functions listed" count "" "$listed"
  result funcs "return sites found" count "" "$returns"
  echo "   $listed functions, $returns return sites"
}
