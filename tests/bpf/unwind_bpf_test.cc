// Live tests of frames that survive stack growth (stacker) and frames abandoned by panics
// (panicker): records stay paired, the target never crashes, and no map entry leaks.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bpf/call_record.h"
#include "bpf/session.h"
#include "fixture_process.h"
#include "test_macros.h"
#include "trace_harness.h"

namespace gotap::bpf::testing {
namespace {

constexpr uint32_t kSummarize = 1, kDescend = 2;

// Every test runs with the shadow stacks in goroutine slots (the default) and with all of them
// in the LRU map (the path of goroutines whose slot another goroutine holds).
class UnwindBpfTest : public ::testing::TestWithParam<uint32_t> {
 protected:
  SessionOptions Options() const {
    SessionOptions options;
    options.goroutine_slots = GetParam();
    return options;
  }
};

INSTANTIATE_TEST_SUITE_P(StackHomes, UnwindBpfTest, ::testing::Values(1024u, 0u),
                         [](const ::testing::TestParamInfo<uint32_t>& info) {
                           return info.param ? "Slots" : "MapOnly";
                         });

struct StackerRun {
  TraceResult run;
  std::vector<gotap_capture> result_string;
};

// Traces summarize (entry at `entry_site` of its sites, with entry_flags) and descend in stacker.
void TraceStacker(Session& session, bool at_stack_check, uint8_t entry_flags, StackerRun* out) {
  std::string bin = FixturePath("stacker.default");
  ASSERT_OK_AND_ASSIGN(FunctionSites summarize, FindFunctionSites(bin, "main.summarize"));
  ASSERT_OK_AND_ASSIGN(FunctionSites descend, FindFunctionSites(bin, "main.descend"));
  ASSERT_NE(summarize.stack_check, summarize.entry) << "summarize has a stack check";
  out->result_string = StringInRegisters(0, 0, 256);
  SiteList sites;
  ASSERT_OK(AddTracedFunction(session, sites, kSummarize, summarize,
                              at_stack_check ? summarize.stack_check : summarize.after_check,
                              {IntRegister(0)}, out->result_string, entry_flags));
  ASSERT_OK(AddTracedFunction(session, sites, kDescend, descend, descend.after_check,
                              {IntRegister(0)}, {IntRegister(0)}));
  ASSERT_OK_AND_ASSIGN(out->run, TraceFixture(session, "stacker.default", {}, [&](pid_t pid) {
                         return session.Attach(bin, sites.offsets, sites.cookies, pid);
                       }));
}

std::map<uint32_t, int> CountByFunc(const TraceResult& run, uint16_t flags) {
  std::map<uint32_t, int> counts;
  for (const OwnedRecord& r : run.records) {
    if (r.header.flags == flags) ++counts[r.header.func_id];
  }
  return counts;
}

TEST_P(UnwindBpfTest, StackerCompletesAcrossStackGrowth) {
  ASSERT_OK_AND_ASSIGN(Session session, Session::Create(Options()));
  StackerRun s;
  TraceStacker(session, /*at_stack_check=*/false, 0, &s);
  ASSERT_FALSE(HasFatalFailure());
  const TraceResult& run = s.run;
  ASSERT_EQ(DescribeWaitStatus(run.wait_status), "exit 0") << run.output;
  ASSERT_FALSE(run.output.empty());
  // descend recurses 48 deep from summarize every 100,000 iterations: 10 x 49 calls.
  EXPECT_EQ(CountByFunc(run, GOTAP_REC_COMPLETE),
            (std::map<uint32_t, int>{{kSummarize, 1}, {kDescend, 490}}));
  EXPECT_EQ(run.records.size(), 491u);
  for (const OwnedRecord& r : run.records) {
    if (r.header.flags != GOTAP_REC_COMPLETE) {
      ADD_FAILURE() << CallRecordView{r.header, {}, {}}.ToString() << " arg "
                    << Parse(r.args, {IntRegister(0)}).at(0).raw;
    }
  }
  for (const OwnedRecord& r : run.records) {
    if (r.header.func_id == kDescend) {
      // descend(depth) sits at level 49 - depth under summarize; results pair with arguments.
      uint64_t depth = Parse(r.args, {IntRegister(0)}).at(0).raw;
      EXPECT_EQ(r.header.level, 49 - depth);
      continue;
    }
    EXPECT_EQ(r.header.level, 0u);
    EXPECT_EQ(Parse(r.args, {IntRegister(0)}).at(0).raw, 1000000u);
    std::vector<CapturedValue> result = Parse(r.results, s.result_string);
    ASSERT_EQ(result.size(), 2u);
    EXPECT_EQ(std::string(result[0].data.begin(), result[0].data.end()) + "\n", run.output);
    EXPECT_EQ(result[1].raw + 1, run.output.size());
  }
  EXPECT_EQ(run.counters[GOTAP_CTR_RECORDS], 491u);
  EXPECT_EQ(run.counters[GOTAP_CTR_UNMATCHED_RETURN], 0u) << run.counters.ToString();
  EXPECT_EQ(run.counters[GOTAP_CTR_STACK_OVERFLOW], 0u) << run.counters.ToString();
  EXPECT_EQ(*session.CountOpenGoroutines(), 0u);
  EXPECT_EQ(*session.CountOpenArgFrames(), 0u);
}

// A site on the stack check's JBE fires again when morestack re-enters the function; with
// GOTAP_SITE_F_DEDUP (and a site on the morestack block) the second hit is ignored, without it
// the first frame is reported UNWOUND.
TEST_P(UnwindBpfTest, StackCheckSiteIsDeduplicated) {
  ASSERT_OK_AND_ASSIGN(Session session, Session::Create(Options()));
  StackerRun s;
  TraceStacker(session, /*at_stack_check=*/true, GOTAP_SITE_F_DEDUP, &s);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_EQ(DescribeWaitStatus(s.run.wait_status), "exit 0") << s.run.output;
  EXPECT_GE(s.run.counters[GOTAP_CTR_DEDUPED], 1u) << "summarize's entry grows the stack";
  EXPECT_EQ(CountByFunc(s.run, GOTAP_REC_COMPLETE)[kSummarize], 1);
  EXPECT_EQ(CountByFunc(s.run, GOTAP_REC_UNWOUND).size(), 0u);
}

TEST_P(UnwindBpfTest, StackCheckSiteWithoutDedupReportsTheFirstHitUnwound) {
  ASSERT_OK_AND_ASSIGN(Session session, Session::Create(Options()));
  StackerRun s;
  TraceStacker(session, /*at_stack_check=*/true, 0, &s);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_EQ(DescribeWaitStatus(s.run.wait_status), "exit 0") << s.run.output;
  EXPECT_EQ(s.run.counters[GOTAP_CTR_DEDUPED], 0u);
  EXPECT_EQ(CountByFunc(s.run, GOTAP_REC_COMPLETE)[kSummarize], 1);
  EXPECT_GE(CountByFunc(s.run, GOTAP_REC_UNWOUND)[kSummarize], 1);
}

constexpr uint32_t kOuter = 10, kInner = 11;

// Runs `panicker args...` with main.outer and main.inner traced (kOuter, kInner: argument i).
void TraceOuterAndInner(Session& session, const std::vector<std::string>& args, TraceResult* run) {
  std::string bin = FixturePath("panicker.default");
  SiteList sites;
  for (auto [id, name] : {std::pair{kOuter, "main.outer"}, std::pair{kInner, "main.inner"}}) {
    ASSERT_OK_AND_ASSIGN(FunctionSites f, FindFunctionSites(bin, name));
    ASSERT_OK(AddTracedFunction(session, sites, id, f, f.after_check, {IntRegister(0)}, {}));
  }
  ASSERT_OK_AND_ASSIGN(*run, TraceFixture(session, "panicker.default", args, [&](pid_t pid) {
    return session.Attach(bin, sites.offsets, sites.cookies, pid);
  }));
}

TEST_P(UnwindBpfTest, PanickedFramesAreUnwoundAndNothingLeaks) {
  constexpr uint32_t kGuard = 12;
  ASSERT_OK_AND_ASSIGN(Session session, Session::Create(Options()));
  std::string bin = FixturePath("panicker.default");
  SiteList sites;
  for (auto [id, name] : {std::pair{kOuter, "main.outer"}, std::pair{kInner, "main.inner"},
                          std::pair{kGuard, "main.guard"}}) {
    ASSERT_OK_AND_ASSIGN(FunctionSites f, FindFunctionSites(bin, name));
    ASSERT_OK(AddTracedFunction(session, sites, id, f, f.after_check, {IntRegister(0)}, {}));
  }
  ASSERT_OK_AND_ASSIGN(TraceResult run,
                       TraceFixture(session, "panicker.default", {"-n", "100"}, [&](pid_t pid) {
                         return session.Attach(bin, sites.offsets, sites.cookies, pid);
                       }));
  ASSERT_EQ(DescribeWaitStatus(run.wait_status), "exit 0");
  EXPECT_EQ(run.output, "recovered 100 panics, last: recovered: boom 99\n");
  EXPECT_EQ(CountByFunc(run, GOTAP_REC_UNWOUND),
            (std::map<uint32_t, int>{{kOuter, 100}, {kInner, 100}}));
  EXPECT_EQ(CountByFunc(run, GOTAP_REC_COMPLETE), (std::map<uint32_t, int>{{kGuard, 100}}));
  EXPECT_EQ(run.records.size(), 300u);
  // Each guard(i) reports, after its own return, that outer(i) and inner(i) were abandoned.
  std::map<uint32_t, std::vector<uint64_t>> args;
  for (const OwnedRecord& r : run.records) {
    args[r.header.func_id].push_back(Parse(r.args, {IntRegister(0)}).at(0).raw);
    uint16_t expected_level = r.header.func_id == kGuard ? 0 : r.header.func_id == kOuter ? 1 : 2;
    EXPECT_EQ(r.header.level, expected_level);
  }
  for (uint32_t id : {kOuter, kInner, kGuard}) {
    ASSERT_EQ(args[id].size(), 100u);
    for (uint64_t i = 0; i < 100; ++i) EXPECT_EQ(args[id][i], i) << "function " << id;
  }
  EXPECT_EQ(run.counters[GOTAP_CTR_UNMATCHED_RETURN], 0u) << run.counters.ToString();
  EXPECT_EQ(*session.CountOpenGoroutines(), 0u);
  EXPECT_EQ(*session.CountOpenArgFrames(), 0u);
}

// Without guard traced, the frames of the last panic are only found abandoned from userspace.
TEST_P(UnwindBpfTest, FramesLeftOpenAreDrainedAfterExit) {
  ASSERT_OK_AND_ASSIGN(Session session, Session::Create(Options()));
  TraceResult run;
  TraceOuterAndInner(session, {"-n", "5"}, &run);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_EQ(DescribeWaitStatus(run.wait_status), "exit 0");
  // outer(i) entering at the depth of outer(i-1) reports the previous pair abandoned.
  EXPECT_EQ(CountByFunc(run, GOTAP_REC_UNWOUND),
            (std::map<uint32_t, int>{{kOuter, 4}, {kInner, 4}}));
  EXPECT_EQ(*session.CountOpenGoroutines(), 1u);
  EXPECT_EQ(*session.CountOpenArgFrames(), 2u);

  std::vector<OwnedRecord> drained;
  ASSERT_OK_AND_ASSIGN(int n, session.DrainOpenFrames(run.pid, [&](Bytes raw) {
    auto view = ParseCallRecord(raw);
    ASSERT_TRUE(view.ok()) << view.status().ToString();
    drained.push_back({view->header, {view->args.begin(), view->args.end()}, {}});
  }));
  ASSERT_EQ(n, 2);
  ASSERT_EQ(drained.size(), 2u);
  EXPECT_EQ(drained[0].header.func_id, kInner);  // innermost first
  EXPECT_EQ(drained[0].header.level, 1u);
  EXPECT_EQ(drained[1].header.func_id, kOuter);
  for (const OwnedRecord& r : drained) {
    EXPECT_EQ(r.header.flags, GOTAP_REC_OPEN);
    EXPECT_EQ(r.header.tgid, static_cast<uint32_t>(run.pid));
    EXPECT_EQ(Parse(r.args, {IntRegister(0)}).at(0).raw, 4u);
  }
  EXPECT_EQ(*session.CountOpenGoroutines(), 0u);
  EXPECT_EQ(*session.CountOpenArgFrames(), 0u);
}

// A goroutine that ends (runtime.Goexit) inside traced frames leaves them open. When the runtime
// gives its g to the next goroutine, that goroutine's first traced entry reports them UNWOUND
// (goroutine slots are found by g) under the goid of the goroutine that had them; whatever is
// still open at exit is drained. Every frame is reported once, under its own goroutine's id.
TEST_P(UnwindBpfTest, FramesOfExitedGoroutinesKeepTheirGoid) {
  constexpr uint64_t kGoroutines = 20;
  ASSERT_OK_AND_ASSIGN(Session session, Session::Create(Options()));
  TraceResult run;
  TraceOuterAndInner(session, {"-goexit", "-n", std::to_string(kGoroutines)}, &run);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_EQ(DescribeWaitStatus(run.wait_status), "exit 0") << run.output;
  std::map<uint64_t, uint64_t> goid_of_call;  // outer's argument i -> its goroutine's id
  std::istringstream lines(run.output);
  std::string word;
  uint64_t i = 0, goid = 0;
  while (lines >> word >> i >> goid) goid_of_call[i] = goid;
  ASSERT_EQ(goid_of_call.size(), kGoroutines) << run.output;

  std::vector<OwnedRecord> records = run.records;
  ASSERT_OK(session
                .DrainOpenFrames(
                    run.pid,
                    [&](Bytes raw) {
                      auto view = ParseCallRecord(raw);
                      ASSERT_TRUE(view.ok()) << view.status().ToString();
                      records.push_back({view->header, {view->args.begin(), view->args.end()}, {}});
                    })
                .status());
  std::map<uint32_t, std::set<uint64_t>> calls;  // func -> the i of each record
  size_t unwound = 0;
  for (const OwnedRecord& r : records) {
    uint64_t arg = Parse(r.args, {IntRegister(0)}).at(0).raw;
    EXPECT_TRUE(r.header.flags == GOTAP_REC_UNWOUND || r.header.flags == GOTAP_REC_OPEN)
        << CallRecordView{r.header, {}, {}}.ToString();
    EXPECT_EQ(r.header.goid, goid_of_call[arg])
        << "call " << arg << " of function " << r.header.func_id;
    EXPECT_EQ(r.header.level, r.header.func_id == kOuter ? 0u : 1u);
    calls[r.header.func_id].insert(arg);
    unwound += r.header.flags == GOTAP_REC_UNWOUND;
  }
  EXPECT_EQ(records.size(), 2 * kGoroutines);
  EXPECT_EQ(calls[kOuter].size(), kGoroutines);
  EXPECT_EQ(calls[kInner].size(), kGoroutines);
  // With slots, the g's next goroutine finds them; in the map (keyed by goid) they wait for the
  // drain.
  if (GetParam() != 0) EXPECT_GT(unwound, 0u);
  EXPECT_EQ(run.counters[GOTAP_CTR_UNMATCHED_RETURN], 0u) << run.counters.ToString();
  EXPECT_EQ(*session.CountOpenGoroutines(), 0u);
  EXPECT_EQ(*session.CountOpenArgFrames(), 0u);
}

}  // namespace
}  // namespace gotap::bpf::testing
