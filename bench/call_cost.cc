#include "call_cost.h"

#include <fmt/format.h>
#include <sys/wait.h>

#include <atomic>
#include <cstring>
#include <numeric>
#include <optional>
#include <thread>

#include "bench_util.h"
#include "bpf/session.h"
#include "gobin/binary.h"
#include "probe/selector.h"
#include "target_process.h"
#include "trace/plan.h"

namespace gotap::bench {
namespace {

const char* ModeName(ProbeMode mode) {
  switch (mode) {
    case ProbeMode::kNone:
      return "none";
    case ProbeMode::kCount:
      return "count";
    case ProbeMode::kEmpty:
      return "empty";
    case ProbeMode::kFull:
      return "full";
  }
  return "?";
}

// The sites of `function` for `mode`; empty for kNone.
trace::TracePlan PlanFor(const CallCostOptions& options) {
  trace::TracePlan plan;
  if (options.mode == ProbeMode::kNone) return plan;
  auto binary = Check(gobin::Binary::Open(options.binary), "opening the binary");
  probe::Selector selector = Check(probe::ParseSelector(options.function), "parsing the probe");
  trace::PlanOptions plan_options;
  plan_options.count_only = options.mode == ProbeMode::kCount;
  plan = Check(trace::PlanTrace(*binary, {selector}, plan_options), "planning");
  if (plan.functions.size() != 1) Die("the probe must name exactly one function");
  if (options.mode == ProbeMode::kEmpty) {
    // The same instructions as the full trace, running the program's cheapest path: one
    // lookup of the site and one per-CPU counter increment. No goroutine, no captures.
    for (gotap_site_spec& spec : plan.specs) {
      spec.kind = GOTAP_SITE_COUNT;
      spec.flags = 0;  // chained exits (kChainedSite) stay unattached: one hit per entry+exit
      spec.ncaptures = 0;
      std::memset(spec.captures, 0, sizeof(spec.captures));
    }
  }
  return plan;
}

struct RunResult {
  double seconds = 0;       // wall: release to exit
  double cpu_seconds = 0;   // the target's user + system time, start-up included
  uint64_t records = 0;     // kFull: records read from the ring
  uint64_t hits = 0;        // kCount, kEmpty: COUNT site hits
  bpf::ProgramStats stats;  // with run_stats
};

// The adder fixture's command line: it calls main.add n times, through main.step with -step, or
// main.check (two strings, an error result) instead with -check.
std::vector<std::string> TargetArgs(const CallCostOptions& options) {
  std::vector<std::string> argv = {options.binary, "-wait", "-n", std::to_string(options.calls)};
  if (options.function == "main.step") argv.push_back("-step");
  if (options.function == "main.check") argv.push_back("-check");
  return argv;
}

// What the adder fixture prints when it made `calls` calls of `function`.
std::string ExpectedOutput(const CallCostOptions& options) {
  const char* called = options.function == "main.check" ? "check" : "add";
  return fmt::format("{} called {} times", called, options.calls);
}

RunResult RunOnce(const CallCostOptions& options, const trace::TracePlan& plan) {
  std::optional<bpf::Session> session;
  std::vector<uint64_t> cookies;
  const trace::AttachableSites sites = trace::SitesToAttach(plan);
  if (options.mode != ProbeMode::kNone || options.run_stats) {
    bpf::SessionOptions session_options;
    session_options.goroutine_slots = options.goroutine_slots;
    session.emplace(Check(bpf::Session::Create(session_options), "creating the BPF session"));
    if (options.run_stats) Check(session->EnableRunStats(), "enabling run-time statistics");
  }
  if (options.mode != ProbeMode::kNone) {
    uint64_t first = Check(session->AddSites(plan.specs), "adding sites");
    for (size_t i : sites.spec_index) cookies.push_back(first + i);
  }
  TargetProcess target =
      Check(TargetProcess::Start(TargetArgs(options), "ready"), "starting the target");
  if (!cookies.empty()) {
    Check(session->Attach(options.binary, sites.file_offsets, cookies, target.pid()), "attaching");
  }

  // The ring is drained on another thread so that the exit is seen the moment it happens.
  std::atomic<bool> done{false};
  std::atomic<uint64_t> records{0};
  std::thread reader;
  if (options.mode == ProbeMode::kFull) {
    reader = std::thread([&] {
      auto count = [&](Bytes) { records.fetch_add(1, std::memory_order_relaxed); };
      while (!done.load())
        Check(session->Poll(std::chrono::milliseconds(10), count).status(), "poll");
    });
  }
  auto start = Clock::now();
  Check(target.Release(), "releasing the target");
  TargetProcess::Exit ended = Check(target.Wait(), "waiting for the target");
  RunResult result;
  result.seconds = Millis(Clock::now() - start) / 1000;
  result.cpu_seconds = ended.cpu_seconds;
  int status = ended.status;
  done = true;
  if (reader.joinable()) reader.join();

  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) Die(fmt::format("target status {}", status));
  std::string output = target.ReadOutput();
  std::string expected = ExpectedOutput(options);
  if (output.find(expected) == std::string::npos) Die("target printed: " + output);
  if (session) {
    session->DetachAll();
    auto count = [&](Bytes) { records.fetch_add(1, std::memory_order_relaxed); };
    while (Check(session->Poll(std::chrono::milliseconds(0), count), "drain") > 0) {
    }
    auto counts = Check(session->ReadFuncCounts(), "reading counters");
    result.hits = std::accumulate(counts.begin(), counts.end(), uint64_t{0});
    if (options.run_stats) result.stats = Check(session->ReadProgramStats(), "reading stats");
  }
  result.records = records.load();
  return result;
}

}  // namespace

void RunCallCost(const CallCostOptions& options) {
  trace::TracePlan plan = PlanFor(options);
  // What a correct run counts: every call once at the entry, once more at a RET (add has one).
  uint64_t returns = plan.functions.empty() ? 0 : plan.functions[0].return_sites.size();
  for (int run = 0; run < options.runs; ++run) {
    RunResult r = RunOnce(options, plan);
    bool ok = true;
    switch (options.mode) {
      case ProbeMode::kNone:
        break;
      case ProbeMode::kCount:
        ok = r.hits == options.calls;
        break;
      case ProbeMode::kEmpty:
        ok = returns == 1 ? r.hits == 2 * options.calls : r.hits >= options.calls;
        break;
      case ProbeMode::kFull:
        ok = r.records == options.calls;
        break;
    }
    Emit({{"bench", "calls"},
          {"mode", ModeName(options.mode)},
          {"goroutine_slots", options.goroutine_slots},
          {"run", run},
          {"calls", options.calls},
          {"seconds", r.seconds},
          {"cpu_seconds", r.cpu_seconds},
          {"records", r.records},
          {"hits", r.hits},
          {"sites", plan.specs.size()},
          {"counts_match", ok},
          {"bpf_runs", r.stats.runs},
          {"bpf_ns_per_run", r.stats.runs ? static_cast<double>(r.stats.run_time_ns) /
                                                static_cast<double>(r.stats.runs)
                                          : 0.0}});
    if (!ok)
      Die(fmt::format("{} run {}: counts do not match {} calls", ModeName(options.mode), run,
                      options.calls));
  }
}

}  // namespace gotap::bench
