#!/usr/bin/env python3
"""Tables from the JSON lines bench/*.sh wrote (see lib.sh): median and min of every row, the
per-call costs of benchmark 2 on each target (Go 1.19 and Go 1.27 builds of adder), the ratios
between them (gotap against bpftrace 0.17 and 0.27, the full trace against empty probes), side by
side, and which goals the figures meet. Nothing is asserted: the exit status is always 0.
Usage: report.py RESULTS.jsonl"""
import json
import statistics
import sys

GOALS_FUNCS_MS, GOALS_FUNCS_MIB = 150, 100
GOAL_ATTACH_MS = 1000
GOAL_FULL_VS_EMPTY = 1.05
GOAL_BPF_NS_PER_HIT = 250  # full trace of main.check(key, value string) error
BPFTRACE17 = "(b) bpftrace 0.17 uprobe count()"
BPFTRACE27 = "(b) bpftrace 0.27 uprobe count()"
BPFTRACES = ((BPFTRACE17, "bpftrace 0.17"), (BPFTRACE27, "bpftrace 0.27"))
COUNT_CLI = "(c) gotap trace --count (CLI attached)"
COUNT = "(c) gotap entry-only count (library)"
EMPTY = "(e) gotap empty probes, entry+RET (library)"
FULL = ("(d) gotap full trace (library, records read)",
        "(d) gotap trace --json -o FILE (CLI attached)")
LATENCY = "(g) gotap latency (CLI attached, in-kernel histogram)"
GOAL_LATENCY_VS_EMPTY = 1.10


def load(path):
    """Rows keyed by (section, name, target); one line per round of a row pools its samples."""
    rows = {}
    notes = []
    for line in open(path):
        r = json.loads(line)
        r.setdefault("target", "")
        if r["section"] == "note":
            notes.append(r["name"])
            continue
        key = (r["section"], r["name"], r["target"])
        if key in rows:
            rows[key]["samples"] += r["samples"]
        else:
            rows[key] = r
    return rows, notes


def targets_of(rows, sections):
    out = []
    for (sec, _, target) in rows:
        if sec in sections and target not in out:
            out.append(target)
    return out


def med(r):
    return statistics.median(r["samples"])


def scaled(r, unit_out):
    """Median and min of a row in the unit wanted (ms from s)."""
    k = 1000.0 if (r["unit"], unit_out) == ("s", "ms") else 1.0
    return med(r) * k, min(r["samples"]) * k


def print_section(rows, section, title):
    if not any(key[0] == section for key in rows):
        return
    print(f"\n{title}")
    print(f"   {'':<72}{'median':>10}{'min':>10}  unit  n")
    for (sec, name, target), r in rows.items():
        if sec != section or not r["samples"]:
            continue
        unit = "ms" if r["unit"] == "s" else r["unit"]
        m, lo = scaled(r, unit)
        label = f"{name} [{target}]" if target else name
        print(f"   {label:<72}{m:>10.1f}{lo:>10.1f}  {unit:<4}  {len(r['samples'])}")


def per_call(rows, r, stat):
    """ns per call of a row: stat(wall) / calls, or (stat(wall) - stat(minus row)) / calls."""
    base = 0.0
    if "minus" in r:
        base = stat(rows[(r["section"], r["minus"], r["target"])]["samples"])
    return (stat(r["samples"]) - base) * 1e9 / r["calls"]


def calls_table(rows, sections, target, title):
    """Per-call costs of the rows in `sections` on `target`; returns name -> (median, min)
    overhead over the untraced baseline (or the row's own baseline)."""
    calls = [r for (s, _, t), r in rows.items() if s in sections and t == target and r.get("calls")]
    if not calls:
        return {}
    print(f"\n{title}")
    print(f"   {'':<56}{'N':>8}{'ns/call med':>13}{'min':>9}{'overhead med':>14}{'min':>9}")
    out = {}
    for r in calls:
        base = rows.get((r["section"], r.get("baseline", "(a) untraced"), target))
        med_ns, min_ns = per_call(rows, r, statistics.median), per_call(rows, r, min)
        over = (0.0, 0.0)
        if base is not None and base is not r:
            base_med, base_min = per_call(rows, base, statistics.median), per_call(rows, base, min)
            over = (med_ns - base_med, min_ns - base_min)
            out[r["name"]] = over
        print(f"   {r['name']:<56}{r['calls']:>8}{med_ns:>13.0f}{min_ns:>9.0f}"
              f"{over[0]:>14.0f}{over[1]:>9.0f}")
    return out


def ratio(over, a, b):
    """'median (min)' of over[a] / over[b], or '-' when either is missing."""
    if a not in over or b not in over or not over[b][0] or not over[b][1]:
        return "-"
    return f"{over[a][0] / over[b][0]:.2f} ({over[a][1] / over[b][1]:.2f})"


def ratio_table(over, title):
    refs = [(name, f"vs {label}") for name, label in BPFTRACES if name in over]
    if EMPTY in over:
        refs.append((EMPTY, "vs empty probes"))
    if not refs or not over:
        return
    print(f"\n{title}")
    print(f"   {'':<56}" + "".join(f"{head:>18}" for _, head in refs))
    for name in over:
        print(f"   {name:<56}" + "".join(f"{ratio(over, name, ref):>18}" for ref, _ in refs))


def side_by_side(rows, wall, cpu, targets):
    """The comparison the benchmark is for, every target in one table: per-call overhead of each
    tracer and the ratios between them, by wall time and by the target's CPU time."""
    if not targets:
        return
    width = 22
    print("\nSide by side: per-call overhead over the untraced run, ns/call, median (min)")
    print(f"   {'':<56}" + "".join(f"{t + ' wall':>{width}}{t + ' CPU':>{width}}" for t in targets))

    def cell(over, name):
        if name not in over:
            return "-"
        return f"{over[name][0]:.0f} ({over[name][1]:.0f})"

    names = [BPFTRACE17, BPFTRACE27, COUNT_CLI, COUNT, EMPTY, *FULL, LATENCY]
    for name in names:
        if not any(name in wall.get(t, {}) for t in targets):
            continue
        cells = [(cell(wall[t], name), cell(cpu[t], name)) for t in targets]
        print(f"   {name:<56}" + "".join(f"{w:>{width}}{c:>{width}}" for w, c in cells))
    print("\n   Ratios of those overheads, median (min); < 1 means the first is cheaper")
    pairs = [
        (COUNT_CLI, BPFTRACE17, "gotap trace --count / bpftrace 0.17 count()"),
        (COUNT_CLI, BPFTRACE27, "gotap trace --count / bpftrace 0.27 count()"),
        (COUNT, BPFTRACE17, "gotap count (library) / bpftrace 0.17"),
        (COUNT, BPFTRACE27, "gotap count (library) / bpftrace 0.27"),
        (BPFTRACE27, BPFTRACE17, "bpftrace 0.27 / bpftrace 0.17"),
        (FULL[0], EMPTY, "full trace (library) / empty probes"),
        (FULL[1], EMPTY, "gotap trace --json (CLI) / empty probes"),
        (LATENCY, EMPTY, "gotap latency / empty probes"),
        (EMPTY, COUNT, "empty probes entry+RET / entry only"),
    ]
    for a, b, label in pairs:
        cells = [(ratio(wall.get(t, {}), a, b), ratio(cpu.get(t, {}), a, b)) for t in targets]
        if all(c == ("-", "-") for c in cells):
            continue
        print(f"   {label:<56}" + "".join(f"{w:>{width}}{c:>{width}}" for w, c in cells))

    def per_target(section, title, cell_of):
        """One row per name of `section`, one cell per target: cell_of(row) or "-"."""
        names = []
        for (sec, name, _), r in rows.items():
            if sec == section and r["samples"] and name not in names:
                names.append(name)
        if not names:
            return
        print(f"\n   {title}")
        print(f"   {'':<56}" + "".join(f"{t:>{width}}" for t in targets))
        for name in names:
            cells = []
            for t in targets:
                r = rows.get((section, name, t))
                cells.append(cell_of(r) if r and r["samples"] else "-")
            print(f"   {name:<56}" + "".join(f"{c:>{width}}" for c in cells))

    per_target("bpf_ns", "Time inside the BPF program per hit, ns (kernel run-time statistics, one run)",
               lambda r: f"{med(r):.0f} x {r['hits_per_call']}")

    def counted_cell(r):
        got, want = int(sum(r["samples"])), r["expected"] * len(r["samples"])
        return f"{got}/{want}" + (" exact" if got == want else " OFF")

    per_target("counted", "Calls counted over the timed runs / calls made (exact when equal)",
               counted_cell)


def bpf_time_table(rows, target):
    progs = [r for (s, _, t), r in rows.items() if s == "bpf_ns" and t == target and r["samples"]]
    if not progs:
        return
    print(f"\nTime inside the BPF program [{target}] (kernel run-time statistics; one extra run "
          "each)")
    for r in progs:
        ns = med(r)
        print(f"   {r['name']:<24}{ns:>8.0f} ns per hit x {r['hits_per_call']} hits per call = "
              f"{ns * r['hits_per_call']:>6.0f} ns per call")


def tracer_cpu_table(rows, target):
    tracers = [r for (s, _, t), r in rows.items() if s == "tracer_cpu" and t == target]
    if not tracers:
        return
    print(f"\nTracers' own CPU while the target ran [{target}] (userspace; from /proc/PID/stat, "
          "10 ms ticks)")
    for r in tracers:
        total = sum(r["samples"])
        calls = r["calls"] * len(r["samples"])
        print(f"   {r['name']:<52}{total:>8.2f} s for {calls} calls = "
              f"{total * 1e9 / calls:.0f} ns/call")


def goals(rows, wall, cpu):
    print("\nGoals (per-call overhead, median; by wall time and by the target's CPU time)")

    def line(ok, text):
        print(f"   [{'met' if ok else 'NOT met':^7}] {text}")

    r = rows.get(("funcs", "gotap funcs --json wall", ""))
    if r:
        m = med(r) * 1000
        line(m < GOALS_FUNCS_MS, f"gotap funcs --json on esbuild under {GOALS_FUNCS_MS} ms: "
             f"median {m:.0f} ms")
    r = rows.get(("funcs", "gotap funcs --json peak RSS", ""))
    if r:
        line(med(r) < GOALS_FUNCS_MIB, f"gotap funcs --json on esbuild under {GOALS_FUNCS_MIB} MB "
             f"peak RSS: median {med(r):.1f} MiB")

    def compare(what, name, ref, limit):
        for target in wall:
            for label, over in (("wall", wall[target]), ("CPU", cpu.get(target, {}))):
                if name in over and ref in over:
                    (a, a_min), (b, b_min) = over[name], over[ref]
                    line(a <= limit * b, f"{what} [{target} {label}]: {a:.0f} vs {b:.0f} ns/call "
                         f"= {a / b:.2f}x (by min {a_min / b_min:.2f}x; limit {limit:.2f}x)")

    for ref, label in BPFTRACES:
        compare(f"gotap trace --count no slower than {label}", COUNT_CLI, ref, 1.0)
    # The goal: on a non-leaf function (main.step, targets "... step"), where gotap counts
    # at an emulated site and bpftrace's entry probe is single-stepped, 10x cheaper per call.
    for target in wall:
        if not target.endswith(" step"):
            continue
        for ref, label in BPFTRACES:
            for kind, over in (("wall", wall[target]), ("CPU", cpu.get(target, {}))):
                if COUNT_CLI in over and ref in over:
                    (a, _), (b, _) = over[COUNT_CLI], over[ref]
                    line(a > 0 and b >= 10 * a,
                         f"gotap trace --count >= 10x cheaper than {label} on a non-leaf function "
                         f"[{target} {kind}]: {a:.0f} vs {b:.0f} ns/call = {b / a if a > 0 else 0:.1f}x")
    for name in FULL:
        compare(f"{name[4:]} within 5% of empty probes at the same sites", name, EMPTY,
                GOAL_FULL_VS_EMPTY)
    compare("gotap latency within 10% of empty probes at the same sites", LATENCY, EMPTY,
            GOAL_LATENCY_VS_EMPTY)
    for target in wall:
        full_bpf = rows.get(("bpf_ns", "gotap full", target))
        empty_bpf = rows.get(("bpf_ns", "gotap empty", target))
        if full_bpf and empty_bpf and EMPTY in cpu.get(target, {}):
            extra = (med(full_bpf) - med(empty_bpf)) * full_bpf["hits_per_call"]
            base = cpu[target][EMPTY][0]
            print(f"   [ est.  ] [{target}] from the time inside BPF: the full trace adds "
                  f"{extra:.0f} ns per call to the empty probes' {base:.0f} ns/call (CPU) = "
                  f"{1 + extra / base:.2f}x")
        for func in ("", " main.check"):
            slots = rows.get(("bpf_ns", f"gotap full{func}", target))
            in_map = rows.get(("bpf_ns", f"gotap full-map{func}", target))
            if slots and in_map:
                print(f"   [ info  ] [{target}] full trace{func or ' main.add'} inside the kernel: "
                      f"{med(slots):.0f} ns per hit with goroutine slots, {med(in_map):.0f} with "
                      f"every stack in the LRU map = {med(in_map) / med(slots):.2f}x lighter")
        r = rows.get(("bpf_ns", "gotap full main.check", target))
        if r:
            line(med(r) <= GOAL_BPF_NS_PER_HIT,
                 f"full trace in the kernel <= {GOAL_BPF_NS_PER_HIT} ns per hit on main.check(key, "
                 f"value string) error [{target}]: {med(r):.0f} ns (empty probes: "
                 f"{med(rows[('bpf_ns', 'gotap empty main.check', target)]):.0f} ns)")
    sites = rows.get(("attach", "probe sites (entry + RETs)", ""))
    for field in ("attach", "detach"):
        r = rows.get(("attach", f"session {field}", ""))
        if r and sites:
            line(max(r["samples"]) < GOAL_ATTACH_MS,
                 f"{field} of {sites['samples'][0]:.0f} sites under 1 s: median {med(r):.0f} ms, "
                 f"max {max(r['samples']):.0f} ms")


def sites_table(rows):
    sites = [r for (s, _, _), r in rows.items() if s == "sites"]
    if sites:
        print("\nProbe sites of main.add (gotap funcs --json): the instruction each probe lands on")
        for r in sites:
            label = f"{r['name']} [{r['target']}]" if r["target"] else r["name"]
            print(f"   {label:<32}{r['addr']:#x}  {r['insn']}")


def scale_ratios(rows):
    """Attach and detach of the same functions by each tool, side by side, and each tool's time
    over gotap's (median)."""
    groups = {}
    for (sec, name, _), r in rows.items():
        if sec == "scale" and r.get("group") and r["samples"]:
            phase = name.rsplit(" ", 1)[1]
            groups.setdefault(r["group"], {}).setdefault(r["tool"], {})[phase] = r
    if not groups:
        return
    print("\nAttach (start to ready) and detach (SIGINT to exit), median ms, and time / gotap's")
    print(f"   {'':<70}{'attach':>9}{'x gotap':>9}{'detach':>9}{'x gotap':>9}  what it said")
    for group, tools in groups.items():
        print(f"   {group}")
        gotap = tools.get("gotap", {})
        for tool, phases in tools.items():
            cells = ""
            for phase in ("attach", "detach"):
                r = phases.get(phase)
                g = gotap.get(phase)
                cells += f"{med(r):>9.0f}" if r else f"{'-':>9}"
                cells += f"{med(r) / med(g):>8.1f}x" if r and g and tool != "gotap" else f"{'':>9}"
            said = next(iter(phases.values())).get("said", "")
            print(f"      {tool:<67}{cells}  {said}")


def load_table(rows):
    loads = [r for (s, _, _), r in rows.items() if s == "load"]
    for r in loads:
        if r["unit"] == "s":
            print(f"   {r['name']}: {r['samples'][0]:.0f} s")
        else:
            print(f"   {r['name']}: {' '.join(f'{x:.2f}' for x in r['samples'])}")


def main():
    rows, notes = load(sys.argv[1])
    print("\nMachine load")
    load_table(rows)
    print_section(rows, "funcs", "Benchmark 1: gotap funcs on esbuild 0.24.2")
    print_section(rows, "calls", "Benchmark 2: adder runs, wall time from release to exit")
    print_section(rows, "calls_cpu", "Benchmark 2: adder runs, the target's CPU time (user+sys)")
    print_section(rows, "e2e", "Benchmark 2: whole commands (hyperfine)")
    print_section(rows, "attach", "Benchmark 3: attach and detach")
    print_section(rows, "scale", "Benchmark 4: attach (start to ready) and detach (SIGINT to exit) "
                  "by number of functions")
    scale_ratios(rows)
    print_section(rows, "rate", "Benchmark 5: pacer call rate traced to a file (2 goroutines)")
    print_section(rows, "first", "Benchmark 6: time to the first event")
    sites_table(rows)
    wall, cpu = {}, {}
    for target in targets_of(rows, ("calls", "calls_cpu", "e2e")):
        wall[target] = calls_table(
            rows, ("calls", "e2e"), target,
            f"Per call by wall time [{target}]: ns/call = wall / N, for whole commands (wall(N) - "
            "wall(0)) / N;\n   overhead = ns/call - ns/call of the untraced baseline")
        cpu[target] = calls_table(
            rows, ("calls_cpu",), target,
            f"Per call by the target's CPU time [{target}]: ns/call = CPU / N (start-up included);"
            " overhead as above")
        bpf_time_table(rows, target)
        tracer_cpu_table(rows, target)
        ratio_table(wall[target], f"Ratios of the per-call overhead by wall time [{target}] "
                    "(median; min in brackets)")
        ratio_table(cpu[target], f"Ratios of the per-call overhead by CPU time [{target}] "
                    "(median; min in brackets)")
    side_by_side(rows, wall, cpu, [t for t in wall if wall[t]])
    goals(rows, wall, cpu)
    if notes:
        print("\nNotes")
        for n in notes:
            print(f"   - {n}")


if __name__ == "__main__":
    main()
