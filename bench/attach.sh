# shellcheck shell=bash disable=SC2154
# Benchmark 3: attach and detach of every function matching $BENCH_ATTACH_GLOB in esbuild
# 0.24.2 (entry + every RET: thousands of sites on one uprobe_multi link), into a live esbuild
# process (it blocks reading stdin from a FIFO we hold open). Sourced by bench/run.sh.

# with_live_esbuild COMMAND... — runs COMMAND with $esbuild_pid set to a live esbuild process.
with_live_esbuild() {
  local fifo fd
  fifo=$(mktemp -u)
  mkfifo "$fifo"
  "$esbuild" <"$fifo" >/dev/null 2>&1 &
  esbuild_pid=$!
  exec {fd}>"$fifo"  # opening the writer end lets esbuild's open of stdin return
  "$@"
  local status=$?
  exec {fd}>&-  # end of input: esbuild transforms nothing and exits
  wait "$esbuild_pid" || true
  rm -f "$fifo"
  return $status
}

# The command line: gotap trace -p PID --duration 0.1s GLOB (open, plan, load, attach, 100 ms,
# detach), when gotap accepts that many functions.
attach_cli() {
  local err json
  err=$(mktemp) json=$(mktemp)
  local args=(trace -p "$esbuild_pid" --duration 0.1s "$BENCH_ATTACH_GLOB")
  if "$gotap" "${args[@]}" >/dev/null 2>"$err"; then
    hf "$json" --runs "$BENCH_ATTACH_RUNS" \
      -n cli "$gotap trace -p $esbuild_pid --duration 0.1s '$BENCH_ATTACH_GLOB'"
    result attach "gotap trace -p PID --duration 0.1s GLOB (wall, whole command)" s "" \
      "$(hyperfine_samples "$json" 0)"
    grep -m1 'gotap: tracing' "$err" | sed 's/^/   /'
  else
    note "gotap trace -p PID --duration 0.1s '$BENCH_ATTACH_GLOB' fails: $(tail -1 "$err")"
  fi
  rm -f "$err" "$json"
}

# The library: gotap_bench attach (PlanTrace, then per run Session Create/AddSites, Attach,
# DetachAll, destruction, each timed with steady_clock).
attach_library() {
  local out
  out=$("$gotap_bench" attach "$esbuild" "$BENCH_ATTACH_GLOB" "$BENCH_ATTACH_RUNS") || return 1
  local plan
  plan=$(jq -c 'select(.bench == "plan")' <<<"$out")
  local summary='"\(.functions) functions, \(.sites) sites (\(.entry_only) entry-only)"'
  echo "   planned: $(jq -r "$summary" <<<"$plan")"
  result attach "functions planned (library, no 5000 limit)" count "" "$(jq .functions <<<"$plan")"
  result attach "probe sites (entry + RETs)" count "" "$(jq .sites <<<"$plan")"
  result attach "open binary" ms "" "$(jq .open_ms <<<"$plan")"
  result attach "plan (analysis of every matched function)" ms "" "$(jq .plan_ms <<<"$plan")"
  local field
  for field in create attach detach destroy; do
    result attach "session $field" ms "" \
      "$(jq -r "select(.bench == \"attach\") | .${field}_ms" <<<"$out")"
  done
}

bench_attach() {
  echo "== 3. attach/detach: '$BENCH_ATTACH_GLOB' in esbuild 0.24.2, live process"
  local matched
  matched=$("$gotap" funcs --json "$esbuild" "$BENCH_ATTACH_GLOB" | wc -l)
  result attach "functions matching (gotap funcs)" count "" "$matched"
  echo "   gotap funcs lists $matched matching functions"
  with_live_esbuild attach_cli || return 1
  with_live_esbuild attach_library || return 1
}
