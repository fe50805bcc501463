// gotap serve's metrics in the Prometheus text exposition format (version 0.0.4), named by
// Prometheus' conventions: base units (seconds), `_total` counters, one HELP and TYPE per family.
//
// Durations come from the kernel's histograms (output/histogram.h: four sub-buckets per power of
// two of nanoseconds) folded into cumulative `le` buckets at powers of two, 256 ns to 2^35 ns
// (34.4 s). The fold is exact: every kernel bucket lies inside one `le` bucket. A call of exactly
// 2^k ns counts in the bucket above le=2^k ns (the kernel's buckets are [low, high)).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "output/histogram.h"

namespace gotap::output {

// One traced function's cumulative figures since the agent started.
struct FunctionMetrics {
  std::string function;        // Go name, as the binary spells it (escaped on output)
  LatencyHistogram calls;      // cumulative; calls.count is the number of returned calls
  bool counts_errors = false;  // the function returns an error: gotap_call_errors_total exists
  uint64_t errors = 0;
  // The process these figures are of, as a `pid` label (serve's pid_label); 0: all processes
  // running the binary, no pid label.
  uint32_t pid = 0;
};

// What one served binary contributes: its labels, its functions, and its losses.
struct BinaryMetrics {
  std::string binary;   // the path gotap attached to
  std::string service;  // the main module's path from the build info (else the main package)
  std::string go_version;
  std::vector<FunctionMetrics> functions;
  uint64_t functions_untraced = 0;  // selected but left out (a site the kernel refuses, ...)
  // Calls missing from the histograms, by reason (snake_case; from the BPF program's counters):
  // gotap_calls_lost_total{reason=...}. Every reason is listed, at 0 too, so that rates work.
  std::vector<std::pair<std::string, uint64_t>> lost;
};

// gotap serve --otlp: what became of the spans.
struct SpanExportMetrics {
  uint64_t exported = 0;
  std::vector<std::pair<std::string, uint64_t>> dropped;  // by reason, listed at 0 too
  uint64_t failed_requests = 0;                           // retried
};

struct AgentMetrics {
  std::vector<BinaryMetrics> binaries;
  std::optional<SpanExportMetrics> spans;  // when exporting spans
  double start_time_seconds = 0;           // Unix time the agent started
  uint64_t scrapes = 0;                    // /metrics requests served before this one
  // Binaries found for a target that could not be served (unreadable, no probe matched, the
  // kernel refused to attach).
  uint64_t attach_failures = 0;
};

// The le bounds of gotap_call_duration_seconds, in ns, ascending (+Inf not included).
const std::vector<uint64_t>& PrometheusBucketBoundsNs();

// The whole /metrics body. Label values are escaped as the format requires (\\, \", \n), and
// bytes that are not UTF-8 become \xHH, so that untrusted names never break a line.
std::string FormatPrometheus(const AgentMetrics& metrics);

// A label value as the format takes it, without the quotes.
std::string EscapeLabelValue(std::string_view raw);

}  // namespace gotap::output
