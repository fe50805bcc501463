// gotap serve's metrics when every call reaches userspace (span export needs the records): the
// same figures the kernel's histograms give in metrics-only mode, counted from the call events,
// in the kernel's own buckets (gotap_hist_bucket).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bpf/session.h"
#include "output/call_event.h"
#include "output/prometheus.h"
#include "trace/plan.h"

namespace gotap::serve {

class CallStats {
 public:
  // `by_pid`: figures per process (the pid label), for the processes still running at Read.
  explicit CallStats(const trace::TracePlan& plan, bool by_pid = false);

  // Counts a call that returned (kCall): its duration and, when the function returns an error,
  // whether that error was non-nil. Other kinds have no duration and are not counted.
  void Add(const output::CallEvent& e);

  // The figures so far, under `labels` (binary, service, Go version), with the kernel's losses.
  output::BinaryMetrics Read(const output::BinaryMetrics& labels,
                             const bpf::Counters& counters) const;

 private:
  struct PerFunction {
    std::string name;
    uint32_t pid = 0;
    bool counts_errors = false;
    std::vector<uint64_t> slots;  // as Session::ReadHistogram's (buckets, sum, min, max)
    uint64_t errors = 0;
  };
  // Drops the rows of processes that ended (by_pid_), re-indexing the rest.
  void ForgetEndedProcesses();

  // The plan's served functions (pid 0), then per process as calls arrive when by_pid_.
  std::vector<PerFunction> functions_;
  std::map<std::string, size_t> by_name_;
  std::map<std::pair<std::string, uint32_t>, size_t> by_process_;
  bool by_pid_ = false;
  uint64_t untraced_ = 0;
};

// What a plan function is to gotap serve: not reported (a --ctx-from lender), untraced (counted
// in gotap_functions_untraced: a refused site, or no exit to probe), or served with series of its
// own. Both ways of reading the metrics (kernel histograms, call records) go by this.
enum class Serving { kHidden, kUntraced, kServed };
Serving ServingOf(const trace::TracedFunction& fn);

// The program's counters that mean a probe hit or a call went uncounted, by reason (Prometheus'
// gotap_calls_lost_total), listed at 0 too.
std::vector<std::pair<std::string, uint64_t>> LostByReason(const bpf::Counters& counters);

}  // namespace gotap::serve
