// `gotap trace --count`: per-function call counts aggregated in the kernel, no per-call events.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace gotap::testing
