// gotap latency's reports: the kernel's histograms read every interval and at the end, one per
// function (or per function and goroutine/thread/process with --by), as text or JSON.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>

#include "bpf/session.h"
#include "trace/plan.h"

namespace gotap::cli {

class LatencyReporter {
 public:
  struct Options {
    std::optional<double> every_seconds;  // interval reports; none: only the final one
    bool cumulative = false;              // reports accumulate instead of starting afresh
    bool json = false;
    uint32_t hist_by = GOTAP_BY_NONE;  // enum gotap_hist_by
  };

  // `plan` must outlive the reporter.
  LatencyReporter(const trace::TracePlan& plan, Options options, std::ostream& out,
                  std::ostream& err);

  // Prints a report when an interval has passed (or `final`); clears the kernel's histograms
  // after each report unless cumulative.
  void Report(bpf::Session& session, bool final);

  // Calls per function over the whole run (for the summary).
  const std::map<std::string, uint64_t>& calls_per_function() const { return calls_; }
  // Of those, the calls in reports that could not be written (the output failed).
  uint64_t unwritten_calls() const { return unwritten_calls_; }

 private:
  const trace::TracePlan& plan_;
  Options options_;
  std::ostream& out_;
  std::ostream& err_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  std::map<std::string, uint64_t> calls_;
  uint64_t unwritten_calls_ = 0;
  // Without --by: each function's cumulative slots at the last report, which interval reports
  // subtract (see Session::ResetHistogramExtremes).
  std::map<uint32_t, std::vector<uint64_t>> previous_;
  std::map<uint32_t, uint64_t> previous_errors_;  // func_id -> errors counted at the last report
};

}  // namespace gotap::cli
