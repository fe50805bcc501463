#include "serve/call_stats.h"

#include <algorithm>

#include "proc/process_memory.h"

namespace gotap::serve {
namespace {

bool ProcessRuns(uint32_t pid) { return proc::ProcessAlive(static_cast<pid_t>(pid)); }

// Rows per process added between two sweeps of the ended processes' rows (bounded memory under
// process churn).
constexpr size_t kRowsBetweenPrunes = 1024;

}  // namespace

std::vector<std::pair<std::string, uint64_t>> LostByReason(const bpf::Counters& c) {
  return {
      {"ring_full", c[GOTAP_CTR_RING_FULL]},
      {"histogram_full", c[GOTAP_CTR_HIST_FULL]},
      {"no_goroutine", c[GOTAP_CTR_NO_GOROUTINE]},
      {"preempted", c[GOTAP_CTR_PREEMPTED]},
      {"shadow_stack_full", c[GOTAP_CTR_STACK_OVERFLOW] + c[GOTAP_CTR_STACK_MAP_FULL]},
      {"unmatched_return", c[GOTAP_CTR_UNMATCHED_RETURN]},
      {"bad_site", c[GOTAP_CTR_BAD_COOKIE]},
  };
}

Serving ServingOf(const trace::TracedFunction& fn) {
  if (fn.quiet) return Serving::kHidden;
  if (!fn.untraced.empty() || fn.entry_only) return Serving::kUntraced;
  return Serving::kServed;
}

CallStats::CallStats(const trace::TracePlan& plan, bool by_pid) : by_pid_(by_pid) {
  for (const trace::TracedFunction& fn : plan.functions) {
    Serving serving = ServingOf(fn);
    untraced_ += serving == Serving::kUntraced;
    if (serving != Serving::kServed) continue;
    by_name_[fn.name] = functions_.size();
    functions_.push_back({fn.name, 0, trace::ErrorResultWord(fn).has_value(),
                          std::vector<uint64_t>(GOTAP_HIST_SLOTS, 0), 0});
  }
}

void CallStats::Add(const output::CallEvent& e) {
  if (e.kind != output::CallKind::kCall) return;
  auto it = by_name_.find(e.func);
  if (it == by_name_.end()) return;
  size_t index = it->second;
  if (by_pid_) {
    auto [entry, added] = by_process_.try_emplace({e.func, e.pid}, functions_.size());
    if (added && by_process_.size() % kRowsBetweenPrunes == 0) {
      by_process_.erase(entry);
      ForgetEndedProcesses();
      entry = by_process_.try_emplace({e.func, e.pid}, functions_.size()).first;
    }
    if (added) {
      PerFunction f = functions_[index];
      f.pid = e.pid;
      std::fill(f.slots.begin(), f.slots.end(), 0);
      f.errors = 0;
      functions_.push_back(std::move(f));
    }
    index = entry->second;
  }
  PerFunction& f = functions_[index];
  const uint64_t d = e.duration_ns;
  f.slots[gotap_hist_bucket(d) & (GOTAP_HIST_BUCKETS - 1)] += 1;
  f.slots[GOTAP_HIST_SUM] += d;
  uint64_t& min = f.slots[GOTAP_HIST_MIN];
  if (min == 0 || d < min) min = d;
  f.slots[GOTAP_HIST_MAX] = std::max(f.slots[GOTAP_HIST_MAX], d);
  if (!f.counts_errors) return;
  for (const decode::CapturedValue& v : e.results) {
    if (v.type != nullptr && v.type->name == "error" &&
        v.StateOf(0, 8) == decode::ByteState::kKnown && v.Word(0, 8) != 0) {
      ++f.errors;
      return;
    }
  }
}

void CallStats::ForgetEndedProcesses() {
  std::vector<PerFunction> kept;
  by_process_.clear();
  for (PerFunction& f : functions_) {
    if (f.pid != 0 && !ProcessRuns(f.pid)) continue;
    if (f.pid != 0) by_process_[{f.name, f.pid}] = kept.size();
    kept.push_back(std::move(f));
  }
  functions_ = std::move(kept);
}

output::BinaryMetrics CallStats::Read(const output::BinaryMetrics& labels,
                                      const bpf::Counters& counters) const {
  output::BinaryMetrics out = labels;
  out.functions_untraced = untraced_;
  for (const PerFunction& f : functions_) {
    // Per process: the plan's pid-0 rows hold nothing, and an ended process's series go.
    if (by_pid_ && (f.pid == 0 || !ProcessRuns(f.pid))) continue;
    output::FunctionMetrics m;
    m.function = f.name;
    m.pid = f.pid;
    m.calls = output::LatencyHistogram::FromSlots(f.name, f.slots);
    m.counts_errors = f.counts_errors;
    m.errors = f.errors;
    out.functions.push_back(std::move(m));
  }
  out.lost = LostByReason(counters);
  return out;
}

}  // namespace gotap::serve
