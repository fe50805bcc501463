// Strings from a traced process may hold anything. The fixture strfuzz passes a few thousand
// seeded random byte strings (escape sequences, invalid UTF-8, NULs, C1 controls, long and huge
// values) to main.sink(i int, s string, b []byte) and prints what it passed; gotap must write
// valid JSON whose decoded strings are those bytes (up to --strlen), and text with no raw
// control bytes, one line per call.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "../utf8_oracle.h"
#include "trace_events.h"

namespace gotap::testing {
namespace {

using std::chrono::seconds;

constexpr int kCalls = 3000;
constexpr int kStrlen = 200;
const std::string kFuzzer = "strfuzz.default";

// What one call passed: lengths and the first bytes (at least kStrlen of them when present).
struct Passed {
  uint64_t s_len = 0, b_len = 0;
  std::string s, b;
};

std::string Unhex(const std::string& hex) {
  if (hex == "-") return "";
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

// The fixture's lines "i LEN(s) HEX(s) LEN(b) HEX(b)", by index.
std::map<int64_t, Passed> ParsePassed(const std::string& out) {
  std::map<int64_t, Passed> passed;
  for (const std::string& line : Lines(out)) {
    std::istringstream in(line);
    int64_t i = 0;
    Passed p;
    std::string s_hex, b_hex;
    if (!(in >> i >> p.s_len >> s_hex >> p.b_len >> b_hex)) continue;
    p.s = Unhex(s_hex);
    p.b = Unhex(b_hex);
    passed[i] = p;
  }
  return passed;
}

TEST(OutputSafetyBpf, JsonHoldsTheBytesPassed) {
  TraceRun t = RunTraceJson({"--strlen", std::to_string(kStrlen), "main.sink", "--",
                             Fixture(kFuzzer), "-n", std::to_string(kCalls), "-seed", "11"});
  ASSERT_EQ(t.run.exit_code, 0) << t.run.err;
  ASSERT_EQ(CommandExitStatus(t.run.err), 0) << t.run.err;
  std::map<int64_t, Passed> passed = ParsePassed(t.run.out);
  ASSERT_EQ(passed.size(), static_cast<size_t>(kCalls)) << "the fixture's own report";
  // RunTraceJson parsed every line with nlohmann::json (a line that is not an object fails).
  std::vector<Json> calls = EventsOf(t.events, "main.sink");
  ASSERT_EQ(calls.size(), static_cast<size_t>(kCalls)) << t.run.err;
  ExpectCleanRun(t, kCalls);
  int invalid_utf8 = 0, truncated = 0;
  for (const Json& e : calls) {
    Json i = ValueOf(e, "args", "i");
    ASSERT_TRUE(i.is_number_integer()) << e.dump();
    auto it = passed.find(i.get<int64_t>());
    ASSERT_NE(it, passed.end()) << e.dump();
    const Passed& p = it->second;
    std::string s_want = p.s.substr(0, kStrlen), b_want = p.b.substr(0, kStrlen);
    if (AsJsonText(s_want) != s_want || AsJsonText(b_want) != b_want) ++invalid_utf8;

    Json s = Field(e, "args", "s");
    ASSERT_TRUE(s["value"].is_string()) << e.dump();
    EXPECT_EQ(s["value"].get<std::string>(), AsJsonText(s_want)) << "call " << i << e.dump();
    if (p.s_len > kStrlen) {
      ++truncated;
      EXPECT_EQ(s.value("truncated_bytes", uint64_t{0}), p.s_len - kStrlen) << e.dump();
    } else {
      EXPECT_FALSE(s.contains("truncated_bytes")) << e.dump();
    }
    Json b = ValueOf(e, "args", "b");
    ASSERT_TRUE(b.is_object()) << e.dump();
    EXPECT_EQ(b["len"], p.b_len) << e.dump();
    if (p.b_len > 0) {
      ASSERT_TRUE(b["data"].is_string()) << e.dump();
      EXPECT_EQ(b["data"].get<std::string>(), AsJsonText(b_want)) << "call " << i << e.dump();
    }
    EXPECT_EQ(ValueOf(e, "results", "r0"), i.get<int64_t>() + p.s_len + p.b_len) << e.dump();
  }
  // The corpus did hold what this test is about.
  EXPECT_GT(invalid_utf8, kCalls / 4);
  EXPECT_GT(truncated, 10);
}

// Bytes a terminal may act on: C0 controls but the line feed, DEL, C1 controls (as UTF-8), the
// Unicode line and paragraph separators; and any byte that is not part of valid UTF-8.
std::string FirstUnsafeByte(const std::string& text) {
  for (size_t i = 0; i < text.size();) {
    uint8_t c = static_cast<uint8_t>(text[i]);
    if ((c < 0x20 && c != '\n') || c == 0x7f) return "control byte " + std::to_string(c);
    size_t n = WellFormedLength(text, i);
    if (n == 0) return "invalid UTF-8 byte " + std::to_string(c);
    if (n == 2 && c == 0xc2 && static_cast<uint8_t>(text[i + 1]) < 0xa0) return "C1 control";
    if (n == 3 && text.compare(i, 2, "\xe2\x80") == 0 &&
        (static_cast<uint8_t>(text[i + 2]) == 0xa8 || static_cast<uint8_t>(text[i + 2]) == 0xa9)) {
      return "line or paragraph separator";
    }
    i += n;
  }
  return "";
}

TEST(OutputSafetyBpf, TextHasNoRawControlBytes) {
  char path[] = "/tmp/gotap-e2e-text-XXXXXX";
  close(mkstemp(path));
  RunResult r =
      RunGotapWithin({"trace", "-o", path, "--strlen", std::to_string(kStrlen), "main.sink", "--",
                      Fixture(kFuzzer), "-n", std::to_string(kCalls), "-seed", "12"},
                     seconds(90));
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  unlink(path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(CommandExitStatus(r.err), 0) << r.err;
  EXPECT_EQ(FirstUnsafeByte(text.str()), "");
  EXPECT_EQ(FirstUnsafeByte(r.err), "");
  // No string broke a line: exactly one line per call.
  std::vector<std::string> lines = Lines(text.str());
  EXPECT_EQ(lines.size(), static_cast<size_t>(kCalls));
  size_t sink_lines = 0;
  for (const std::string& line : lines) {
    if (line.find(" main.sink(i=") != std::string::npos) ++sink_lines;
  }
  EXPECT_EQ(sink_lines, static_cast<size_t>(kCalls));
  EXPECT_NE(text.str().find("\\x1b[31m"), std::string::npos) << "ESC is shown escaped";
}

}  // namespace
}  // namespace gotap::testing
