#!/usr/bin/env bash
# Times `gotap goroutines` on the gstates fixture with 10,000 extra parked goroutines (about
# 10,020 in all) with hyperfine. Usage: bench/goroutines_bench.sh [BUILD_DIR] (default: build).
# Needs root (process_vm_readv of a process we did not start... here a child, so root or
# ptrace_scope 0 suffices).
set -euo pipefail
build=${1:-build}
gotap=$build/gotap
fixture=$build/fixtures/gstates.stripped
out=$(mktemp)
"$fixture" -dump /dev/null -extra 10000 >"$out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 1 600); do grep -q started "$out" && break; sleep 0.05; done
grep -q started "$out" || { echo "fixture did not start" >&2; exit 1; }
"$gotap" goroutines -p "$pid" | tail -n 8
hyperfine --warmup 2 --runs 15 --export-markdown "${build}/goroutines_bench.md" \
  "$gotap goroutines -p $pid > /dev/null" \
  "$gotap goroutines -p $pid --stacks > /dev/null" \
  "$gotap goroutines -p $pid --json --stacks > /dev/null" \
  "$gotap goroutines -p $pid --freeze > /dev/null"
