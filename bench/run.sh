#!/usr/bin/env bash
# Side-by-side benchmarks, run in one go so the ratios compare like with like on a shared machine.
# Usage: bench/run.sh [BUILD_DIR]   (make bench runs it after building)
# Prints a table per benchmark; figures quoted in bench/README.md come from this script.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$repo/build}
gotap=$build/gotap
go=/usr/lib/go-1.19/bin/go
esbuild=$repo/.cache/npm/@esbuild+linux-x64@0.24.2/bin/esbuild
[[ -x $gotap ]] || { echo "bench: $gotap not built (run make build)" >&2; exit 2; }
[[ -x $esbuild ]] || { echo "bench: $esbuild missing (run scripts/setup.sh)" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "bench: hyperfine missing (run scripts/setup.sh)" >&2; exit 2; }

# Peak resident set size in MiB of one run of a command.
peak_mib() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.1f", $1 / 1024}'; }

echo "== funcs: every function of esbuild 0.24.2 ($(du -m "$esbuild" | cut -f1) MB, stripped, go1.23) with return-site analysis"
echo "   target: gotap under 150 ms wall and 100 MB peak; go tool objdump (also pclntab + disassembly) for scale"
json=$(mktemp)
hyperfine --warmup 3 --runs 20 --export-json "$json" --style basic \
  -n "gotap funcs --json" "$gotap funcs --json $esbuild" \
  -n "gotap funcs (text)" "$gotap funcs $esbuild" \
  -n "go tool objdump" "$go tool objdump $esbuild" >/dev/null
python3 - "$json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["mean"]
print(f"   {'command':<22}{'mean ms':>10}{'stddev':>9}{'min ms':>9}{'ratio':>8}")
for x in r:
    print(f"   {x['command']:<22}{x['mean']*1e3:>10.1f}{x['stddev']*1e3:>9.1f}{x['min']*1e3:>9.1f}{x['mean']/base:>8.2f}")
PY
rm -f "$json"
echo "   peak RSS: gotap funcs --json $(peak_mib "$gotap" funcs --json "$esbuild") MiB;" \
  "go tool objdump $(peak_mib "$go" tool objdump "$esbuild") MiB"
echo "   functions listed: $("$gotap" funcs --json "$esbuild" | wc -l);" \
  "return sites: $("$gotap" funcs --json "$esbuild" | python3 -c 'import sys,json; print(sum(len(json.loads(l)["returns"] or []) for l in sys.stdin))')"
