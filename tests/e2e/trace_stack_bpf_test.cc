// Live tracing (root, real BPF) of code that grows and copies goroutine stacks, where a uretprobe
// crashes the target, and of deep recursion, where entry and return must pair frame by frame.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "go_matrix.h"
#include "trace_events.h"
#include "trace_process.h"

namespace gotap::testing {
namespace {

using std::chrono::seconds;

// stacker's summarize folds 1,000,000 samples and calls descend(48, s) every 100,000 of them;
// descend(d, s) returns s.id % 3 + d*(d+1)/2 (see stacker/main.go).
// On every Go release of the matrix (DWARF builds: the checks read the struct argument's fields).
class TraceStackerBpf : public GoMatrixTest {
 protected:
  void SetUp() override {
    run_ = &SharedTraceRun({"main.summarize", "main.descend", "--", GoFixture("stacker")});
  }
  const TraceRun* run_ = nullptr;
};
GOTAP_ON_GO_MATRIX(TraceStackerBpf, "default");

TEST_P(TraceStackerBpf, ReturnProbesSurviveStackCopies) {
  ExpectCleanRun(*run_, 1 + 10 * 49);
  std::vector<std::string> printed = Lines(run_->run.out);
  ASSERT_EQ(printed.size(), 1u) << run_->run.out;
  EXPECT_EQ(printed[0].rfind("samples=1000000 total=", 0), 0u) << printed[0];
  std::vector<Json> calls = EventsOf(run_->events, "main.summarize");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0]["event"], "call");
  EXPECT_EQ(ValueOf(calls[0], "args", "n"), 1000000);
  EXPECT_EQ(ValueOf(calls[0], "results", "r0"), printed[0]) << calls[0].dump();
}

TEST_P(TraceStackerBpf, RecursionAcrossStackGrowthPairsEveryFrame) {
  std::vector<Json> summarize = EventsOf(run_->events, "main.summarize");
  std::vector<Json> calls = EventsOf(run_->events, "main.descend");
  ASSERT_EQ(summarize.size(), 1u);
  ASSERT_EQ(calls.size(), 490u);
  int64_t outer_start = summarize[0]["ts_ns"];
  int64_t outer_end = outer_start + summarize[0]["duration_ns"].get<int64_t>();
  std::map<std::pair<int64_t, int64_t>, int> seen;  // (s.id, depth) → calls
  for (const Json& c : calls) {
    ASSERT_EQ(c["event"], "call") << c.dump();
    int64_t depth = ValueOf(c, "args", "depth"), id = ValueOf(c, "args", "s")["id"];
    ++seen[{id, depth}];
    EXPECT_EQ(ValueOf(c, "results", "r0"), id % 3 + depth * (depth + 1) / 2) << c.dump();
    int64_t ts = c["ts_ns"];
    EXPECT_TRUE(ts > outer_start && ts + c["duration_ns"].get<int64_t>() < outer_end) << c.dump();
  }
  for (int64_t id = 0; id < 1000000; id += 100000) {
    for (int64_t depth = 0; depth <= 48; ++depth) {
      EXPECT_EQ((seen[{id, depth}]), 1) << "id " << id << " depth " << depth;
    }
  }
}

// s.label is a [24]byte holding "sample": every element is reported, or the truncation is said.
TEST_P(TraceStackerBpf, ArrayArgumentIsComplete) {
  std::vector<Json> calls = EventsOf(run_->events, "main.descend");
  ASSERT_FALSE(calls.empty());
  Json label = ValueOf(calls[0], "args", "s")["label"];
  Json expected = Json::array();
  for (char ch : std::string("sample")) expected.push_back(static_cast<int>(ch));
  while (expected.size() < 24) expected.push_back(0);
  EXPECT_EQ(label, expected) << calls[0].dump();
}

// The reason gotap exists: a uretprobe on summarize (bpftrace's way to see a return) makes the Go
// runtime find a foreign return address when it copies the stack, and the program dies.
TEST(TraceStackBpf, BpftraceUretprobeCrashesStacker) {
  std::string stacker = Fixture("stacker.default");
  auto bpftrace = ChildProcess::Start({"/usr/bin/bpftrace", "-e",
                                       "uretprobe:" + stacker + ":main.summarize { @n = count(); }",
                                       "-c", stacker});
  auto status = bpftrace->Wait(seconds(60));
  ASSERT_TRUE(status) << "bpftrace did not finish";
  // bpftrace does not pass on its command's exit status; the command's output shows it instead:
  // no result line, and the runtime's fatal error on stderr.
  EXPECT_EQ(bpftrace->out().find("samples="), std::string::npos) << bpftrace->out();
  EXPECT_NE(bpftrace->err().find("unexpected return pc for main.summarize"), std::string::npos)
      << bpftrace->err().substr(0, 2000);
  EXPECT_NE(bpftrace->err().find("fatal error: "), std::string::npos)
      << bpftrace->err().substr(0, 2000);
}

int64_t Fib(int64_t n) {
  int64_t a = 0, b = 1;
  for (int64_t i = 0; i < n; ++i) b = std::exchange(a, b) + b;
  return a;
}

// One call of fib as reported, with the calls directly inside it.
struct FibCall {
  int64_t start = 0, end = 0, n = 0;
  std::vector<size_t> children;
};

// fib(25) makes 242,785 calls. Every one is reported with fib(n) as its result, and the calls
// nest: sorted by entry time, each call's interval lies inside its caller's, and a call of fib(n)
// with n >= 2 contains exactly fib(n-1) and fib(n-2).
class TraceFibBpf : public GoMatrixTest {};
GOTAP_ON_GO_MATRIX(TraceFibBpf, "default");

TEST_P(TraceFibBpf, FibRecursionPairsAllCalls) {
  char path[] = "/tmp/gotap-e2e-fib-XXXXXX";
  close(mkstemp(path));
  RunResult r = RunGotapWithin({"trace", "--json", "-o", path, "main.fib", "--", GoFixture("fib")},
                               seconds(90));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "fib(25) = 75025\n");
  auto summary = ParseSummary(r.err);
  ASSERT_TRUE(summary) << r.err;
  EXPECT_EQ(summary->calls, 242785u) << r.err;
  EXPECT_EQ(summary->lost, 0u) << r.err;

  std::vector<FibCall> calls;
  std::ifstream in(path);
  int wrong_results = 0, other_goroutines = 0;
  for (std::string line; std::getline(in, line);) {
    Json e = Json::parse(line, nullptr, false);
    ASSERT_TRUE(e.is_object()) << line;
    FibCall c;
    c.start = e["ts_ns"];
    c.end = c.start + e["duration_ns"].get<int64_t>();
    c.n = ValueOf(e, "args", "n");
    if (ValueOf(e, "results", "r0") != Fib(c.n) && ++wrong_results < 5) ADD_FAILURE() << line;
    if (e["goid"] != 1) ++other_goroutines;
    calls.push_back(c);
  }
  unlink(path);
  ASSERT_EQ(calls.size(), 242785u);
  EXPECT_EQ(wrong_results, 0);
  EXPECT_EQ(other_goroutines, 0);

  std::sort(calls.begin(), calls.end(),
            [](const FibCall& a, const FibCall& b) { return a.start < b.start; });
  std::vector<size_t> open;  // the chain of calls containing the current one
  int roots = 0, escapes = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    while (!open.empty() && calls[open.back()].end < calls[i].start) open.pop_back();
    if (open.empty()) {
      ++roots;
    } else {
      FibCall& parent = calls[open.back()];
      if (calls[i].end > parent.end) ++escapes;
      parent.children.push_back(i);
    }
    open.push_back(i);
  }
  EXPECT_EQ(roots, 1);
  EXPECT_EQ(escapes, 0);
  EXPECT_EQ(calls[0].n, 25);
  int bad_children = 0;
  for (const FibCall& c : calls) {
    std::vector<int64_t> args;
    int64_t inner = 0;
    for (size_t child : c.children) {
      args.push_back(calls[child].n);
      inner += calls[child].end - calls[child].start;
    }
    std::vector<int64_t> want;
    if (c.n >= 2) want = {c.n - 1, c.n - 2};
    if (args != want || inner > c.end - c.start) {
      if (++bad_children < 5)
        ADD_FAILURE() << "fib(" << c.n << ") has " << args.size() << " children";
    }
  }
  EXPECT_EQ(bad_children, 0);
}

}  // namespace
}  // namespace gotap::testing
