// A probe site the kernel refuses must not fail the whole trace: `gotap trace` leaves out the one
// function (runtime.abort starts with `int 3`, which x86 uprobes refuse), says so on stderr, counts
// it in the summary, and traces the rest.
#include <gtest/gtest.h>

#include <string>

#include "trace_events.h"

namespace gotap::testing {
namespace {

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(RefusedSiteBpf, RefusedFunctionIsReportedAndTheOthersTraced) {
  TraceRun t =
      RunTraceJson({"runtime.abort", "main.add", "--", Fixture("adder.default"), "-n", "100"});
  ASSERT_EQ(t.run.exit_code, 0) << t.run.err;
  EXPECT_EQ(CommandExitStatus(t.run.err), 0);
  EXPECT_EQ(EventsOf(t.events, "main.add").size(), 100u) << t.run.err;
  EXPECT_EQ(EventsOf(t.events, "runtime.abort").size(), 0u);
  EXPECT_EQ(Count(t.run.err,
                  "not tracing runtime.abort: the kernel refuses a uprobe on its entry "
                  "site"),
            1u)
      << t.run.err;
  EXPECT_EQ(Count(t.run.err, "1 function not traced (see the notes above): runtime.abort"), 1u)
      << t.run.err;
  auto summary = ParseSummary(t.run.err);
  ASSERT_TRUE(summary.has_value()) << t.run.err;
  EXPECT_EQ(summary->calls, 100u);
}

// The case seen in the field: a glob over the runtime (about a thousand functions) used to fail
// with ENOTSUPP for the whole link.
TEST(RefusedSiteBpf, RuntimeGlobAttachesDespiteRefusedSite) {
  RunResult r = RunGotapWithin(
      {"trace", "--count", "runtime.*", "--", Fixture("adder.default"), "-n", "1000"},
      std::chrono::seconds(60));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count(r.err, "not tracing runtime.abort:"), 1u) << r.err;
  EXPECT_NE(r.err.find("functions not traced (see the notes above): runtime.abort, "),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("ENOTSUPP"), std::string::npos) << r.err;
  auto summary = ParseSummary(r.err);
  ASSERT_TRUE(summary.has_value()) << r.err;
  EXPECT_GT(summary->calls, 100u) << "runtime functions ran while the program worked";
}

}  // namespace
}  // namespace gotap::testing
