#include "cli/latency_report.h"

#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <vector>

#include "base/clock.h"
#include "output/call_sink.h"
#include "output/histogram.h"

namespace gotap::cli {
namespace {

const char* GroupName(uint32_t hist_by) {
  switch (hist_by) {
    case GOTAP_BY_GOID:
      return "goid";
    case GOTAP_BY_TID:
      return "tid";
    case GOTAP_BY_PID:
      return "pid";
  }
  return "";
}

// Turns cumulative slots (buckets, sum, min, max) into those of the interval since `before`:
// counts and the sum are differences; min and max were reset at the last report, and one that
// a call raced with (still unset although the interval has calls) is taken from the buckets.
void IntervalSlots(const std::vector<uint64_t>& before, std::vector<uint64_t>* slots) {
  std::vector<uint64_t>& s = *slots;
  if (s.size() != GOTAP_HIST_SLOTS) return;
  uint64_t count = 0;
  int first = -1, last = -1;
  for (uint32_t i = 0; i <= GOTAP_HIST_SUM; ++i) {
    uint64_t was = i < before.size() ? before[i] : 0;
    s[i] = s[i] >= was ? s[i] - was : 0;
    if (i < GOTAP_HIST_BUCKETS && s[i] > 0) {
      count += s[i];
      if (first < 0) first = static_cast<int>(i);
      last = static_cast<int>(i);
    }
  }
  if (count == 0) {
    s[GOTAP_HIST_MIN] = s[GOTAP_HIST_MAX] = 0;
    return;
  }
  if (s[GOTAP_HIST_MIN] == 0) s[GOTAP_HIST_MIN] = output::LatencyHistogram::BucketLow(first);
  if (s[GOTAP_HIST_MAX] == 0) s[GOTAP_HIST_MAX] = output::LatencyHistogram::BucketHigh(last) - 1;
}

}  // namespace

LatencyReporter::LatencyReporter(const trace::TracePlan& plan, Options options, std::ostream& out,
                                 std::ostream& err)
    : plan_(plan), options_(options), out_(out), err_(err) {}

void LatencyReporter::Report(bpf::Session& session, bool final) {
  auto now = std::chrono::steady_clock::now();
  if (!final && (!options_.every_seconds ||
                 std::chrono::duration<double>(now - last_).count() < *options_.every_seconds)) {
    return;
  }
  last_ = now;
  uint64_t ts_ns = ClockNs(CLOCK_REALTIME);

  std::vector<output::LatencyHistogram> histograms;
  if (options_.hist_by == GOTAP_BY_NONE) {
    auto errors = session.ReadFuncErrors();
    if (!errors.ok()) {
      err_ << "gotap: " << errors.status().message() << "\n";
      return;
    }
    for (const trace::TracedFunction& fn : plan_.functions) {
      if (fn.entry_only) continue;
      auto slots = session.ReadHistogram(fn.func_id);
      if (!slots.ok()) {
        err_ << "gotap: " << slots.status().message() << "\n";
        return;
      }
      std::vector<uint64_t> interval = *slots;
      if (!options_.cumulative) {
        std::vector<uint64_t>& before = previous_[fn.func_id];
        IntervalSlots(before, &interval);
        before = std::move(*slots);
      }
      histograms.push_back(output::LatencyHistogram::FromSlots(fn.name, interval));
      if (fn.counts_errors && fn.func_id < errors->size()) {
        uint64_t total = (*errors)[fn.func_id];
        uint64_t& before = previous_errors_[fn.func_id];
        histograms.back().errors = options_.cumulative ? total : total - std::min(before, total);
        before = total;
      }
    }
  } else {
    auto groups = session.ReadGroupedHistograms();
    if (!groups.ok()) {
      err_ << "gotap: " << groups.status().message() << "\n";
      return;
    }
    std::sort(groups->begin(), groups->end(), [](const auto& a, const auto& b) {
      return std::tie(a.func_id, a.group) < std::tie(b.func_id, b.group);
    });
    for (const bpf::GroupHistogram& g : *groups) {
      if (g.func_id >= plan_.functions.size()) continue;
      auto h = output::LatencyHistogram::FromSlots(plan_.functions[g.func_id].name, g.slots);
      h.group_by = GroupName(options_.hist_by);
      h.group = g.group;
      histograms.push_back(std::move(h));
    }
  }
  std::string text;
  if (!options_.json) text += fmt::format("@ {}\n", FormatTimeOfDay(ts_ns));
  if (!options_.json && histograms.empty()) text += "  no calls\n";
  // Non-cumulative reports cover the time since the last one (differences of the cumulative
  // counts; with --by the grouped maps are cleared after each report); a cumulative one covers
  // the whole run so far.
  if (options_.cumulative && final) calls_.clear();
  uint64_t reported = 0;
  for (const output::LatencyHistogram& h : histograms) {
    if (!options_.cumulative || final) {
      calls_[h.func] += h.count;
      reported += h.count;
    }
    text += options_.json ? output::RenderHistogramJson(h, ts_ns) + "\n"
                          : output::RenderHistogramText(h);
  }
  out_ << text << std::flush;
  if (!out_.good()) unwritten_calls_ += reported;
  if (!options_.cumulative) {
    (void)(options_.hist_by == GOTAP_BY_NONE ? session.ResetHistogramExtremes()
                                             : session.ClearGroupedHistograms());
  }
}

}  // namespace gotap::cli
