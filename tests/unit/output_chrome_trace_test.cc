// The Chrome trace-event writer: valid JSON, one track per goroutine, complete events whose
// times are exact in µs with ns precision.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "output/chrome_trace.h"
#include "output/timeline_svg.h"

namespace gotap::output {
namespace {

CallEvent Call(uint64_t goid, uint32_t level, std::string func, uint64_t start_ns,
               uint64_t duration_ns) {
  CallEvent e;
  e.pid = 42;
  e.tid = 1000 + static_cast<uint32_t>(goid);
  e.goid = goid;
  e.level = level;
  e.func = std::move(func);
  e.ts_ns = 1'700'000'000'000'000'000 + start_ns;
  e.duration_ns = duration_ns;
  return e;
}

TEST(ChromeTraceTest, WritesTracksAndCompleteEvents) {
  std::ostringstream out;
  {
    auto sink = MakeChromeTraceSink(out, "srv\x1b[31m");
    sink->Write(Call(7, 1, "main.inner", 1'234, 1'001));
    sink->Write(Call(7, 0, "main.outer", 0, 5'000));
    sink->Write(Call(9, 0, "main.\"odd\"\xff", 100, 1));
  }
  nlohmann::json trace = nlohmann::json::parse(out.str());
  ASSERT_TRUE(trace.is_array());
  std::map<uint64_t, std::string> names;
  std::vector<nlohmann::json> slices;
  for (const auto& e : trace) {
    if (e["ph"] == "M" && e["name"] == "thread_name") names[e["tid"]] = e["args"]["name"];
    if (e["ph"] == "M" && e["name"] == "process_name") {
      EXPECT_EQ(e["args"]["name"], "srv\x1b[31m (pid 42)");  // escaped in the file, exact here
    }
    if (e["ph"] == "X") slices.push_back(e);
  }
  EXPECT_EQ(names, (std::map<uint64_t, std::string>{{7, "goroutine 7"}, {9, "goroutine 9"}}));
  ASSERT_EQ(slices.size(), 3u);
  // Times relative to the first call written (main.inner); ns precision survives.
  EXPECT_EQ(slices[0]["ts"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(slices[0]["dur"].get<double>(), 1.001);
  EXPECT_DOUBLE_EQ(slices[1]["ts"].get<double>(), -1.234);
  EXPECT_DOUBLE_EQ(slices[1]["dur"].get<double>(), 5.0);
  EXPECT_EQ(slices[2]["name"], "main.\"odd\"\xef\xbf\xbd") << "invalid UTF-8 replaced";
  EXPECT_EQ(slices[0]["args"]["tid"], 1007);
}

TEST(ChromeTraceTest, SvgTimelineHasALanePerGoroutineAndABoxPerCall) {
  std::ostringstream out;
  {
    auto sink = MakeTimelineSvgSink(out, 2);
    sink->Write(Call(7, 1, "main.inner", 1'000, 1'000));
    sink->Write(Call(7, 0, "main.<outer>&", 0, 5'000));
    sink->Write(Call(9, 0, "main.dropped", 0, 5'000));
  }
  std::string svg = out.str();
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find(">goroutine 7<"), std::string::npos);
  size_t rects = 0;
  for (size_t at = svg.find("<rect x="); at != std::string::npos; at = svg.find("<rect x=", at + 1))
    ++rects;
  EXPECT_EQ(rects, 2u);
  EXPECT_NE(svg.find("main.&lt;outer&gt;&amp;"), std::string::npos) << "XML-escaped";
  EXPECT_NE(svg.find("1 more calls not drawn"), std::string::npos);
}

}  // namespace
}  // namespace gotap::output
