// gotap ns without the kernel: namespace links, differences, flag names, event decoding and the
// text/JSON forms of findings and summaries.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "nswatch/findings.h"
#include "nswatch/namespaces.h"

namespace gotap::nswatch {
namespace {

TEST(NsNamespaces, ParsesProcLinks) {
  EXPECT_EQ(ParseNsLink("net:[4026531992]", "net"), 4026531992u);
  EXPECT_EQ(ParseNsLink("pid:[4026531836]", "pid"), 4026531836u);
  EXPECT_EQ(ParseNsLink("net:[4026531992]", "mnt"), std::nullopt);
  EXPECT_EQ(ParseNsLink("net:[]", "net"), std::nullopt);
  EXPECT_EQ(ParseNsLink("net:[12x]", "net"), std::nullopt);
  EXPECT_EQ(ParseNsLink("net:[99999999999]", "net"), std::nullopt);  // beyond 32 bits
  EXPECT_EQ(ParseNsLink("net:4026531992", "net"), std::nullopt);
  EXPECT_EQ(FormatNs(GOTAP_NS_NET, 4026531992u), "net:[4026531992]");
  EXPECT_EQ(NsProcEntry(GOTAP_NS_PID), "pid_for_children");
  EXPECT_EQ(NsTypeName(GOTAP_NS_CGROUP), "cgroup");
}

TEST(NsNamespaces, DescribesOnlyWhatDiffers) {
  NsSet a{1, 2, 3, 4, 5, 6, 7}, b = a;
  EXPECT_TRUE(DifferingTypes(a, b).empty());
  b[GOTAP_NS_NET] = 10;
  b[GOTAP_NS_UTS] = 11;
  EXPECT_EQ(DifferingTypes(a, b), (std::vector<int>{GOTAP_NS_NET, GOTAP_NS_UTS}));
  EXPECT_EQ(DescribeDifference(b, a), "net:[10] uts:[11]");
  b[GOTAP_NS_MNT] = 0;  // unknown never counts as a difference
  EXPECT_EQ(DifferingTypes(a, b).size(), 2u);
}

TEST(NsNamespaces, ReadsOwnThreads) {
  auto self = ReadNs(getpid());
  ASSERT_TRUE(self.ok()) << self.status().ToString();
  EXPECT_NE((*self)[GOTAP_NS_NET], 0u);
  auto threads = SnapshotThreads(getpid());
  ASSERT_TRUE(threads.ok()) << threads.status().ToString();
  ASSERT_FALSE(threads->empty());
  EXPECT_EQ(threads->front().tid, getpid());
  EXPECT_EQ(threads->front().ns, *self);
  EXPECT_TRUE(threads->front().differs.empty());
  std::string text = FormatSnapshotText(getpid(), *threads);
  EXPECT_NE(text.find("0 in namespaces other than the main thread's"), std::string::npos) << text;
  std::string json = FormatSnapshotJson(getpid(), *threads);
  ASSERT_GE(json.size(), 2u);
  size_t last_line = json.rfind('\n', json.size() - 2);
  auto summary = nlohmann::json::parse(json.substr(last_line == std::string::npos ? 0 : last_line));
  EXPECT_EQ(summary["summary"]["threads"], threads->size());
  EXPECT_EQ(summary["summary"]["differing"], 0);
  EXPECT_FALSE(SnapshotThreads(-5).ok());
}

TEST(NsFindings, CloneFlagNames) {
  EXPECT_EQ(CloneFlagsToString(0x40000000), "CLONE_NEWNET");
  EXPECT_EQ(CloneFlagsToString(0x40020000), "CLONE_NEWNS|CLONE_NEWNET");
  EXPECT_EQ(CloneFlagsToString(0), "0");
  EXPECT_EQ(CloneFlagsToString(0x40000001), "CLONE_NEWNET|0x1");
}

gotap_ns_event BaseEvent(uint32_t kind) {
  gotap_ns_event e{};
  e.kind = kind;
  e.tgid = 100;
  e.tid = 101;
  e.goid = 1;
  for (int t = 0; t < GOTAP_NS_NUM; ++t) e.ns.inum[t] = e.orig.inum[t] = 4026531830u + t;
  e.ns.inum[GOTAP_NS_NET] = 4026532235u;
  return e;
}

StatusOr<Finding> Decode(const gotap_ns_event& e, const std::vector<std::string>& names) {
  // The events carry no stack (nframes 0, sp_word 0): only the site's function matters.
  static std::unique_ptr<gobin::Binary> binary = [] {
    auto b = gobin::Binary::Open(std::string(GOTAP_FIXTURE_DIR) + "/nshygiene.default");
    return b.ok() ? std::move(b).value() : nullptr;
  }();
  if (!binary) return NotFound("nshygiene.default fixture missing");
  Symbolizer symbolizer(*binary);
  Bytes raw(reinterpret_cast<const uint8_t*>(&e), sizeof(e));
  return DecodeFinding(raw, names, &symbolizer);
}

TEST(NsFindings, PoisonedThreadNamesTheFunctionAndMain) {
  gotap_ns_event e = BaseEvent(GOTAP_NS_EV_POISONED_USE);
  e.func_id = 1;
  auto f = Decode(e, {"runtime.UnlockOSThread", "main.work"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->function, "main.work");
  std::string text = f->ToText();
  EXPECT_NE(text.find("poisoned_thread pid=100 tid=101 g=1 (main) runs main.work unlocked on a "
                      "poisoned thread in net:[4026532235], process is in net:[4026531830]"),
            std::string::npos)
      << text;
  auto j = nlohmann::json::parse(f->ToJson());
  EXPECT_EQ(j["kind"], "poisoned_thread");
  EXPECT_EQ(j["violation"], true);
  EXPECT_EQ(j["main"], true);
  EXPECT_EQ(j["differs"], nlohmann::json::array({"net"}));
  EXPECT_EQ(j["ns"]["net"], 4026532235u);
  EXPECT_EQ(j["original_ns"]["net"], 4026531830u);
}

TEST(NsFindings, SyscallShowsTheChange) {
  gotap_ns_event e = BaseEvent(GOTAP_NS_EV_SYSCALL);
  e.func_id = 272;  // unshare
  e.args[0] = 0x40000000;
  e.before = e.orig;
  e.lockedm = 1;
  e.locked_ext = 1;
  auto f = Decode(e, {});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->syscall, "unshare");
  EXPECT_NE(f->ToText().find("unshare(CLONE_NEWNET) = 0 in ? (locked, lockedExt=1): "
                             "net:[4026531830] -> net:[4026532235]"),
            std::string::npos)
      << f->ToText();
  EXPECT_FALSE(IsViolation(f->kind));
}

TEST(NsFindings, ChildGoroutineIsNamed) {
  gotap_ns_event e = BaseEvent(GOTAP_NS_EV_NO_INHERIT);
  e.goid = 22;
  e.child_goid = 23;
  auto f = Decode(e, {});
  ASSERT_TRUE(f.ok());
  EXPECT_NE(f->ToText().find("child g=23 will not inherit net:[4026532235]"), std::string::npos)
      << f->ToText();
  EXPECT_EQ(nlohmann::json::parse(f->ToJson())["child_goid"], 23);
}

TEST(NsFindings, RejectsShortAndUnknownEvents) {
  gotap_ns_event e = BaseEvent(9);
  EXPECT_FALSE(Decode(e, {}).ok());
  uint8_t small[8] = {};
  auto binary = gobin::Binary::Open(std::string(GOTAP_FIXTURE_DIR) + "/nshygiene.default");
  ASSERT_TRUE(binary.ok());
  Symbolizer symbolizer(**binary);
  EXPECT_FALSE(DecodeFinding(Bytes(small, sizeof(small)), {}, &symbolizer).ok());
}

// PIE: the load bias comes from the event's probed pc and the site's vaddr, so a process that
// has exited (no /proc/PID/maps) is still symbolized.
TEST(NsFindings, PieBiasIsLearntFromTheProbedSite) {
  auto binary = gobin::Binary::Open(std::string(GOTAP_FIXTURE_DIR) + "/nshygiene.pie");
  ASSERT_TRUE(binary.ok()) << binary.status().ToString();
  auto fns = (*binary)->FindFunctions("main.spawner");
  ASSERT_EQ(fns.size(), 1u);
  uint64_t site = fns[0]->entry + 4, other = fns[0]->entry + 40;
  Symbolizer symbolizer(**binary, {{7, {site, other}}});
  constexpr int kGonePid = 0x7ffffff0;  // no such process
  constexpr uint64_t kBias = 0x55d0c0de0000;
  EXPECT_EQ(symbolizer.FunctionAt(kGonePid, site + kBias), "") << "nothing known yet";
  symbolizer.LearnFromSite(kGonePid, 7, site + kBias);
  EXPECT_EQ(symbolizer.FunctionAt(kGonePid, site + kBias), "main.spawner");
  EXPECT_EQ(symbolizer.FunctionAt(kGonePid, fns[0]->entry + kBias), "main.spawner");
}

TEST(NsFindings, SummaryCountsViolationsOnly) {
  NsSummary s;
  Finding f;
  f.kind = GOTAP_NS_EV_SYSCALL;
  s.Add(f);
  s.Add(f);
  EXPECT_EQ(s.violations(), 0u);
  EXPECT_EQ(s.ExitCode(), 0);
  f.kind = GOTAP_NS_EV_UNLOCK_FOREIGN;
  s.Add(f);
  EXPECT_EQ(s.violations(), 1u);
  EXPECT_EQ(s.ExitCode(), 3);
  auto j = nlohmann::json::parse(s.ToJson());
  EXPECT_EQ(j["summary"]["ns_syscall"], 2);
  EXPECT_EQ(j["summary"]["unlock_in_foreign_ns"], 1);
  EXPECT_EQ(j["summary"]["poisoned_thread"], 0);
  EXPECT_EQ(j["summary"]["exit_code"], 3);
  EXPECT_NE(s.ToText().find("1 violation (exit 3)"), std::string::npos) << s.ToText();
}

}  // namespace
}  // namespace gotap::nswatch
