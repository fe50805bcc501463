// Named types in signatures, laid out from a stripped binary's own type data, on every Go
// release of the matrix: a protobuf-like struct by value, named scalars, a time.Duration and an
// io.Writer read as the program itself prints them with %+v and %v.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <regex>

#include "base/duration.h"
#include "go_matrix.h"
#include "run_gotap.h"
#include "trace_events.h"

namespace gotap::testing {
namespace {

constexpr const char* kPlace = "main.place(p main.Point, r main.Request) main.Point";
constexpr const char* kLabel =
    "main.label(k main.TraceKey, l main.Level, d time.Duration) main.TraceKey";
constexpr const char* kEmit = "main.emit(w io.Writer, msg string) (int, error)";

class TraceNamedTypesBpf : public GoMatrixTest {};
GOTAP_ON_GO_MATRIX(TraceNamedTypesBpf, "stripped");

const Json* Arg(const Json& event, const char* list, const std::string& name) {
  for (const Json& v : event[list]) {
    if (v["name"] == name) return &v["value"];
  }
  return nullptr;
}

// The program's "place {X:0 Y:0} {ID:100 Name:req-0 Tags:[a] Origin:{X:3 Y:4} Urgent:true
// Weight:0.25} -> {X:3 Y:4}" against the call's JSON values.
void ExpectPlaceAsPrinted(const Json& event, const std::smatch& m) {
  const Json* p = Arg(event, "args", "p");
  const Json* r = Arg(event, "args", "r");
  const Json* q = Arg(event, "results", "r0");
  ASSERT_TRUE(p && r && q) << event.dump();
  EXPECT_EQ((*p)["X"], std::stoll(m[1])) << event.dump();
  EXPECT_EQ((*p)["Y"], std::stoll(m[2]));
  EXPECT_EQ((*r)["ID"], std::stoull(m[3]));
  EXPECT_EQ((*r)["Name"], m[4].str());
  // The slice header is read; its elements are not followed yet.
  const size_t tags = m[5].str().empty() ? 0 : std::count(m[5].first, m[5].second, ' ') + 1;
  EXPECT_EQ((*r)["Tags"]["len"], tags);
  EXPECT_EQ((*r)["Origin"]["X"], std::stoll(m[6]));
  EXPECT_EQ((*r)["Origin"]["Y"], std::stoll(m[7]));
  EXPECT_EQ((*r)["Urgent"], m[8] == "true");
  EXPECT_EQ((*r)["Weight"], std::stod(m[9]));
  EXPECT_EQ((*q)["X"], std::stoll(m[10]));
  EXPECT_EQ((*q)["Y"], std::stoll(m[11]));
}

TEST_P(TraceNamedTypesBpf, ValuesReadAsTheProgramPrintsThem) {
  TraceRun t = RunTraceJson({kPlace, kLabel, kEmit, "--", GoFixture("named"), "-n", "3"});
  ExpectCleanRun(t, 3 * 4);
  const std::regex place(
      R"(place \{X:(-?\d+) Y:(-?\d+)\} \{ID:(\d+) Name:(\S*) Tags:\[([^\]]*)\] Origin:\{X:(-?\d+) Y:(-?\d+)\} Urgent:(true|false) Weight:([0-9.e+-]+)\} -> \{X:(-?\d+) Y:(-?\d+)\})");
  const std::regex label(R"(label (\S+) (-?\d+) (\S+) -> (\S+))");
  std::vector<std::smatch> places, labels;
  for (auto it = std::sregex_iterator(t.run.out.begin(), t.run.out.end(), place);
       it != std::sregex_iterator(); ++it) {
    places.push_back(*it);
  }
  for (auto it = std::sregex_iterator(t.run.out.begin(), t.run.out.end(), label);
       it != std::sregex_iterator(); ++it) {
    labels.push_back(*it);
  }
  ASSERT_EQ(places.size(), 3u) << t.run.out;
  ASSERT_EQ(labels.size(), 3u) << t.run.out;
  size_t place_calls = 0, label_calls = 0, emit_calls = 0;
  for (const Json& e : t.events) {
    if (e["func"] == "main.place" && place_calls < places.size()) {
      ExpectPlaceAsPrinted(e, places[place_calls++]);
    } else if (e["func"] == "main.label" && label_calls < labels.size()) {
      const std::smatch& m = labels[label_calls++];
      EXPECT_EQ(*Arg(e, "args", "k"), m[1].str()) << e.dump();
      EXPECT_EQ(*Arg(e, "args", "l"), std::stoll(m[2]));
      // JSON keeps nanoseconds; Go printed the Duration with its String method.
      EXPECT_EQ(FormatGoDuration(Arg(e, "args", "d")->get<int64_t>()), m[3].str());
      EXPECT_EQ(*Arg(e, "results", "r0"), m[4].str());
    } else if (e["func"] == "main.emit") {
      ++emit_calls;
      const Json* w = Arg(e, "args", "w");
      ASSERT_NE(w, nullptr) << e.dump();
      // The writer's dynamic type, as %T would name it.
      const std::string dump = w->dump();
      EXPECT_TRUE(dump.find("*bytes.Buffer") != std::string::npos ||
                  dump.find("*os.File") != std::string::npos)
          << dump;
    }
  }
  EXPECT_EQ(place_calls, 3u);
  EXPECT_EQ(label_calls, 3u);
  EXPECT_EQ(emit_calls, 6u);

  // As text, fields keep their declared order and the Duration reads as Go prints it.
  RunResult text = RunGotapWithin({"trace", kPlace, kLabel, "--", GoFixture("named"), "-n", "1"},
                                  std::chrono::seconds(60));
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find(" Origin:{X:3 Y:4} Urgent:true Weight:0.25}) → {X:3 Y:4}"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("main.label(k=\"trace-0\", l=-1, d=1.5ms) → \"trace-0!\""),
            std::string::npos)
      << text.out;
}

// A name the binary has no descriptor for is bad input naming the nearest names it has.
TEST_P(TraceNamedTypesBpf, UnknownTypeIsBadInputWithNearestNames) {
  RunResult r = RunGotapWithin({"trace", GoFixture("named"), "main.place(p main.Pointt)"},
                               std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("main.place: parameter p: type main.Pointt is not in the binary's type "
                       "data"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("nearest: main.Point"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gotap::testing
