// Where gotap serve's metrics meet its HTTP thread. The run loop owns the BPF session and is the
// only reader of its maps; a scrape asks the loop for a fresh reading and waits for the next poll
// (about 100 ms), so that /metrics is current without reading the maps when nobody asks.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "bpf/session.h"
#include "output/prometheus.h"
#include "trace/plan.h"

namespace gotap::serve {

// A binary's figures read from a histogram session: every traced function's histogram and error
// count, and the program's losses, under `labels` (binary, service and Go version; its other
// fields must be empty).
StatusOr<output::BinaryMetrics> ReadBinaryMetrics(const trace::TracePlan& plan,
                                                  const bpf::Session& session,
                                                  const output::BinaryMetrics& labels);

// Adds the counts of `earlier` (a previous session's final reading, e.g. before a reload) to
// `now`, function by function (matched by name) and reason by reason: counters never go down.
void AddEarlierCounts(const output::BinaryMetrics& earlier, output::BinaryMetrics* now);

class MetricsBoard {
 public:
  explicit MetricsBoard(double start_time_seconds) : start_time_seconds_(start_time_seconds) {}

  // HTTP thread: the /metrics body, after asking the run loop for a fresh reading and waiting
  // up to `wait` for it (the last reading when the loop does not answer in time).
  std::string Scrape(std::chrono::milliseconds wait);

  // Run loop: true when a scrape is waiting for a reading.
  bool Wanted() const;
  // Run loop: publishes a reading and wakes the waiting scrapes.
  void Publish(output::BinaryMetrics binary,
               std::optional<output::SpanExportMetrics> spans = std::nullopt);
  // The last reading published (empty functions before the first).
  output::BinaryMetrics Last() const;

 private:
  const double start_time_seconds_;
  mutable std::mutex mu_;
  std::condition_variable published_;
  bool wanted_ = false;
  uint64_t generation_ = 0;
  uint64_t scrapes_ = 0;
  output::BinaryMetrics last_;
  std::optional<output::SpanExportMetrics> spans_;
};

}  // namespace gotap::serve
