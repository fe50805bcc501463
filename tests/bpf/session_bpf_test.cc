// Live tests of Session's lifecycle: attach modes, pid filter, many sites, counting mode, the
// other site kinds, and the errors a caller can cause.
#include <gtest/gtest.h>

#include <chrono>
#include <numeric>
#include <string>
#include <vector>

#include "bpf/call_record.h"
#include "bpf/session.h"
#include "fixture_process.h"
#include "test_macros.h"
#include "trace_harness.h"

namespace gotap::bpf::testing {
namespace {

// Waits for the process to end while emptying the ring into `records` (if given).
void RunToExit(Session& session, FixtureProcess& process, std::vector<OwnedRecord>* records) {
  auto keep = [&](Bytes raw) {
    auto view = ParseCallRecord(raw);
    ASSERT_TRUE(view.ok()) << view.status().ToString();
    if (records) records->push_back({view->header, {}, {}});
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!process.TryWait()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    ASSERT_TRUE(session.Poll(std::chrono::milliseconds(20), keep).ok());
  }
  while (*session.Poll(std::chrono::milliseconds(0), keep) > 0) {
  }
}

TEST(SessionBpfTest, PidFilterTracesOnlyThatProcess) {
  ASSERT_OK_AND_ASSIGN(Session session, Session::Create());
  std::string bin = FixturePath("adder.default");
  ASSERT_OK_AND_ASSIGN(FunctionSites add, FindFunctionSites(bin, "main.add"));
  SiteList sites;
  ASSERT_OK(AddTracedFunction(session, sites, 1, add, add.after_check));
  ASSERT_OK_AND_ASSIGN(FixtureProcess traced, FixtureProcess::Start(bin, {"-n", "1000"}));
  ASSERT_OK_AND_ASSIGN(FixtureProcess other, FixtureProcess::Start(bin, {"-n", "1000"}));
  ASSERT_OK(session.Attach(bin, sites.offsets, sites.cookies, traced.pid()));
  ASSERT_OK(other.Release());
  ASSERT_OK(traced.Release());
  std::vector<OwnedRecord> records;
  RunToExit(session, other, &records);
  RunToExit(session, traced, &records);
  ASSERT_EQ(records.size(), 1000u);
  for (const OwnedRecord& r : records) {
    ASSERT_EQ(r.header.tgid, static_cast<uint32_t>(traced.pid()));
    ASSERT_EQ(r.header.flags, GOTAP_REC_COMPLETE);
  }
}

TEST(SessionBpfTest, CountingSitesCountEveryCall) {
  ASSERT_OK_AND_ASSIGN(Session session, Session::Create());
  std::string bin = FixturePath("adder.default");
  ASSERT_OK_AND_ASSIGN(FunctionSites add, FindFunctionSites(bin, "main.add"));
  ASSERT_OK_AND_ASSIGN(gotap_site_spec spec, MakeSiteSpec(42, GOTAP_SITE_COUNT, Go119Layout()));
  ASSERT_OK_AND_ASSIGN(uint64_t cookie, session.AddSites(std::span(&spec, 1)));
  ASSERT_OK_AND_ASSIGN(FixtureProcess adder, FixtureProcess::Start(bin, {"-n", "100000"}));
  ASSERT_OK(
      session.Attach(bin, std::vector<uint64_t>{add.entry}, std::vector{cookie}, adder.pid()));
  ASSERT_OK(adder.Release());
  RunToExit(session, adder, nullptr);
  ASSERT_OK_AND_ASSIGN(std::vector<uint64_t> counts, session.ReadFuncCounts());
  EXPECT_EQ(counts.at(42), 100000u);
  EXPECT_EQ(std::accumulate(counts.begin(), counts.end(), uint64_t{0}), 100000u);
  ASSERT_OK_AND_ASSIGN(Counters counters, session.ReadCounters());
  EXPECT_EQ(counters[GOTAP_CTR_RECORDS], 0u);
}

TEST(SessionBpfTest, EntryOnlySitesEmitAtOnceAndTlsFindsTheSameGoroutine) {
  ASSERT_OK_AND_ASSIGN(Session session, Session::Create());
  std::string bin = FixturePath("swapper.default");
  ASSERT_OK_AND_ASSIGN(FunctionSites swap, FindFunctionSites(bin, "main.swap"));
  GoroutineLayout tls = Go119Layout();
  tls.g_source = GOTAP_G_TLS;
  tls.g_offset = -8;
  std::vector<gotap_capture> x = StringInRegisters(0, 0, 16);
  ASSERT_OK_AND_ASSIGN(gotap_site_spec spec,
                       MakeSiteSpec(5, GOTAP_SITE_ENTRY, tls, x, GOTAP_SITE_F_ENTRY_ONLY));
  ASSERT_OK_AND_ASSIGN(uint64_t cookie, session.AddSites(std::span(&spec, 1)));
  ASSERT_OK_AND_ASSIGN(
      TraceResult run,
      TraceFixture(session, "swapper.default", {"-n", "3", "abc", "d"}, [&](pid_t pid) {
        return session.Attach(bin, std::vector{swap.entry}, std::vector{cookie}, pid);
      }));
  ASSERT_EQ(run.records.size(), 3u);
  for (const OwnedRecord& r : run.records) {
    EXPECT_EQ(r.header.flags, GOTAP_REC_ENTRY_ONLY);
    EXPECT_EQ(r.header.goid, 1u);
    EXPECT_EQ(r.header.duration_ns, 0u);
    std::vector<CapturedValue> args = Parse(r.args, x);
    ASSERT_EQ(args.size(), 2u);
    EXPECT_EQ(std::string(args[0].data.begin(), args[0].data.end()), "abc");
  }
  EXPECT_EQ(*session.CountOpenGoroutines(), 0u);
}

TEST(SessionBpfTest, ThousandSitesAttachInOneLink) {
  ASSERT_OK_AND_ASSIGN(Session session, Session::Create());
  ASSERT_EQ(session.attach_mode(), AttachMode::kUprobeMulti);
  std::string bin = FixturePath("adder.default");
  ASSERT_OK_AND_ASSIGN(std::vector<uint64_t> entries, FunctionEntries(bin, 1000));
  ASSERT_EQ(entries.size(), 1000u);
  std::vector<gotap_site_spec> specs;
  for (uint32_t i = 0; i < entries.size(); ++i) {
    ASSERT_OK_AND_ASSIGN(gotap_site_spec spec, MakeSiteSpec(i, GOTAP_SITE_COUNT, Go119Layout()));
    specs.push_back(spec);
  }
  ASSERT_OK_AND_ASSIGN(uint64_t first, session.AddSites(specs));
  std::vector<uint64_t> cookies(entries.size());
  std::iota(cookies.begin(), cookies.end(), first);
  ASSERT_OK_AND_ASSIGN(FixtureProcess adder, FixtureProcess::Start(bin, {"-n", "1000"}));
  auto start = std::chrono::steady_clock::now();
  ASSERT_OK(session.Attach(bin, entries, cookies, adder.pid()));
  auto attached = std::chrono::steady_clock::now();
  EXPECT_EQ(session.attached_sites(), 1000u);
  ASSERT_OK(adder.Release());
  RunToExit(session, adder, nullptr);
  EXPECT_EQ(DescribeWaitStatus(*adder.TryWait()), "exit 0");
  ASSERT_OK_AND_ASSIGN(std::vector<uint64_t> counts, session.ReadFuncCounts());
  size_t functions_hit = 0;
  for (uint64_t c : counts) functions_hit += c > 0;
  EXPECT_GT(functions_hit, 10u) << "runtime functions ran while the program worked";
  auto detach_start = std::chrono::steady_clock::now();
  session.DetachAll();
  auto detached = std::chrono::steady_clock::now();
  using ms = std::chrono::duration<double, std::milli>;
  std::printf("1000 sites: attach %.1f ms, detach %.1f ms, %zu functions hit\n",
              ms(attached - start).count(), ms(detached - detach_start).count(), functions_hit);
}

TEST(SessionBpfTest, PerfEventFallbackPairsCalls) {
  SessionOptions options;
  options.attach_mode = AttachMode::kPerfEvent;
  ASSERT_OK_AND_ASSIGN(Session session, Session::Create(options));
  ASSERT_EQ(session.attach_mode(), AttachMode::kPerfEvent);
  std::string bin = FixturePath("swapper.default");
  ASSERT_OK_AND_ASSIGN(FunctionSites swap, FindFunctionSites(bin, "main.swap"));
  std::vector<gotap_capture> x = StringInRegisters(0, 0, 16);
  SiteList sites;
  ASSERT_OK(AddTracedFunction(session, sites, 9, swap, swap.after_check, x, x));
  ASSERT_OK_AND_ASSIGN(
      TraceResult run,
      TraceFixture(session, "swapper.default", {"-n", "2", "ab", "cd"}, [&](pid_t pid) {
        return session.Attach(bin, sites.offsets, sites.cookies, pid);
      }));
  ASSERT_EQ(run.records.size(), 2u);
  for (const OwnedRecord& r : run.records) {
    EXPECT_EQ(r.header.flags, GOTAP_REC_COMPLETE);
    EXPECT_EQ(r.header.func_id, 9u);
    std::vector<CapturedValue> args = Parse(r.args, x), results = Parse(r.results, x);
    ASSERT_EQ(args.size(), 2u);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(std::string(args[0].data.begin(), args[0].data.end()), "ab");
    EXPECT_EQ(std::string(results[0].data.begin(), results[0].data.end()), "cd");
  }
}

TEST(SessionBpfTest, AttachRejectsBadRequests) {
  ASSERT_OK_AND_ASSIGN(Session session, Session::Create());
  std::string bin = FixturePath("adder.default");
  ASSERT_OK_AND_ASSIGN(FunctionSites add, FindFunctionSites(bin, "main.add"));
  ASSERT_OK_AND_ASSIGN(gotap_site_spec spec, MakeSiteSpec(0, GOTAP_SITE_COUNT, Go119Layout()));
  ASSERT_OK_AND_ASSIGN(uint64_t cookie, session.AddSites(std::span(&spec, 1)));
  std::vector<uint64_t> offsets = {add.entry}, cookies = {cookie};
  EXPECT_EQ(session.Attach(bin, offsets, std::vector<uint64_t>{cookie + 1}, 0).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(session.Attach(bin + ".missing", offsets, cookies, 0).code(), StatusCode::kNotFound);
  EXPECT_EQ(session.Attach(bin, std::vector<uint64_t>{1ull << 40}, cookies, 0).code(),
            StatusCode::kInvalidArgument);
  Status no_process = session.Attach(bin, offsets, cookies, 0x3ffffff0);
  EXPECT_EQ(no_process.code(), StatusCode::kNotFound) << no_process.ToString();
  EXPECT_EQ(session.attached_sites(), 0u);

  gotap_site_spec bad = spec;
  bad.kind = GOTAP_SITE_ENTRY;
  bad.captures[0] = CaptureRegister(4, 8);  // not a pt_regs slot
  bad.ncaptures = 1;
  EXPECT_EQ(session.AddSites(std::span(&bad, 1)).status().code(), StatusCode::kInvalidArgument);
  SessionOptions tiny;
  tiny.ring_bytes = 12345;
  EXPECT_EQ(Session::Create(tiny).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gotap::bpf::testing
