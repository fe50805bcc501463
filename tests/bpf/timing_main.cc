// gotap_bpf_timing: prints the costs the design depends on, measured on this machine (root).
//   attach/detach of N uprobe_multi sites, and of perf-event sites (the fallback);
//   ns per call of main.add (adder, a leaf: both sites single-stepped) and of main.fib (fib(25),
//   with a stack check: the entry site can be the emulated JBE or the single-stepped SUBQ),
//   untraced, counting (one site, no records) and traced (entry + RETs, one record per call).
// Usage: gotap_bpf_timing [adder calls (default 1000000)] [runs, best of (default 3)]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "bpf/session.h"
#include "fixture_process.h"
#include "go_sites.h"
#include "trace_harness.h"

namespace gotap::bpf::testing {
namespace {

using Clock = std::chrono::steady_clock;
double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

void Check(const Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "error: %s\n", status.ToString().c_str());
    std::exit(1);
  }
}
template <typename T>
T Check(StatusOr<T> value) {
  Check(value.status());
  return std::move(value).value();
}

// Sets up a session for one run; null means the run is untraced.
using Setup = std::function<void(Session& session, SiteList& sites)>;

// Runs `fixture args` under a fresh session prepared by `setup`; returns the seconds from release
// to exit (draining the ring meanwhile), counts the records and the mean ns per program run.
double RunOnce(const std::string& fixture, const std::vector<std::string>& args, const Setup& setup,
               uint64_t* records, double* program_ns) {
  std::optional<Session> session;
  SiteList sites;
  if (setup) {
    session.emplace(Check(Session::Create()));
    Check(session->EnableRunStats());
    setup(*session, sites);
  }
  FixtureProcess process = Check(FixtureProcess::Start(FixturePath(fixture), args));
  if (session)
    Check(session->Attach(FixturePath(fixture), sites.offsets, sites.cookies, process.pid()));
  auto count = [&](Bytes) { ++*records; };
  auto start = Clock::now();
  Check(process.Release());
  while (!process.TryWait()) {
    if (session) {
      Check(session->Poll(std::chrono::milliseconds(10), count).status());
    } else {
      usleep(500);
    }
  }
  double seconds = Ms(Clock::now() - start) / 1000;
  while (session && Check(session->Poll(std::chrono::milliseconds(0), count)) > 0) {
  }
  if (session) {
    ProgramStats stats = Check(session->ReadProgramStats());
    *program_ns = stats.runs ? static_cast<double>(stats.run_time_ns) / stats.runs : 0;
  }
  return seconds;
}

struct Timing {
  double seconds;     // the best run
  uint64_t records;   // per run
  double program_ns;  // mean time inside the BPF program per run of it (last run)
};

Timing Best(int runs, const std::string& fixture, const std::vector<std::string>& args,
            const Setup& setup) {
  Timing t{1e9, 0, 0};
  uint64_t records = 0;
  for (int i = 0; i < runs; ++i)
    t.seconds = std::min(t.seconds, RunOnce(fixture, args, setup, &records, &t.program_ns));
  t.records = records / runs;
  return t;
}

Setup Counting(uint64_t offset) {
  return [offset](Session& session, SiteList& sites) {
    gotap_site_spec spec = Check(MakeSiteSpec(0, GOTAP_SITE_COUNT, Go119Layout()));
    sites.offsets.push_back(offset);
    sites.cookies.push_back(Check(session.AddSites(std::span(&spec, 1))));
  };
}

// Entry at `entry` and every RET; with `capture`, RAX is captured at both.
Setup Tracing(const FunctionSites& f, uint64_t entry, uint8_t flags, bool capture = true) {
  return [f, entry, flags, capture](Session& session, SiteList& sites) {
    std::vector<gotap_capture> rax;
    if (capture) rax.push_back(IntRegister(0));
    Check(AddTracedFunction(session, sites, 0, f, entry, rax, rax, flags));
  };
}

void TimeAttach(AttachMode mode, const std::vector<uint64_t>& all, size_t n) {
  SessionOptions options;
  options.attach_mode = mode;
  options.max_sites = options.max_funcs = static_cast<uint32_t>(n);
  Session session = Check(Session::Create(options));
  std::vector<gotap_site_spec> specs;
  for (uint32_t i = 0; i < n; ++i) {
    specs.push_back(Check(MakeSiteSpec(i, GOTAP_SITE_COUNT, Go119Layout())));
  }
  uint64_t first = Check(session.AddSites(specs));
  std::vector<uint64_t> offsets(all.begin(), all.begin() + n), cookies(n);
  std::iota(cookies.begin(), cookies.end(), first);
  FixtureProcess target = Check(FixtureProcess::Start(FixturePath("adder.default"), {}));
  auto start = Clock::now();
  Check(session.Attach(FixturePath("adder.default"), offsets, cookies, target.pid()));
  auto attached = Clock::now();
  session.DetachAll();
  auto detached = Clock::now();
  std::printf("%-12s %6zu sites: attach %8.1f ms, detach %8.1f ms\n",
              mode == AttachMode::kPerfEvent ? "perf_event" : "uprobe_multi", n,
              Ms(attached - start), Ms(detached - attached));
}

void PrintRow(const char* name, const Timing& t, double base, double calls) {
  std::printf("  %-30s %7.3f s %7.0f ns/call %8llu records %5.0f ns in BPF/run\n", name, t.seconds,
              (t.seconds - base) * 1e9 / calls, static_cast<unsigned long long>(t.records),
              t.program_ns);
}

int Main(int argc, char** argv) {
  uint64_t calls = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  int runs = argc > 2 ? std::atoi(argv[2]) : 3;

  std::string adder = FixturePath("adder.default");
  std::vector<uint64_t> insns = Check(InstructionOffsets(adder, 10000));
  for (size_t n : {10ul, 100ul, 1000ul, 10000ul}) {
    if (n <= insns.size()) TimeAttach(AttachMode::kUprobeMulti, insns, n);
  }
  for (size_t n : {1ul, 10ul}) TimeAttach(AttachMode::kPerfEvent, insns, n);

  FunctionSites add = Check(FindFunctionSites(adder, "main.add"));
  std::vector<std::string> args = {"-n", std::to_string(calls)};
  Timing base = Best(runs, "adder.default", args, nullptr);
  std::printf("adder: %llu calls of main.add (leaf: ADDQ; RET), best of %d\n",
              static_cast<unsigned long long>(calls), runs);
  PrintRow("untraced", base, base.seconds, calls);
  PrintRow("counting at entry (XOL)", Best(runs, "adder.default", args, Counting(add.entry)),
           base.seconds, calls);
  PrintRow("counting at RET (XOL)", Best(runs, "adder.default", args, Counting(add.returns[0])),
           base.seconds, calls);
  PrintRow("tracing entry + RET, no args",
           Best(runs, "adder.default", args, Tracing(add, add.entry, 0, false)), base.seconds,
           calls);
  PrintRow("tracing entry + RET (XOL)",
           Best(runs, "adder.default", args, Tracing(add, add.entry, 0)), base.seconds, calls);

  FunctionSites fib = Check(FindFunctionSites(FixturePath("fib.default"), "main.fib"));
  constexpr double kFibCalls = 242785;
  Timing fib_base = Best(runs, "fib.default", {}, nullptr);
  std::printf("fib(25): 242785 calls of main.fib, best of %d\n", runs);
  PrintRow("untraced", fib_base, fib_base.seconds, kFibCalls);
  PrintRow("counting at JBE (emulated)", Best(runs, "fib.default", {}, Counting(fib.stack_check)),
           fib_base.seconds, kFibCalls);
  PrintRow("counting at SUBQ (XOL)", Best(runs, "fib.default", {}, Counting(fib.after_check)),
           fib_base.seconds, kFibCalls);
  PrintRow("tracing JBE+DEDUP, RETs",
           Best(runs, "fib.default", {}, Tracing(fib, fib.stack_check, GOTAP_SITE_F_DEDUP)),
           fib_base.seconds, kFibCalls);
  PrintRow("tracing JBE+DEDUP, RETs, no args",
           Best(runs, "fib.default", {}, Tracing(fib, fib.stack_check, GOTAP_SITE_F_DEDUP, false)),
           fib_base.seconds, kFibCalls);
  PrintRow("tracing SUBQ, RETs", Best(runs, "fib.default", {}, Tracing(fib, fib.after_check, 0)),
           fib_base.seconds, kFibCalls);
  return 0;
}

}  // namespace
}  // namespace gotap::bpf::testing

int main(int argc, char** argv) { return gotap::bpf::testing::Main(argc, argv); }
