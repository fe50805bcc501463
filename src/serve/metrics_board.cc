#include "serve/metrics_board.h"

#include <map>
#include <utility>

#include "serve/call_stats.h"

namespace gotap::serve {

StatusOr<output::BinaryMetrics> ReadBinaryMetrics(const trace::TracePlan& plan,
                                                  const bpf::Session& session,
                                                  const output::BinaryMetrics& labels) {
  output::BinaryMetrics out = labels;
  ASSIGN_OR_RETURN(std::vector<uint64_t> errors, session.ReadFuncErrors());
  for (const trace::TracedFunction& fn : plan.functions) {
    Serving serving = ServingOf(fn);
    out.functions_untraced += serving == Serving::kUntraced;
    if (serving != Serving::kServed) continue;
    ASSIGN_OR_RETURN(std::vector<uint64_t> slots, session.ReadHistogram(fn.func_id));
    output::FunctionMetrics f;
    f.function = fn.name;
    f.calls = output::LatencyHistogram::FromSlots(fn.name, slots);
    f.counts_errors = fn.counts_errors;
    if (fn.counts_errors && fn.func_id < errors.size()) f.errors = errors[fn.func_id];
    out.functions.push_back(std::move(f));
  }
  ASSIGN_OR_RETURN(bpf::Counters counters, session.ReadCounters());
  out.lost = LostByReason(counters);
  return out;
}

void AddEarlierCounts(const output::BinaryMetrics& earlier, output::BinaryMetrics* now) {
  std::map<std::string, const output::FunctionMetrics*> before;
  for (const output::FunctionMetrics& f : earlier.functions) before[f.function] = &f;
  for (output::FunctionMetrics& f : now->functions) {
    auto it = before.find(f.function);
    if (it == before.end()) continue;
    const output::LatencyHistogram& old = it->second->calls;
    f.calls.count += old.count;
    f.calls.sum_ns += old.sum_ns;
    for (size_t b = 0; b < f.calls.buckets.size() && b < old.buckets.size(); ++b) {
      f.calls.buckets[b] += old.buckets[b];
    }
    f.errors += it->second->errors;
    before.erase(it);
  }
  // A function no longer selected keeps its series: a counter does not vanish on reload.
  for (const auto& [name, f] : before) now->functions.push_back(*f);
  for (auto& [reason, n] : now->lost) {
    for (const auto& [old_reason, old_n] : earlier.lost) {
      if (old_reason == reason) n += old_n;
    }
  }
}

std::string MetricsBoard::Scrape(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  uint64_t asked_at = generation_;
  wanted_ = true;
  published_.wait_for(lock, wait, [&] { return generation_ != asked_at; });
  output::AgentMetrics metrics;
  metrics.binaries.push_back(last_);
  metrics.spans = spans_;
  metrics.start_time_seconds = start_time_seconds_;
  metrics.scrapes = scrapes_++;
  return output::FormatPrometheus(metrics);
}

bool MetricsBoard::Wanted() const {
  std::lock_guard lock(mu_);
  return wanted_;
}

void MetricsBoard::Publish(output::BinaryMetrics binary,
                           std::optional<output::SpanExportMetrics> spans) {
  {
    std::lock_guard lock(mu_);
    last_ = std::move(binary);
    spans_ = std::move(spans);
    wanted_ = false;
    ++generation_;
  }
  published_.notify_all();
}

output::BinaryMetrics MetricsBoard::Last() const {
  std::lock_guard lock(mu_);
  return last_;
}

}  // namespace gotap::serve
