#include "trace/tracer.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <time.h>

#include <algorithm>
#include <chrono>

#include "base/clock.h"
#include "base/escape.h"
#include "bpf/call_record.h"
#include "bpf/run_loop.h"

namespace gotap::trace {

// Functions named with their call counts in the summary line; the rest are counted.
constexpr size_t kSummaryFunctions = 10;

namespace {

std::vector<SlotValue> Slots(const std::vector<bpf::CapturedValue>& captured, size_t expected) {
  std::vector<SlotValue> slots(expected);
  for (size_t i = 0; i < captured.size() && i < expected; ++i) {
    slots[i].present = true;
    slots[i].raw = captured[i].raw;
    slots[i].has_data = captured[i].has_data;
    slots[i].data.assign(reinterpret_cast<const char*>(captured[i].data.data()),
                         captured[i].data.size());
  }
  return slots;
}

}  // namespace

const char* NsName(int kind) {
  static constexpr const char* kNames[GOTAP_NS_NUM] = {"net", "mnt",  "pid",   "uts",
                                                       "ipc", "user", "cgroup"};
  return kind >= 0 && kind < GOTAP_NS_NUM ? kNames[kind] : "?";
}

namespace {

class RecordDecoder {
 public:
  RecordDecoder(const TracePlan& plan, const std::vector<int>& ns_kinds,
                const std::vector<gotap_filter_cond>& filters, TraceSummary* summary)
      : plan_(plan),
        ns_kinds_(ns_kinds),
        filters_(filters),
        summary_(*summary),
        realtime_offset_(ClockNs(CLOCK_REALTIME) - ClockNs(CLOCK_MONOTONIC)) {}

  // Decodes one raw record; nullopt (and a count) for records gotap cannot read.
  std::optional<output::CallEvent> Decode(Bytes raw) {
    auto record = bpf::ParseCallRecord(raw);
    if (!record.ok() || record->header.func_id >= plan_.functions.size()) {
      ++malformed_;
      return std::nullopt;
    }
    const gotap_call_record& h = record->header;
    const TracedFunction& fn = plan_.functions[h.func_id];
    if (fn.quiet) return std::nullopt;  // probed for --ctx-from only
    // Frames drained in userspace (still open at the end) never met the kernel's end-of-call
    // filters: apply them here, with the time open so far as the duration.
    if ((h.flags & GOTAP_REC_OPEN) && !PassesEndFilters(h)) {
      ++filtered_;
      return std::nullopt;
    }
    output::CallEvent e;
    e.ts_ns = h.entry_ns + realtime_offset_;
    e.pid = h.tgid;
    e.tid = h.entry_tid;
    e.return_tid = h.return_tid;
    e.system_stack = (h.goid & GOTAP_GOID_SYSTEM_STACK) != 0;
    e.goid = e.system_stack ? 0 : h.goid;
    e.level = h.level;
    if (record->ns) {
      for (int kind : ns_kinds_) {
        if (kind >= 0 && kind < GOTAP_NS_NUM) {
          e.ns.emplace_back(NsName(kind), record->ns->inum[kind]);
        }
      }
    }
    e.func = fn.name;
    e.duration_ns = h.duration_ns;
    e.args_missing = h.flags & GOTAP_REC_ARGS_MISSING;
    e.truncated = h.flags & GOTAP_REC_TRUNCATED;
    e.tail_call = h.flags & GOTAP_REC_TAIL_CALL;
    e.results_unknown = fn.results_unknown;
    bool fault = h.flags & GOTAP_REC_CAPTURE_FAULT;
    if (h.flags & GOTAP_REC_COMPLETE) {
      e.kind = output::CallKind::kCall;
    } else if (h.flags & GOTAP_REC_UNWOUND) {
      e.kind = output::CallKind::kUnwound;
    } else if (h.flags & GOTAP_REC_ENTRY_ONLY) {
      e.kind = output::CallKind::kEntryOnly;
      e.no_return = fn.no_return;
    } else {
      e.kind = output::CallKind::kRunningAtExit;
    }
    if (!e.args_missing) {
      auto args = bpf::ParseCaptureArea(record->args, fn.arg_captures);
      if (args.ok())
        e.args = BuildValues(fn.args, Slots(*args, fn.arg_captures.size()), fault, &plan_, e.ts_ns);
    }
    if (e.kind == output::CallKind::kCall) {
      auto results = bpf::ParseCaptureArea(record->results, fn.result_captures);
      if (results.ok()) {
        e.results = BuildValues(fn.results, Slots(*results, fn.result_captures.size()), fault,
                                &plan_, e.ts_ns);
      }
    }
    switch (e.kind) {
      case output::CallKind::kCall:
        ++summary_.calls;
        break;
      case output::CallKind::kUnwound:
        ++(e.system_stack ? summary_.abandoned : summary_.unwound);
        break;
      case output::CallKind::kEntryOnly:
        ++summary_.entry_only;
        break;
      case output::CallKind::kRunningAtExit:
        ++summary_.running_at_exit;
        break;
    }
    ++summary_.calls_per_function[fn.name];
    return e;
  }

  uint64_t malformed() const { return malformed_; }
  uint64_t filtered() const { return filtered_; }

 private:
  const TracePlan& plan_;
  const std::vector<int>& ns_kinds_;
  const std::vector<gotap_filter_cond>& filters_;
  TraceSummary& summary_;
  uint64_t realtime_offset_;
  uint64_t malformed_ = 0;
  uint64_t filtered_ = 0;

  bool PassesEndFilters(const gotap_call_record& h) const {
    for (const gotap_filter_cond& c : filters_) {
      if (c.field == GOTAP_FF_TID && !gotap_filter_holds(c.op, h.entry_tid, c.value)) return false;
      if (c.field == GOTAP_FF_DURATION && !gotap_filter_holds(c.op, h.duration_ns, c.value)) {
        return false;
      }
    }
    return true;
  }
};

// Attaches every site of `plan`, leaving out the functions with a site the kernel refuses (each
// one reported through limits.on_warning, or stderr, and recorded in the summary).
Status AttachPlan(bpf::Session& session, const TracePlan& plan, const bpf::Target& target,
                  const std::vector<uint64_t>& cookies, const RunLimits& limits,
                  TraceSummary* summary) {
  for (const TracedFunction& fn : plan.functions) {
    if (!fn.untraced.empty()) summary->untraced_functions[fn.name] = fn.untraced;
  }
  if (plan.specs.empty() && !summary->untraced_functions.empty()) {
    return Unsupported("nothing left to trace: no selected function can be probed (see the notes)");
  }
  // Chained specs (kChainedSite) run from their entry's hit and are not attached.
  const AttachableSites sites = SitesToAttach(plan);
  const std::vector<size_t>& spec_of = sites.spec_index;
  std::vector<uint64_t> site_cookies;
  std::vector<uint32_t> groups;
  for (size_t i : spec_of) {
    site_cookies.push_back(cookies[i]);
    groups.push_back(plan.specs[i].func_id);
  }
  bpf::AttachReport report;
  RETURN_IF_ERROR(session.AttachDroppingRefused(target.binary_path, sites.file_offsets,
                                                site_cookies, target.pid, groups, &report));
  for (const bpf::AttachReport::Refused& r : report.refused) {
    if (r.index >= spec_of.size()) continue;
    const gotap_site_spec& spec = plan.specs[spec_of[r.index]];
    std::string name = spec.func_id < plan.functions.size()
                           ? plan.functions[spec.func_id].name
                           : fmt::format("function #{}", spec.func_id);
    std::string why = fmt::format("the kernel refused the uprobe at {:#x} (file offset {:#x}): {}",
                                  spec.vaddr, r.file_offset, r.reason);
    std::string line = fmt::format("not tracing {}: {}", name, why);
    if (limits.on_warning) {
      limits.on_warning(line);
    } else {
      fmt::print(stderr, "gotap: warning: {}\n", EscapeForTerminal(line));
    }
    summary->untraced_functions.emplace(name, why);
  }
  return Status::Ok();
}

}  // namespace

StatusOr<TraceSummary> RunTrace(const TracePlan& plan, const bpf::Target& target,
                                const RunLimits& limits, output::CallSink& sink) {
  bpf::SessionOptions options;
  options.filters = limits.filters;
  options.hist_by = limits.hist_by;
  options.with_ns = !limits.ns_kinds.empty();
  if (limits.ring_bytes) options.ring_bytes = limits.ring_bytes;
  // Maps sized to the plan: the only limit on a selection is the kernel's (bpf::kMaxSites).
  options.max_sites = static_cast<uint32_t>(std::max<size_t>(plan.specs.size(), 1));
  options.max_funcs = static_cast<uint32_t>(std::max<size_t>(plan.functions.size(), 1));
  options.max_hist_funcs = plan.histogram ? options.max_funcs : 1;
  ASSIGN_OR_RETURN(bpf::Session session, bpf::Session::Create(options));
  ASSIGN_OR_RETURN(uint64_t first_cookie, session.AddSites(plan.specs));
  if (plan.iface_types) RETURN_IF_ERROR(session.SetIfaceRecipes(plan.iface_types->recipes()));
  std::vector<uint64_t> cookies(plan.specs.size());
  for (size_t i = 0; i < cookies.size(); ++i) cookies[i] = first_cookie + i;
  TraceSummary summary;
  RETURN_IF_ERROR(AttachPlan(session, plan, target, cookies, limits, &summary));
  if (limits.on_attached) limits.on_attached(session);

  summary.spawned = target.spawned;
  RecordDecoder decoder(plan, limits.ns_kinds, limits.filters, &summary);
  uint64_t events = 0;
  bool limit_reached = false;
  uint64_t unchecked = 0;  // calls given to the sink since the output was last checked
  const std::function<void(Bytes)> deliver = [&](Bytes raw) {
    if (limit_reached) return;
    auto event = decoder.Decode(raw);
    if (!event) return;
    if (!summary.write_error.empty()) {
      ++summary.unwritten;
      return;
    }
    sink.Write(*event);
    ++unchecked;
    if (limits.max_events && ++events >= *limits.max_events) limit_reached = true;
  };
  // False once a write failed: from then on calls are counted, not written.
  auto output_ok = [&]() {
    if (!summary.write_error.empty()) return false;
    if (!limits.check_output) return true;
    Status written = limits.check_output();
    if (written.ok()) {
      unchecked = 0;
      return true;
    }
    summary.write_error = written.message();
    summary.unwritten += unchecked;
    return false;
  };
  bpf::LoopHooks hooks = bpf::SessionHooks(session, deliver);
  hooks.stop_reason = [&] { return limit_reached ? std::string("max events") : std::string(); };
  hooks.after_poll = [&] {
    sink.Flush();
    if (limits.on_poll) limits.on_poll(session);
    return output_ok() ? std::string() : std::string("write failed");
  };
  ASSIGN_OR_RETURN(bpf::LoopEnd end, bpf::RunLoop(target, limits, hooks));
  summary.stop_reason = end.stop_reason;
  summary.child_exit_status = end.child_exit_status;
  if (!limit_reached) {
    (void)session.DrainOpenFrames(target.pid > 0 ? target.pid : 0, deliver);
  }
  sink.Finish();
  // Also after a failed write: a latency report then counts its calls as unwritten.
  if (limits.on_finish) limits.on_finish(session);
  (void)output_ok();
  summary.seconds = end.elapsed_seconds();
  if (auto counters = session.ReadCounters(); counters.ok()) summary.counters = *counters;
  summary.counters.values[GOTAP_CTR_FILTERED] += decoder.filtered();
  if (plan.count_only) {
    ASSIGN_OR_RETURN(std::vector<uint64_t> counts, session.ReadFuncCounts());
    for (const TracedFunction& fn : plan.functions) {
      uint64_t n = fn.func_id < counts.size() ? counts[fn.func_id] : 0;
      summary.calls_per_function[fn.name] += n;
      summary.calls += n;
    }
  }
  summary.lost_records = summary.counters[GOTAP_CTR_RING_FULL] + decoder.malformed();
  if (plan.iface_types) summary.values_without_recipe = plan.iface_types->values_without_recipe();
  return summary;
}

namespace {

// (count, name) rows of `counts`, the largest first (ties by name); the first
// kSummaryFunctions are sorted, the rest follow in no order.
std::vector<std::pair<uint64_t, std::string_view>> MostFirst(
    const std::map<std::string, uint64_t>& counts) {
  std::vector<std::pair<uint64_t, std::string_view>> rows;
  rows.reserve(counts.size());
  for (const auto& [name, n] : counts) rows.emplace_back(n, name);
  size_t sorted = std::min(rows.size(), kSummaryFunctions);
  std::partial_sort(rows.begin(), rows.begin() + static_cast<ptrdiff_t>(sorted), rows.end(),
                    [](const auto& a, const auto& b) {
                      return a.first != b.first ? a.first > b.first : a.second < b.second;
                    });
  return rows;
}

}  // namespace

std::string FormatSummary(const TraceSummary& s) {
  std::string out = fmt::format("gotap: {} calls in {:.2f}s", s.calls, s.seconds);
  if (!s.calls_per_function.empty()) {
    // The most called first, a few of them: the line stays short with thousands of functions
    // (the output itself has every count).
    std::vector<std::pair<uint64_t, std::string_view>> rows = MostFirst(s.calls_per_function);
    size_t shown = std::min(rows.size(), kSummaryFunctions);
    while (shown > 0 && rows[shown - 1].first == 0) --shown;  // functions never called: counted
    std::string per;
    for (size_t i = 0; i < shown; ++i) {
      per +=
          fmt::format("{}{} {}", i ? ", " : "", EscapeForTerminal(rows[i].second), rows[i].first);
    }
    if (shown == 0) {
      per = fmt::format("{} function{}, none called", rows.size(), rows.size() == 1 ? "" : "s");
    } else if (rows.size() > shown) {
      per += fmt::format(", and {} more", rows.size() - shown);
    }
    out += " (" + per + ")";
  }
  out += fmt::format("; unwound {}, entry-only {}, running at exit {}", s.unwound, s.entry_only,
                     s.running_at_exit);
  if (s.abandoned > 0) out += fmt::format(", abandoned on system stacks {}", s.abandoned);
  const bpf::Counters& c = s.counters;
  out += fmt::format("; events lost {}", s.lost_records + s.unwritten);
  if (c[GOTAP_CTR_FILTERED] > 0) {
    out += fmt::format("; {} calls filtered out in the kernel", c[GOTAP_CTR_FILTERED]);
  }
  std::vector<std::string> losses;
  auto note = [&](gotap_counter k, const char* what) {
    if (c[k] > 0) losses.push_back(fmt::format("{} {}", c[k], what));
  };
  note(GOTAP_CTR_RING_FULL, "records dropped: ring buffer full");
  note(GOTAP_CTR_STACK_OVERFLOW, "calls untraced: goroutine nesting deeper than the shadow stack");
  note(GOTAP_CTR_STACK_MAP_FULL, "calls untraced: too many goroutines with open calls");
  note(GOTAP_CTR_PREEMPTED, "hits dropped: probe preempted on its CPU");
  note(GOTAP_CTR_NO_GOROUTINE,
       "hits without a goroutine to pair by (g unreadable, or SP off g's stack: signal handlers)");
  // Attached to a running process, a call in progress at attach ends without a traced entry. A
  // spawned command ran nothing before attach: its returns without an entry mean entries lost.
  note(GOTAP_CTR_UNMATCHED_RETURN,
       s.spawned ? "returns without a traced entry (their entries were lost: see the lines above)"
                 : "returns without a traced entry (calls already running at attach)");
  note(GOTAP_CTR_BAD_COOKIE, "hits of unknown sites");
  note(GOTAP_CTR_HIST_FULL, "latencies not counted: too many (function, group) histograms");
  if (!s.write_error.empty()) {
    losses.push_back(
        fmt::format("{} calls not written: {}", s.unwritten, EscapeForTerminal(s.write_error)));
  }
  for (const auto& l : losses) out += "\n  " + l;
  if (!s.untraced_functions.empty()) {
    std::string names;
    size_t listed = 0;
    for (const auto& [name, why] : s.untraced_functions) {
      if (listed == kSummaryFunctions) {
        names += fmt::format(", and {} more", s.untraced_functions.size() - listed);
        break;
      }
      names += fmt::format("{}{}", listed++ ? ", " : "", EscapeForTerminal(name));
    }
    out += fmt::format("\n  {} function{} not traced (see the notes above): {}",
                       s.untraced_functions.size(), s.untraced_functions.size() == 1 ? "" : "s",
                       names);
  }
  if (!s.values_without_recipe.empty()) {
    // The most seen first: the types worth a signature or a narrower probe.
    std::vector<std::pair<uint64_t, std::string_view>> rows = MostFirst(s.values_without_recipe);
    uint64_t values = 0;
    for (const auto& [n, name] : rows) values += n;
    size_t shown = std::min(rows.size(), kSummaryFunctions);
    std::string types;
    for (size_t i = 0; i < shown; ++i) {
      types +=
          fmt::format("{}{} {}", i ? ", " : "", EscapeForTerminal(rows[i].second), rows[i].first);
    }
    if (rows.size() > shown) types += fmt::format(", and {} more types", rows.size() - shown);
    out += fmt::format(
        "\n  {} value{} printed by type and address only (struct types without a recipe: "
        "other packages than the program's, unless a traced pointer leads to them, or over the "
        "kernel's {}-recipe map): {}",
        values, values == 1 ? "" : "s", int{GOTAP_IFACE_MAX_RECIPES}, types);
  }
  if (s.child_exit_status) {
    int st = *s.child_exit_status;
    out += WIFEXITED(st) ? fmt::format("\ngotap: command exited with status {}", WEXITSTATUS(st))
                         : fmt::format("\ngotap: command killed by signal {}", WTERMSIG(st));
  }
  return out + "\n";
}

}  // namespace gotap::trace
