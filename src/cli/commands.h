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
  bool count = false;  // count calls per function in the kernel; no per-call events
  // gotap latency: per-function histograms aggregated in the kernel.
  bool latency = false;
  std::string interval;     // "1s": print a report every interval; empty: only at the end
  bool cumulative = false;  // interval reports accumulate instead of starting afresh
};
int RunTrace(const TraceOptions& options, std::ostream& out, std::ostream& err);

}  // namespace gotap::cli
