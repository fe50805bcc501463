#!/usr/bin/env bash
# Checks that includes between src/ folders point one way (README "Layout"): each folder may
# include only the folders listed for it below, and only the bpf, nswatch, trace and cli folders
# may include libbpf's headers (<bpf/...>): binary analysis runs unprivileged without libbpf.
# The build enforces the same table: a layer's sources see only the headers of the gotap_*
# libraries it links, directly or through them (gotap_layer in CMakeLists.txt). So each row
# below must equal what the folder's library links, closed over the links of those libraries,
# as written in src/CMakeLists.txt and src/*/CMakeLists.txt; this script checks that too.
# Usage: scripts/check_layers.sh [SRC_DIR]. Prints every violation; exits 1 if there is one.
set -euo pipefail
src=${1:-$(dirname "$0")/../src}

declare -A allowed=(
  [base]=""
  [elf]="base"
  [dwarf]="base elf"
  [arch]="base"
  [gobin]="base elf dwarf arch"
  [probe]="base elf dwarf arch gobin"
  [proc]="base"
  # bpf's run loop stops on /proc conditions (proc/stop_conditions.h).
  [bpf]="base proc"
  # decode reads records laid out by bpf/gotap_intf.h (plain C, no libbpf): it links
  # gotap_bpf_intf, which shows it bpf/*_intf.h and nothing else of bpf/.
  [decode]="base elf dwarf arch gobin probe bpf"
  # decode's headers include dwarf/type.h and bpf/gotap_intf.h, so output sees what decode links.
  [output]="base elf dwarf arch gobin probe bpf decode"
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
# The links: every `gotap_layer(NAME DEPS...)` and `target_link_libraries(gotap_NAME ...)` line of
# the CMakeLists.txt files under src/ (one call per line). gotap_bpf_intf (bpf's *_intf.h, which
# links nothing) counts as bpf.
declare -A links=()
while read -r name deps; do
  links[$name]+=" $deps"
done < <(cat "$src"/CMakeLists.txt "$src"/*/CMakeLists.txt |
  sed -nE 's/^\s*gotap_layer\(([a-z_]+)(.*)\).*/\1 \2/p;
            s/^\s*target_link_libraries\(gotap_([a-z_]+)(.*)\).*/\1 \2/p' |
  awk '{ printf "%s", $1; for (i = 2; i <= NF; i++) if ($i ~ /^gotap_/) printf " %s", substr($i, 7); print "" }')

closure() { # prints the layers $1 links, directly or through the layers it links, sorted
  local -A seen=()
  local todo=(${links[$1]:-}) next
  while ((${#todo[@]})); do
    next=${todo[0]}
    todo=("${todo[@]:1}")
    [[ -n ${seen[$next]+set} || $next == "$1" ]] && continue
    seen[$next]=1
    todo+=(${links[$next]:-})
  done
  printf '%s\n' "${!seen[@]}" | sed -E '/^$/d; s/^bpf_intf$/bpf/' | sort -u | xargs
}

for layer in "${!allowed[@]}"; do
  [[ -d $src/$layer ]] || continue
  want=$(printf '%s\n' ${allowed[$layer]} | sed '/^$/d' | sort | xargs)
  have=$(closure "$layer")
  if [[ $want != "$have" ]]; then
    echo "check_layers: gotap_$layer links [$have] but the table allows [$want]"
    status=1
  fi
done

((status == 0)) && echo "check_layers: $(ls -d "$src"/*/ | wc -l) folders, includes point one way, links match"
exit $status
