// Live tests of the BPF program's call pairing on the Go fixtures (root, real uprobes).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "bpf/call_record.h"
#include "bpf/session.h"
#include "fixture_process.h"
#include "test_macros.h"
#include "trace_harness.h"

namespace gotap::bpf::testing {
namespace {

std::string Text(const CapturedValue& v) { return std::string(v.data.begin(), v.data.end()); }

std::vector<gotap_capture> Concat(std::vector<gotap_capture> a,
                                  const std::vector<gotap_capture>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Counters other than records must stay zero in a clean run.
void ExpectNoAnomalies(const Counters& c) {
  for (int i = GOTAP_CTR_RING_FULL; i < GOTAP_CTR_NUM; ++i) {
    EXPECT_EQ(c.values[i], 0u) << c.ToString();
  }
}

TEST(TraceBpfTest, SwapCapturesStringArgumentsAndResults) {
  ASSERT_OK_AND_ASSIGN(Session session, Session::Create());
  std::string bin = FixturePath("swapper.default");
  ASSERT_OK_AND_ASSIGN(FunctionSites swap, FindFunctionSites(bin, "main.swap"));
  // swap(x, y string) (string, string): x in RAX/RBX, y in RCX/RDI, results the same at RET.
  auto strings = Concat(StringInRegisters(0, 0, 64), StringInRegisters(2, 2, 64));
  SiteList sites;
  ASSERT_OK(AddTracedFunction(session, sites, 7, swap, swap.after_check, strings, strings));
  ASSERT_OK_AND_ASSIGN(TraceResult run,
                       TraceFixture(session, "swapper.default", {"hello", "go"}, [&](pid_t pid) {
                         return session.Attach(bin, sites.offsets, sites.cookies, pid);
                       }));
  EXPECT_EQ(DescribeWaitStatus(run.wait_status), "exit 0");
  EXPECT_EQ(run.output, "go hello\n");
  ASSERT_EQ(run.records.size(), 1u);
  const OwnedRecord& r = run.records[0];
  EXPECT_EQ(r.header.flags, GOTAP_REC_COMPLETE);
  EXPECT_EQ(r.header.func_id, 7u);
  EXPECT_EQ(r.header.tgid, static_cast<uint32_t>(run.pid));
  EXPECT_EQ(r.header.goid, 1u);  // the main goroutine
  EXPECT_EQ(r.header.level, 0u);
  EXPECT_NE(r.header.entry_tid, 0u);
  EXPECT_NE(r.header.return_tid, 0u);
  EXPECT_GT(r.header.entry_ns, 0u);
  std::vector<CapturedValue> args = Parse(r.args, strings);
  ASSERT_EQ(args.size(), 4u);
  EXPECT_EQ(Text(args[0]), "hello");
  EXPECT_EQ(args[1].raw, 5u);
  EXPECT_EQ(Text(args[2]), "go");
  EXPECT_EQ(args[3].raw, 2u);
  std::vector<CapturedValue> results = Parse(r.results, strings);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(Text(results[0]), "go");
  EXPECT_EQ(results[1].raw, 2u);
  EXPECT_EQ(Text(results[2]), "hello");
  EXPECT_EQ(results[3].raw, 5u);
  EXPECT_EQ(run.counters[GOTAP_CTR_RECORDS], 1u);
  ExpectNoAnomalies(run.counters);
  EXPECT_EQ(*session.CountOpenGoroutines(), 0u);
  EXPECT_EQ(*session.CountOpenArgFrames(), 0u);
}

TEST(TraceBpfTest, StringCopiesStopAtMaxLen) {
  ASSERT_OK_AND_ASSIGN(Session session, Session::Create());
  std::string bin = FixturePath("swapper.default");
  ASSERT_OK_AND_ASSIGN(FunctionSites swap, FindFunctionSites(bin, "main.swap"));
  auto strings = Concat(StringInRegisters(0, 0, 3), StringInRegisters(2, 2, 3));
  SiteList sites;
  ASSERT_OK(AddTracedFunction(session, sites, 1, swap, swap.after_check, strings, {}));
  ASSERT_OK_AND_ASSIGN(TraceResult run,
                       TraceFixture(session, "swapper.default", {"hello", "go"}, [&](pid_t pid) {
                         return session.Attach(bin, sites.offsets, sites.cookies, pid);
                       }));
  ASSERT_EQ(run.records.size(), 1u);
  std::vector<CapturedValue> args = Parse(run.records[0].args, strings);
  ASSERT_EQ(args.size(), 4u);
  EXPECT_EQ(Text(args[0]), "hel");
  EXPECT_EQ(args[1].raw, 5u);  // the length is still the real one
  EXPECT_EQ(Text(args[2]), "go");
  EXPECT_TRUE(run.records[0].results.empty());
}

TEST(TraceBpfTest, CapturesBeyondTheAreaAreTruncated) {
  ASSERT_OK_AND_ASSIGN(Session session, Session::Create());
  std::string bin = FixturePath("swapper.default");
  ASSERT_OK_AND_ASSIGN(FunctionSites swap, FindFunctionSites(bin, "main.swap"));
  auto strings = Concat(StringInRegisters(0, 0, 1000), StringInRegisters(2, 2, 1000));
  SiteList sites;
  ASSERT_OK(AddTracedFunction(session, sites, 1, swap, swap.after_check, strings, {}));
  std::string x(800, 'x'), y(800, 'y');
  ASSERT_OK_AND_ASSIGN(TraceResult run,
                       TraceFixture(session, "swapper.default", {x, y}, [&](pid_t pid) {
                         return session.Attach(bin, sites.offsets, sites.cookies, pid);
                       }));
  ASSERT_EQ(run.records.size(), 1u);
  const OwnedRecord& r = run.records[0];
  EXPECT_EQ(r.header.flags, GOTAP_REC_COMPLETE | GOTAP_REC_TRUNCATED);
  EXPECT_EQ(r.args.size(), static_cast<size_t>(GOTAP_AREA_MAX));
  // x: 8 + 2 + 800 bytes, x.len: 8, y: 8 + 2 + what is left of the area; y.len does not fit.
  std::vector<CapturedValue> args = Parse(r.args, strings);
  ASSERT_EQ(args.size(), 3u);
  EXPECT_EQ(Text(args[0]), x);
  EXPECT_EQ(args[1].raw, 800u);
  EXPECT_EQ(Text(args[2]), std::string(GOTAP_AREA_MAX - 818 - 10, 'y'));
}

uint64_t Fib(uint64_t n) { return n < 2 ? n : Fib(n - 1) + Fib(n - 2); }

// Calls of fib(n) at each recursion level, as the program makes them.
void CountFibCalls(int n, uint32_t level, std::map<uint32_t, uint64_t>& per_level) {
  ++per_level[level];
  if (n < 2) return;
  CountFibCalls(n - 1, level + 1, per_level);
  CountFibCalls(n - 2, level + 1, per_level);
}

TEST(TraceBpfTest, FibCallsArePairedWithCorrectNesting) {
  ASSERT_OK_AND_ASSIGN(Session session, Session::Create());
  std::string bin = FixturePath("fib.default");
  ASSERT_OK_AND_ASSIGN(FunctionSites fib, FindFunctionSites(bin, "main.fib"));
  ASSERT_EQ(fib.returns.size(), 2u);
  std::vector<gotap_capture> n = {IntRegister(0)};  // n at entry, the result at RET: both RAX
  SiteList sites;
  ASSERT_OK(AddTracedFunction(session, sites, 3, fib, fib.after_check, n, n));
  ASSERT_OK_AND_ASSIGN(TraceResult run, TraceFixture(session, "fib.default", {}, [&](pid_t pid) {
                         return session.Attach(bin, sites.offsets, sites.cookies, pid);
                       }));
  EXPECT_EQ(DescribeWaitStatus(run.wait_status), "exit 0");
  EXPECT_EQ(run.output, "fib(25) = 75025\n");
  ASSERT_EQ(run.records.size(), 242785u);
  ExpectNoAnomalies(run.counters);

  std::map<uint32_t, uint64_t> expected_levels, levels;
  CountFibCalls(25, 0, expected_levels);
  std::map<uint32_t, uint64_t> depth_at_level;
  const OwnedRecord* root = nullptr;
  int wrong = 0;
  for (const OwnedRecord& r : run.records) {
    ASSERT_EQ(r.header.flags, GOTAP_REC_COMPLETE);
    ++levels[r.header.level];
    // Every frame of one level sits at the same distance from the stack top.
    auto [it, inserted] = depth_at_level.emplace(r.header.level, r.header.depth);
    if (!inserted) {
      ASSERT_EQ(it->second, r.header.depth) << "level " << r.header.level;
    }
    // Entry and return were paired: the result at the RET is fib of the argument at the entry.
    uint64_t arg = Parse(r.args, n).at(0).raw, result = Parse(r.results, n).at(0).raw;
    if (result != Fib(arg)) ++wrong;
    if (r.header.level == 0) root = &r;
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(levels, expected_levels);
  uint64_t previous = 0;
  for (auto [level, depth] : depth_at_level) {
    EXPECT_GT(depth, previous) << "level " << level;
    previous = depth;
  }
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(Parse(root->args, n).at(0).raw, 25u);
  for (const OwnedRecord& r : run.records) {
    EXPECT_GE(r.header.entry_ns, root->header.entry_ns);
    EXPECT_LE(r.header.entry_ns + r.header.duration_ns,
              root->header.entry_ns + root->header.duration_ns);
  }
  // The last record is the outermost call: it returns last.
  EXPECT_EQ(run.records.back().header.level, 0u);
  EXPECT_EQ(*session.CountOpenGoroutines(), 0u);
  EXPECT_EQ(*session.CountOpenArgFrames(), 0u);
}

}  // namespace
}  // namespace gotap::bpf::testing
