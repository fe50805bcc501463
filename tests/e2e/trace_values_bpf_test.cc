// Live tracing (root, real BPF) of functions whose arguments and results cover the Go register
// ABI's layouts: each decoded value must equal what the fixture's source passes and returns.
#include <gtest/gtest.h>

#include <regex>

#include "go_matrix.h"
#include "trace_events.h"

namespace gotap::testing {
namespace {

void ExpectString(const Json& event, const std::string& list, const std::string& name,
                  const std::string& value) {
  Json field = Field(event, list, name);
  EXPECT_EQ(field.value("type", ""), "string") << event.dump();
  EXPECT_EQ(field.value("value", Json()), value) << event.dump();
  EXPECT_FALSE(field.contains("truncated_bytes")) << event.dump();
}

// Values decoded with DWARF's types, on every Go release of the matrix.
class TraceValuesBpf : public GoMatrixTest {};
GOTAP_ON_GO_MATRIX(TraceValuesBpf, "default");

// A swap of two strings, spawned; the values include bytes that need escaping.
TEST_P(TraceValuesBpf, SwapOfTwoStrings) {
  const std::string x = "a\"b\\ \xc3\xa9", y = std::string("x\x01y\nz");
  TraceRun t = RunTraceJson({"main.swap", "--", GoFixture("swapper"), x, y});
  ExpectCleanRun(t, 1);
  EXPECT_EQ(t.run.out, y + " " + x + "\n");
  ASSERT_EQ(t.events.size(), 1u);
  const Json& e = t.events[0];
  EXPECT_EQ(e["event"], "call");
  EXPECT_EQ(e["func"], "main.swap");
  EXPECT_EQ(e["goid"], 1);
  EXPECT_GT(e["duration_ns"].get<int64_t>(), 0);
  ASSERT_EQ(e["args"].size(), 2u) << e.dump();
  ASSERT_EQ(e["results"].size(), 2u) << e.dump();
  ExpectString(e, "args", "x", x);
  ExpectString(e, "args", "y", y);
  ExpectString(e, "results", "r0", y);
  ExpectString(e, "results", "r1", x);
  // The spawned command is the traced process.
  std::string pid = "(pid " + std::to_string(e["pid"].get<int64_t>()) + ")";
  EXPECT_NE(t.run.err.find(pid), std::string::npos) << t.run.err;
}

// The text form of the same call: one line with timestamp, ids, call, results and duration.
TEST_P(TraceValuesBpf, SwapAsText) {
  RunResult r = RunGotapWithin({"trace", "main.swap", "--", GoFixture("swapper"), "hello", "go"},
                               std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::regex line(R"(^\d\d:\d\d:\d\d\.\d{6} pid=\d+ tid=\d+ g=1 main\.swap\(x="hello", y="go"\) → )"
                  R"(\("go", "hello"\)  [0-9.]+(ns|µs|ms|s)$)");
  int calls = 0, program = 0;
  for (const std::string& l : Lines(r.out)) {
    if (std::regex_match(l, line)) ++calls;
    if (l == "go hello") ++program;
  }
  EXPECT_EQ(calls, 1) << r.out;
  EXPECT_EQ(program, 1) << r.out;
}

// --strlen N copies N bytes of a string and says how many more there were.
TEST_P(TraceValuesBpf, StrlenTruncatesAndSaysBy) {
  TraceRun t =
      RunTraceJson({"--strlen", "3", "main.swap", "--", GoFixture("swapper"), "hello", "go"});
  ExpectCleanRun(t, 1);
  ASSERT_EQ(t.events.size(), 1u);
  Json x = Field(t.events[0], "args", "x"), r1 = Field(t.events[0], "results", "r1");
  EXPECT_EQ(x["value"], "hel");
  EXPECT_EQ(x["truncated_bytes"], 2);
  EXPECT_EQ(r1["value"], "hel");
  EXPECT_EQ(r1["truncated_bytes"], 2);
  ExpectString(t.events[0], "args", "y", "go");
}

// A stripped binary (no DWARF, no symtab) traced with a signature decodes exactly as the
// DWARF-typed build does, on every Go release of the matrix.
class TraceStrippedValuesBpf : public GoMatrixTest {};
GOTAP_ON_GO_MATRIX(TraceStrippedValuesBpf, "stripped");

TEST_P(TraceStrippedValuesBpf, StrippedWithSignature) {
  ASSERT_TRUE(RunGotap({"info", GoFixture("swapper")}).out.find("dwarf:              no") !=
              std::string::npos);
  TraceRun t = RunTraceJson({"main.swap(x string, y string) (string, string)", "--",
                             GoFixture("swapper"), "hello", "go"});
  ExpectCleanRun(t, 1);
  EXPECT_EQ(t.run.out, "go hello\n");
  ASSERT_EQ(t.events.size(), 1u);
  const Json& e = t.events[0];
  EXPECT_EQ(e["func"], "main.swap");
  ExpectString(e, "args", "x", "hello");
  ExpectString(e, "args", "y", "go");
  ExpectString(e, "results", "r0", "go");
  ExpectString(e, "results", "r1", "hello");
}

// Without DWARF or a signature nothing says what the results are: they print as unknown, never
// as whatever the result registers hold, and gotap says once how to give a signature.
TEST_P(TraceStrippedValuesBpf, StrippedWithoutSignatureShowsNoInventedResults) {
  TraceRun t = RunTraceJson({"main.swap", "--", GoFixture("swapper"), "hello", "go"});
  ExpectCleanRun(t, 1);
  ASSERT_EQ(t.events.size(), 1u);
  const Json& e = t.events[0];
  EXPECT_TRUE(e["results"].empty()) << e.dump();
  EXPECT_EQ(e.value("results_unknown", false), true) << e.dump();
  EXPECT_FALSE(e["args"].empty()) << "raw argument words: " << e.dump();
  const std::string hint = "give a signature to decode them";
  size_t first = t.run.err.find(hint);
  EXPECT_NE(first, std::string::npos) << t.run.err;
  EXPECT_EQ(t.run.err.find(hint, first + 1), std::string::npos) << "said once: " << t.run.err;

  RunResult text = RunGotapWithin({"trace", "main.swap", "--", GoFixture("swapper"), "a", "b"},
                                  std::chrono::seconds(60));
  EXPECT_EQ(text.exit_code, 0) << text.err;
  std::regex line(R"(^.* g=1 main\.swap\(.*\) → \?  [0-9.]+(ns|µs|ms|s)$)");
  int calls = 0;
  for (const std::string& l : Lines(text.out)) calls += std::regex_match(l, line);
  EXPECT_EQ(calls, 1) << text.out;
}

}  // namespace
}  // namespace gotap::testing
