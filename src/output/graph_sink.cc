#include "output/graph_sink.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/escape.h"

namespace gotap::output {
namespace {

using Clock = std::chrono::steady_clock;

struct GoroutineKey {
  uint32_t pid;
  uint64_t lane;  // output::Lane
  std::string name;
  auto operator<=>(const GoroutineKey& o) const {
    return std::tie(pid, lane) <=> std::tie(o.pid, o.lane);
  }
  bool operator==(const GoroutineKey& o) const { return pid == o.pid && lane == o.lane; }
};

struct Pending {
  std::vector<CallEvent> calls;
  Clock::time_point first_arrival;
};

// Entry order; a caller and its first callee can share a timestamp, the caller (lower level)
// comes first.
bool EntryOrder(const CallEvent& a, const CallEvent& b) {
  if (a.ts_ns != b.ts_ns) return a.ts_ns < b.ts_ns;
  return a.level < b.level;
}

std::string Tid(const CallEvent& e) {
  return e.return_tid != 0 && e.return_tid != e.tid ? fmt::format("{}→{}", e.tid, e.return_tid)
                                                    : std::to_string(e.tid);
}

std::string Outcome(const CallEvent& e) {
  switch (e.kind) {
    case CallKind::kCall:
      return FormatDuration(e.duration_ns);
    case CallKind::kUnwound:
      return "unwound ≤" + FormatDuration(e.duration_ns);
    case CallKind::kEntryOnly:
      return "entry only";
    case CallKind::kRunningAtExit:
      return "running " + FormatDuration(e.duration_ns) + "…";
  }
  return "";
}

// " net:[4026531992]" per namespace shown (--ns), of the thread that ended the call.
std::string Namespaces(const CallEvent& e) {
  std::string out;
  for (const auto& [name, inum] : e.ns) out += fmt::format(" {}:[{}]", name, inum);
  return out;
}

std::string Results(const CallEvent& e) {
  if (e.kind != CallKind::kCall || e.results.empty()) return "";
  std::string r = FormatValueList(e.results, false);
  return e.results.size() == 1 ? " → " + r : " → (" + r + ")";
}

class GraphSink : public CallSink {
 public:
  GraphSink(std::ostream& out, const GraphOptions& options)
      : out_(out), options_(options), json_(options.json ? MakeJsonSink(out) : nullptr) {}
  ~GraphSink() override { Finish(); }

  // Goroutines whose outermost call is still open are printed with what they have.
  void Finish() override {
    for (auto& [key, pending] : pending_) Print(key, pending.calls);
    pending_.clear();
    Flush();
  }

  void Write(const CallEvent& e) override {
    if (options_.goid && e.goid != *options_.goid) return;
    GoroutineKey key{e.pid, Lane(e), LaneName(e)};
    auto [it, inserted] = pending_.try_emplace(key);
    if (inserted || it->second.calls.empty()) it->second.first_arrival = Clock::now();
    it->second.calls.push_back(e);
    // Level 0: nothing traced is open around it any more, the goroutine's tree is complete.
    if (e.level == 0) {
      Print(key, it->second.calls);
      pending_.erase(it);
      printed_early_.erase(key);
    }
  }

  void Flush() override {
    auto now = Clock::now();
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (now - it->second.first_arrival >= options_.hold) {
        // Printed before its caller ended: remember how deep it went, so that the callers,
        // when they end, are shown closing around it.
        uint32_t shallowest = UINT32_MAX;
        for (const CallEvent& c : it->second.calls) shallowest = std::min(shallowest, c.level);
        uint32_t& mark = printed_early_.try_emplace(it->first, shallowest).first->second;
        mark = std::min(mark, shallowest);
        Print(it->first, it->second.calls);
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    if (json_) json_->Flush();
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    out_.flush();
    buffer_.clear();
  }

 private:
  // Prints `calls` of one goroutine in entry order. Calls shorter than min_ns are hidden with
  // everything they contain.
  void Print(const GoroutineKey& key, std::vector<CallEvent>& calls) {
    std::stable_sort(calls.begin(), calls.end(), EntryOrder);
    std::vector<const CallEvent*> shown;
    std::vector<std::pair<uint32_t, bool>> open;  // (level, hidden) of enclosing calls
    for (const CallEvent& e : calls) {
      while (!open.empty() && open.back().first >= e.level) open.pop_back();
      bool hidden = (!open.empty() && open.back().second) ||
                    (e.kind != CallKind::kEntryOnly && e.duration_ns < options_.min_ns);
      open.emplace_back(e.level, hidden);
      if (!hidden) shown.push_back(&e);
    }
    if (shown.empty()) return;
    if (json_) {
      for (const CallEvent* e : shown) json_->Write(*e);
      return;
    }
    if (last_ != key || !printed_any_) {
      buffer_ += fmt::format("── {} (pid {}) ──────────\n", key.name, key.pid);
      last_ = key;
      printed_any_ = true;
    }
    // Indentation counts levels relative to the shallowest call shown (after a partial print,
    // what remains of a tree starts deeper than 0).
    uint32_t base = shown.front()->level;
    for (const CallEvent* e : shown) base = std::min(base, e->level);
    std::vector<const CallEvent*> stack;  // shown calls still open, with their children below
    auto close_to = [&](uint32_t level) {
      while (!stack.empty() && stack.back()->level >= level) {
        const CallEvent* c = stack.back();
        stack.pop_back();
        Line("", Tid(*c), c->level - base,
             "} " + EscapeForTerminal(c->func) + Results(*c) + Namespaces(*c), Outcome(*c));
      }
    };
    for (size_t i = 0; i < shown.size(); ++i) {
      const CallEvent& e = *shown[i];
      close_to(e.level);
      std::string call = EscapeForTerminal(e.func) + "(" +
                         (e.args_missing ? "<arguments lost>" : FormatValueList(e.args, true)) +
                         ")";
      bool has_children = i + 1 < shown.size() && shown[i + 1]->level > e.level;
      if (has_children) {
        Line(FormatTimeOfDay(e.ts_ns), std::to_string(e.tid), e.level - base, call + " {", "");
        stack.push_back(&e);
      } else if (auto early = printed_early_.find(key);
                 early != printed_early_.end() && e.level < early->second) {
        // A caller of calls printed earlier: it closes around them.
        Line("", Tid(e), e.level - base,
             "} " + EscapeForTerminal(e.func) + Results(e) + Namespaces(e), Outcome(e));
      } else {
        Line(FormatTimeOfDay(e.ts_ns), Tid(e), e.level - base, call + Results(e) + Namespaces(e),
             Outcome(e));
      }
    }
    close_to(0);
  }

  // TIME TID DURATION │ INDENT CALL: the call last, so that long arguments stay readable.
  void Line(const std::string& time, const std::string& tid, uint32_t indent,
            const std::string& text, const std::string& outcome) {
    buffer_ += fmt::format("{:<15} {:>11} {:>12} │ {}{}\n", time, tid, outcome,
                           std::string(2 * static_cast<size_t>(indent), ' '), text);
  }

  std::ostream& out_;
  GraphOptions options_;
  std::unique_ptr<CallSink> json_;
  std::map<GoroutineKey, Pending> pending_;
  // Goroutines whose calls were printed before their caller ended: the shallowest level printed.
  std::map<GoroutineKey, uint32_t> printed_early_;
  std::string buffer_;
  GoroutineKey last_{};
  bool printed_any_ = false;
};

}  // namespace

std::unique_ptr<CallSink> MakeGraphSink(std::ostream& out, const GraphOptions& options) {
  return std::make_unique<GraphSink>(out, options);
}

}  // namespace gotap::output
