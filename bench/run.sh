#!/usr/bin/env bash
# Side-by-side benchmarks, run in one go so the ratios compare like with like on a shared machine.
# Usage: bench/run.sh [BUILD_DIR] [SECTION...]   (make bench runs it with BUILD_DIR = build)
#   SECTION: funcs | calls | attach | scale | rate | first (default: all, in that order)
#   Environment: BENCH_CALLS (100000), BENCH_ROUNDS (4), BENCH_RUNS (2), BENCH_DLV_CALLS (2000),
#   BENCH_DLV_RUNS (3), BENCH_ATTACH_RUNS (5), BENCH_ATTACH_GLOB, BENCH_KEEP (a file to keep
#   the raw JSON lines in), BENCH_TARGETS, BENCH_BPFTRACE27, BENCH_GLOBS (see lib.sh),
#   BENCH_NO_BUILD=1 (use BUILD_DIR as it is: no ninja). Benchmarks 2-6 load BPF programs: run
#   as root.
# bpftrace is measured twice: Debian 12's 0.17 and sid's 0.27, which scripts/bpftrace_sid.sh
# installs in a root of its own (the first run sets it up: about a minute, 500 MB).
# Prints the machine, each benchmark's progress, then every figure (median and min), the per-call
# costs, their ratios and which goals are met (bench/report.py). bench/README.md quotes one run.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "${1:-$repo/build}" 2>/dev/null && pwd) || {
  echo "bench: no build directory ${1:-$repo/build} (run make build)" >&2
  exit 2
}
shift $(($# > 0 ? 1 : 0))
sections=("$@")
((${#sections[@]})) || sections=(funcs calls attach scale rate first)
for section in "${sections[@]}"; do
  case $section in
    funcs | calls | attach | scale | rate | first) ;;
    *) echo "bench: unknown section $section (funcs, calls, attach, scale, rate, first)" >&2; exit 2 ;;
  esac
done

# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"
# shellcheck source=bench/funcs.sh
source "$repo/bench/funcs.sh"
# shellcheck source=bench/calls.sh
source "$repo/bench/calls.sh"
# shellcheck source=bench/attach.sh
source "$repo/bench/attach.sh"
# shellcheck source=bench/scale.sh
source "$repo/bench/scale.sh"

for tool in hyperfine jq bpftrace dlv python3; do
  command -v "$tool" >/dev/null || {
    echo "bench: $tool missing (run scripts/setup.sh)" >&2
    exit 2
  }
done
[[ -x $esbuild ]] || { echo "bench: $esbuild missing (run scripts/setup.sh)" >&2; exit 2; }
# Build what the benchmarks run (a no-op when make bench has just built everything).
if [[ -f $build/build.ninja && ${BENCH_NO_BUILD:-0} != 1 ]]; then
  targets=(gotap go_fixtures)
  ninja -C "$build" -t targets all | grep -q '^gotap_bench:' && targets+=(gotap_bench)
  if ! log=$(ninja -C "$build" -j"${JOBS:-2}" "${targets[@]}" 2>&1); then
    echo "$log" >&2
    exit 2
  fi
fi
[[ -x $gotap ]] || { echo "bench: $gotap not built (run make build)" >&2; exit 2; }
[[ -x $adder ]] || { echo "bench: $adder not built (ninja go_fixtures)" >&2; exit 2; }

BENCH_RESULTS=$(mktemp)
trap 'rm -f "$BENCH_RESULTS"' EXIT

echo "machine: $(nproc) vCPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)," \
  "kernel $(uname -r), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "load average at start: $(load_average)"
load_row "at start"
echo "build: $build ($(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')" \
  "+ working tree); calls per run $BENCH_CALLS"

# bpftrace 0.27 for the sections that run bpftrace (it is set up here when missing).
for section in "${sections[@]}"; do
  if [[ $section == calls || $section == scale ]]; then
    bpftrace27_setup
    break
  fi
done

started=$SECONDS
failed=()
for section in "${sections[@]}"; do
  if [[ $section != funcs ]]; then
    if ((EUID != 0)); then
      note "$section skipped: it loads BPF programs (run as root)"
      continue
    fi
    if [[ ! -x $gotap_bench ]]; then
      note "$section skipped: $gotap_bench not built (needs libbenchmark-dev at configure time)"
      continue
    fi
  fi
  fn=bench_$section
  [[ $section == first ]] && fn=bench_first_event
  "$fn" || failed+=("$section")
done
echo "load average at end: $(load_average)"
load_row "at end"
result load "run time of the sections" s "" "$((SECONDS - started))"

# Kept before the report reads them: a report that fails must not lose a run's figures.
if [[ -n ${BENCH_KEEP:-} ]]; then cp "$BENCH_RESULTS" "$BENCH_KEEP"; fi
python3 "$repo/bench/report.py" "$BENCH_RESULTS"
if ((${#failed[@]})); then
  echo "bench: failed: ${failed[*]}" >&2
  exit 1
fi
