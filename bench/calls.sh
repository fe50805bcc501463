# shellcheck shell=bash disable=SC2154
# Benchmark 2: the cost per call of tracing `func add(a, b int) int` in a tight loop (fixture
# adder.default: Go 1.19, with DWARF; `-n N` calls, `-wait` blocks until released).
# Every in-process row is timed the same way, by `gotap_bench calls` (release to exit of
# `adder -wait -n N`), so that only the tracer differs: nothing, bpftrace, gotap's CLI, or gotap's
# library in one of its probe modes. Modes alternate in rounds so that the machine's load drifts
# over all of them alike. Each run gives the wall time and the target's CPU time (user + system:
# uprobe hits are handled in the target's context, and CPU time leaves out the waits for a CPU
# that a loaded machine adds to the wall time). Sourced by bench/run.sh (uses lib.sh).

# lib_runs MODE — BENCH_RUNS runs of `gotap_bench calls` in MODE; prints their JSON lines.
lib_runs() {
  local out
  out=$("$gotap_bench" calls "$adder" main.add "$1" "$BENCH_CALLS" "$BENCH_RUNS") || return 1
  (($(wc -l <<<"$out") == BENCH_RUNS)) || return 1
  echo "$out"
}

# cpu_ticks PID — user + system clock ticks a process has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# tracer_cpu NAME TICKS — records a tracer's own CPU time over the timed runs, per call.
tracer_cpu() {
  local seconds
  seconds=$(awk -v t="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.3f", t / hz}')
  jq -cn --arg n "$1" --argjson s "$seconds" --argjson c "$((BENCH_CALLS * BENCH_RUNS))" \
    '{section:"tracer_cpu", name:$n, unit:"s", samples:[$s], calls:$c}' >>"$BENCH_RESULTS"
}

# Runs the untraced harness under `bpftrace -e 'uprobe:ADDER:main.add { @c = count(); }'`
# (attached to the file: every process). Prints the runs; checks bpftrace counted every call.
bpftrace_runs() {
  local out err pid runs ticks
  out=$(mktemp) err=$(mktemp)
  # bpftrace prints this marker on stderr once every probe is attached.
  __BPFTRACE_NOTIFY_PROBES_ATTACHED=1 bpftrace -e "uprobe:$adder:main.add { @c = count(); }" \
    >"$out" 2>"$err" &
  pid=$!
  if ! wait_for_line "$err" __BPFTRACE_NOTIFY_PROBES_ATTACHED 120; then
    echo "bench: bpftrace did not attach: $(head -3 "$err")" >&2
    stop_pid "$pid"
    return 1
  fi
  ticks=$(cpu_ticks "$pid")
  runs=$(lib_runs none) || { stop_pid "$pid"; return 1; }
  tracer_cpu "bpftrace (userspace)" $(($(cpu_ticks "$pid") - ticks))
  stop_pid "$pid"
  local counted
  counted=$(awk '/^@c:/ {print $2}' "$out")
  if [[ $counted != $((BENCH_CALLS * BENCH_RUNS)) ]]; then
    echo "bench: bpftrace counted '${counted}' calls, expected $((BENCH_CALLS * BENCH_RUNS))" >&2
    return 1
  fi
  rm -f "$out" "$err"
  echo "$runs"
}

# Runs the untraced harness under `gotap trace --json -o FILE ADDER main.add` (every process of
# the binary; the CLI decodes every call and writes one JSON line per call). Prints the runs;
# checks that the file holds one line per call. Readiness: canary runs until one reaches the file.
gotap_cli_runs() {
  local events err pid runs ticks
  events=$(mktemp) err=$(mktemp)
  "$gotap" trace --json -o "$events" "$adder" main.add 2>"$err" &
  pid=$!
  # Ready once a call of a canary run reaches the file (gotap flushes every 100 ms poll).
  local deadline=$((SECONDS + 60))
  until [[ -s $events ]]; do
    if ((SECONDS > deadline)) || ! kill -0 "$pid" 2>/dev/null; then
      echo "bench: gotap trace did not start: $(head -3 "$err")" >&2
      stop_pid "$pid"
      return 1
    fi
    "$adder" -n 1 >/dev/null
    sleep 0.2
  done
  # Canaries that ran before the attach left no line; the traced ones flushed within the sleep.
  local before
  before=$(wc -l <"$events")
  ticks=$(cpu_ticks "$pid")
  runs=$(lib_runs none) || { stop_pid "$pid"; return 1; }
  # Its CPU over the runs: decoding the records and writing the JSON lines (the drain of what was
  # still in the ring at the end of a run is counted in the next run or in the last stop).
  tracer_cpu "gotap trace --json -o FILE (userspace)" $(($(cpu_ticks "$pid") - ticks))
  stop_pid "$pid"
  local lines expected=$((BENCH_CALLS * BENCH_RUNS + before))
  lines=$(wc -l <"$events")
  if [[ $lines != "$expected" ]]; then
    echo "bench: gotap trace wrote $lines events, expected $expected: $(tail -1 "$err")" >&2
    return 1
  fi
  tail -1 "$err" | sed 's/^/   last CLI summary: /' >&2
  rm -f "$events" "$err"
  echo "$runs"
}

# Runs the untraced harness under `gotap latency --json -o FILE ADDER main.add` (every process of
# the binary; each call's latency goes into the kernel's histogram, no per-call record). Prints the
# runs; checks that the final report counted every call. Ready: its "tracing" line (after attach).
gotap_latency_runs() {
  local reports err pid runs ticks counted
  reports=$(mktemp) err=$(mktemp)
  "$gotap" latency --json -o "$reports" "$adder" main.add 2>"$err" &
  pid=$!
  if ! wait_for_line "$err" "gotap: tracing" 60; then
    echo "bench: gotap latency did not start: $(head -3 "$err")" >&2
    stop_pid "$pid"
    return 1
  fi
  ticks=$(cpu_ticks "$pid")
  runs=$(lib_runs none) || { stop_pid "$pid"; return 1; }
  tracer_cpu "gotap latency (userspace)" $(($(cpu_ticks "$pid") - ticks))
  stop_pid "$pid"
  counted=$(jq -s 'map(select(.func == "main.add") | .count) | add' "$reports")
  if [[ $counted != $((BENCH_CALLS * BENCH_RUNS)) ]]; then
    echo "bench: gotap latency counted '$counted' calls, expected $((BENCH_CALLS * BENCH_RUNS))" >&2
    return 1
  fi
  rm -f "$reports" "$err"
  echo "$runs"
}

# prog_ns_per_run PID — mean ns per run of the busiest BPF program a process holds, from the
# run_time_ns and run_cnt of its fdinfo (counted only while run-time statistics are on).
prog_ns_per_run() {
  local fd best=""
  for fd in /proc/"$1"/fd/*; do
    [[ $(readlink "$fd") == anon_inode:bpf-prog ]] || continue
    best+=$(awk '/^run_time_ns:/ {t = $2} /^run_cnt:/ {c = $2} END {print c, t}' \
      "/proc/$1/fdinfo/${fd##*/}")$'\n'
  done
  sort -n <<<"$best" | tail -1 | awk '$1 > 0 {printf "%.1f", $2 / $1}'
}

# Time inside the BPF programs per hit (kernel run-time statistics, on only for these extra runs:
# they add two clock reads per hit). The difference between tracers that the timed runs measure
# through the noise of the traps around them.
bench_bpf_time() {
  local mode ns hits
  for mode in count empty full; do
    ns=$("$gotap_bench" calls "$adder" main.add "$mode" "$BENCH_CALLS" 1 --stats |
      jq .bpf_ns_per_run) || return 1
    hits=$([[ $mode == count ]] && echo 1 || echo 2)
    result bpf_ns "gotap $mode" ns ",\"hits_per_call\":$hits" "$ns"
  done
  local err pid
  err=$(mktemp)
  __BPFTRACE_NOTIFY_PROBES_ATTACHED=1 bpftrace -e "uprobe:$adder:main.add { @c = count(); }" \
    >/dev/null 2>"$err" &
  pid=$!
  if wait_for_line "$err" __BPFTRACE_NOTIFY_PROBES_ATTACHED 120 &&
    "$gotap_bench" calls "$adder" main.add none "$BENCH_CALLS" 1 --stats >/dev/null; then
    ns=$(prog_ns_per_run "$pid")
    result bpf_ns "bpftrace count()" ns ',"hits_per_call":1' "$ns"
  fi
  stop_pid "$pid"
  rm -f "$err"
}

# per_call CALLS MINUS [BASELINE] — the extra fields of a whole-command row: ns per call is
# (wall - wall of row MINUS) / CALLS; its overhead is taken over row BASELINE.
per_call() {
  printf ',"calls":%s,"minus":"%s"' "$1" "$2"
  [[ -z ${3:-} ]] || printf ',"baseline":"%s"' "$3"
}

bench_calls() {
  local n=$BENCH_CALLS
  echo "== 2. calls: main.add in adder.default, $n calls per run;" \
    "$BENCH_ROUNDS rounds x $BENCH_RUNS runs per mode"
  "$gotap" funcs "$adder" main.add | sed 's/^/   /'
  # The instruction each probe lands on decides its cost (emulated or single-stepped).
  local site
  site=$("$gotap" funcs --json "$adder" main.add)
  jq -cn --argjson s "$site" '{section:"sites", name:"main.add entry",
    unit:"", samples:[], addr:($s.entry_probe), insn:$s.entry_probe_instruction}' >>"$BENCH_RESULTS"
  jq -cn --argjson s "$site" '$s.returns[] | {section:"sites", name:"main.add return",
    unit:"", samples:[], addr:., insn:"ret"}' >>"$BENCH_RESULTS"
  if "$gotap" trace --help | grep -Eiq -- '--(count|entry-only|no-args|no-return)'; then
    note "gotap trace --help lists a counting flag; this script still counts through the library"
  else
    note "gotap trace has no flag to count calls at the entry only (checked gotap trace --help);" \
      "row (c) uses the library: PlanOptions{count_only=true}"
  fi

  local dir round mode runs
  dir=$(mktemp -d)
  for ((round = 1; round <= BENCH_ROUNDS; round++)); do
    echo "   round $round/$BENCH_ROUNDS (load $(load_average))"
    runs=$(lib_runs none) || return 1
    echo "$runs" >>"$dir/untraced"
    runs=$(bpftrace_runs) || return 1
    echo "$runs" >>"$dir/bpftrace"
    for mode in count empty full; do
      runs=$(lib_runs "$mode") || return 1
      echo "$runs" >>"$dir/$mode"
    done
    runs=$(gotap_cli_runs) || return 1
    echo "$runs" >>"$dir/cli"
    runs=$(gotap_latency_runs) || return 1
    echo "$runs" >>"$dir/latency"
  done
  local calls=",\"calls\":$n" row
  for row in "untraced:(a) untraced" \
    "bpftrace:(b) bpftrace uprobe count()" \
    "count:(c) gotap entry-only count (library)" \
    "empty:(e) gotap empty probes, entry+RET (library)" \
    "full:(d) gotap full trace (library, records read)" \
    "cli:(d) gotap trace --json -o FILE (CLI attached)" \
    "latency:(g) gotap latency (CLI attached, in-kernel histogram)"; do
    mode=${row%%:*}
    result calls "${row#*:}" s "$calls" "$(jq .seconds "$dir/$mode")"
    result calls_cpu "${row#*:}" s "$calls" "$(jq .cpu_seconds "$dir/$mode")"
  done
  rm -rf "$dir"
  bench_bpf_time || return 1

  # Whole commands, start-up and drain included: per call = (T(N) - T(0)) / N.
  local json
  json=$(mktemp)
  local trace_cmd="$gotap trace --json -o $json.events main.add -- $adder"
  hf "$json" --warmup 1 --runs "$((BENCH_ROUNDS * BENCH_RUNS))" \
    -n "adder -n 0" "$adder -n 0" \
    -n "adder -n $n" "$adder -n $n" \
    -n "gotap trace -- adder -n 0" "$trace_cmd -n 0" \
    -n "gotap trace -- adder -n $n" "$trace_cmd -n $n"
  local a0="adder -n 0" an="adder -n N"
  local g0="gotap trace --json -o FILE main.add -- adder -n 0"
  local gn="gotap trace --json -o FILE main.add -- adder -n N"
  result e2e "$a0" s ',"calls":0' "$(hyperfine_samples "$json" 0)"
  result e2e "$an" s "$(per_call "$n" "$a0")" "$(hyperfine_samples "$json" 1)"
  result e2e "$g0" s ',"calls":0' "$(hyperfine_samples "$json" 2)"
  result e2e "$gn" s "$(per_call "$n" "$g0" "$an")" "$(hyperfine_samples "$json" 3)"

  # Delve: ptrace breakpoints, a stop of the whole process per hit; far fewer calls.
  local d=$BENCH_DLV_CALLS got
  got=$(dlv trace --exec "$adder" main.add -- -n 50 2>&1 >/dev/null | grep -c '^> goroutine') ||
    true
  [[ $got == 50 ]] || note "dlv trace reported $got of 50 calls"
  if dlv trace --ebpf --exec "$adder" main.add -- -n 1 2>&1 | grep -q 'no breakpoints set'; then
    note "dlv trace --ebpf sets no tracepoint on main.add (Delve 1.20: \"empty OP stack\");" \
      "only the ptrace tracer is measured"
  fi
  hf "$json" --runs "$BENCH_DLV_RUNS" \
    -n "dlv -n 0" "dlv trace --exec $adder main.add -- -n 0" \
    -n "dlv -n $d" "dlv trace --exec $adder main.add -- -n $d"
  local d0="dlv trace --exec adder main.add -- -n 0"
  result e2e "$d0" s ',"calls":0' "$(hyperfine_samples "$json" 0)"
  result e2e "(f) dlv trace --exec adder main.add -- -n N" s "$(per_call "$d" "$d0" "$an")" \
    "$(hyperfine_samples "$json" 1)"
  rm -f "$json" "$json.events"
}
