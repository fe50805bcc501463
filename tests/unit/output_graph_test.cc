// The function-graph view: calls arrive when they end (innermost first) and are printed per
// goroutine in call order, nested, with --min hiding short calls and what they contain.
#include <gtest/gtest.h>

#include <sstream>

#include "output/graph_sink.h"

namespace gotap::output {
namespace {

CallEvent Call(uint64_t goid, uint32_t level, std::string func, uint64_t start_us,
               uint64_t duration_us, uint32_t tid = 100, uint32_t return_tid = 100) {
  CallEvent e;
  e.pid = 7;
  e.goid = goid;
  e.level = level;
  e.func = std::move(func);
  e.ts_ns = 1'000'000'000'000 + start_us * 1000;
  e.duration_ns = duration_us * 1000;
  e.tid = tid;
  e.return_tid = return_tid;
  return e;
}

// The part of each line after "│ " (indentation and call), and the header lines as they are.
std::vector<std::string> Bodies(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t bar = line.find("│ ");
    out.push_back(bar == std::string::npos ? line : line.substr(bar + std::string("│ ").size()));
  }
  return out;
}

// Goroutine 5: a(0..100) { b(10..40) { c(20..30) } b(50..60) }, delivered as the kernel would.
void WriteTree(CallSink& sink) {
  sink.Write(Call(5, 2, "main.c", 20, 10));
  sink.Write(Call(5, 1, "main.b", 10, 30));
  sink.Write(Call(5, 1, "main.b", 50, 10));
  sink.Write(Call(5, 0, "main.a", 0, 100, 100, 101));
}

TEST(GraphSinkTest, PrintsCallsNestedInCallOrder) {
  std::ostringstream out;
  {
    auto sink = MakeGraphSink(out, {});
    WriteTree(*sink);
    sink->Flush();
  }
  EXPECT_EQ(
      Bodies(out.str()),
      (std::vector<std::string>{"── goroutine 5 (pid 7) ──────────", "main.a() {", "  main.b() {",
                                "    main.c()", "  } main.b", "  main.b()", "} main.a"}))
      << out.str();
  // The outer call moved threads: its closing line shows both; durations on the leaf lines.
  EXPECT_NE(out.str().find("100→101"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("10.0µs │     main.c()"), std::string::npos) << out.str();
}

TEST(GraphSinkTest, HoldsCallsUntilTheOutermostEnds) {
  std::ostringstream out;
  auto sink = MakeGraphSink(out, {});
  sink->Write(Call(5, 1, "main.b", 10, 30));
  sink->Flush();
  EXPECT_EQ(out.str(), "");
  sink->Write(Call(5, 0, "main.a", 0, 100));
  sink->Flush();
  EXPECT_EQ(Bodies(out.str()).size(), 4u) << out.str();
}

// A goroutine whose outer call runs on: what ended is printed after `hold`, and the outer call
// later closes around it.
TEST(GraphSinkTest, LongRunningCallerClosesAroundCallsPrintedEarlier) {
  std::ostringstream out;
  GraphOptions options;
  options.hold = std::chrono::milliseconds(0);
  auto sink = MakeGraphSink(out, options);
  sink->Write(Call(5, 2, "main.c", 20, 10));
  sink->Write(Call(5, 1, "main.b", 10, 30));
  sink->Flush();
  sink->Write(Call(5, 0, "main.a", 0, 100));
  sink->Flush();
  EXPECT_EQ(Bodies(out.str()),
            (std::vector<std::string>{"── goroutine 5 (pid 7) ──────────", "main.b() {",
                                      "  main.c()", "} main.b", "} main.a"}))
      << out.str();
}

TEST(GraphSinkTest, MinHidesShortCallsAndTheirChildren) {
  std::ostringstream out;
  {
    GraphOptions options;
    options.min_ns = 25'000;  // b(10..40) stays, c (10µs) and the second b (10µs) go
    auto sink = MakeGraphSink(out, options);
    WriteTree(*sink);
  }
  EXPECT_EQ(Bodies(out.str()), (std::vector<std::string>{"── goroutine 5 (pid 7) ──────────",
                                                         "main.a() {", "  main.b()", "} main.a"}))
      << out.str();
}

TEST(GraphSinkTest, GoroutinesAreSeparatedAndFiltered) {
  std::ostringstream all, one;
  {
    auto sink = MakeGraphSink(all, {});
    GraphOptions only3;
    only3.goid = 3;
    auto filtered = MakeGraphSink(one, only3);
    for (CallSink* s : {sink.get(), filtered.get()}) {
      s->Write(Call(3, 1, "main.x", 1, 1));
      s->Write(Call(4, 0, "main.y", 2, 1));  // goroutine 4's tree completes first
      s->Write(Call(3, 0, "main.w", 0, 5));
    }
  }
  EXPECT_EQ(Bodies(all.str()),
            (std::vector<std::string>{"── goroutine 4 (pid 7) ──────────", "main.y()",
                                      "── goroutine 3 (pid 7) ──────────", "main.w() {",
                                      "  main.x()", "} main.w"}))
      << all.str();
  EXPECT_EQ(Bodies(one.str()), (std::vector<std::string>{"── goroutine 3 (pid 7) ──────────",
                                                         "main.w() {", "  main.x()", "} main.w"}))
      << one.str();
}

TEST(GraphSinkTest, JsonLinesComeInCallOrderWithLevels) {
  std::ostringstream out;
  {
    GraphOptions options;
    options.json = true;
    auto sink = MakeGraphSink(out, options);
    WriteTree(*sink);
  }
  std::vector<std::string> order;
  std::istringstream in(out.str());
  std::string line;
  while (std::getline(in, line)) {
    size_t f = line.find("\"func\":\"");
    size_t l = line.find("\"level\":");
    ASSERT_NE(f, std::string::npos) << line;
    ASSERT_NE(l, std::string::npos) << line;
    order.push_back(line.substr(l + 8, 1) + line.substr(f + 8, line.find('"', f + 8) - f - 8));
  }
  EXPECT_EQ(order, (std::vector<std::string>{"0main.a", "1main.b", "2main.c", "1main.b"}));
}

}  // namespace
}  // namespace gotap::output
