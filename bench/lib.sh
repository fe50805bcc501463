# shellcheck shell=bash disable=SC2034,SC2154
# Shared settings and helpers of the bench/*.sh scripts; sourced by bench/run.sh, not run alone.
# Every figure goes to $BENCH_RESULTS as one JSON line:
#   {"section": S, "name": N, "unit": "s"|"ms"|"MiB"|"count", "samples": [...], ...extra fields}
# and bench/report.py turns the lines into the tables (median and min per row, ratios).

go=/usr/lib/go-1.19/bin/go
esbuild=$repo/.cache/npm/@esbuild+linux-x64@0.24.2/bin/esbuild
adder=$build/fixtures/adder.default
gotap=$build/gotap
gotap_bench=$build/bench/gotap_bench

# Tunables (environment): calls per traced run, rounds, runs per mode and round, Delve's calls.
BENCH_CALLS=${BENCH_CALLS:-100000}
BENCH_ROUNDS=${BENCH_ROUNDS:-4}
BENCH_RUNS=${BENCH_RUNS:-2}
BENCH_DLV_CALLS=${BENCH_DLV_CALLS:-2000}
BENCH_DLV_RUNS=${BENCH_DLV_RUNS:-3}
BENCH_ATTACH_RUNS=${BENCH_ATTACH_RUNS:-5}
BENCH_ATTACH_GLOB=${BENCH_ATTACH_GLOB:-github.com/evanw/esbuild/internal/*}
# Benchmarks 4-6: runs per figure, bpftrace's function counts (each of its perf-event uprobes
# takes ~0.1 s to detach, so 1000 would take minutes), the call rates tried, seconds per rate.
BENCH_SCALE_RUNS=${BENCH_SCALE_RUNS:-3}
BENCH_SCALE_BPFTRACE=${BENCH_SCALE_BPFTRACE:-10 100}
BENCH_RATES=${BENCH_RATES:-5000 10000 20000 40000 80000 160000}
BENCH_RATE_SECONDS=${BENCH_RATE_SECONDS:-3}

# result SECTION NAME UNIT EXTRA_JSON SAMPLES — EXTRA_JSON is "" or ',"key":value,...';
# SAMPLES is a list of numbers separated by blanks.
result() {
  local section=$1 name=$2 unit=$3 extra=$4 samples
  samples=$(xargs <<<"$5" | tr ' ' ',')
  printf '{"section":"%s","name":"%s","unit":"%s","samples":[%s]%s}\n' \
    "$section" "$name" "$unit" "$samples" "$extra" >>"$BENCH_RESULTS"
}

# note TEXT — a line kept for the report (things that could not be measured, and why).
note() {
  echo "   note: $*"
  jq -cn --arg t "$*" '{section:"note", name:$t, unit:"", samples:[]}' >>"$BENCH_RESULTS"
}

# Peak resident set size in MiB of one run of a command.
peak_mib() {
  /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.1f", $1 / 1024}'
}

# hf JSON HYPERFINE_ARGS... — hyperfine without a shell (commands are split like argv), results
# to JSON; its chatter (outlier warnings) is shown only when it fails.
hf() {
  local json=$1 log
  shift
  log=$(mktemp)
  if ! hyperfine -N --style none --export-json "$json" "$@" >/dev/null 2>"$log"; then
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

# hyperfine_samples JSON INDEX — the run times (s) of command INDEX in a hyperfine export.
hyperfine_samples() { jq -r ".results[$2].times | map(tostring) | join(\" \")" "$1"; }

# wait_for_line FILE PATTERN SECONDS — polls until a line of FILE matches (no fixed sleeps).
wait_for_line() {
  local deadline=$((SECONDS + $3))
  until grep -q -- "$2" "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}

# stop_pid PID — SIGINT (tracers detach and print their summary), then wait for it.
stop_pid() {
  kill -INT "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

load_average() { cut -d' ' -f1-3 /proc/loadavg; }
