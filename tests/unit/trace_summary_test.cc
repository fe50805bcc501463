// The end-of-run summary (trace::FormatSummary), unprivileged, against tests/golden/summary.txt:
// calls per function (most first, the rest counted), every kind of loss, functions not traced,
// and the values printed by type and address only, per type. Regenerate after an intended
// change of format with:
//   GOTAP_UPDATE_GOLDEN=1 ./build/tests/gotap_unit_tests --gtest_filter='TraceSummary.*'
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "golden_file.h"
#include "trace/tracer.h"

namespace gotap::trace {
namespace {

TEST(TraceSummary, EveryPartAsTheGoldenSays) {
  TraceSummary s;
  s.calls = 1234;
  s.seconds = 2.5;
  for (int i = 0; i < 12; ++i) s.calls_per_function[fmt::format("main.f{:02}", i)] = 100 + i;
  s.calls_per_function["main.never"] = 0;
  s.unwound = 2;
  s.entry_only = 1;
  s.running_at_exit = 3;
  s.lost_records = 5;
  s.counters.values[GOTAP_CTR_RING_FULL] = 5;
  s.counters.values[GOTAP_CTR_STACK_OVERFLOW] = 1;
  s.untraced_functions["main.refused"] = "the kernel refuses its probe site";
  s.values_without_recipe = {{"*http.response", 40}, {"*os.File", 2}, {"*bytes.Buffer", 2}};
  s.child_exit_status = 3 << 8;  // exited with status 3
  testing::ExpectGolden("summary.txt", FormatSummary(s));
}

TEST(TraceSummary, TypesWithoutRecipeAreListedMostSeenFirst) {
  TraceSummary s;
  for (int i = 0; i < 14; ++i) s.values_without_recipe[fmt::format("*main.T{:02}", i)] = i + 1;
  const std::string text = FormatSummary(s);
  EXPECT_NE(text.find("105 values printed by type and address only"), std::string::npos) << text;
  // The ten most seen, largest first, then how many types are left.
  EXPECT_NE(text.find("): *main.T13 14, *main.T12 13, "), std::string::npos) << text;
  EXPECT_NE(text.find("*main.T04 5, and 4 more types"), std::string::npos) << text;
  EXPECT_EQ(text.find("*main.T03 "), std::string::npos) << text;
}

}  // namespace
}  // namespace gotap::trace
