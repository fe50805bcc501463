# shellcheck shell=bash disable=SC2154
# Benchmark 2: the cost per call of tracing `func add(a, b int) int` in a tight loop (fixture
# adder: `-n N` calls, `-wait` blocks until released), on each of $BENCH_TARGETS: adder.default
# (Go 1.19, with DWARF) and adder-go1.27.default (the same program built by Go 1.27).
# Every in-process row is timed the same way, by `gotap_bench calls` (release to exit of
# `adder -wait -n N`), so that only the tracer differs: nothing, bpftrace 0.17 or 0.27, gotap's
# CLI, or gotap's library in one of its probe modes. Modes and targets alternate in rounds so that
# the machine's load drifts over all of them alike. Each run gives the wall time and the target's
# CPU time (user + system: uprobe hits are handled in the target's context, and CPU time leaves
# out the waits for a CPU that a loaded machine adds to the wall time). Sourced by bench/run.sh
# (uses lib.sh).

# The function the rounds probe: main.add (a leaf: no stack check, its first instruction is
# single-stepped by every tracer), or main.step (adder -step; non-leaf, with a stack check, where
# the site a tracer picks decides its cost). gotap_bench passes -step for main.step.
calls_func=main.add

# lib_runs MODE [TARGET] — BENCH_RUNS runs of `gotap_bench calls` in MODE on TARGET (default
# $adder); prints their JSON lines.
lib_runs() {
  local out
  out=$("$gotap_bench" calls "${2:-$adder}" "$calls_func" "$1" "$BENCH_CALLS" "$BENCH_RUNS") ||
    return 1
  (($(wc -l <<<"$out") == BENCH_RUNS)) || return 1
  echo "$out"
}

# cpu_ticks PID — user + system clock ticks a process has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# The label of a benchmark 2 target (go1.19, go1.27) while its rounds run; rows carry it.
target_label=
target_json() { printf ',"target":"%s"' "$target_label"; }

# tracer_cpu NAME TICKS — records a tracer's own CPU time over the timed runs, per call.
tracer_cpu() {
  local seconds
  seconds=$(awk -v t="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.3f", t / hz}')
  jq -cn --arg n "$1" --argjson s "$seconds" --argjson c "$((BENCH_CALLS * BENCH_RUNS))" \
    --arg t "$target_label" \
    '{section:"tracer_cpu", name:$n, unit:"s", samples:[$s], calls:$c, target:$t}' \
    >>"$BENCH_RESULTS"
}

# counted NAME COUNTED — what a counting tracer counted over the timed runs, against the calls
# made: a row of its own (exact or not is reported, not asserted).
counted() {
  local expected=$((BENCH_CALLS * BENCH_RUNS))
  [[ $2 =~ ^[0-9]+$ ]] || { note "$target_label: $1 printed no count" >&2; return 0; }
  result counted "$1" count ",\"expected\":$expected$(target_json)" "$2"
  # On stderr: the callers' stdout carries their runs' JSON lines.
  [[ $2 == "$expected" ]] || note "$target_label: $1 counted $2 calls of $expected" >&2
}

# bpftrace_runs VERSION TARGET — the untraced harness on TARGET under bpftrace VERSION's
# `bpftrace -e 'uprobe:TARGET:main.add { @c = count(); }'` (attached to the file: every process).
# Prints the runs; records what @c counted against the calls made. Ready: the attach marker
# (0.17 prints it on stderr, 0.27 on stdout: both go to one file).
bpftrace_runs() {
  local version=$1 target=$2 out pid runs ticks bt
  bpftrace_cmd "$version"
  out=$(mktemp)
  __BPFTRACE_NOTIFY_PROBES_ATTACHED=1 "${bt[@]}" -e "uprobe:$target:$calls_func { @c = count(); }" \
    >"$out" 2>&1 &
  pid=$!
  if ! wait_for_line "$out" __BPFTRACE_NOTIFY_PROBES_ATTACHED 120; then
    echo "bench: bpftrace $version did not attach: $(head -3 "$out")" >&2
    stop_pid "$pid"
    return 1
  fi
  ticks=$(cpu_ticks "$pid")
  runs=$(lib_runs none "$target") || { stop_pid "$pid"; return 1; }
  tracer_cpu "bpftrace $version (userspace)" $(($(cpu_ticks "$pid") - ticks))
  stop_pid "$pid"
  counted "bpftrace $version count()" "$(awk '/^@c:/ {print $2}' "$out")"
  rm -f "$out"
  echo "$runs"
}

# gotap_count_runs TARGET — the untraced harness on TARGET under `gotap trace --count --json -o
# FILE TARGET main.add` (every process of the file; entry probes counted in the kernel, no
# events). Prints the runs; records its count against the calls made. Ready: its "tracing" line.
gotap_count_runs() {
  local target=$1 counts err pid runs ticks
  counts=$(mktemp) err=$(mktemp)
  "$gotap" trace --count --json -o "$counts" "$target" "$calls_func" 2>"$err" &
  pid=$!
  if ! wait_for_line "$err" "gotap: tracing" 60; then
    echo "bench: gotap trace --count did not start: $(head -3 "$err")" >&2
    stop_pid "$pid"
    return 1
  fi
  ticks=$(cpu_ticks "$pid")
  runs=$(lib_runs none "$target") || { stop_pid "$pid"; return 1; }
  tracer_cpu "gotap trace --count (userspace)" $(($(cpu_ticks "$pid") - ticks))
  stop_pid "$pid"
  counted "gotap trace --count" "$(jq -s --arg f "$calls_func" \
    'map(select(.func == $f) | .count) | add' "$counts")"
  rm -f "$counts" "$err"
  echo "$runs"
}

# Runs the untraced harness under `gotap trace --json -o FILE ADDER main.add` (every process of
# the binary; the CLI decodes every call and writes one JSON line per call). Prints the runs;
# checks that the file holds one line per call. Readiness: canary runs until one reaches the file.
gotap_cli_runs() {
  local target=$1 events err pid runs ticks
  events=$(mktemp) err=$(mktemp)
  "$gotap" trace --json -o "$events" "$target" main.add 2>"$err" &
  pid=$!
  # Ready once a call of a canary run reaches the file (gotap flushes every 100 ms poll).
  local deadline=$((SECONDS + 60))
  until [[ -s $events ]]; do
    if ((SECONDS > deadline)) || ! kill -0 "$pid" 2>/dev/null; then
      echo "bench: gotap trace did not start: $(head -3 "$err")" >&2
      stop_pid "$pid"
      return 1
    fi
    "$target" -n 1 >/dev/null
    sleep 0.2
  done
  # Canaries that ran before the attach left no line; the traced ones flushed within the sleep.
  # Only completed calls are counted: a canary that ran while the link was being attached may
  # have met its entry probe but not yet its RET's, and is reported as running at exit.
  local before
  before=$(grep -c '"event":"call"' "$events")
  ticks=$(cpu_ticks "$pid")
  runs=$(lib_runs none "$target") || { stop_pid "$pid"; return 1; }
  # Its CPU over the runs: decoding the records and writing the JSON lines (the drain of what was
  # still in the ring at the end of a run is counted in the next run or in the last stop).
  tracer_cpu "gotap trace --json -o FILE (userspace)" $(($(cpu_ticks "$pid") - ticks))
  stop_pid "$pid"
  local lines expected=$((BENCH_CALLS * BENCH_RUNS + before))
  lines=$(grep -c '"event":"call"' "$events")
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
  local target=$1 reports err pid runs ticks counted
  reports=$(mktemp) err=$(mktemp)
  "$gotap" latency --json -o "$reports" "$target" main.add 2>"$err" &
  pid=$!
  if ! wait_for_line "$err" "gotap: tracing" 60; then
    echo "bench: gotap latency did not start: $(head -3 "$err")" >&2
    stop_pid "$pid"
    return 1
  fi
  ticks=$(cpu_ticks "$pid")
  runs=$(lib_runs none "$target") || { stop_pid "$pid"; return 1; }
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

# bpf_time TARGET — time inside the BPF programs per hit on TARGET (kernel run-time statistics,
# on only for these extra runs: they add two clock reads per hit). The difference between tracers
# that the timed runs measure through the noise of the traps around them.
bench_bpf_time() {
  local target=$1 mode ns hits name
  for mode in count empty full; do
    ns=$("$gotap_bench" calls "$target" main.add "$mode" "$BENCH_CALLS" 1 --stats |
      jq .bpf_ns_per_run) || return 1
    hits=$([[ $mode == count ]] && echo 1 || echo 2)
    result bpf_ns "gotap $mode" ns ",\"hits_per_call\":$hits$(target_json)" "$ns"
  done
  # The issue's shape for the per-hit goal: two string arguments and an error result (adder
  # -check: main.check(key, value string) error, every fourth call returning an error).
  # full-map: the same trace with every shadow stack in the LRU map, as before goroutine slots.
  local row func
  for row in "full-map main.add" "empty main.check" "full main.check" "full-map main.check"; do
    mode=${row% *} func=${row#* }
    ns=$("$gotap_bench" calls "$target" "$func" "$mode" "$BENCH_CALLS" 1 --stats |
      jq .bpf_ns_per_run) || return 1
    name="gotap $mode"
    [[ $func == main.add ]] || name+=" $func"
    result bpf_ns "$name" ns ",\"hits_per_call\":2$(target_json)" "$ns"
  done
  local out pid version bt
  for version in $(bpftrace_versions); do
    bpftrace_cmd "$version"
    out=$(mktemp)
    __BPFTRACE_NOTIFY_PROBES_ATTACHED=1 "${bt[@]}" -e "uprobe:$target:main.add { @c = count(); }" \
      >"$out" 2>&1 &
    pid=$!
    if wait_for_line "$out" __BPFTRACE_NOTIFY_PROBES_ATTACHED 120 &&
      "$gotap_bench" calls "$target" main.add none "$BENCH_CALLS" 1 --stats >/dev/null; then
      ns=$(prog_ns_per_run "$pid")
      if [[ -n $ns ]]; then
        result bpf_ns "bpftrace $version count()" ns ",\"hits_per_call\":1$(target_json)" "$ns"
      else
        note "$target_label: bpftrace $version: no BPF program with run-time statistics in its fds"
      fi
    else
      note "$target_label: bpftrace $version: no in-BPF time ($(head -2 "$out" | tr '\n' ' '))"
    fi
    stop_pid "$pid"
    rm -f "$out"
  done
}

# per_call CALLS MINUS [BASELINE] — the extra fields of a whole-command row: ns per call is
# (wall - wall of row MINUS) / CALLS; its overhead is taken over row BASELINE.
per_call() {
  printf ',"calls":%s,"minus":"%s"' "$1" "$2"
  [[ -z ${3:-} ]] || printf ',"baseline":"%s"' "$3"
}

# The modes of benchmark 2's rounds: file name in the round's folder, then the row's name.
calls_rows=(
  "untraced:(a) untraced"
  "bpftrace-0.17:(b) bpftrace 0.17 uprobe count()"
  "bpftrace-0.27:(b) bpftrace 0.27 uprobe count()"
  "count-cli:(c) gotap trace --count (CLI attached)"
  "count:(c) gotap entry-only count (library)"
  "empty:(e) gotap empty probes, entry+RET (library)"
  "full:(d) gotap full trace (library, records read)"
  "cli:(d) gotap trace --json -o FILE (CLI attached)"
  "latency:(g) gotap latency (CLI attached, in-kernel histogram)"
)

# calls_round TARGET DIR — one run of every mode on TARGET, appended to DIR/MODE.
calls_round() {
  local target=$1 dir=$2 mode runs version
  runs=$(lib_runs none "$target") || return 1
  echo "$runs" >>"$dir/untraced"
  for version in $(bpftrace_versions); do
    runs=$(bpftrace_runs "$version" "$target") || return 1
    echo "$runs" >>"$dir/bpftrace-$version"
  done
  runs=$(gotap_count_runs "$target") || return 1
  echo "$runs" >>"$dir/count-cli"
  if [[ $calls_func != main.add ]]; then  # the non-leaf rows compare counting only
    runs=$(lib_runs count "$target") || return 1
    echo "$runs" >>"$dir/count"
    return 0
  fi
  for mode in count empty full; do
    runs=$(lib_runs "$mode" "$target") || return 1
    echo "$runs" >>"$dir/$mode"
  done
  runs=$(gotap_cli_runs "$target") || return 1
  echo "$runs" >>"$dir/cli"
  runs=$(gotap_latency_runs "$target") || return 1
  echo "$runs" >>"$dir/latency"
}

bench_calls() {
  local n=$BENCH_CALLS spec label target targets=()
  read -ra targets <<<"$BENCH_TARGETS"
  echo "== 2. calls: main.add (leaf) and main.step (non-leaf, counting only), $n calls per run; $BENCH_ROUNDS rounds x $BENCH_RUNS runs per" \
    "mode and target; bpftrace $(bpftrace_versions | xargs | sed 's/ / and /')"
  for spec in "${targets[@]}"; do
    label=${spec%%=*} target=${spec#*=}
    if [[ ! -x $target ]]; then
      note "target $label skipped: $target not built"
      continue
    fi
    echo "   $label: $target ($("$gotap" info --json "$target" | jq -r .go_version))"
    "$gotap" funcs "$target" main.add main.step | sed 's/^/      /'
    # The instruction each probe lands on decides its cost (emulated or single-stepped).
    local site
    site=$("$gotap" funcs --json "$target" main.add)
    jq -cn --argjson s "$site" --arg t "$label" '{section:"sites", name:"main.add entry",
      unit:"", samples:[], addr:($s.entry_probe), insn:$s.entry_probe_instruction, target:$t}' \
      >>"$BENCH_RESULTS"
    jq -cn --argjson s "$site" --arg t "$label" '$s.returns[] | {section:"sites",
      name:"main.add return", unit:"", samples:[], addr:., insn:"ret", target:$t}' \
      >>"$BENCH_RESULTS"
  done

  local dir round row mode func
  dir=$(mktemp -d)
  for ((round = 1; round <= BENCH_ROUNDS; round++)); do
    for spec in "${targets[@]}"; do
      label=${spec%%=*} target=${spec#*=}
      [[ -x $target ]] || continue
      for func in main.add main.step; do
        calls_func=$func
        target_label=$label
        [[ $func == main.add ]] || target_label="$label step"
        echo "   round $round/$BENCH_ROUNDS, $target_label (load $(load_average))"
        mkdir -p "$dir/$target_label"
        calls_round "$target" "$dir/$target_label" || return 1
      done
    done
  done
  calls_func=main.add
  local calls=",\"calls\":$n"
  for spec in "${targets[@]}"; do
    label=${spec%%=*} target=${spec#*=}
    [[ -x $target ]] || continue
    for func in main.add main.step; do
      target_label=$label
      [[ $func == main.add ]] || target_label="$label step"
      for row in "${calls_rows[@]}"; do
        mode=${row%%:*}
        [[ -f $dir/$target_label/$mode ]] || continue
        result calls "${row#*:}" s "$calls$(target_json)" \
          "$(jq .seconds "$dir/$target_label/$mode")"
        result calls_cpu "${row#*:}" s "$calls$(target_json)" \
          "$(jq .cpu_seconds "$dir/$target_label/$mode")"
      done
    done
    target_label=$label
    bench_bpf_time "$target" || return 1
  done
  rm -rf "$dir"

  # The rows below are on adder.default (Go 1.19) only.
  target_label=go1.19
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
  result e2e "$a0" s ",\"calls\":0$(target_json)" "$(hyperfine_samples "$json" 0)"
  result e2e "$an" s "$(per_call "$n" "$a0")$(target_json)" "$(hyperfine_samples "$json" 1)"
  result e2e "$g0" s ",\"calls\":0$(target_json)" "$(hyperfine_samples "$json" 2)"
  result e2e "$gn" s "$(per_call "$n" "$g0" "$an")$(target_json)" "$(hyperfine_samples "$json" 3)"

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
  result e2e "$d0" s ",\"calls\":0$(target_json)" "$(hyperfine_samples "$json" 0)"
  result e2e "(f) dlv trace --exec adder main.add -- -n N" s \
    "$(per_call "$d" "$d0" "$an")$(target_json)" "$(hyperfine_samples "$json" 1)"
  rm -f "$json" "$json.events"
}
