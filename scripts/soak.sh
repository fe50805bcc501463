#!/usr/bin/env bash
# The long form of the soak test: gotap traces the soak fixture (HTTP server and client, GC
# pressure, stack copies, panics, waves of 10,000 goroutines) for SOAK_SECONDS (default 600) and
# the test checks the target's own checksums, gotap's memory (VmRSS sampled every second), the
# reported losses and the pairing of every call. `make test` runs the same test for 30 s.
#
#   scripts/soak.sh [BUILD_DIR]        (root: it loads BPF programs)
# Environment: SOAK_SECONDS (600).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
tests=$build/tests/gotap_e2e_tests
if [[ ! -x $tests ]]; then
  echo "soak: $tests not built (run make build)" >&2
  exit 2
fi
if ((EUID != 0)); then
  echo "soak: needs root (it loads BPF programs)" >&2
  exit 2
fi
seconds=${SOAK_SECONDS:-600}
echo "soak: tracing the soak fixture for $seconds s"
GOTAP_SOAK_SECONDS=$seconds "$tests" --gtest_filter='SoakBpf.*'
