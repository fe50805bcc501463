// Live tracing (root, real BPF) of tests/fixtures/go/mixed: integers of several sizes, a string,
// a slice, a struct split across registers, errors (nil and not), a bool, a pointer-receiver
// method, a closure and both instantiations of a generic function. The expected values are the
// ones mixed/main.go passes in each of its two rounds (-n 2).
#include <gtest/gtest.h>

#include "go_matrix.h"
#include "trace_events.h"

namespace gotap::testing {
namespace {

// On every Go release of the matrix (DWARF builds).
class TraceMixedBpf : public GoMatrixTest {
 protected:
  void SetUp() override {
    run_ = &SharedTraceRun({"main.record", "main.(*counter).Add", "main.transform",
                            "main.main.func1", "main.Max*", "--", GoFixture("mixed"), "-n", "2"});
  }

  // The calls of `func`, checked to be `count` completed calls of goroutine 1.
  std::vector<Json> Calls(const std::string& func, size_t count) {
    std::vector<Json> calls = EventsOf(run_->events, func);
    EXPECT_EQ(calls.size(), count) << func;
    for (const Json& c : calls) {
      EXPECT_EQ(c["event"], "call") << c.dump();
      EXPECT_EQ(c["goid"], 1) << c.dump();
    }
    return calls;
  }

  const TraceRun* run_ = nullptr;
};
GOTAP_ON_GO_MATRIX(TraceMixedBpf, "default");

// A hex address as the JSON output spells pointers: "0x…", not zero.
bool IsNonNullAddress(const Json& v) {
  if (!v.is_string()) return false;
  std::string s = v.get<std::string>();
  return s.size() > 2 && s.rfind("0x", 0) == 0 && s.find_first_not_of("0x") != std::string::npos;
}

TEST_P(TraceMixedBpf, ProgramAndTraceSucceed) {
  // 6 closure calls, 2 of each of the other five functions.
  ExpectCleanRun(*run_, 16);
  EXPECT_EQ(run_->run.out, "record=-17 err=not ok count=2 max=9/tap\n");
  EXPECT_EQ(run_->events.size(), 16u);
}

TEST_P(TraceMixedBpf, RecordIntegersStringSliceStruct) {
  std::vector<Json> calls = Calls("main.record", 2);
  std::vector<Json> transforms = Calls("main.transform", 2);
  ASSERT_EQ(calls.size(), 2u);
  ASSERT_EQ(transforms.size(), 2u);
  for (size_t i = 0; i < calls.size(); ++i) {
    const Json& c = calls[i];
    ASSERT_EQ(c["args"].size(), 11u) << c.dump();
    const std::vector<std::pair<std::string, std::string>> names_types = {
        {"i8", "int8"},      {"i16", "int16"}, {"i32", "int32"}, {"i64", "int64"},
        {"u8", "uint8"},     {"u", "uint"},    {"s", "string"},  {"xs", "[]int"},
        {"p", "main.point"}, {"err", "error"}, {"ok", "bool"}};
    for (size_t a = 0; a < names_types.size(); ++a) {
      EXPECT_EQ(c["args"][a]["name"], names_types[a].first) << c.dump();
      EXPECT_EQ(c["args"][a]["type"], names_types[a].second) << c.dump();
    }
    EXPECT_EQ(ValueOf(c, "args", "i8"), -8);
    EXPECT_EQ(ValueOf(c, "args", "i16"), -16);
    EXPECT_EQ(ValueOf(c, "args", "i32"), -32);
    EXPECT_EQ(ValueOf(c, "args", "i64"), -64);
    EXPECT_EQ(ValueOf(c, "args", "u8"), 8);
    EXPECT_EQ(ValueOf(c, "args", "u"), 64);
    EXPECT_EQ(ValueOf(c, "args", "s"), "hello");
    // xs is the slice transform returned in the same round: same backing array, len 3, cap 3.
    Json xs = ValueOf(c, "args", "xs");
    EXPECT_EQ(xs["len"], 3) << c.dump();
    EXPECT_EQ(xs["cap"], 3) << c.dump();
    EXPECT_EQ(xs["ptr"], ValueOf(transforms[i], "results", "r0")["ptr"]) << c.dump();
    EXPECT_EQ(ValueOf(c, "args", "p"), (Json{{"X", 1}, {"Y", 2}, {"Label", "p"}})) << c.dump();
    EXPECT_EQ(ValueOf(c, "results", "r0"), -17) << c.dump();
  }
}

// errors.New("boom") goes in every round; ok is true in round 0 (nil error back) and false in
// round 1 (errors.New("not ok") back, the same dynamic type *errors.errorString as "boom").
TEST_P(TraceMixedBpf, RecordErrorsAndBool) {
  std::vector<Json> calls = Calls("main.record", 2);
  ASSERT_EQ(calls.size(), 2u);
  for (const Json& c : calls) {
    Json err = ValueOf(c, "args", "err");
    EXPECT_TRUE(IsNonNullAddress(err["type_word"])) << c.dump();
    EXPECT_TRUE(IsNonNullAddress(err["data"])) << c.dump();
    EXPECT_EQ(Field(c, "results", "r1")["type"], "error") << c.dump();
  }
  EXPECT_EQ(ValueOf(calls[0], "args", "ok"), true) << calls[0].dump();
  EXPECT_EQ(ValueOf(calls[1], "args", "ok"), false) << calls[1].dump();
  EXPECT_TRUE(ValueOf(calls[0], "results", "r1").is_null()) << calls[0].dump();
  Json not_ok = ValueOf(calls[1], "results", "r1");
  EXPECT_EQ(not_ok["type_word"], ValueOf(calls[1], "args", "err")["type_word"]) << calls[1].dump();
  EXPECT_TRUE(IsNonNullAddress(not_ok["data"])) << calls[1].dump();
  EXPECT_NE(not_ok["data"], ValueOf(calls[1], "args", "err")["data"]) << calls[1].dump();
}

TEST_P(TraceMixedBpf, PointerReceiverMethod) {
  std::vector<Json> calls = Calls("main.(*counter).Add", 2);
  ASSERT_EQ(calls.size(), 2u);
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(Field(calls[i], "args", "c")["type"], "*main.counter") << calls[i].dump();
    EXPECT_TRUE(IsNonNullAddress(ValueOf(calls[i], "args", "c"))) << calls[i].dump();
    EXPECT_EQ(ValueOf(calls[i], "args", "c"), ValueOf(calls[0], "args", "c"));  // one counter
    EXPECT_EQ(ValueOf(calls[i], "args", "d"), 1) << calls[i].dump();
    EXPECT_EQ(ValueOf(calls[i], "results", "r0"), static_cast<int>(i) + 1) << calls[i].dump();
  }
}

// transform(xs, func(x int) int { return x * factor }) with factor 3, over {1, 2, 3}.
TEST_P(TraceMixedBpf, ClosureAndFuncArgument) {
  std::vector<Json> closures = Calls("main.main.func1", 6);
  ASSERT_EQ(closures.size(), 6u);
  for (size_t i = 0; i < closures.size(); ++i) {
    int x = static_cast<int>(i % 3) + 1;
    EXPECT_EQ(ValueOf(closures[i], "args", "x"), x) << closures[i].dump();
    EXPECT_EQ(ValueOf(closures[i], "results", "r0"), 3 * x) << closures[i].dump();
  }
  for (const Json& t : Calls("main.transform", 2)) {
    Json xs = ValueOf(t, "args", "xs");
    EXPECT_EQ(xs["len"], 3) << t.dump();
    EXPECT_EQ(xs["cap"], 3) << t.dump();
    EXPECT_EQ(ValueOf(t, "results", "r0"), xs) << t.dump();  // transform returns xs itself
    EXPECT_EQ(Field(t, "args", "f")["type"], "func(int) int") << t.dump();
    EXPECT_TRUE(IsNonNullAddress(ValueOf(t, "args", "f"))) << t.dump();
    // The closure calls of this round ran inside transform.
    int64_t start = t["ts_ns"], end = start + t["duration_ns"].get<int64_t>();
    int inside = 0;
    for (const Json& c : closures) {
      int64_t ts = c["ts_ns"];
      if (ts > start && ts + c["duration_ns"].get<int64_t>() < end) ++inside;
    }
    EXPECT_EQ(inside, 3) << t.dump();
  }
}

// Max(4, 9) and Max("go", "tap"): the generic dictionary the compiler passes first must not
// shift the decoded arguments.
// The linker names each instantiation by its shape: "main.Max[go.shape.int_0]" up to Go 1.20,
// "main.Max[go.shape.int]" from Go 1.21 on (as `nm` shows in the matrix builds).
TEST_P(TraceMixedBpf, GenericInstantiations) {
  int minor = std::stoi(GetParam().version.substr(GetParam().version.find('.') + 1));
  std::string index = minor >= 21 ? "" : "_0";
  std::vector<Json> ints = Calls("main.Max[go.shape.int" + index + "]", 2);
  std::vector<Json> strings = Calls("main.Max[go.shape.string" + index + "]", 2);
  for (const Json& c : ints) {
    ASSERT_EQ(c["args"].size(), 2u) << c.dump();
    EXPECT_EQ(ValueOf(c, "args", "a"), 4) << c.dump();
    EXPECT_EQ(ValueOf(c, "args", "b"), 9) << c.dump();
    ASSERT_EQ(c["results"].size(), 1u) << c.dump();
    EXPECT_EQ(c["results"][0]["value"], 9) << c.dump();
  }
  for (const Json& c : strings) {
    ASSERT_EQ(c["args"].size(), 2u) << c.dump();
    EXPECT_EQ(ValueOf(c, "args", "a"), "go") << c.dump();
    EXPECT_EQ(ValueOf(c, "args", "b"), "tap") << c.dump();
    ASSERT_EQ(c["results"].size(), 1u) << c.dump();
    EXPECT_EQ(c["results"][0]["value"], "tap") << c.dump();
  }
}

}  // namespace
}  // namespace gotap::testing
