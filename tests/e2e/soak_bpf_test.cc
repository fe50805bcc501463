// Soak: the soak fixture (HTTP server and client on loopback, GC pressure, stack copies under
// open traced frames, recovered panics, waves of 10,000 goroutines; it checks its own results)
// traced with `gotap trace --json -o FILE` on a set of its functions for a while. The target must
// finish with its checksums agreeing, gotap's memory must stay flat, losses must be reported, and
// every reported call must pair: per goroutine, call intervals nest or are disjoint.
//
// GOTAP_SOAK_SECONDS sets the length (default 30 s in `make test`; `make soak` runs 600 s).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "trace_events.h"
#include "trace_process.h"

namespace gotap::testing {
namespace {

using std::chrono::seconds;

int SoakSeconds() {
  const char* env = getenv("GOTAP_SOAK_SECONDS");
  int s = env ? std::atoi(env) : 0;
  return s > 0 ? s : 30;
}

// VmRSS of a process in KiB, 0 if it is gone.
uint64_t RssKib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

struct Interval {
  uint64_t start = 0, end = 0;
  std::string func;
};

// The first pair of intervals of one goroutine that overlap without nesting, or "".
std::string FirstCrossing(std::vector<Interval> v) {
  std::sort(v.begin(), v.end(), [](const Interval& a, const Interval& b) {
    return a.start != b.start ? a.start < b.start : a.end > b.end;
  });
  std::vector<const Interval*> open;  // enclosing intervals, innermost last
  for (const Interval& i : v) {
    while (!open.empty() && open.back()->end <= i.start) open.pop_back();
    if (!open.empty() && i.end > open.back()->end) {
      return open.back()->func + " [" + std::to_string(open.back()->start) + ", " +
             std::to_string(open.back()->end) + "] and " + i.func + " [" + std::to_string(i.start) +
             ", " + std::to_string(i.end) + "]";
    }
    open.push_back(&i);
  }
  return "";
}

TEST(SoakBpf, LongTraceOfABusyServer) {
  const int duration = SoakSeconds();
  char path[] = "/tmp/gotap-e2e-soak-XXXXXX";
  close(mkstemp(path));
  const std::vector<std::string> funcs = {"main.handle",   "main.fetch", "main.makePayload",
                                          "main.deep",     "main.leaf",  "main.nest",
                                          "main.mayPanic", "main.calm",  "main.work"};
  std::vector<std::string> argv = {GOTAP_BINARY, "trace", "--json", "-o", path};
  argv.insert(argv.end(), funcs.begin(), funcs.end());
  for (std::string a :
       {std::string("--"), Fixture("soak.default"), std::string("-duration"),
        std::to_string(duration) + "s", std::string("-pause"), std::string("500ms")}) {
    argv.push_back(a);
  }
  auto gotap = ChildProcess::Start(argv);
  ASSERT_TRUE(gotap->WaitForLine(Stream::kErr, "gotap: tracing", seconds(30))) << gotap->err();

  // gotap's resident memory, once a second until it exits.
  std::vector<uint64_t> rss;
  std::optional<int> status;
  auto deadline = std::chrono::steady_clock::now() + seconds(duration + 120);
  while (!(status = gotap->Wait(seconds(1)))) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "gotap did not finish";
    if (uint64_t kib = RssKib(gotap->pid()); kib > 0) rss.push_back(kib);
  }
  EXPECT_EQ(DescribeStatus(*status), "exit 0") << gotap->err();
  EXPECT_EQ(CommandExitStatus(gotap->err()), 0) << gotap->err();
  EXPECT_NE(gotap->out().find("mismatches=0\n"), std::string::npos)
      << "the target's own checks: " << gotap->out();

  // Memory stays flat: the last third's peak within 10% + 4 MiB of the first third's.
  ASSERT_GE(rss.size(), 9u);
  size_t third = rss.size() / 3;
  uint64_t first = *std::max_element(rss.begin(), rss.begin() + third);
  uint64_t last = *std::max_element(rss.end() - third, rss.end());
  EXPECT_LE(last, first + first / 10 + 4096)
      << "gotap VmRSS peak grew from " << first << " KiB to " << last << " KiB";
  RecordProperty("rss_first_third_kib", std::to_string(first));
  RecordProperty("rss_last_third_kib", std::to_string(last));

  // Losses are reported (the summary line always carries the count).
  auto summary = ParseSummary(gotap->err());
  ASSERT_TRUE(summary) << gotap->err();
  EXPECT_NE(gotap->err().find("; events lost "), std::string::npos);

  // Every line is valid JSON; calls of one goroutine nest.
  std::ifstream in(path);
  std::map<uint64_t, std::vector<Interval>> by_goroutine;
  std::map<std::string, uint64_t> per_func;
  uint64_t lines = 0, bad = 0, mispaired = 0;
  for (std::string line; std::getline(in, line);) {
    ++lines;
    Json e = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!e.is_object() || !e["ts_ns"].is_number() || !e["goid"].is_number()) {
      if (++bad <= 3) ADD_FAILURE() << "bad line " << lines << ": " << line.substr(0, 300);
      continue;
    }
    std::string func = e.value("func", "");
    ++per_func[func + " " + e.value("event", "")];
    // A call paired with the wrong entry would carry another call's arguments.
    if (e.value("event", "") == "call") {
      Json arg = e["args"].size() ? e["args"][0]["value"] : Json();
      Json result = e["results"].size() ? e["results"][0]["value"] : Json();
      std::optional<int64_t> want;
      if (arg.is_number_integer()) {
        int64_t x = arg.get<int64_t>();
        if (func == "main.calm") want = 3 * x;
        if (func == "main.work") want = x * x % 1000 + 1;
        if (func == "main.nest") want = x * (x + 1) / 2;
      }
      if (want && result != *want && ++mispaired <= 3) {
        ADD_FAILURE() << "result does not match the arguments: " << line.substr(0, 400);
      }
    }
    uint64_t start = e["ts_ns"].get<uint64_t>();
    uint64_t length = e.value("duration_ns", uint64_t{0});
    by_goroutine[e["goid"].get<uint64_t>()].push_back({start, start + length, func});
  }
  unlink(path);
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(mispaired, 0u);
  EXPECT_EQ(lines,
            summary->calls + summary->unwound + summary->entry_only + summary->running_at_exit);
  for (auto& [goid, intervals] : by_goroutine) {
    std::string crossing = FirstCrossing(intervals);
    EXPECT_EQ(crossing, "") << "goroutine " << goid << ": calls overlap without nesting";
    if (!crossing.empty()) break;
  }
  // Every kind of load was traced.
  for (const std::string& f : funcs) {
    if (f == "main.mayPanic") continue;  // it is only called to panic
    EXPECT_GT(per_func[f + " call"], 0u) << f << " never completed a traced call";
  }
  // Every panic (1 in 5 calls of guarded) unwound a traced frame, found at the next call.
  EXPECT_EQ(per_func["main.mayPanic call"], 0u);
  EXPECT_GT(per_func["main.mayPanic unwound"], 0u);
  EXPECT_NEAR(static_cast<double>(per_func["main.mayPanic unwound"]),
              per_func["main.calm call"] / 4.0, 2.0);
  EXPECT_GE(per_func["main.work call"], 10000u);
  std::string counts;
  for (const auto& [k, n] : per_func) counts += k + "=" + std::to_string(n) + " ";
  RecordProperty("events", counts);
  std::cerr << "soak: " << duration << " s, " << lines << " events, gotap VmRSS first third peak "
            << first << " KiB, last third " << last << " KiB; " << counts << "\n"
            << gotap->err();
}

// On Go <= 1.20 the entry probe sits on the jbe after the stack check and fires again when
// morestack re-enters the function. A second hit at the same depth of the same function is a
// re-entry only if the function's morestack block ran in between; otherwise (here: the previous
// call panicked, and the goroutine calls the function again at the same depth) it is a new call,
// and the panicked one is reported as unwound.
TEST(SoakBpf, RepeatedPanicAtTheSameDepthIsUnwound) {
  TraceRun t = RunTraceJson({"main.mayPanic", "--", Fixture("soak.default"), "-panics", "10"});
  ASSERT_EQ(t.run.exit_code, 0) << t.run.err;
  EXPECT_EQ(t.run.out, "soak: 10 calls, 2 panicked\n");
  std::vector<Json> calls;
  int unwound = 0;
  for (const Json& e : t.events) {
    if (e.value("event", "") == "unwound") ++unwound;
    if (e.value("event", "") == "call") calls.push_back(e);
  }
  EXPECT_EQ(unwound, 2);
  ASSERT_EQ(calls.size(), 8u);
  for (const Json& e : calls) {
    EXPECT_EQ(ValueOf(e, "results", "r0"), 3 * ValueOf(e, "args", "i").get<int64_t>()) << e.dump();
  }
}

}  // namespace
}  // namespace gotap::testing
