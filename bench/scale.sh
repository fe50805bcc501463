# shellcheck shell=bash disable=SC2154
# Benchmarks 4-6: attach/detach by number of functions (gotap and bpftrace), the highest
# sustained call rate traced with no event lost, and the time from `gotap trace -- CMD` to the
# first event. Sourced by bench/run.sh (uses lib.sh).

now_ns() { date +%s%N; }

# attach_detach NAME READY_PATTERN COMMAND... — starts COMMAND (a tracer), times its start to
# READY_PATTERN in its output (attach) and SIGINT to exit (detach), BENCH_SCALE_RUNS times; records
# two rows "NAME attach" and "NAME detach" (ms), with what the tracer said it attached (its
# "Attaching N probes" or "gotap: tracing N functions (S probe sites, MODE)" line) and the
# $scale_group / $scale_tool fields that report.py pairs tools by. A tracer that exits or is not
# ready within BENCH_SCALE_TIMEOUT seconds is noted. Both output streams go to one file: bpftrace
# 0.17 prints its marker on stderr, 0.27 on stdout.
scale_group="" scale_tool=""
attach_detach() {
  local name=$1 ready=$2 run log pid t0 t1 t2 attach=() detach=() said="" deadline
  shift 2
  for ((run = 0; run < BENCH_SCALE_RUNS; run++)); do
    log=$(mktemp)
    t0=$(now_ns)
    __BPFTRACE_NOTIFY_PROBES_ATTACHED=1 "$@" >"$log" 2>&1 &
    pid=$!
    deadline=$((SECONDS + BENCH_SCALE_TIMEOUT))
    until grep -q -- "$ready" "$log"; do
      if ! kill -0 "$pid" 2>/dev/null || ((SECONDS > deadline)); then
        local why="exited"
        if kill -0 "$pid" 2>/dev/null; then
          why="not ready in $BENCH_SCALE_TIMEOUT s"
          stop_pid "$pid"
        fi
        note "$name: did not attach ($why):" \
          "$(grep -v -e RLIMIT -e '^$' "$log" | head -2 | tr '\n' ' ' | cut -c1-300)"
        wait "$pid" 2>/dev/null || true
        rm -f "$log"
        return 0
      fi
      sleep 0.005
    done
    t1=$(now_ns)
    kill -INT "$pid"
    wait "$pid" 2>/dev/null || true
    t2=$(now_ns)
    said=$(grep -m1 -oE 'Attach(ing|ed) [0-9]+ probes?|gotap: tracing [0-9]+ functions? \([^)]*\)' \
      "$log" || true)
    rm -f "$log"
    attach+=("$(((t1 - t0) / 1000))")
    detach+=("$(((t2 - t1) / 1000))")
  done
  local extra
  extra=$(jq -cn --arg s "$said" --arg g "$scale_group" --arg t "$scale_tool" \
    '{said:$s, group:$g, tool:$t}' | sed 's/^{/,/; s/}$//')
  result scale "$name attach" ms "$extra" \
    "$(printf '%s\n' "${attach[@]}" | awk '{print $1 / 1000}')"
  result scale "$name detach" ms "$extra" \
    "$(printf '%s\n' "${detach[@]}" | awk '{print $1 / 1000}')"
  echo "   $name: attach $(median_ms "${attach[@]}") ms, detach $(median_ms "${detach[@]}") ms" \
    "(median; $said)"
}

# median_ms MICROSECONDS... — their median, in ms.
median_ms() {
  printf '%s\n' "$@" | sort -n |
    awk '{a[NR] = $1}
      END {printf "%.0f", (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) / 1000}'
}

# Plain Go names (no generics, closures' brackets or receivers) that both tools accept as is.
plain_names() { "$gotap" funcs --json "$1" "$2" | jq -r .name | grep -E '^[A-Za-z0-9_./]+$'; }

# bpftrace_probes BIN NAME... — one uprobe per name, comma-separated, for a bpftrace program.
bpftrace_probes() {
  local bin=$1 out="" n
  shift
  for n in "$@"; do out+="uprobe:$bin:\"$n\","; done
  echo "${out%,}"
}

bench_scale() {
  echo "== 4. attach/detach by number of functions (every process of the file;" \
    "$BENCH_SCALE_RUNS runs)"
  # esbuild is stripped: gotap only. bpftrace is tried with the issue's wildcard.
  local es_names
  mapfile -t es_names < <("$gotap" funcs --json "$esbuild" "github.com/evanw/esbuild/internal/*" |
    jq -r .name | grep -v "\[")
  local link=/tmp/gotap-bench-esbuild  # bpftrace's parser rejects the '@' and '+' of the npm path
  ln -sf "$esbuild" "$link"
  local n
  for n in 10 1000; do
    attach_detach "esbuild, gotap, $n functions" "gotap: tracing" \
      "$gotap" trace "$esbuild" "${es_names[@]:0:n}"
  done
  local all
  all=$("$gotap" funcs --json "$esbuild" 'github.com/evanw/esbuild/internal/*' | wc -l)
  attach_detach "esbuild, gotap, all $all of internal/*" "gotap: tracing" \
    "$gotap" trace "$esbuild" 'github.com/evanw/esbuild/internal/*'
  if bpftrace -l "uprobe:$link:*" 2>/dev/null | grep -q .; then
    attach_detach "esbuild, bpftrace, internal/*" __BPFTRACE_NOTIFY_PROBES_ATTACHED \
      bpftrace -e "uprobe:$link:\"github.com/evanw/esbuild/internal/*\" { @c = count(); }"
  else
    note "bpftrace cannot attach to esbuild 0.24.2: it lists 0 uprobes (stripped: no .symtab)," \
      "so 'uprobe:ESBUILD:\"github.com/evanw/esbuild/internal/*\"' matches nothing"
  fi
  rm -f "$link"

  # Side by side on a binary with symbols: the soak fixture (net/http and the runtime).
  local soak=$build/fixtures/soak.default names
  # Not the runtime's own functions: some hold an instruction the kernel refuses to probe, and
  # one refused site fails bpftrace's attach.
  mapfile -t names < <(plain_names "$soak" '*' |
    grep -vE '^(runtime|internal/|sync/atomic|syscall|reflect|math)')
  for n in 10 100 1000; do
    scale_group="soak go1.19, $n functions (a list)" scale_tool=gotap
    attach_detach "soak fixture, gotap, $n functions" "gotap: tracing" \
      "$gotap" trace "$soak" "${names[@]:0:n}"
  done
  local version bt counts
  for version in $(bpftrace_versions); do
    bpftrace_cmd "$version"
    counts=$BENCH_SCALE_BPFTRACE
    [[ $version == 0.27 ]] && counts=$BENCH_SCALE_BPFTRACE27
    for n in $counts; do
      scale_group="soak go1.19, $n functions (a list)" scale_tool="bpftrace $version"
      attach_detach "soak fixture, bpftrace $version, $n functions" \
        __BPFTRACE_NOTIFY_PROBES_ATTACHED \
        "${bt[@]}" -e "$(bpftrace_probes "$soak" "${names[@]:0:n}") { @c = count(); }"
    done
  done
  bench_globs
}

# Attach/detach of one glob, ~1,000 functions ('net/http*') and ~5,000 ('*': every function),
# on the soak fixture built by Go 1.19 and by Go 1.27: gotap (one uprobe_multi link) against
# bpftrace 0.27's wildcard uprobe (which the kernel's uprobe_multi link can also serve). bpftrace
# 0.17 is not run here: it opens one perf-event uprobe per function, and at ~0.1 s to detach each
# (the list rows above) 1,000 of them would take minutes per run.
bench_globs() {
  local label soak glob globs=() listed bpftrace_listed
  read -ra globs <<<"$BENCH_GLOBS"
  for label in go1.19 go1.27; do
    soak=$build/fixtures/soak-$label.default
    [[ $label == go1.19 ]] && soak=$build/fixtures/soak.default
    [[ -x $soak ]] || { note "soak fixture $soak not built"; continue; }
    for glob in "${globs[@]}"; do
      # What each tool can match: functions with code of their own (gotap funcs also lists
      # functions that exist only inlined), of which the compiler's wrappers (gotap's globs leave
      # them out), and what bpftrace lists from the symbol table.
      listed=$("$gotap" funcs --json "$soak" "$glob" |
        jq -rs 'map(select(.entry != null)) | "\(length) with code (\(map(select(.wrapper)) |
          length) wrappers)"')
      bpftrace_listed=$(bpftrace -l "uprobe:$soak:$glob" 2>/dev/null | wc -l)
      scale_group="soak $label '$glob': gotap funcs $listed, bpftrace -l $bpftrace_listed"
      scale_tool=gotap
      attach_detach "soak $label '$glob', gotap" "gotap: tracing" "$gotap" trace "$soak" "$glob"
      if ((${#bpftrace27[@]})); then
        scale_tool="bpftrace 0.27"
        attach_detach "soak $label '$glob', bpftrace 0.27" __BPFTRACE_NOTIFY_PROBES_ATTACHED \
          env BPFTRACE_MAX_PROBES=100000 "${bpftrace27[@]}" \
          -e "uprobe:$soak:\"$glob\" { @c = count(); }"
      fi
    done
  done
  scale_group="" scale_tool=""
}

# The highest call rate of pacer (2 goroutines, both cores) that `gotap trace --json -o FILE`
# records with no event lost: rates double until a loss, or until the target cannot reach the
# rate asked (the probes' own cost caps it).
bench_rate() {
  echo "== 5. sustained rate with 0 lost: pacer -goroutines 2, gotap trace --json -o FILE"
  local pacer=$build/fixtures/pacer.default rate out err lost reached best_reached=0
  out=$(mktemp) err=$(mktemp)
  for rate in $BENCH_RATES; do
    "$gotap" trace --json -o "$out.events" main.add -- "$pacer" -goroutines 2 -rate "$rate" \
      -seconds "$BENCH_RATE_SECONDS" >"$out" 2>"$err" || { note "rate $rate: gotap failed"; break; }
    lost=$(grep -o 'events lost [0-9]*' "$err" | awk '{print $3}')
    reached=$(grep -o '([0-9]* calls/s)' "$out" | tr -dc 0-9)
    echo "   asked $rate calls/s: reached $reached, lost $lost, $(wc -l <"$out.events") events"
    result rate "asked $rate calls/s: reached" count ",\"lost\":$lost" "$reached"
    ((lost == 0)) || break
    ((reached > best_reached)) && best_reached=$reached
    # The target no longer keeps up: asking more measures the probes, not gotap.
    ((reached * 10 >= rate * 9)) || break
  done
  result rate "highest rate reached with 0 lost (calls/s)" count "" "$best_reached"
  rm -f "$out" "$out.events" "$err"
}

# Time from starting `gotap trace --json -o FILE main.add -- adder -n 1` to the first call's
# entry (its ts_ns, wall clock): open, plan, load, attach, resume the command, its start-up.
bench_first_event() {
  echo "== 6. time to first event: gotap trace --json -o FILE main.add -- adder -n 1"
  local run t0 first samples=() file
  file=$(mktemp)
  for ((run = 0; run < BENCH_SCALE_RUNS; run++)); do
    t0=$(now_ns)
    "$gotap" trace --json -o "$file" main.add -- "$adder" -n 1 >/dev/null 2>&1
    first=$(head -1 "$file" | jq .ts_ns)
    [[ $first =~ ^[0-9]+$ ]] || { note "first event: no event"; return 0; }
    samples+=("$(((first - t0) / 1000))")
  done
  rm -f "$file"
  result first "gotap trace -- adder: start to first event" ms "" \
    "$(printf '%s\n' "${samples[@]}" | awk '{print $1 / 1000}')"
}
