// `gotap latency`: per-function histograms aggregated in the kernel, no per-call events.
#include <gtest/gtest.h>

#include <fstream>

#include "trace_events.h"

namespace gotap::testing {
namespace {

TEST(LatencyBpf, FibHistogramCountsEveryCall) {
  RunResult r =
      RunGotapWithin({"latency", "--json", "-o", ::testing::TempDir() + "gotap-latency.jsonl",
                      "main.fib", "--", Fixture("fib.default")},
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

}  // namespace
}  // namespace gotap::testing
