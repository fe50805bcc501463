// Live tracing (root, real BPF) in each way of naming the target: a running process (-p), every
// process of a binary, a spawned command; and the target's safety when the tracer is killed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace_events.h"
#include "trace_process.h"
#include "trace_uprobes.h"

namespace gotap::testing {
namespace {

using std::chrono::seconds;

void ExpectSwap(const Json& e, const std::string& x, const std::string& y) {
  EXPECT_EQ(e["event"], "call") << e.dump();
  EXPECT_EQ(e["func"], "main.swap") << e.dump();
  EXPECT_EQ(ValueOf(e, "args", "x"), x) << e.dump();
  EXPECT_EQ(ValueOf(e, "args", "y"), y) << e.dump();
  EXPECT_EQ(ValueOf(e, "results", "r0"), y) << e.dump();
  EXPECT_EQ(ValueOf(e, "results", "r1"), x) << e.dump();
}

// -p: the target waits (-wait) until gotap has attached; gotap stops by itself when it exits.
TEST(TraceModesBpf, AttachToRunningProcess) {
  auto target = ChildProcess::Start({Fixture("swapper.default"), "-wait", "-n", "3", "hi", "yo"});
  ASSERT_TRUE(target->WaitForLine(Stream::kOut, "ready", seconds(20))) << target->err();
  std::string pid = std::to_string(target->pid());
  auto gotap = ChildProcess::Start({GOTAP_BINARY, "trace", "--json", "-p", pid, "main.swap"});
  auto tracing = gotap->WaitForLine(Stream::kErr, "gotap: tracing", seconds(20));
  ASSERT_TRUE(tracing) << gotap->err();
  EXPECT_NE(tracing->find("(pid " + pid + ")"), std::string::npos) << *tracing;
  ASSERT_TRUE(target->Write("\n"));

  auto target_status = target->Wait(seconds(30));
  ASSERT_TRUE(target_status);
  EXPECT_EQ(DescribeStatus(*target_status), "exit 0") << target->err();
  EXPECT_EQ(target->out(), "ready\nyo hi\n");
  auto gotap_status = gotap->Wait(seconds(30));
  ASSERT_TRUE(gotap_status) << "gotap kept running after its target exited";
  EXPECT_EQ(DescribeStatus(*gotap_status), "exit 0") << gotap->err();
  auto summary = ParseSummary(gotap->err());
  ASSERT_TRUE(summary) << gotap->err();
  EXPECT_EQ(summary->calls, 3u);
  EXPECT_EQ(summary->lost, 0u);
  std::vector<Json> events = ParseJsonLines(gotap->out());
  ASSERT_EQ(events.size(), 3u) << gotap->out();
  for (const Json& e : events) {
    EXPECT_EQ(e["pid"], target->pid()) << e.dump();
    ExpectSwap(e, "hi", "yo");
  }
}

// BINARY: every process of that file started after attaching is traced, and no other file's.
TEST(TraceModesBpf, EveryProcessOfABinary) {
  auto gotap = ChildProcess::Start(
      {GOTAP_BINARY, "trace", "--json", Fixture("swapper.default"), "main.swap"});
  auto tracing = gotap->WaitForLine(Stream::kErr, "gotap: tracing", seconds(20));
  ASSERT_TRUE(tracing) << gotap->err();
  EXPECT_NE(tracing->find("(every process)"), std::string::npos) << *tracing;

  std::vector<pid_t> pids;
  for (auto args : {std::vector<std::string>{Fixture("swapper.default"), "one", "two"},
                    std::vector<std::string>{Fixture("swapper.default"), "three", "four"},
                    std::vector<std::string>{Fixture("swapper.stripped"), "five", "six"}}) {
    auto run = ChildProcess::Start(args);
    auto status = run->Wait(seconds(20));
    ASSERT_TRUE(status);
    EXPECT_EQ(DescribeStatus(*status), "exit 0") << run->err();
    EXPECT_EQ(run->out(), args[2] + " " + args[1] + "\n");
    pids.push_back(run->pid());
  }
  ASSERT_TRUE(gotap->Signal(SIGINT));
  auto gotap_status = gotap->Wait(seconds(30));
  ASSERT_TRUE(gotap_status);
  EXPECT_EQ(DescribeStatus(*gotap_status), "exit 0") << gotap->err();
  std::vector<Json> events = ParseJsonLines(gotap->out());
  ASSERT_EQ(events.size(), 2u) << gotap->out();
  EXPECT_EQ(events[0]["pid"], pids[0]);
  ExpectSwap(events[0], "one", "two");
  EXPECT_EQ(events[1]["pid"], pids[1]);
  ExpectSwap(events[1], "three", "four");
  auto summary = ParseSummary(gotap->err());
  ASSERT_TRUE(summary) << gotap->err();
  EXPECT_EQ(summary->calls, 2u);
}

// -- COMMAND: started stopped, so even its first calls are seen; no probe means main.*; the
// command's exit status is reported.
TEST(TraceModesBpf, SpawnDefaultsToMainAndReportsStatus) {
  TraceRun t = RunTraceJson({"--", Fixture("swapper.default"), "-n", "2", "a", "b"});
  EXPECT_EQ(t.run.exit_code, 0) << t.run.err;
  EXPECT_NE(t.run.err.find("tracing 'main.*'"), std::string::npos) << t.run.err;
  EXPECT_EQ(CommandExitStatus(t.run.err), 0) << t.run.err;
  std::vector<Json> swaps = EventsOf(t.events, "main.swap");
  ASSERT_EQ(swaps.size(), 2u);
  for (const Json& e : swaps) ExpectSwap(e, "a", "b");
  EXPECT_EQ(EventsOf(t.events, "main.main").size(), 1u);

  // A usage error of the command: it exits 2, gotap says so and exits with the same status.
  TraceRun bad = RunTraceJson({"main.swap", "--", Fixture("swapper.default"), "just-one"});
  EXPECT_EQ(bad.run.exit_code, 2) << bad.run.err;
  EXPECT_EQ(CommandExitStatus(bad.run.err), 2) << bad.run.err;
  EXPECT_TRUE(bad.events.empty());
}

// -p of a process that does not exist: one line, exit 2.
TEST(TraceModes, NonexistentPidExitsTwo) {
  pid_t gone = fork();
  if (gone == 0) _exit(0);
  waitpid(gone, nullptr, 0);
  RunResult r = RunGotap({"trace", "-p", std::to_string(gone), "main.swap"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  ASSERT_EQ(Lines(r.err).size(), 1u) << r.err;
  EXPECT_NE(r.err.find(std::to_string(gone)), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

// SIGKILL of gotap in the middle of a trace: the kernel drops its links with the process, the
// target's code is restored byte for byte, and the target finishes with the right result.
TEST(TraceModesBpf, KilledTracerLeavesNoProbes) {
  std::string adder = Fixture("adder.default");
  auto target = ChildProcess::Start({adder, "-wait", "-n", "2000000"});
  ASSERT_TRUE(target->WaitForLine(Stream::kOut, "ready", seconds(20))) << target->err();
  std::vector<uint64_t> sites = ProbeSites(adder, "main.add");
  ASSERT_EQ(sites.size(), 2u) << "entry and one RET";
  std::vector<int> before = CodeBytes(target->pid(), sites);
  for (int b : before) ASSERT_NE(b, 0xcc) << "a breakpoint before gotap attached";

  auto gotap = ChildProcess::Start(
      {GOTAP_BINARY, "trace", "--json", "-p", std::to_string(target->pid()), "main.add"});
  ASSERT_TRUE(gotap->WaitForLine(Stream::kErr, "gotap: tracing", seconds(20))) << gotap->err();
  std::vector<UprobeMultiLink> links = UprobeMultiLinks(gotap->pid());
  ASSERT_EQ(links.size(), 1u) << "one uprobe_multi link per binary";
  EXPECT_EQ(links[0].path, adder);
  EXPECT_EQ(links[0].probes, sites.size());
  EXPECT_TRUE(LinkExists(links[0].id));
  EXPECT_EQ(CodeBytes(target->pid(), sites), std::vector<int>(sites.size(), 0xcc))
      << "uprobes are int3 in the target's code while attached";

  ASSERT_TRUE(target->Write("\n"));
  ASSERT_TRUE(gotap->WaitForLine(Stream::kOut, "\"main.add\"", seconds(20))) << gotap->err();
  ASSERT_TRUE(target->Signal(SIGSTOP));
  ASSERT_TRUE(target->WaitStopped()) << "adder finished before gotap was killed";
  ASSERT_TRUE(gotap->Signal(SIGKILL));
  auto gotap_status = gotap->Wait(seconds(20));
  ASSERT_TRUE(gotap_status);
  EXPECT_EQ(DescribeStatus(*gotap_status), "signal 9");

  EXPECT_FALSE(LinkExists(links[0].id)) << "link " << links[0].id << " outlived gotap";
  EXPECT_EQ(CodeBytes(target->pid(), sites), before) << "the target's code was not restored";
  ASSERT_TRUE(target->Signal(SIGCONT));
  auto status = target->Wait(seconds(60));
  ASSERT_TRUE(status);
  EXPECT_EQ(DescribeStatus(*status), "exit 0") << target->err();
  EXPECT_EQ(target->out(), "ready\nadd called 2000000 times, sum 1999999000000\n");
  EXPECT_EQ(target->err(), "");
}

}  // namespace
}  // namespace gotap::testing
