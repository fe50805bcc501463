#!/usr/bin/env bash
# Checks that includes between src/ folders point one way (README "Layout"): each folder may
# include only the folders listed for it below, and only the bpf, nswatch, trace and cli folders
# may include libbpf's headers (<bpf/...>): binary analysis runs unprivileged without libbpf.
# Usage: scripts/check_layers.sh [SRC_DIR]. Prints every violation; exits 1 if there is one.
set -euo pipefail
src=${1:-$(dirname "$0")/../src}

declare -A allowed=(
  [base]=""
  [elf]="base"
  [dwarf]="base elf"
  [arch]="base elf dwarf"
  [gobin]="base elf dwarf arch"
  [probe]="base elf dwarf arch gobin"
  [proc]="base"
  # bpf's run loop stops on /proc conditions (proc/stop_conditions.h).
  [bpf]="base proc"
  # decode reads records laid out by bpf/gotap_intf.h (plain C, no libbpf).
  [decode]="base elf dwarf arch gobin probe bpf"
  [output]="base decode"
  [goroutines]="base elf dwarf arch gobin proc"
  [trace]="base elf dwarf arch gobin probe proc bpf decode output"
  [nswatch]="base elf dwarf arch gobin probe proc bpf goroutines"
  [serve]="base elf dwarf arch gobin probe proc bpf decode output trace"
  [cli]="base elf dwarf arch gobin probe proc bpf decode output goroutines trace nswatch serve"
)
libbpf_ok=" bpf nswatch trace cli "

status=0
for dir in "$src"/*/; do
  layer=$(basename "$dir")
  if [[ -z ${allowed[$layer]+set} ]]; then
    echo "check_layers: src/$layer is not in the layer table (scripts/check_layers.sh)"
    status=1
    continue
  fi
  while IFS=: read -r file _ line; do
    target=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$line")
    [[ $target == "$layer" ]] && continue
    if [[ " ${allowed[$layer]} " != *" $target "* ]]; then
      echo "check_layers: ${file#"$src"/} includes $target/, above $layer"
      status=1
    fi
  done < <(grep -Hn '^#include "[a-z_]*/' "$dir"*.{h,cc,c} 2>/dev/null || true)
  if [[ $libbpf_ok != *" $layer "* ]] &&
    grep -Hn '^#include <bpf/' "$dir"*.{h,cc} 2>/dev/null; then
    echo "check_layers: src/$layer includes libbpf, but binary analysis runs without it"
    status=1
  fi
done
((status == 0)) && echo "check_layers: $(ls -d "$src"/*/ | wc -l) folders, includes point one way"
exit $status
