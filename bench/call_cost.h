// Per-call cost of probing one Go function: runs `BINARY -wait -n CALLS` (the adder fixture's
// flags) a number of times and times each run from release to exit, with gotap's BPF program
// attached in one of several modes (or none, to time the target alone or under another tracer).
#pragma once

#include <cstdint>
#include <string>

#include "bpf/session.h"

namespace gotap::bench {

enum class ProbeMode {
  kNone,   // no probes from this program
  kCount,  // PlanOptions::count_only: one COUNT site at the entry probe, no records
  kEmpty,  // the full trace's sites (entry + every RET), each turned into a COUNT site
  kFull,   // the full trace: arguments, results, goid, latency; records counted, not decoded
};

struct CallCostOptions {
  std::string binary;
  std::string function;  // a gotap selector, e.g. "main.add"
  ProbeMode mode = ProbeMode::kNone;
  uint64_t calls = 100000;
  int runs = 5;
  // Turns on the kernel's BPF run-time statistics (for every program, while this runs) and
  // reports the mean time inside gotap's program per hit. They add two clock reads per hit, so
  // timed runs leave them off.
  bool run_stats = false;
  // bpf::SessionOptions::goroutine_slots (0: every shadow stack in the LRU map).
  uint32_t goroutine_slots = bpf::SessionOptions{}.goroutine_slots;
};

// Prints one JSON line per run: {"bench":"calls","mode":..,"seconds":..,"cpu_seconds":..,
// "records":..,"hits":..} (and "bpf_runs", "bpf_ns_per_run" with run_stats).
// Exits non-zero when a run's counts do not match the calls made (the figure would be wrong).
void RunCallCost(const CallCostOptions& options);

}  // namespace gotap::bench
