// `--ns`: every event carries the namespaces of the thread that ended the call, read in the
// kernel. nshygiene -mode poison leaves a thread in a new network namespace and then runs the
// main goroutine on it.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "trace_events.h"

namespace gotap::testing {
namespace {

uint64_t Inode(const std::string& link) {  // "net:[4026531992]" -> 4026531992
  size_t open = link.find('[');
  return open == std::string::npos ? 0 : std::stoull(link.substr(open + 1));
}

std::string OwnNamespace(const char* kind) {
  char buf[256];
  ssize_t n = readlink(fmt::format("/proc/self/ns/{}", kind).c_str(), buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

TEST(TraceNsBpf, EventsShowThePoisonedThreadsNetworkNamespace) {
  TraceRun t = RunTraceJson({"--ns", "net,mnt", "main.threadNetNS", "main.onPoisonedThread", "--",
                             Fixture("nshygiene.default"), "-mode", "poison"});
  ExpectCleanRun(t, 2);
  std::vector<Json> probe = EventsOf(t.events, "main.threadNetNS");
  std::vector<Json> main_use = EventsOf(t.events, "main.onPoisonedThread");
  ASSERT_EQ(probe.size(), 1u);
  ASSERT_EQ(main_use.size(), 1u);
  // What the thread itself read from /proc/self/task/TID/ns/net is what the kernel side saw.
  uint64_t poisoned = Inode(ValueOf(probe[0], "results", "r0").get<std::string>());
  ASSERT_NE(poisoned, 0u);
  EXPECT_EQ(probe[0]["ns"]["net"], poisoned) << probe[0].dump();
  EXPECT_NE(poisoned, Inode(OwnNamespace("net"))) << "unshare made a new namespace";
  // main (goroutine 1) then ran on that thread: its call shows the foreign namespace too.
  EXPECT_EQ(main_use[0]["goid"], 1);
  EXPECT_EQ(main_use[0]["ns"]["net"], poisoned) << main_use[0].dump();
  // The mount namespace never changed; only the asked-for namespaces are shown.
  EXPECT_EQ(main_use[0]["ns"]["mnt"], Inode(OwnNamespace("mnt")));
  EXPECT_EQ(main_use[0]["ns"].size(), 2u);
}

TEST(TraceNsBpf, AllNamespacesMatchTheTracersOwnForAnOrdinaryProgram) {
  TraceRun t =
      RunTraceJson({"--ns", "all", "main.leaf", "--", Fixture("calltree.default"), "-g", "2"});
  ExpectCleanRun(t, 4);
  for (const Json& e : t.events) {
    ASSERT_EQ(e["ns"].size(), 7u) << e.dump();
    for (const char* kind : {"net", "mnt", "uts", "ipc", "user", "cgroup"}) {
      EXPECT_EQ(e["ns"][kind], Inode(OwnNamespace(kind))) << kind << " " << e.dump();
    }
    EXPECT_EQ(e["ns"]["pid"], Inode(OwnNamespace("pid_for_children"))) << e.dump();
  }
}

TEST(TraceNsBpf, UnknownNamespaceIsBadInput) {
  RunResult r =
      RunGotap({"trace", "--ns", "net,time", "main.leaf", "--", Fixture("calltree.default")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad --ns 'time'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gotap::testing
