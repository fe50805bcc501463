// Running a trace: attach a plan's sites to a target, turn ring-buffer records into CallEvents,
// and stop cleanly (detach first) on a signal, a time or event limit, or the target's exit.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bpf/gotap_ns.h"
#include "bpf/run_loop.h"
#include "bpf/session.h"
#include "output/call_sink.h"
#include "trace/plan.h"

namespace gotap::trace {

// duration_seconds and stop_flag (bpf::LoopLimits): a run's own stop flag, null for
// bpf::g_stop_requested; several runs at once (gotap serve's attachments) each need their own.
struct RunLimits : bpf::LoopLimits {
  std::optional<uint64_t> max_events;
  // Bytes of the ring buffer (a power of two, at least a page); 0: bpf::SessionOptions' default.
  // A full ring drops records (counted as lost), it never blocks the target.
  uint32_t ring_bytes = 0;
  // In-kernel filters (see trace/filter.h) and the grouping of latency histograms.
  std::vector<gotap_filter_cond> filters;
  uint32_t hist_by = GOTAP_BY_NONE;
  // `--ns`: the namespaces (enum gotap_ns_type) each event shows, of the thread that ended the
  // call; empty: none are read.
  std::vector<int> ns_kinds;
  // Called with one line (no "gotap:" prefix, no newline) per function left untraced at attach
  // time because the kernel refused one of its sites; unset: the line goes to stderr.
  std::function<void(const std::string&)> on_warning;
  // Called once every site is attached (and before a spawned target resumes).
  std::function<void(const bpf::Session&)> on_attached;
  // Called after every poll of the ring buffer (about every 100 ms), and once after tracing
  // stopped and the ring was drained, while the session (and its maps) still exist.
  std::function<void(bpf::Session&)> on_poll;
  std::function<void(bpf::Session&)> on_finish;
  // Whether the output still takes what is written to it: checked after every flush of the sink
  // and after on_poll and on_finish. An error (kIo "cannot write FILE: reason") ends the run; the
  // calls given to the sink since the last good check, and all that follow, count as unwritten.
  // Unset: never checked.
  std::function<Status()> check_output;
};

struct TraceSummary {
  std::map<std::string, uint64_t> calls_per_function;
  uint64_t calls = 0, unwound = 0, entry_only = 0, running_at_exit = 0;
  uint64_t abandoned = 0;     // unwound on a system stack: the scheduler reset it
  bool spawned = false;       // the target was started by gotap (nothing ran before attach)
  uint64_t lost_records = 0;  // ring buffer full
  // Calls that never reached the output because a write failed (write_error says why); they
  // count as lost too.
  uint64_t unwritten = 0;
  std::string write_error;
  bpf::Counters counters;
  double seconds = 0;
  std::optional<int> child_exit_status;  // spawned command's wait status, when it ended
  std::string stop_reason;               // "interrupted", "duration", "max events", ...
  // Functions of the plan none of whose calls were traced (name -> why): a site the kernel
  // refuses, found at plan time (TracedFunction::untraced) or at attach time.
  std::map<std::string, std::string> untraced_functions;
  // Values of struct types printed by type and address only, by type (IfaceTypes'
  // values_without_recipe): the kernel's recipe map had no room for their types.
  std::map<std::string, uint64_t> values_without_recipe;
};

// Attaches, streams events into `sink` until a limit, a signal, the target's end or a failed
// write, detaches, drains what is left, finishes the sink, and returns the summary. A spawned
// target is resumed after attaching.
StatusOr<TraceSummary> RunTrace(const TracePlan& plan, const bpf::Target& target,
                                const RunLimits& limits, output::CallSink& sink);

// "net", "mnt", "pid", "uts", "ipc", "user", "cgroup" for enum gotap_ns_type; "?" otherwise.
const char* NsName(int kind);

// One-paragraph summary for stderr: calls per function and every loss, never silent.
std::string FormatSummary(const TraceSummary& summary);

}  // namespace gotap::trace
