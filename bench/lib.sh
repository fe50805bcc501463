# shellcheck shell=bash disable=SC2034,SC2154
# Shared settings and helpers of the bench/*.sh scripts; sourced by bench/run.sh, not run alone.
# Every figure goes to $BENCH_RESULTS as one JSON line:
#   {"section": S, "name": N, "unit": "s"|"ms"|"MiB"|"count", "samples": [...], ...extra fields}
# and bench/report.py turns the lines into the tables (median and min per row, ratios).

go=/usr/lib/go-1.19/bin/go
esbuild=$repo/.cache/npm/@esbuild+linux-x64@0.24.2/bin/esbuild
adder=$build/fixtures/adder.default          # Go 1.19 (Debian 12's Go)
adder_new=$build/fixtures/adder-go1.27.default  # Go 1.27: the same program, a current Go
gotap=$build/gotap
gotap_bench=$build/bench/gotap_bench
bpftrace_sid=$repo/scripts/bpftrace_sid.sh

# The two bpftraces measured side by side: Debian 12's own (0.17) and sid's (0.27, in the root
# scripts/bpftrace_sid.sh makes). bpftrace27 is the command that runs 0.27, empty when it cannot
# run (bpftrace27_setup says why). Either way the pid of a backgrounded "${bpftrace27[@]}" is
# bpftrace's own: the script execs it.
bpftrace17=(bpftrace)
bpftrace27=()

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
# bpftrace 0.27 given a list of probes opens them one by one too (~0.1 s each to detach, as 0.17):
# 10 shows it; its wildcard rows (BENCH_GLOBS) are the ones that scale.
BENCH_SCALE_BPFTRACE27=${BENCH_SCALE_BPFTRACE27:-10}
BENCH_RATES=${BENCH_RATES:-5000 10000 20000 40000 80000 160000}
BENCH_RATE_SECONDS=${BENCH_RATE_SECONDS:-3}
# Benchmark 2 on these targets (label=path): a Go 1.19 and a Go >= 1.21 build of adder.
BENCH_TARGETS=${BENCH_TARGETS:-go1.19=$adder go1.27=$adder_new}
# bpftrace 0.27 rows: 1 (set the sid root up when missing), 0 (skip them).
BENCH_BPFTRACE27=${BENCH_BPFTRACE27:-1}
# Benchmark 4: attach/detach of globs on the soak fixture (Go 1.19 and 1.27), gotap and bpftrace
# 0.27 (a wildcard uprobe); ~1,000 and ~5,000 functions. Seconds before a tracer not yet attached
# is given up.
BENCH_GLOBS=${BENCH_GLOBS:-net/http* *}
BENCH_SCALE_TIMEOUT=${BENCH_SCALE_TIMEOUT:-180}

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

# load_row WHEN — the load average (1, 5, 15 min) as a row of the report.
load_row() {
  result load "load average $1 (1, 5, 15 min)" count "" "$(load_average)"
}

# bpftrace_cmd VERSION — sets the array bt to the command of bpftrace 0.17 or 0.27.
bpftrace_cmd() {
  case $1 in
    0.17) bt=("${bpftrace17[@]}") ;;
    0.27) bt=("${bpftrace27[@]}") ;;
  esac
}

# The bpftraces that can run here (0.17 always; 0.27 once bpftrace27_setup found its root).
bpftrace_versions() {
  echo 0.17
  ((${#bpftrace27[@]} == 0)) || echo 0.27
}

# bpftrace27_setup — makes bpftrace 0.27 runnable (scripts/bpftrace_sid.sh setup when its root is
# missing: a debootstrap of sid, about a minute and 500 MB once) or notes why its rows are skipped.
# The folders of the traced binaries are bind-mounted at the same path inside the root.
bpftrace27_setup() {
  if [[ $BENCH_BPFTRACE27 == 0 ]]; then
    note "bpftrace 0.27 rows skipped: BENCH_BPFTRACE27=0"
    return 0
  fi
  if ((EUID != 0)); then
    note "bpftrace 0.27 rows skipped: its root needs root (chroot, mounts)"
    return 0
  fi
  local log
  if ! bash "$bpftrace_sid" version >/dev/null 2>&1; then
    echo "bpftrace 0.27: no sid root yet; running scripts/bpftrace_sid.sh setup"
    if ! log=$(bash "$bpftrace_sid" setup 2>&1); then
      note "bpftrace 0.27 rows skipped: scripts/bpftrace_sid.sh setup failed: $(tail -1 <<<"$log")"
      return 0
    fi
  fi
  local binds version
  binds=$(realpath -e "$build/fixtures")
  bpftrace27=(env "BPFTRACE_SID_BIND=$binds" bash "$bpftrace_sid" run)
  if ! version=$("${bpftrace27[@]}" --version 2>&1); then
    note "bpftrace 0.27 rows skipped: its root does not run: $(tail -1 <<<"$version")"
    bpftrace27=()
    return 0
  fi
  echo "bpftrace 0.27: $version (sid root, scripts/bpftrace_sid.sh run)"
}
