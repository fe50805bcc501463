// gotap ns --once (no BPF; root, for the fixture's unshare): a snapshot of every thread's
// namespaces that marks the thread a locked goroutine moved to another network namespace.
#include <gtest/gtest.h>

#include <regex>

#include "trace_events.h"
#include "trace_process.h"

namespace gotap::testing {
namespace {

using std::chrono::seconds;

TEST(NsSnapshot, MarksTheThreadInAnotherNamespace) {
  auto target = ChildProcess::Start({Fixture("nshygiene.default"), "-mode", "hold"});
  auto held = target->WaitForLine(Stream::kOut, "held tid=", seconds(20));
  ASSERT_TRUE(held) << target->err();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(*held, m, std::regex(R"(tid=(\d+) net:\[(\d+)\])"))) << *held;
  int64_t tid = std::stoll(m[1]);
  uint64_t net = std::stoull(m[2]);
  std::string pid = std::to_string(target->pid());

  RunResult json = RunGotapWithin({"ns", "-p", pid, "--once", "--json"}, seconds(30));
  RunResult text = RunGotapWithin({"ns", "-p", pid, "--once"}, seconds(30));
  ASSERT_TRUE(target->Write("\n"));
  EXPECT_TRUE(target->Wait(seconds(20)));

  EXPECT_EQ(json.exit_code, 0) << json.err;
  std::vector<Json> lines = ParseJsonLines(json.out);
  ASSERT_GE(lines.size(), 2u) << json.out;
  EXPECT_EQ(lines[0]["tid"], target->pid());  // the main thread first
  EXPECT_TRUE(lines[0]["differs"].empty());
  int marked = 0;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    if (lines[i]["tid"] != tid) {
      EXPECT_TRUE(lines[i]["differs"].empty()) << lines[i].dump();
      continue;
    }
    ++marked;
    EXPECT_EQ(lines[i]["differs"], Json::array({"net"}));
    EXPECT_EQ(lines[i]["ns"]["net"], net);
  }
  EXPECT_EQ(marked, 1);
  EXPECT_EQ(lines.back()["summary"]["differing"], 1);

  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find(std::to_string(net) + "*"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("1 in namespaces other than the main thread's (marked *)"),
            std::string::npos)
      << text.out;
}

TEST(NsSnapshot, OnceNeedsAPid) {
  RunResult r = RunGotapWithin({"ns", "--once", Fixture("nshygiene.default")}, seconds(30));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--once needs -p PID"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gotap::testing
