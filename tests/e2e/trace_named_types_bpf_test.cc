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
constexpr const char* kStore =
    "main.store(r *main.Request, n *main.Node, none *main.Node, count *int) *main.Point";

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

// Pointers followed at the probe: the program's "store &{ID:100 Name:req-0 Tags:[a] Origin:{X:3
// Y:4} Urgent:true Weight:0.25} &{Val:1 Name:n1 Next:0xc…} &{Val:2 …} &{Val:3 Name:n3
// Next:<nil>} 40 -> &{X:3 Y:4}" against the call's JSON values, a three-node list included.
TEST_P(TraceNamedTypesBpf, PointersAreFollowedAsTheProgramPrintsThem) {
  TraceRun t = RunTraceJson({kStore, "--", GoFixture("named"), "-n", "3"});
  ExpectCleanRun(t, 3);
  const std::regex store(
      R"(store &\{ID:(\d+) Name:(\S*) Tags:\[[^\]]*\] Origin:\{X:(-?\d+) Y:(-?\d+)\} Urgent:(true|false) Weight:([0-9.e+-]+)\} &\{Val:(\d+) Name:(\S+) Next:0x[0-9a-f]+\} &\{Val:(\d+) Name:(\S+) Next:0x[0-9a-f]+\} &\{Val:(\d+) Name:(\S+) Next:<nil>\} (\d+) -> &\{X:(-?\d+) Y:(-?\d+)\})");
  std::vector<std::smatch> stores;
  for (auto it = std::sregex_iterator(t.run.out.begin(), t.run.out.end(), store);
       it != std::sregex_iterator(); ++it) {
    stores.push_back(*it);
  }
  ASSERT_EQ(stores.size(), 3u) << t.run.out;
  size_t calls = 0;
  for (const Json& e : t.events) {
    if (e["func"] != "main.store" || calls >= stores.size()) continue;
    const std::smatch& m = stores[calls++];
    const Json* r = Arg(e, "args", "r");
    const Json* n = Arg(e, "args", "n");
    const Json* none = Arg(e, "args", "none");
    const Json* count = Arg(e, "args", "count");
    const Json* o = Arg(e, "results", "r0");
    ASSERT_TRUE(r && n && none && count && o) << e.dump();
    EXPECT_EQ((*r)["type"], "main.Request") << e.dump();
    EXPECT_EQ((*r)["fields"]["ID"], std::stoull(m[1]));
    EXPECT_EQ((*r)["fields"]["Name"], m[2].str());
    EXPECT_EQ((*r)["fields"]["Origin"]["X"], std::stoll(m[3]));
    EXPECT_EQ((*r)["fields"]["Origin"]["Y"], std::stoll(m[4]));
    EXPECT_EQ((*r)["fields"]["Urgent"], m[5] == "true");
    EXPECT_EQ((*r)["fields"]["Weight"], std::stod(m[6]));
    const Json* node = n;
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(node->is_object()) << e.dump();
      EXPECT_EQ((*node)["fields"]["Val"], std::stoll(m[7 + 2 * i])) << e.dump();
      EXPECT_EQ((*node)["fields"]["Name"], m[8 + 2 * i].str());
      node = &(*node)["fields"]["Next"];
    }
    EXPECT_TRUE(node->is_null()) << e.dump();  // the third node's Next is nil
    EXPECT_TRUE(none->is_null()) << e.dump();
    EXPECT_EQ((*count)["value"], std::stoll(m[13])) << e.dump();
    EXPECT_EQ((*o)["fields"]["X"], std::stoll(m[14])) << e.dump();
    EXPECT_EQ((*o)["fields"]["Y"], std::stoll(m[15]));
  }
  EXPECT_EQ(calls, 3u);

  // As text, like Go's %#v; --no-follow keeps the addresses.
  RunResult text = RunGotapWithin({"trace", kStore, "--", GoFixture("named"), "-n", "1"},
                                  std::chrono::seconds(60));
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("n=&main.Node{Val:1, Name:\"n1\", Next:&main.Node{Val:2, Name:\"n2\", "
                          "Next:&main.Node{Val:3, Name:\"n3\", Next:nil}}}, none=nil, "
                          "count=&int(40)) → &main.Point{X:3, Y:4}"),
            std::string::npos)
      << text.out;
  RunResult bare =
      RunGotapWithin({"trace", "--no-follow", kStore, "--", GoFixture("named"), "-n", "1"},
                     std::chrono::seconds(60));
  EXPECT_EQ(bare.exit_code, 0) << bare.err;
  EXPECT_TRUE(std::regex_search(
      bare.out,
      std::regex(
          R"(main\.store\(r=0x[0-9a-f]+, n=0x[0-9a-f]+, none=nil, count=0x[0-9a-f]+\) → 0x[0-9a-f]+)")))
      << bare.out;
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
