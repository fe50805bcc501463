#!/usr/bin/env python3
"""Tables from the JSON lines bench/*.sh wrote (see lib.sh): median and min of every row, the
per-call costs of benchmark 2, the ratios between them and which goals the figures meet.
Usage: report.py RESULTS.jsonl"""
import json
import statistics
import sys

GOALS_FUNCS_MS, GOALS_FUNCS_MIB = 150, 100
GOAL_ATTACH_MS = 1000
GOAL_FULL_VS_EMPTY = 1.15
BPFTRACE = "(b) bpftrace uprobe count()"
COUNT = "(c) gotap entry-only count (library)"
EMPTY = "(e) gotap empty probes, entry+RET (library)"
FULL = ("(d) gotap full trace (library, records read)",
        "(d) gotap trace --json -o FILE (CLI attached)")
LATENCY = "(g) gotap latency (CLI attached, in-kernel histogram)"
GOAL_LATENCY_VS_EMPTY = 1.10


def load(path):
    rows = {}
    notes = []
    for line in open(path):
        r = json.loads(line)
        if r["section"] == "note":
            notes.append(r["name"])
        elif (r["section"], r["name"]) in rows:  # one line per round: pool the samples
            rows[(r["section"], r["name"])]["samples"] += r["samples"]
        else:
            rows[(r["section"], r["name"])] = r
    return rows, notes


def med(r):
    return statistics.median(r["samples"])


def scaled(r, unit_out):
    """Median and min of a row in the unit wanted (ms from s)."""
    k = 1000.0 if (r["unit"], unit_out) == ("s", "ms") else 1.0
    return med(r) * k, min(r["samples"]) * k


def print_section(rows, section, title):
    if not any(sec == section for sec, _ in rows):
        return
    print(f"\n{title}")
    print(f"   {'':<64}{'median':>10}{'min':>10}  unit  n")
    for (sec, name), r in rows.items():
        if sec != section or not r["samples"]:
            continue
        unit = "ms" if r["unit"] == "s" else r["unit"]
        m, lo = scaled(r, unit)
        print(f"   {name:<64}{m:>10.1f}{lo:>10.1f}  {unit:<4}  {len(r['samples'])}")


def per_call(rows, r, stat):
    """ns per call of a row: stat(wall) / calls, or (stat(wall) - stat(minus row)) / calls."""
    base = 0.0
    if "minus" in r:
        base = stat(rows[(r["section"], r["minus"])]["samples"])
    return (stat(r["samples"]) - base) * 1e9 / r["calls"]


def calls_table(rows, sections, title):
    """Per-call costs of the rows in `sections`; returns name -> (median, min) overhead."""
    calls = [r for (s, _), r in rows.items() if s in sections and r.get("calls")]
    if not calls:
        return {}
    print(f"\n{title}")
    print(f"   {'':<52}{'N':>8}{'ns/call med':>13}{'min':>9}{'overhead med':>14}{'min':>9}")
    out = {}
    for r in calls:
        base = rows.get((r["section"], r.get("baseline", "(a) untraced")))
        med_ns, min_ns = per_call(rows, r, statistics.median), per_call(rows, r, min)
        over = (0.0, 0.0)
        if base is not None and base is not r:
            base_med, base_min = per_call(rows, base, statistics.median), per_call(rows, base, min)
            over = (med_ns - base_med, min_ns - base_min)
            out[r["name"]] = over
        print(f"   {r['name']:<52}{r['calls']:>8}{med_ns:>13.0f}{min_ns:>9.0f}"
              f"{over[0]:>14.0f}{over[1]:>9.0f}")
    return out


def ratio_table(over, title):
    bpftrace = over.get(BPFTRACE)
    empty = over.get(EMPTY)
    if not bpftrace or not empty:
        return
    print(f"\n{title}")
    print(f"   {'':<64}{'vs bpftrace':>16}{'vs empty probes':>18}")
    for name, (m, lo) in over.items():
        vb = f"{m / bpftrace[0]:.2f} ({lo / bpftrace[1]:.2f})"
        ve = f"{m / empty[0]:.2f} ({lo / empty[1]:.2f})"
        print(f"   {name:<64}{vb:>16}{ve:>18}")


def bpf_time_table(rows):
    progs = [r for (s, _), r in rows.items() if s == "bpf_ns" and r["samples"]]
    if not progs:
        return
    print("\nTime inside the BPF program (kernel run-time statistics; one extra run each)")
    for r in progs:
        ns = med(r)
        print(f"   {r['name']:<24}{ns:>8.0f} ns per hit x {r['hits_per_call']} hits per call = "
              f"{ns * r['hits_per_call']:>6.0f} ns per call")


def tracer_cpu_table(rows):
    tracers = [r for (s, _), r in rows.items() if s == "tracer_cpu"]
    if not tracers:
        return
    print("\nTracers' own CPU while the target ran (userspace; from /proc/PID/stat, 10 ms ticks)")
    for r in tracers:
        total = sum(r["samples"])
        calls = r["calls"] * len(r["samples"])
        print(f"   {r['name']:<52}{total:>8.2f} s for {calls} calls = "
              f"{total * 1e9 / calls:.0f} ns/call")


def goals(rows, wall, cpu):
    print("\nGoals (per-call overhead, median; by wall time and by the target's CPU time)")

    def line(ok, text):
        print(f"   [{'met' if ok else 'NOT met':^7}] {text}")

    r = rows.get(("funcs", "gotap funcs --json wall"))
    if r:
        m = med(r) * 1000
        line(m < GOALS_FUNCS_MS, f"gotap funcs --json on esbuild under {GOALS_FUNCS_MS} ms: "
             f"median {m:.0f} ms")
    r = rows.get(("funcs", "gotap funcs --json peak RSS"))
    if r:
        line(med(r) < GOALS_FUNCS_MIB, f"gotap funcs --json on esbuild under {GOALS_FUNCS_MIB} MB "
             f"peak RSS: median {med(r):.1f} MiB")

    def compare(what, name, ref, limit):
        for label, over in (("wall", wall), ("CPU", cpu)):
            if name in over and ref in over:
                (a, a_min), (b, b_min) = over[name], over[ref]
                line(a <= limit * b, f"{what} [{label}]: {a:.0f} vs {b:.0f} ns/call "
                     f"= {a / b:.2f}x (by min {a_min / b_min:.2f}x; limit {limit:.2f}x)")

    compare("gotap entry-only count (library; the CLI has no flag) no slower than bpftrace",
            COUNT, BPFTRACE, 1.0)
    for name in FULL:
        compare(f"{name[4:]} within 15% of empty probes at the same sites", name, EMPTY,
                GOAL_FULL_VS_EMPTY)
    compare("gotap latency within 10% of empty probes at the same sites", LATENCY, EMPTY,
            GOAL_LATENCY_VS_EMPTY)
    full_bpf, empty_bpf = rows.get(("bpf_ns", "gotap full")), rows.get(("bpf_ns", "gotap empty"))
    if full_bpf and empty_bpf and EMPTY in cpu:
        extra = (med(full_bpf) - med(empty_bpf)) * full_bpf["hits_per_call"]
        print(f"   [ est.  ] from the time inside BPF: the full trace adds {extra:.0f} ns per call "
              f"to the empty probes' {cpu[EMPTY][0]:.0f} ns/call (CPU) = "
              f"{1 + extra / cpu[EMPTY][0]:.2f}x")
    sites = rows.get(("attach", "probe sites (entry + RETs)"))
    for field in ("attach", "detach"):
        r = rows.get(("attach", f"session {field}"))
        if r and sites:
            line(max(r["samples"]) < GOAL_ATTACH_MS,
                 f"{field} of {sites['samples'][0]:.0f} sites under 1 s: median {med(r):.0f} ms, "
                 f"max {max(r['samples']):.0f} ms")


def sites_table(rows):
    sites = [r for (s, _), r in rows.items() if s == "sites"]
    if sites:
        print("\nProbe sites of main.add (gotap funcs --json): the instruction each probe lands on")
        for r in sites:
            print(f"   {r['name']:<24}{r['addr']:#x}  {r['insn']}")


def scale_ratios(rows):
    """bpftrace / gotap for the attach and detach rows measured with both tools."""
    pairs = []
    for (sec, name), r in rows.items():
        if sec == "scale" and ", bpftrace, " in name:
            peer = rows.get((sec, name.replace(", bpftrace, ", ", gotap, ")))
            if peer and r["samples"] and peer["samples"]:
                pairs.append((name.replace(", bpftrace", ""), med(r) / med(peer)))
    if pairs:
        print("\nAttach/detach, bpftrace time / gotap time (median)")
        for name, ratio in pairs:
            print(f"   {name:<64}{ratio:>8.1f}x")


def main():
    rows, notes = load(sys.argv[1])
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
    wall = calls_table(rows, ("calls", "e2e"),
                       "Per call by wall time: ns/call = wall / N, for whole commands (wall(N) - "
                       "wall(0)) / N;\n   overhead = ns/call - ns/call of the untraced baseline")
    cpu = calls_table(rows, ("calls_cpu",),
                      "Per call by the target's CPU time: ns/call = CPU / N (start-up included); "
                      "overhead as above")
    bpf_time_table(rows)
    tracer_cpu_table(rows)
    ratio_table(wall, "Ratios of the per-call overhead by wall time (median; min in brackets)")
    ratio_table(cpu, "Ratios of the per-call overhead by CPU time (median; min in brackets)")
    goals(rows, wall, cpu)
    if notes:
        print("\nNotes")
        for n in notes:
            print(f"   - {n}")


if __name__ == "__main__":
    main()
