// `gotap trace --count`: per-function call counts aggregated in the kernel, no per-call events.
#include <gtest/gtest.h>

#include <map>

#include "go_matrix.h"
#include "trace_events.h"

namespace gotap::testing {
namespace {

// fib(25) makes 242,785 calls to main.fib; the stack check's branch fires again whenever morestack
// re-enters fib, so only a once-per-call site counts exactly.
// With DWARF and stripped (names from pclntab), on every Go release of the matrix.
class CountBpf : public GoMatrixTest {};
GOTAP_ON_GO_MATRIX(CountBpf, "default", "stripped");

TEST_P(CountBpf, CountsEveryCallExactlyOnce) {
  // The counts go to the -o file that RunTraceJson reads, one JSON object per function.
  TraceRun t = RunTraceJson({"--count", "main.*", "--", GoFixture("fib")});
  const RunResult& r = t.run;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(CommandExitStatus(r.err), 0) << r.err;
  const std::vector<Json>& counts = t.events;
  ASSERT_EQ(counts.size(), 2u) << r.err;
  EXPECT_EQ(counts[0]["func"], "main.fib");
  EXPECT_EQ(counts[0]["count"], 242785);
  EXPECT_EQ(counts[1]["func"], "main.main");
  EXPECT_EQ(counts[1]["count"], 1);
  auto summary = ParseSummary(r.err);
  ASSERT_TRUE(summary.has_value()) << r.err;
  EXPECT_EQ(summary->calls, 242786u);
  EXPECT_EQ(summary->lost, 0u);
}

// Stack growth: descend's 1 KiB frames grow the stack 3 times 49 calls deep, re-entering through
// morestack, which a count at the stack check's branch must subtract exactly; recursion on the
// way. summarize's own frame needs a bigger stack at its entry.
TEST_P(CountBpf, StackGrowthCountsExactly) {
  TraceRun t = RunTraceJson(
      {"--count", "main.summarize", "main.descend", "--", GoFixture("stacker"), "-n", "300000"});
  ASSERT_EQ(t.run.exit_code, 0) << t.run.err;
  std::map<std::string, uint64_t> counts;
  for (const Json& c : t.events) counts[c["func"]] = c["count"];
  EXPECT_EQ(counts["main.summarize"], 1u) << t.run.err;
  EXPECT_EQ(counts["main.descend"], 3u * 49) << t.run.err;
}

// Panics: frames that never return still entered once each.
TEST_P(CountBpf, PanickingCallsCountOnce) {
  TraceRun t = RunTraceJson({"--count", "main.guard", "main.outer", "main.inner", "--",
                             GoFixture("panicker"), "-n", "7"});
  ASSERT_EQ(t.run.exit_code, 0) << t.run.err;
  std::map<std::string, uint64_t> counts;
  for (const Json& c : t.events) counts[c["func"]] = c["count"];
  EXPECT_EQ(counts["main.guard"], 7u) << t.run.err;
  EXPECT_EQ(counts["main.outer"], 7u) << t.run.err;
  EXPECT_EQ(counts["main.inner"], 7u) << t.run.err;
}

// Counting needs only entry probes: functions without a RET (21 of runtime.*panic* in adder) are
// not worth a note each; and the summary names the functions called, not the dozens never called
// (their zero counts are in the output).
TEST(CountBpf, QuietAboutEntryOnlyAndUncalledFunctions) {
  TraceRun t = RunTraceJson(
      {"--count", "runtime.*panic*", "main.*", "--", Fixture("adder.default"), "-n", "10"});
  const RunResult& r = t.run;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("no RET"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("note:"), std::string::npos) << r.err;
  ASSERT_GT(t.events.size(), 12u);  // every function's count is in the output, zeros too
  size_t uncalled = 0;
  for (const Json& c : t.events) uncalled += c["count"] == 0;
  ASSERT_GT(uncalled, 10u);
  std::string summary;
  for (const std::string& line : Lines(r.err)) {
    if (line.find(" calls in ") != std::string::npos) summary = line;
  }
  EXPECT_NE(summary.find("(main.add 10, main.main 1, and " + std::to_string(t.events.size() - 2) +
                         " more); "),
            std::string::npos)
      << summary;
}

}  // namespace
}  // namespace gotap::testing
