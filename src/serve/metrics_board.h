// Where gotap serve's metrics meet its HTTP thread. The run loop owns the BPF session and is the
// only reader of its maps; a scrape asks the loop for a fresh reading and waits for the next poll
// (about 100 ms), so that /metrics is current without reading the maps when nobody asks.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
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

// Adds the counts of `earlier` (a previous reading of the same series, e.g. before a reload, or
// another attachment's of the same binary and service) to `now`, function by function (matched
// by name and pid) and reason by reason: counters never go down.
void AddEarlierCounts(const output::BinaryMetrics& earlier, output::BinaryMetrics* now);

// Where the run loops' readings meet the HTTP thread. Each attachment (a BPF session of one
// binary file) is a source; readings with the same binary and service labels are summed, and a
// retired source's last reading stays in the sums, so that no counter goes down when a session
// ends (a reload, the last process of a module's binary exiting).
class MetricsBoard {
 public:
  using SpanSource = std::function<std::optional<output::SpanExportMetrics>()>;

  // `spans`: read at each scrape (span export counts); unset: no span series.
  MetricsBoard(double start_time_seconds, SpanSource spans = {})
      : start_time_seconds_(start_time_seconds), spans_(std::move(spans)) {}

  // HTTP thread: the /metrics body, after asking every live source for a fresh reading and
  // waiting up to `wait` for them (the last readings of those that do not answer in time).
  std::string Scrape(std::chrono::milliseconds wait);

  // A new source; its readings count once published.
  uint64_t AddSource();
  // Run loop of `source`: true when a scrape waits for its reading.
  bool Wanted(uint64_t source) const;
  // Run loop of `source`: publishes its reading (cumulative since the source started).
  void Publish(uint64_t source, output::BinaryMetrics reading);
  // The source ended: its last reading is folded into the retired sums of its labels, pid
  // series aside (their process is gone or will be served by a new source).
  void Retire(uint64_t source);

  // A binary found for a target could not be served (gotap_attach_failures_total).
  void CountAttachFailure() { ++attach_failures_; }

  // The readings as a scrape shows them: summed by (binary, service).
  std::vector<output::BinaryMetrics> Merged() const;

 private:
  std::vector<output::BinaryMetrics> MergedLocked() const;

  const double start_time_seconds_;
  const SpanSource spans_;
  mutable std::mutex mu_;
  std::condition_variable published_;
  uint64_t next_source_ = 1;
  uint64_t request_ = 0;  // scrapes asked so far
  uint64_t scrapes_ = 0;
  std::atomic<uint64_t> attach_failures_{0};
  struct Live {
    uint64_t answered = 0;  // the last request this source's reading answers
    std::optional<output::BinaryMetrics> reading;
  };
  std::map<uint64_t, Live> live_;
  std::map<std::pair<std::string, std::string>, output::BinaryMetrics> retired_;
};

}  // namespace gotap::serve
