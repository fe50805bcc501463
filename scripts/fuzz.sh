#!/usr/bin/env bash
# Builds gotap's libFuzzer targets (fuzz/, standalone CMake project, clang), makes a seed corpus
# from the Go fixtures and the npm esbuild binaries, replays every whole binary once, then fuzzes
# each parser for a while. Exits non-zero if any fuzzer finds a crash, leak, timeout or
# out-of-memory, printing the reproducer and the start of the report.
#
#   scripts/fuzz.sh [--smoke] [BUILD_DIR [MAIN_BUILD_DIR]]
#
# BUILD_DIR       the fuzz build (default: build/fuzz-build); corpus, seeds, logs and artifacts
#                 live there too
# MAIN_BUILD_DIR  the main build whose fixtures/ seed the corpus (default: build)
# --smoke         FUZZ_SMOKE_SECONDS (default 80) shared by the fuzzers, at least 5 s each (the
#                 `fuzz_smoke` ctest); otherwise 600 s per fuzzer (issue 8: >= 10 min)
# Environment:    FUZZ_SECONDS (per fuzzer, overrides both), FUZZERS (default: every target,
#                 "elf buildinfo pclntab binary rtype symbolizer iface"), FUZZ_JOBS (build
#                 parallelism, default 2), FUZZ_FLAGS (extra libFuzzer flags)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
smoke=0
if [[ ${1:-} == --smoke ]]; then
  smoke=1
  shift
fi
build_dir=$(realpath -m "${1:-$root/build/fuzz-build}")
main_build_dir=$(realpath -m "${2:-$root/build}")
fuzzers=${FUZZERS:-elf buildinfo pclntab binary rtype symbolizer iface}
# shellcheck disable=SC2086
set -- $fuzzers
smoke_seconds=$((${FUZZ_SMOKE_SECONDS:-80} / ($# > 0 ? $# : 1)))
((smoke_seconds >= 5)) || smoke_seconds=5
seconds=${FUZZ_SECONDS:-$((smoke ? smoke_seconds : 600))}
jobs=${FUZZ_JOBS:-2}

log() { echo "fuzz: $*"; }
die() {
  echo "fuzz: error: $*" >&2
  exit 2
}

# --- build (incremental) ---------------------------------------------------------------------
command -v clang++ >/dev/null || die "clang++ not found (apt-get install clang)"
mkdir -p "$build_dir/logs"
if [[ ! -f $build_dir/CMakeCache.txt ]]; then
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  configure_log=$build_dir/logs/configure.log
  cmake -S "$root/fuzz" -B "$build_dir" "${generator[@]}" -DCMAKE_C_COMPILER=clang \
    -DCMAKE_CXX_COMPILER=clang++ >"$configure_log" 2>&1 ||
    { cat "$configure_log"; die "configuring $build_dir failed"; }
fi
build_log=$build_dir/logs/build.log
if ! cmake --build "$build_dir" -j "$jobs" >"$build_log" 2>&1; then
  grep -E -m 40 "error|Error" "$build_log" || tail -40 "$build_log"
  die "building the fuzzers failed (full log: $build_log)"
fi

# --- seeds -----------------------------------------------------------------------------------
# Sources: non-PIE Go >= 1.18 binaries make small seeds (fuzz/seed_maker); every binary is also
# replayed whole, and its .gopclntab whole, once per run. seed_maker also writes the interface
# walk blobs (seeds/iface), made rather than read, so it runs without binaries too.
sources=()
for f in "$main_build_dir"/fixtures/model.* "$root"/.cache/npm/*/bin/esbuild; do
  [[ -f $f && -x $f ]] && sources+=("$f")
done
seeds=$build_dir/seeds
rm -rf "$seeds"
mkdir -p "$seeds/elf" "$seeds/pclntab" "$seeds/whole-pclntab" "$seeds/iface"
if ((${#sources[@]} == 0)); then
  log "warning: no Go binaries in $main_build_dir/fixtures or .cache/npm: fuzzing without seeds"
fi
if ! "$build_dir/seed_maker" "$seeds" "${sources[@]}" >"$build_dir/logs/seeds.log" 2>&1; then
  cat "$build_dir/logs/seeds.log"
  die "seed_maker failed"
fi

# Kind of input per fuzzer: pclntab tables (*.tab), interface walk blobs (*.iface: an option
# byte, then the blob) or whole file images (*.elf and the sources).
# Replayed once each: the whole real inputs and the inputs that once crashed a fuzzer.
regressions=$root/tests/data/fuzz-regressions
seed_dir() {
  case $1 in
    pclntab) echo "$seeds/pclntab" ;;
    iface) echo "$seeds/iface" ;;
    *) echo "$seeds/elf" ;;
  esac
}
whole_inputs() {
  if [[ $1 == pclntab ]]; then
    find "$seeds/whole-pclntab" "$regressions" -type f -name '*.tab' 2>/dev/null | sort
  elif [[ $1 == iface ]]; then
    find "$regressions" -type f -name '*.iface' 2>/dev/null | sort
  else
    if ((${#sources[@]} > 0)); then printf '%s\n' "${sources[@]}"; fi
    find "$regressions" -type f -name '*.elf' 2>/dev/null | sort
  fi
}

# --- run ---------------------------------------------------------------------------------------
# UBSan must print where it stopped; -fno-sanitize-recover makes every report a libFuzzer crash.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
common_flags=(-rss_limit_mb=2048 -timeout=10 "-dict=$root/fuzz/gotap.dict")

# Prints the start of the sanitizer or libFuzzer report in a log, without libFuzzer's and libc's
# own stack frames.
report_start="ERROR: |runtime error|contract broken|ALARM|deadly signal|out-of-memory|Assertion"
report_noise="in fuzzer::|__sanitizer_print_stack_trace|libc\.so|csu/|nptl/|signal/|stdlib/"
report_noise+="|in _start|^NOTE: |Combine libFuzzer|^ *$"
report() {
  local first
  first=$(grep -n -E -m1 "$report_start" "$1" | cut -d: -f1)
  tail -n "+${first:-1}" "$1" | grep -v -E "$report_noise" |
    sed -E 's/ \(BuildId: [0-9a-f]+\)//' | head -24
}

failed=()
for name in $fuzzers; do
  fuzzer=$build_dir/${name}_fuzzer
  [[ -x $fuzzer ]] || die "no fuzzer $fuzzer"
  artifacts=$build_dir/artifacts/$name
  corpus=$build_dir/corpus/$name
  mkdir -p "$artifacts" "$corpus"
  run_log=$build_dir/logs/$name.log
  marker=$build_dir/logs/$name.start
  touch "$marker"

  # Replay in one process, no length limit.
  mapfile -t whole < <(whole_inputs "$name")
  status=0
  if ((${#whole[@]} > 0)); then
    "$fuzzer" "${common_flags[@]}" -artifact_prefix="$artifacts/" "${whole[@]}" \
      >"$run_log.replay" 2>&1 || status=$?
  fi
  if ((status == 0)); then
    max_len=32768
    [[ $name == pclntab ]] && max_len=16384
    [[ $name == iface ]] && max_len=2048
    # Inputs that found new coverage accumulate in $corpus across runs; seeds are read only.
    # shellcheck disable=SC2086
    "$fuzzer" "${common_flags[@]}" -max_total_time="$seconds" -max_len=$max_len \
      -print_final_stats=1 -artifact_prefix="$artifacts/" ${FUZZ_FLAGS:-} \
      "$corpus" "$(seed_dir "$name")" >"$run_log" 2>&1 || status=$?
  else
    mv "$run_log.replay" "$run_log"
  fi

  if ((status != 0)); then
    failed+=("$name")
    echo "fuzz: FAIL $name (exit $status); log: $run_log"
    find "$artifacts" -type f -newer "$marker" | while read -r artifact; do
      echo "fuzz:   reproducer: $artifact"
      echo "fuzz:   rerun with: $fuzzer $artifact"
    done
    report "$run_log" | sed 's/^/    /'
  else
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$run_log" | tail -1)
    cov=$(grep -o -E 'cov: [0-9]+' "$run_log" | tail -1)
    log "ok   $name: ${#whole[@]} inputs replayed," \
      "${execs:-?} runs in ${seconds}s, ${cov:-cov: ?}"
  fi
  rm -f "$marker"
done

if ((${#failed[@]} > 0)); then
  echo "fuzz: ${#failed[@]} fuzzer(s) failed: ${failed[*]}"
  exit 1
fi
