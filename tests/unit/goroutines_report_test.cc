// Text and JSON output of a goroutine snapshot: golden text, valid JSON whatever the target's
// strings hold, counts sorted by count, filters.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "goroutines/report.h"

namespace gotap::goroutines {
namespace {

Goroutine Waiting(int64_t goid, std::string reason, std::string func, std::string creator) {
  Goroutine g;
  g.goid = goid;
  g.status = kGwaiting;
  g.status_name = "waiting";
  g.wait_reason = std::move(reason);
  g.start_function = func;
  g.created_by = std::move(creator);
  g.frames.push_back(
      Frame{"runtime.gopark", "/go/src/runtime/proc.go", 363, false, 0x401000, 0xd6, false});
  g.frames.push_back(Frame{func, "/src/main.go", 12, false, 0x402000, 0x1b, false});
  return g;
}

Snapshot Sample() {
  Snapshot s;
  Goroutine main = Waiting(1, "chan receive", "main.main", "");
  main.waiting_ns = int64_t{123} * 1'000'000'000;
  s.goroutines.push_back(main);
  Goroutine w = Waiting(7, "chan receive", "main.worker", "main.main");
  w.parent_goid = 1;
  w.locked_to_thread = true;
  s.goroutines.push_back(w);
  Goroutine r;
  r.goid = 9;
  r.status = kGrunning;
  r.status_name = "running";
  r.thread_id = 4242;
  r.start_function = "main.spin";
  r.created_by = "main.main";
  s.goroutines.push_back(r);
  return s;
}

TEST(GoroutinesReport, GoldenText) {
  std::ostringstream out;
  WriteReport(Sample(), ReportOptions{}, out);
  EXPECT_EQ(out.str(),
            "goroutine 1 [chan receive, 2m3s] \u2014 main.main\n"
            "goroutine 7 [chan receive, locked to thread] \u2014 main.worker  (created by "
            "main.main in goroutine 1)\n"
            "goroutine 9 [running] tid 4242 \u2014 main.spin (running: start function)  "
            "(created by main.main)\n"
            "\n3 goroutines\n"
            "by state:\n"
            "        2  chan receive\n"
            "        1  running\n"
            "by function:\n"
            "        1  main.main\n"
            "        1  main.spin\n"
            "        1  main.worker\n");
}

TEST(GoroutinesReport, StacksAndFilter) {
  std::ostringstream out;
  ReportOptions options;
  options.stacks = true;
  options.filter = "worker";
  WriteReport(Sample(), options, out);
  EXPECT_NE(out.str().find("    main.worker\n        /src/main.go:12 +0x1b\n"), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("1 goroutines (of 3)"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("goroutine 1 "), std::string::npos);
}

TEST(GoroutinesReport, JsonLinesAreValidAndEscaped) {
  Snapshot s = Sample();
  s.goroutines[1].frames[1].function = "main.\x1b[31mevil\xff";
  std::ostringstream out;
  ReportOptions options;
  options.json = true;
  options.stacks = true;
  WriteReport(s, options, out);
  std::istringstream in(out.str());
  std::string line;
  std::vector<nlohmann::json> objects;
  while (std::getline(in, line)) objects.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(objects.size(), 4u);
  EXPECT_EQ(objects[1]["goid"], 7);
  EXPECT_EQ(objects[1]["parent_goid"], 1);
  EXPECT_EQ(objects[1]["locked_to_thread"], true);
  EXPECT_EQ(objects[1]["frames"][0]["shown"], false);
  EXPECT_EQ(objects[1]["frames"][1]["offset"], 0x1b);
  EXPECT_EQ(objects[2]["tid"], 4242);
  EXPECT_EQ(objects[0]["waiting_ns"], int64_t{123} * 1'000'000'000);
  const auto& summary = objects[3]["summary"];
  EXPECT_EQ(summary["goroutines"], 3);
  EXPECT_EQ(summary["by_state"][0]["state"], "chan receive");
  EXPECT_EQ(summary["by_state"][0]["count"], 2);
  // The text form never prints the escape byte.
  std::ostringstream text;
  WriteReport(s, ReportOptions{}, text);
  EXPECT_EQ(text.str().find('\x1b'), std::string::npos);
}

TEST(GoroutinesReport, Durations) {
  EXPECT_EQ(FormatDuration(5'000'000), "5ms");
  EXPECT_EQ(FormatDuration(12'500'000'000), "12s");
  EXPECT_EQ(FormatDuration(int64_t{123} * 1'000'000'000), "2m3s");
  EXPECT_EQ(FormatDuration(int64_t{3723} * 1'000'000'000), "1h2m");
  EXPECT_EQ(FormatDuration(-1), "0ms");
}

TEST(GoroutinesReport, TopFunctionSkipsRuntimeInternalsAndWrappers) {
  Goroutine g = Waiting(3, "select", "main.loop", "");
  g.frames.insert(g.frames.begin() + 1,
                  Frame{"main.main.func1", "/src/main.go", 3, false, 0x403000, 4, true});
  EXPECT_EQ(g.TopFunction(), "main.loop");
  EXPECT_TRUE(IsRuntimeInternal("runtime.gopark"));
  EXPECT_FALSE(IsRuntimeInternal("runtime.Gosched"));
  EXPECT_FALSE(IsRuntimeInternal("sync.runtime_SemacquireMutex"));
  EXPECT_TRUE(Matches(g, "select"));
  EXPECT_TRUE(Matches(g, "main.loop"));
  EXPECT_FALSE(Matches(g, "chan receive"));
}

}  // namespace
}  // namespace gotap::goroutines
