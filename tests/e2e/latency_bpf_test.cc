// `gotap latency`: per-function histograms aggregated in the kernel, no per-call events.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "go_matrix.h"
#include "trace_events.h"

namespace gotap::testing {
namespace {

// The exact count and the per-goroutine pairing on every Go release of the matrix; the timing
// checks (bimodal sleeps, intervals) on Go 1.19 only, as they test the histograms, not the Go
// build.
class LatencyMatrixBpf : public GoMatrixTest {};
GOTAP_ON_GO_MATRIX(LatencyMatrixBpf, "default", "stripped");

TEST_P(LatencyMatrixBpf, FibHistogramCountsEveryCall) {
  RunResult r =
      RunGotapWithin({"latency", "--json", "-o", ::testing::TempDir() + "gotap-latency.jsonl",
                      "main.fib", "--", GoFixture("fib")},
                     std::chrono::seconds(90));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(CommandExitStatus(r.err), 0) << r.err;
  std::ifstream in(::testing::TempDir() + "gotap-latency.jsonl");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Json> reports = ParseJsonLines(text);
  ASSERT_EQ(reports.size(), 1u) << text;
  const Json& h = reports[0];
  EXPECT_EQ(h["func"], "main.fib");
  EXPECT_EQ(h["count"], 242785);
  uint64_t bucket_total = 0;
  for (const Json& b : h["buckets"]) {
    EXPECT_LT(b["low_ns"].get<uint64_t>(), b["high_ns"].get<uint64_t>());
    bucket_total += b["count"].get<uint64_t>();
  }
  EXPECT_EQ(bucket_total, 242785u);
  uint64_t min = h["min_ns"], p50 = h["p50_ns"], p90 = h["p90_ns"], p99 = h["p99_ns"];
  uint64_t max = h["max_ns"];
  EXPECT_LE(min, p50);
  EXPECT_LE(p50, p90);
  EXPECT_LE(p90, p99);
  EXPECT_LE(p99, max);
  EXPECT_EQ(h["mean_ns"].get<uint64_t>(), h["sum_ns"].get<uint64_t>() / 242785);
  // The longest call is fib(25) itself, which contains fib's 121,393 leaf calls (n < 2) one
  // after another on one goroutine, each at least as long as the shortest call.
  EXPECT_GE(max, 121393 * min);
  auto summary = ParseSummary(r.err);
  ASSERT_TRUE(summary.has_value()) << r.err;
  EXPECT_EQ(summary->calls, 242785u);
  EXPECT_EQ(summary->lost, 0u);
}

// Non-nil error results are counted in the kernel at the RETs (one register read): the count
// must equal the program's own. The signature gives stripped builds the error result; on the
// DWARF builds it is checked against DWARF.
TEST_P(LatencyMatrixBpf, CountsNonNilErrorsAsTheProgramDoes) {
  std::string file = ::testing::TempDir() + "gotap-latency-errors.jsonl";
  RunResult r =
      RunGotapWithin({"latency", "--json", "-o", file, "main.check(key string, value string) error",
                      "main.add", "--", GoFixture("adder"), "-check", "-n", "10000"},
                     std::chrono::seconds(90));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(check called 10000 times, (\d+) errors)")))
      << r.out;
  const uint64_t program_errors = std::stoull(m[1]);
  std::map<std::string, Json> by_func;
  for (const Json& h : ParseJsonLines(ReadText(file))) by_func[h["func"]] = h;
  ASSERT_TRUE(by_func.count("main.check")) << ReadText(file);
  EXPECT_EQ(by_func["main.check"]["count"], 10000);
  EXPECT_EQ(by_func["main.check"]["errors"].get<uint64_t>(), program_errors);
  // add returns an int: no error count, not a zero one.
  ASSERT_TRUE(by_func.count("main.add")) << ReadText(file);
  EXPECT_FALSE(by_func["main.add"].contains("errors")) << by_func["main.add"].dump();
}

std::vector<Json> LatencyReports(const std::vector<std::string>& args, RunResult* run) {
  std::string file = ::testing::TempDir() + "gotap-latency-reports.jsonl";
  std::vector<std::string> all = {"latency", "--json", "-o", file};
  all.insert(all.end(), args.begin(), args.end());
  *run = RunGotapWithin(all, std::chrono::seconds(90));
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ParseJsonLines(text);
}

uint64_t CountIn(const Json& h, uint64_t low_ns, uint64_t high_ns) {
  uint64_t n = 0;
  for (const Json& b : h["buckets"]) {
    if (b["low_ns"].get<uint64_t>() >= low_ns && b["high_ns"].get<uint64_t>() <= high_ns) {
      n += b["count"].get<uint64_t>();
    }
  }
  return n;
}

// sleeper: 40 calls of nap, sleeping 1ms and 10ms alternately: two modes of 20 calls. The
// sleeper also reports each call's duration as it saw it, inside nap (around the sleep) and
// around the call: the probes see a duration between the two. On a loaded machine a 1ms sleep
// can take 9ms, so the expected split comes from those figures, not from the sleeps asked for.
struct Truth {
  std::vector<uint64_t> inner, outer;  // per call, ns
  // How many calls the probes must have put below `ns`: at least those whose outer time is
  // below it, at most those whose inner time is.
  uint64_t AtLeastBelow(uint64_t ns) const {
    return std::count_if(outer.begin(), outer.end(), [&](uint64_t d) { return d < ns; });
  }
  uint64_t AtMostBelow(uint64_t ns) const {
    return std::count_if(inner.begin(), inner.end(), [&](uint64_t d) { return d < ns; });
  }
};

Truth ParseTruth(const std::string& out) {
  Truth t;
  std::regex line(R"(nap \d+ inner_ns (\d+) outer_ns (\d+))");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), line); it != std::sregex_iterator();
       ++it) {
    t.inner.push_back(std::stoull((*it)[1]));
    t.outer.push_back(std::stoull((*it)[2]));
  }
  std::sort(t.inner.begin(), t.inner.end());
  std::sort(t.outer.begin(), t.outer.end());
  return t;
}

TEST(LatencyBpf, BimodalSleepsLandInTheirBuckets) {
  RunResult r;
  std::vector<Json> reports =
      LatencyReports({"main.nap", "--", Fixture("sleeper.default"), "-report"}, &r);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(reports.size(), 1u) << r.err;
  Truth truth = ParseTruth(r.out);
  ASSERT_EQ(truth.inner.size(), 40u) << r.out;
  const Json& h = reports[0];
  EXPECT_EQ(h["count"], 40);
  // Bucket bounds are powers of two and quarters: 1ms lies in [0.92ms, 1.05ms), 10ms in
  // [8.39ms, 10.5ms). The short mode is below 8.39ms, the long one from there to 100ms. On a
  // quiet machine the truth gives exactly 20 and 20.
  const uint64_t split = 8'388'608;
  uint64_t below = CountIn(h, 917'504, split);
  EXPECT_GE(below, truth.AtLeastBelow(split)) << h.dump();
  EXPECT_LE(below, truth.AtMostBelow(split)) << h.dump();
  EXPECT_EQ(below + CountIn(h, split, 10'000'000'000), 40u) << h.dump();
  EXPECT_GE(below, 1u) << "no short mode: " << h.dump();
  EXPECT_LT(below, 40u) << "no long mode: " << h.dump();
  // Percentiles are bucket midpoints, within 12.5% of the rank's duration: p50 is the 20th
  // shortest call, p99 the 40th (nearest rank).
  uint64_t p50 = h["p50_ns"], p99 = h["p99_ns"];
  EXPECT_GE(p50, truth.inner[19] * 7 / 8) << h.dump();
  EXPECT_LE(p50, truth.outer[19] * 9 / 8) << h.dump();
  EXPECT_GE(p99, truth.inner[39] * 7 / 8) << h.dump();
  EXPECT_LE(p99, truth.outer[39] * 9 / 8) << h.dump();
  EXPECT_GE(h["min_ns"].get<uint64_t>(), 1'000'000u);
}

// The text form draws both modes: bars in the octaves of 1ms and of 10ms.
TEST(LatencyBpf, TextHistogramShowsBothModes) {
  RunResult r = RunGotapWithin({"latency", "main.nap", "--", Fixture("sleeper.default")},
                               std::chrono::seconds(90));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("main.nap  count 40"), std::string::npos) << r.out;
  std::regex bar(R"(\[\s*([0-9.]+)(ms|µs)[^\]]*\)\s+(\d+) \|@+)");
  std::map<std::string, uint64_t> bars;
  for (const std::string& line : Lines(r.out)) {
    std::smatch m;
    if (std::regex_search(line, m, bar)) bars[m[1].str() + m[2].str()] += std::stoull(m[3]);
  }
  uint64_t total = 0;
  for (const auto& [low, n] : bars) total += n;
  EXPECT_EQ(total, 40u) << r.out;
  EXPECT_GE(bars.size(), 2u) << r.out;
  EXPECT_NE(r.out.find("within 12.5%"), std::string::npos);
}

// blocker: 32 goroutines each call relay once; relay blocks on a channel and then sleeps 20ms,
// so goroutines park mid-call and resume on other threads. gotap pairs entry and return per
// goroutine: 32 calls, none shorter than the sleep inside it.
//
// What pairing by thread id (bpftrace's @start[tid] at the entry, read at the return) makes of
// the same kind of run is computed from a traced run's own entries and returns (entry tid and
// time, return tid and time): returns that find no start on their thread, or another
// goroutine's start, so durations shorter than the sleep. (bpftrace itself cannot be run on
// the RET here: Debian's bpftrace 0.17 refuses probes inside a function, "compiled without
// (k|u)probe offset support", leaving only uretprobes, which corrupt Go stacks.)
TEST_P(LatencyMatrixBpf, PerGoroutinePairingIsRightWherePerThreadIsWrong) {
  RunResult r;
  std::vector<Json> reports =
      LatencyReports({"main.relay", "--", GoFixture("blocker"), "-g", "32", "-pause", "20ms"}, &r);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(reports.size(), 1u) << r.err;
  EXPECT_EQ(reports[0]["count"], 32);
  EXPECT_GE(reports[0]["min_ns"].get<uint64_t>(), 20'000'000u) << reports[0].dump();

  // Per-thread pairing over real entries and returns; retried (each run fully checked) until a
  // run has a call that changed thread, which is up to the Go scheduler.
  uint64_t wrong = 0;
  for (int attempt = 0; attempt < 5 && wrong == 0 && !HasFailure(); ++attempt) {
    TraceRun t =
        RunTraceJson({"main.relay", "--", GoFixture("blocker"), "-g", "32", "-pause", "20ms"});
    ExpectCleanRun(t, 32);
    struct Hit {
      uint64_t ns;
      uint32_t tid;
      bool entry;
    };
    std::vector<Hit> hits;
    for (const Json& e : t.events) {
      uint64_t entry = e["ts_ns"], duration = e["duration_ns"];
      EXPECT_GE(duration, 20'000'000u) << "gotap's own pairing: " << e.dump();
      hits.push_back({entry, e["tid"].get<uint32_t>(), true});
      hits.push_back({entry + duration, e["return_tid"].get<uint32_t>(), false});
    }
    std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) { return a.ns < b.ns; });
    std::map<uint32_t, uint64_t> start;  // @start[tid]
    for (const Hit& h : hits) {
      if (h.entry) {
        start[h.tid] = h.ns;
        continue;
      }
      auto it = start.find(h.tid);
      if (it == start.end() || h.ns - it->second < 20'000'000) ++wrong;  // missing or too short
      if (it != start.end()) start.erase(it);
    }
  }
  EXPECT_GT(wrong, 0u) << "in 5 runs, pairing by thread id got every call right";
}

// -i: a report per interval. Each covers the calls since the previous one, so the counts add up
// to every call; with --cumulative each covers the run so far, so they only grow, and the last
// has every call. sleeper -n 100 -short 1ms -long 5ms runs for about 0.3s.
TEST(LatencyBpf, IntervalReportsAddUpOrAccumulate) {
  for (bool cumulative : {false, true}) {
    std::vector<std::string> args = {"-i", "50ms"};
    if (cumulative) args.push_back("--cumulative");
    for (const char* a : {"main.nap", "--"}) args.push_back(a);
    args.push_back(Fixture("sleeper.default"));
    for (const char* a : {"-n", "100", "-long", "5ms"}) args.push_back(a);
    RunResult r;
    std::vector<Json> reports = LatencyReports(args, &r);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_GE(reports.size(), 3u) << "cumulative " << cumulative << ": " << r.err;
    uint64_t sum = 0, previous = 0;
    for (const Json& h : reports) {
      uint64_t n = h["count"];
      sum += n;
      if (cumulative) {
        EXPECT_GE(n, previous);
      }
      previous = n;
    }
    if (cumulative) {
      EXPECT_EQ(reports.back()["count"], 100);
    } else {
      EXPECT_EQ(sum, 100u);
    }
    auto summary = ParseSummary(r.err);
    ASSERT_TRUE(summary.has_value()) << r.err;
    EXPECT_EQ(summary->calls, 100u) << r.err;
  }
}

// --by goid: one histogram per goroutine. calltree -g 4 calls outer once on each of 4
// goroutines.
TEST(LatencyBpf, ByGoidSplitsPerGoroutine) {
  RunResult r;
  std::vector<Json> reports = LatencyReports(
      {"--by", "goid", "main.outer", "--", Fixture("calltree.default"), "-g", "4"}, &r);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(reports.size(), 4u) << r.err;
  std::set<uint64_t> goids;
  for (const Json& h : reports) {
    EXPECT_EQ(h["func"], "main.outer");
    EXPECT_EQ(h["count"], 1) << h.dump();
    goids.insert(h["goid"].get<uint64_t>());
  }
  EXPECT_EQ(goids.size(), 4u);
  EXPECT_EQ(goids.count(1), 0u) << "outer runs on the workers, not on main";
}

// --filter on duration, in the kernel: of middle's 8 calls (4 workers × 2), only the 4 that
// sleep 20ms are counted; the others are filtered out and said to be.
TEST(LatencyBpf, DurationFilterKeepsOnlySlowCalls) {
  RunResult r;
  std::vector<Json> reports =
      LatencyReports({"--filter", "duration>=10ms", "main.middle", "--",
                      Fixture("calltree.default"), "-g", "4", "-pause", "20ms"},
                     &r);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(reports.size(), 1u) << r.err;
  EXPECT_EQ(reports[0]["count"], 4) << reports[0].dump();
  EXPECT_GE(reports[0]["min_ns"].get<uint64_t>(), 20'000'000u);
  EXPECT_NE(r.err.find("4 calls filtered out"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gotap::testing
