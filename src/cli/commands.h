// Subcommands. Each takes its parsed options and returns a process exit code (see app.h).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace gotap::cli {

struct InfoOptions {
  std::string binary;
  bool json = false;
};
int RunInfo(const InfoOptions& options, std::ostream& out, std::ostream& err);

struct FuncsOptions {
  std::string binary;
  std::vector<std::string> globs;  // empty: all functions
  bool json = false;
};
int RunFuncs(const FuncsOptions& options, std::ostream& out, std::ostream& err);

struct TraceOptions {
  std::vector<std::string> positionals;  // [BINARY] PROBE...
  std::vector<std::string> command;      // after "--": spawn and trace this
  int pid = 0;
  bool json = false;
  std::string duration;  // "5s", "250ms"; empty: until stopped
  uint64_t max_events = 0;
  std::string output;  // file for events; empty: stdout
  int string_length = 64;
  std::string ctx_key;                // --ctx-key: a context prints as just this key's value
  std::vector<std::string> ctx_from;  // --ctx-from: functions lending their context to callees
  bool no_follow = false;             // --no-follow: pointers print as addresses
  // Ring buffer size ("64K", "8M", bytes): a power of two, at least a page; empty: 8M.
  std::string buffer;
  bool count = false;  // count calls per function in the kernel; no per-call events
  // gotap latency: per-function histograms aggregated in the kernel.
  bool latency = false;
  std::string interval;     // "1s": print a report every interval; empty: only at the end
  bool cumulative = false;  // interval reports accumulate instead of starting afresh
  std::string by;           // latency: "goid", "tid" or "pid": one histogram per group
  // Conditions checked in the kernel ("goid==17", "duration>=1ms && tid!=42"); all must hold.
  std::vector<std::string> filters;
  // "net,mnt" or "all": namespaces of the thread shown with every event (trace, graph, record).
  std::string ns;
  // gotap graph: calls nested per goroutine, like ftrace's function_graph.
  bool graph = false;
  int64_t graph_goid = -1;  // --goid: only this goroutine
  std::string graph_min;    // --min 1ms: hide shorter calls and what they contain
  // gotap record: Chrome trace-event JSON (Perfetto) to `output`, and an SVG picture.
  bool record = false;
  std::string svg;
};
int RunTrace(const TraceOptions& options, std::ostream& out, std::ostream& err);

// gotap serve: calls, errors and latency histograms of every process running a binary, served
// to Prometheus on /metrics until SIGINT/SIGTERM; SIGHUP reattaches keeping the counts.
struct ServeOptions {
  std::vector<std::string> positionals;  // BINARY PROBE... (or PROBE... with --module)
  std::string config;                    // --config FILE (YAML): targets and exports
  bool check = false;                    // --check: validate the config (or flags) and exit
  std::string module;                    // --module PATH: processes of this Go main module
  // Empty/negative: not given (the config's, else the defaults of serve::ServeConfig).
  std::string metrics;
  // --otlp: also export every call as a span to this OTLP/HTTP collector (records mode: each
  // call reaches userspace, which then also counts the metrics).
  std::string otlp;
  int string_length = -1;  // --strlen: string bytes copied for span attributes
  bool pid_label = false;  // --pid-label: per-process series (records mode)
  std::string duration;    // stop after this long; empty: until a signal
};
int RunServe(const ServeOptions& options, std::ostream& err);

// gotap goroutines -p PID: every goroutine of a live process, read from outside.
struct GoroutinesOptions {
  int pid = 0;
  bool json = false;
  bool stacks = false;
  bool freeze = false;  // SIGSTOP the process while reading it (SIGCONT after)
  std::string filter;   // a state ("chan receive") or part of a function name
};
int RunGoroutines(const GoroutinesOptions& options, std::ostream& out, std::ostream& err);

// gotap ns: namespace and thread hygiene (exit 3 when a violation was seen).
struct NsOptions {
  std::vector<std::string> positionals;  // [BINARY] PROBE...
  std::vector<std::string> command;      // after "--": spawn and watch this
  int pid = 0;
  bool json = false;
  bool once = false;     // -p PID --once: per-thread namespace snapshot from /proc, no BPF
  std::string duration;  // "5s"; empty: until stopped or the target exits
};
int RunNs(const NsOptions& options, std::ostream& out, std::ostream& err);

}  // namespace gotap::cli
