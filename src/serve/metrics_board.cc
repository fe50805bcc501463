#include "serve/metrics_board.h"

#include <algorithm>
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
  std::map<std::pair<std::string, uint32_t>, const output::FunctionMetrics*> before;
  for (const output::FunctionMetrics& f : earlier.functions) before[{f.function, f.pid}] = &f;
  for (output::FunctionMetrics& f : now->functions) {
    auto it = before.find({f.function, f.pid});
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
  for (const auto& [key, f] : before) now->functions.push_back(*f);
  for (const auto& [old_reason, old_n] : earlier.lost) {
    auto it = std::find_if(now->lost.begin(), now->lost.end(),
                           [&](const auto& entry) { return entry.first == old_reason; });
    if (it != now->lost.end()) {
      it->second += old_n;
    } else {
      now->lost.emplace_back(old_reason, old_n);
    }
  }
  now->functions_untraced = std::max(now->functions_untraced, earlier.functions_untraced);
}

std::string MetricsBoard::Scrape(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  const uint64_t request = ++request_;
  published_.wait_for(lock, wait, [&] {
    for (const auto& [source, live] : live_) {
      if (live.answered < request) return false;
    }
    return true;
  });
  output::AgentMetrics metrics;
  metrics.binaries = MergedLocked();
  metrics.start_time_seconds = start_time_seconds_;
  metrics.scrapes = scrapes_++;
  metrics.attach_failures = attach_failures_.load();
  lock.unlock();
  if (spans_) metrics.spans = spans_();
  return output::FormatPrometheus(metrics);
}

uint64_t MetricsBoard::AddSource() {
  std::lock_guard lock(mu_);
  uint64_t source = next_source_++;
  live_[source].answered = request_;
  return source;
}

bool MetricsBoard::Wanted(uint64_t source) const {
  std::lock_guard lock(mu_);
  auto it = live_.find(source);
  return it != live_.end() && it->second.answered < request_;
}

void MetricsBoard::Publish(uint64_t source, output::BinaryMetrics reading) {
  {
    std::lock_guard lock(mu_);
    auto it = live_.find(source);
    if (it == live_.end()) return;
    it->second.reading = std::move(reading);
    it->second.answered = request_;
  }
  published_.notify_all();
}

void MetricsBoard::Retire(uint64_t source) {
  {
    std::lock_guard lock(mu_);
    auto it = live_.find(source);
    if (it == live_.end()) return;
    if (it->second.reading) {
      output::BinaryMetrics reading = std::move(*it->second.reading);
      std::erase_if(reading.functions, [](const auto& f) { return f.pid != 0; });
      auto [entry, added] = retired_.try_emplace({reading.binary, reading.service}, reading);
      if (!added) {
        AddEarlierCounts(entry->second, &reading);
        entry->second = std::move(reading);
      }
    }
    live_.erase(it);
  }
  published_.notify_all();  // a scrape no longer waits for it
}

std::vector<output::BinaryMetrics> MetricsBoard::Merged() const {
  std::lock_guard lock(mu_);
  return MergedLocked();
}

std::vector<output::BinaryMetrics> MetricsBoard::MergedLocked() const {
  std::map<std::pair<std::string, std::string>, output::BinaryMetrics> sums = retired_;
  for (const auto& [source, live] : live_) {
    if (!live.reading) continue;
    auto [entry, added] =
        sums.try_emplace({live.reading->binary, live.reading->service}, *live.reading);
    if (added) continue;
    output::BinaryMetrics sum = *live.reading;  // the live reading's Go version wins
    AddEarlierCounts(entry->second, &sum);
    entry->second = std::move(sum);
  }
  std::vector<output::BinaryMetrics> out;
  for (auto& [labels, metrics] : sums) out.push_back(std::move(metrics));
  return out;
}

}  // namespace gotap::serve
