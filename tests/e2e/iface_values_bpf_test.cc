// Live tracing (root, real BPF) of interface values whose dynamic types are the program's own
// structs (by value and by pointer, nested, cut at the probe's copy limit, a custom error type)
// and of a real *net.OpError from dialing a closed port: gotap lays them out from the runtime
// type data alone, so the stripped build must read the same. Over the whole Go version matrix
// (build/fixtures/matrix.txt), default and stripped.
#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "../fixture_matrix.h"
#include "trace_events.h"

namespace gotap::testing {
namespace {

// What the fixture printed after `prefix` on its own line (its %+v / %v of the value).
std::string Printed(const std::string& out, const std::string& prefix) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("\n?" + prefix + " ([^\n]*)"))) return "<none>";
  return m[1];
}

void CheckValues(const std::string& path, const std::vector<std::string>& probes) {
  std::vector<std::string> args = probes;
  args.insert(args.end(), {"--", path});
  TraceRun t = RunTraceJson(args);
  ExpectCleanRun(t, 8);
  std::map<int64_t, Json> v;
  for (const Json& e : EventsOf(t.events, "main.show")) {
    v[ValueOf(e, "args", "i").get<int64_t>()] = ValueOf(e, "args", "v");
  }
  ASSERT_EQ(v.size(), 7u) << t.run.out;

  EXPECT_EQ(v[0]["type"], "main.Point");
  EXPECT_EQ(v[0]["text"], "main.Point{X:1, Y:-2}");
  EXPECT_EQ(v[0]["fields"], Json::parse(R"({"X":1,"Y":-2})"));
  EXPECT_EQ(v[1]["text"], "*main.Point{X:3, Y:4}");
  EXPECT_EQ(v[2]["text"],
            "main.Labeled{Name:\"first\", At:main.Point{X:5, Y:6}, Ok:true, Ratio:0.5, "
            "Note:string(\"hi\")}");
  EXPECT_EQ(v[2]["fields"]["At"], Json::parse(R"({"X":5,"Y":6})"));
  EXPECT_EQ(v[2]["fields"]["Ratio"], 0.5);
  EXPECT_EQ(v[2]["fields"]["Note"]["value"], "hi");
  // A custom error: its fields, the wrapped error spelled.
  EXPECT_EQ(v[3]["type"], "*main.MyErr");
  EXPECT_EQ(v[3]["text"], "*main.MyErr{Code:7, Msg:\"boom\", Err:error(\"inner\")}");
  EXPECT_EQ(v[3]["fields"]["Code"], 7);
  EXPECT_EQ(v[3]["fields"]["Err"]["error"], "inner");
  // Wrapped by fmt.Errorf: the message was formatted by the program, gotap reads it.
  EXPECT_EQ(v[4]["error"], Printed(t.run.out, "value4"));
  // 344 bytes: the probe copies 256 of them.
  EXPECT_EQ(v[5]["text"], "*main.Big{ID:9, Title:\"big\", Pad:…, …(cut: bytes, 256 of 344)}");
  EXPECT_EQ(v[5]["cut"], "bytes");
  std::string mixed = v[6]["text"];
  EXPECT_TRUE(std::regex_match(mixed, std::regex(R"(\*main\.Mixed\{Tags:\[\]string\(len 1\), )"
                                                 R"(Index:map\[string\]int\(0x[0-9a-f]+\), )"
                                                 R"(Next:nil, Count:3\})")))
      << mixed;
  EXPECT_EQ(v[6]["fields"]["Next"], Json());

  std::vector<Json> dials = EventsOf(t.events, "main.dial");
  ASSERT_EQ(dials.size(), 1u);
  Json err = ValueOf(dials[0], "results", "r0");
  EXPECT_EQ(err["type"], "*net.OpError");
  std::string printed = Printed(t.run.out, "dial");
  EXPECT_TRUE(std::regex_match(
      printed, std::regex(R"(dial tcp 127\.0\.0\.1:\d+: connect: connection refused)")))
      << printed;
  EXPECT_EQ(err["error"], printed) << dials[0].dump();
}

std::vector<MatrixFixture> IfacesBuilds() {
  return MatrixFixtures("ifaces", {"default", "stripped"});
}

class IfaceMatrixBpf : public ::testing::TestWithParam<MatrixFixture> {};

TEST(IfaceMatrix, ListsEveryToolchain) { EXPECT_GE(IfacesBuilds().size(), 16u); }

TEST_P(IfaceMatrixBpf, StructsAndNetErrors) {
  if (GetParam().variant == "stripped") {
    CheckValues(GetParam().path, {"main.show(i int, v any) int", "main.dial(addr string) error"});
  } else {
    CheckValues(GetParam().path, {"main.show", "main.dial"});
  }
}

INSTANTIATE_TEST_SUITE_P(Ifaces, IfaceMatrixBpf, ::testing::ValuesIn(IfacesBuilds()),
                         [](const auto& info) { return info.param.Name(); });

// The text form, as a user reads it.
TEST(IfaceValuesBpf, AsText) {
  RunResult r = RunGotapWithin({"trace", "main.show", "main.dial", "--", Fixture("ifaces.default")},
                               std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("main.show(i=3, v=*main.MyErr{Code:7, Msg:\"boom\", Err:error(\"inner\")}) "
                       "→ 3"),
            std::string::npos)
      << r.out;
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex(R"re(main\.dial\(addr="127\.0\.0\.1:(\d+)"\) → error\("dial tcp )re"
                        R"re(127\.0\.0\.1:\1: connect: connection refused"\))re")))
      << r.out;
}

}  // namespace
}  // namespace gotap::testing
