// Live tracing (root, real BPF) of goroutines: calls that block and resume on another thread,
// a thousand goroutines at once, and frames a panic unwinds without returning.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "go_matrix.h"
#include "trace_events.h"

namespace gotap::testing {
namespace {

// blocker -g 64: 64 goroutines each call relay(i, in, 20ms) once; relay blocks on a channel,
// sleeps 20ms, and returns the received value plus i. It counts on stderr ("migrated N") the calls
// that returned on another thread than they entered on. Checks one run and returns N.
int CheckBlockerRun(const std::string& blocker) {
  constexpr int kGoroutines = 64;
  TraceRun t = RunTraceJson({"main.relay", "--", blocker, "-g", "64"});
  ExpectCleanRun(t, kGoroutines);
  std::smatch m;
  std::regex relayed(R"(relayed 64 calls, sum (\d+)\n)");
  std::regex migrated_re(R"(migrated (\d+)\n)");
  if (!std::regex_search(t.run.out, m, relayed)) {
    ADD_FAILURE() << t.run.out;
    return 0;
  }
  int64_t printed_sum = std::stoll(m[1]);
  if (!std::regex_search(t.run.err, m, migrated_re)) {
    ADD_FAILURE() << t.run.err;
    return 0;
  }
  int migrated = std::stoi(m[1]);

  EXPECT_EQ(t.events.size(), size_t{kGoroutines});
  std::set<int64_t> ids, goids;
  int64_t sum = 0;
  int changed_thread = 0;
  for (const Json& e : t.events) {
    EXPECT_EQ(e["event"], "call") << e.dump();
    EXPECT_EQ(e["func"], "main.relay") << e.dump();
    ids.insert(ValueOf(e, "args", "id").get<int64_t>());
    goids.insert(e["goid"].get<int64_t>());
    EXPECT_EQ(ValueOf(e, "args", "pause"), 20000000) << e.dump();
    EXPECT_GE(e["duration_ns"].get<int64_t>(), 20000000) << e.dump();
    sum += ValueOf(e, "results", "r0").get<int64_t>();
    if (e["tid"] != e["return_tid"]) ++changed_thread;
  }
  EXPECT_EQ(ids.size(), size_t{kGoroutines});
  EXPECT_EQ(ids.empty() ? -1 : *ids.begin(), 0);
  EXPECT_EQ(ids.empty() ? -1 : *ids.rbegin(), kGoroutines - 1);
  EXPECT_EQ(goids.size(), size_t{kGoroutines}) << "each goroutine made one call";
  EXPECT_EQ(sum, printed_sum);
  // The probes saw exactly the migrations the program saw (it reads its thread id right after
  // entry and right before returning).
  EXPECT_EQ(changed_thread, migrated);
  return migrated;
}

// Whether a goroutine resumes on another thread is up to the Go scheduler: a run where none did
// shows nothing about pairing, so the test runs blocker again (each run fully checked) until one
// call has changed thread.
// Goroutine ids, blocking, a thousand goroutines and panics on every Go release of the matrix.
class TraceGoroutineBpf : public GoMatrixTest {};
GOTAP_ON_GO_MATRIX(TraceGoroutineBpf, "default");

TEST_P(TraceGoroutineBpf, BlockedCallsResumeOnOtherThreads) {
  int migrated = 0;
  for (int attempt = 0; attempt < 5 && migrated == 0 && !HasFailure(); ++attempt) {
    migrated = CheckBlockerRun(GoFixture("blocker"));
  }
  EXPECT_GT(migrated, 0) << "in 5 runs no call changed thread";
}

// fanout: 1,000 goroutines each call visit(i) once, which returns 2i+1.
TEST_P(TraceGoroutineBpf, ThousandGoroutinesThousandCalls) {
  TraceRun t = RunTraceJson({"main.visit", "--", GoFixture("fanout")});
  ExpectCleanRun(t, 1000);
  EXPECT_EQ(t.run.out, "visited 1000 goroutines, sum 1000000\n");
  ASSERT_EQ(t.events.size(), 1000u);
  std::set<int64_t> ids, goids;
  for (const Json& e : t.events) {
    EXPECT_EQ(e["event"], "call") << e.dump();
    int64_t id = ValueOf(e, "args", "id");
    ids.insert(id);
    goids.insert(e["goid"].get<int64_t>());
    EXPECT_EQ(ValueOf(e, "results", "r0"), 2 * id + 1) << e.dump();
  }
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_EQ(*ids.begin(), 0);
  EXPECT_EQ(*ids.rbegin(), 999);
  EXPECT_EQ(goids.size(), 1000u);
  EXPECT_EQ(goids.count(1), 0u) << "visit runs in the new goroutines, not in main";
}

// panicker -n 5: guard(i) calls outer(i), which calls inner(i), which panics; guard recovers.
// outer and inner never return: each is reported once as unwound, with its argument; guard
// returns normally with the recovered error.
TEST_P(TraceGoroutineBpf, PanicUnwindsFrames) {
  TraceRun t = RunTraceJson(
      {"main.guard", "main.outer", "main.inner", "--", GoFixture("panicker"), "-n", "5"});
  EXPECT_EQ(t.run.exit_code, 0) << t.run.err;
  EXPECT_EQ(CommandExitStatus(t.run.err), 0) << t.run.err;
  EXPECT_EQ(t.run.out, "recovered 5 panics, last: recovered: boom 4\n");
  auto summary = ParseSummary(t.run.err);
  ASSERT_TRUE(summary) << t.run.err;
  EXPECT_EQ(summary->calls, 5u) << t.run.err;
  EXPECT_EQ(summary->unwound, 10u) << t.run.err;
  EXPECT_EQ(summary->entry_only, 0u) << t.run.err;
  EXPECT_EQ(summary->running_at_exit, 0u) << t.run.err;
  EXPECT_EQ(summary->lost, 0u) << t.run.err;

  for (const char* func : {"main.outer", "main.inner"}) {
    std::vector<Json> frames = EventsOf(t.events, func);
    ASSERT_EQ(frames.size(), 5u) << func;
    for (size_t i = 0; i < frames.size(); ++i) {
      EXPECT_EQ(frames[i]["event"], "unwound") << frames[i].dump();
      EXPECT_EQ(ValueOf(frames[i], "args", "i"), static_cast<int>(i)) << frames[i].dump();
      EXPECT_TRUE(frames[i]["results"].empty()) << frames[i].dump();
    }
  }
  std::vector<Json> guards = EventsOf(t.events, "main.guard");
  ASSERT_EQ(guards.size(), 5u);
  for (size_t i = 0; i < guards.size(); ++i) {
    EXPECT_EQ(guards[i]["event"], "call") << guards[i].dump();
    EXPECT_EQ(ValueOf(guards[i], "args", "i"), static_cast<int>(i)) << guards[i].dump();
    EXPECT_FALSE(ValueOf(guards[i], "results", "err").is_null()) << guards[i].dump();
    // The unwound frames lie inside their guard call.
    int64_t start = guards[i]["ts_ns"], end = start + guards[i]["duration_ns"].get<int64_t>();
    for (const char* func : {"main.outer", "main.inner"}) {
      Json f = EventsOf(t.events, func)[i];
      int64_t ts = f["ts_ns"];
      EXPECT_TRUE(ts > start && ts + f["duration_ns"].get<int64_t>() <= end) << f.dump();
    }
  }
}

}  // namespace
}  // namespace gotap::testing
