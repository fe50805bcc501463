// Faults around a live trace (root, real BPF): the target dies mid-trace, the tracer is killed,
// the traced file is replaced on disk, two tracers share a process, and the ring buffer is too
// small for the event rate. In each case the target must run on correctly and gotap must end
// cleanly (or, killed, leave nothing behind in the kernel).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "trace_events.h"
#include "trace_process.h"
#include "trace_uprobes.h"

namespace gotap::testing {
namespace {

using std::chrono::seconds;
namespace fs = std::filesystem;

std::string CommandOutput(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  pclose(p);
  return out;
}

// The kernel's uprobe_events (uprobes made through tracefs). tracefs may not be mounted: then it
// is mounted in a private mount namespace, leaving the system as it was.
std::string UprobeEvents() {
  const char* path = "/sys/kernel/tracing/uprobe_events";
  if (access(path, R_OK) == 0) return ReadText(path);
  std::string text = CommandOutput(
      "unshare -m sh -c 'mount -t tracefs nodev /sys/kernel/tracing && "
      "cat /sys/kernel/tracing/uprobe_events || echo FAILED' 2>&1");
  if (text.find("FAILED") != std::string::npos || text.find("unshare") != std::string::npos) {
    ADD_FAILURE() << "cannot read uprobe_events: " << text;
  }
  return text;
}

// Every BPF link `bpftool link show` lists: id -> type. bpftool 7.1 (Debian 12) predates
// uprobe_multi links: it shows their type as the number 12 (BPF_LINK_TYPE_UPROBE_MULTI) and
// cannot attribute them to a process, so links are matched by the ids gotap's fds hold.
std::map<uint32_t, std::string> BpftoolLinks() {
  Json links = Json::parse(CommandOutput("bpftool -j link show"), nullptr, false);
  std::map<uint32_t, std::string> ids;
  if (!links.is_array()) {
    ADD_FAILURE() << "bpftool -j link show gave no JSON array";
    return ids;
  }
  for (const Json& link : links) {
    ids[link.value("id", 0u)] =
        link["type"].is_string() ? link["type"].get<std::string>() : link["type"].dump();
  }
  return ids;
}

// The process gotap spawned (its only child).
pid_t ChildOf(pid_t parent) {
  std::string p = std::to_string(parent);
  return static_cast<pid_t>(std::atoi(ReadText("/proc/" + p + "/task/" + p + "/children").c_str()));
}

std::string TempPath(const std::string& stem) {
  std::string path = "/tmp/gotap-e2e-" + stem + "-XXXXXX";
  close(mkstemp(path.data()));
  return path;
}

// Waits until `path` holds at least one whole line (gotap flushes after each ~100 ms poll).
bool WaitForFileLine(const std::string& path, seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ReadText(path).find('\n') != std::string::npos) return true;
    usleep(20000);
  }
  return false;
}

// The events file of a run, parsed (every line must be a JSON object), and deleted.
std::vector<Json> TakeEvents(const std::string& path) {
  std::vector<Json> events = ParseJsonLines(ReadText(path));
  unlink(path.c_str());
  return events;
}

// What adder -n N prints.
std::string AdderOutput(uint64_t n) {
  return "add called " + std::to_string(n) + " times, sum " + std::to_string(n * (n - 1) / 2) +
         "\n";
}

// The spawned command is killed in the middle of the trace: gotap says so and exits as the
// command did (128 + 9), with a summary that counts exactly the events it wrote.
TEST(FaultBpf, SpawnedTargetKilledMidTrace) {
  std::string events = TempPath("events");
  auto gotap = ChildProcess::Start({GOTAP_BINARY, "trace", "--json", "-o", events, "main.add", "--",
                                    Fixture("adder.default"), "-n", "1000000000"});
  ASSERT_TRUE(gotap->WaitForLine(Stream::kErr, "gotap: tracing", seconds(20))) << gotap->err();
  ASSERT_TRUE(WaitForFileLine(events, seconds(20))) << gotap->err();
  pid_t target = ChildOf(gotap->pid());
  ASSERT_GT(target, 0);
  ASSERT_EQ(kill(target, SIGKILL), 0);
  auto status = gotap->Wait(seconds(30));
  ASSERT_TRUE(status) << "gotap kept running after its command was killed";
  EXPECT_EQ(DescribeStatus(*status), "exit 137") << gotap->err();
  EXPECT_NE(gotap->err().find("gotap: command killed by signal 9"), std::string::npos)
      << gotap->err();
  auto summary = ParseSummary(gotap->err());
  ASSERT_TRUE(summary) << gotap->err();
  std::vector<Json> lines = TakeEvents(events);
  EXPECT_GT(lines.size(), 0u);
  EXPECT_EQ(summary->calls + summary->running_at_exit + summary->unwound, lines.size());
  EXPECT_EQ(summary->lost, 0u) << gotap->err();
}

// The same with -p: gotap notices the process is gone, drains and exits 0.
TEST(FaultBpf, AttachedTargetKilledMidTrace) {
  auto target = ChildProcess::Start({Fixture("adder.default"), "-wait", "-n", "1000000000"});
  ASSERT_TRUE(target->WaitForLine(Stream::kOut, "ready", seconds(20))) << target->err();
  std::string events = TempPath("events");
  auto gotap = ChildProcess::Start({GOTAP_BINARY, "trace", "--json", "-o", events, "-p",
                                    std::to_string(target->pid()), "main.add"});
  ASSERT_TRUE(gotap->WaitForLine(Stream::kErr, "gotap: tracing", seconds(20))) << gotap->err();
  ASSERT_TRUE(target->Write("\n"));
  ASSERT_TRUE(WaitForFileLine(events, seconds(20))) << gotap->err();
  ASSERT_TRUE(target->Signal(SIGKILL));
  ASSERT_TRUE(target->Wait(seconds(20)));
  auto status = gotap->Wait(seconds(30));
  ASSERT_TRUE(status) << "gotap kept running after its target was killed";
  EXPECT_EQ(DescribeStatus(*status), "exit 0") << gotap->err();
  auto summary = ParseSummary(gotap->err());
  ASSERT_TRUE(summary) << gotap->err();
  std::vector<Json> lines = TakeEvents(events);
  EXPECT_GT(lines.size(), 0u);
  EXPECT_EQ(summary->calls + summary->running_at_exit + summary->unwound, lines.size());
}

// SIGKILL of gotap: no BPF link of it survives (bpftool's view, not only gotap's own fds), no
// uprobe was left in tracefs, and the target completes with the right result.
TEST(FaultBpf, KilledTracerLeavesNoLinkOrUprobe) {
  // A private copy, so that any uprobe left behind would name a path only this test uses.
  std::string dir = TempPath("dir");
  unlink(dir.c_str());
  fs::create_directory(dir);
  std::string adder = dir + "/adder";
  fs::copy_file(Fixture("adder.default"), adder);
  std::string uprobes_before = UprobeEvents();

  auto target = ChildProcess::Start({adder, "-wait", "-n", "3000000"});
  ASSERT_TRUE(target->WaitForLine(Stream::kOut, "ready", seconds(20))) << target->err();
  auto gotap = ChildProcess::Start(
      {GOTAP_BINARY, "trace", "--json", "-p", std::to_string(target->pid()), "main.add"});
  ASSERT_TRUE(gotap->WaitForLine(Stream::kErr, "gotap: tracing", seconds(20))) << gotap->err();
  std::vector<UprobeMultiLink> held = UprobeMultiLinks(gotap->pid());
  ASSERT_EQ(held.size(), 1u);
  std::map<uint32_t, std::string> listed = BpftoolLinks();
  std::set<uint32_t> links;
  for (const UprobeMultiLink& l : held) {
    links.insert(l.id);
    ASSERT_TRUE(listed.count(l.id)) << "bpftool does not list gotap's link " << l.id;
    EXPECT_TRUE(listed[l.id] == "uprobe_multi" || listed[l.id] == "12") << listed[l.id];
  }
  ASSERT_TRUE(target->Write("\n"));
  ASSERT_TRUE(gotap->WaitForLine(Stream::kOut, "\"main.add\"", seconds(20))) << gotap->err();
  ASSERT_TRUE(gotap->Signal(SIGKILL));
  auto gotap_status = gotap->Wait(seconds(20));
  ASSERT_TRUE(gotap_status);
  EXPECT_EQ(DescribeStatus(*gotap_status), "signal 9");

  listed = BpftoolLinks();
  for (uint32_t id : links) {
    EXPECT_FALSE(listed.count(id)) << "bpftool still lists link " << id;
    EXPECT_FALSE(LinkExists(id)) << "link " << id << " outlived gotap";
  }
  std::string uprobes_after = UprobeEvents();
  std::set<std::string> before_lines;
  for (const std::string& l : Lines(uprobes_before)) before_lines.insert(l);
  for (const std::string& l : Lines(uprobes_after)) {
    EXPECT_TRUE(before_lines.count(l)) << "uprobe_events gained: " << l;
  }
  EXPECT_EQ(uprobes_after.find(adder), std::string::npos) << uprobes_after;

  auto status = target->Wait(seconds(120));
  ASSERT_TRUE(status);
  EXPECT_EQ(DescribeStatus(*status), "exit 0") << target->err();
  EXPECT_EQ(target->out(), "ready\n" + AdderOutput(3000000));
  fs::remove_all(dir);
}

// The traced file is replaced (mv over its path) while a process of it runs. Uprobes belong to
// the file's inode, not its name: the running process stays traced to its last call, and a
// process of the new file at the same path is not probed (its code at those offsets is other
// code). gotap cannot see the rename and says nothing; this pins that behaviour down.
TEST(FaultBpf, ReplacedBinaryKeepsTheRunningProcessTraced) {
  std::string dir = TempPath("dir");
  unlink(dir.c_str());
  fs::create_directory(dir);
  std::string path = dir + "/prog", other = dir + "/other";
  fs::copy_file(Fixture("adder.default"), path);
  fs::copy_file(Fixture("swapper.default"), other);
  constexpr uint64_t kCalls = 200000;

  auto target = ChildProcess::Start({path, "-wait", "-n", std::to_string(kCalls)});
  ASSERT_TRUE(target->WaitForLine(Stream::kOut, "ready", seconds(20))) << target->err();
  std::string events = TempPath("events");
  auto gotap =
      ChildProcess::Start({GOTAP_BINARY, "trace", "--json", "-o", events, path, "main.add"});
  ASSERT_TRUE(gotap->WaitForLine(Stream::kErr, "gotap: tracing", seconds(20))) << gotap->err();
  ASSERT_TRUE(target->Write("\n"));
  ASSERT_TRUE(WaitForFileLine(events, seconds(20))) << gotap->err();
  ASSERT_TRUE(target->Signal(SIGSTOP));
  ASSERT_TRUE(target->WaitStopped()) << "the target finished before the file was replaced";

  ASSERT_EQ(rename(other.c_str(), path.c_str()), 0);
  auto fresh = ChildProcess::Start({path, "-n", "3", "new", "file"});
  auto fresh_status = fresh->Wait(seconds(20));
  ASSERT_TRUE(fresh_status);
  EXPECT_EQ(DescribeStatus(*fresh_status), "exit 0") << fresh->err();
  EXPECT_EQ(fresh->out(), "file new\n");

  ASSERT_TRUE(target->Signal(SIGCONT));
  auto status = target->Wait(seconds(120));
  ASSERT_TRUE(status);
  EXPECT_EQ(DescribeStatus(*status), "exit 0") << target->err();
  EXPECT_EQ(target->out(), "ready\n" + AdderOutput(kCalls));
  ASSERT_TRUE(gotap->Signal(SIGINT));
  auto gotap_status = gotap->Wait(seconds(60));
  ASSERT_TRUE(gotap_status);
  EXPECT_EQ(DescribeStatus(*gotap_status), "exit 0") << gotap->err();

  std::vector<Json> lines = TakeEvents(events);
  EXPECT_EQ(lines.size(), kCalls) << gotap->err();
  size_t others = 0;
  for (const Json& e : lines) {
    if (e.value("pid", 0) != target->pid() || e.value("func", "") != "main.add") ++others;
  }
  EXPECT_EQ(others, 0u) << "events of another process or function";
  auto summary = ParseSummary(gotap->err());
  ASSERT_TRUE(summary) << gotap->err();
  EXPECT_EQ(summary->calls, kCalls);
  EXPECT_EQ(summary->lost, 0u);
  fs::remove_all(dir);
}

// Two gotap instances on one process at once: each has its own link and maps, each sees every
// call.
TEST(FaultBpf, TwoTracersOnOneProcessBothSeeEveryCall) {
  constexpr int kCalls = 20000;
  auto target =
      ChildProcess::Start({Fixture("adder.default"), "-wait", "-n", std::to_string(kCalls)});
  ASSERT_TRUE(target->WaitForLine(Stream::kOut, "ready", seconds(20))) << target->err();
  std::string pid = std::to_string(target->pid());
  std::vector<std::unique_ptr<ChildProcess>> tracers;
  for (int k = 0; k < 2; ++k) {
    tracers.push_back(
        ChildProcess::Start({GOTAP_BINARY, "trace", "--json", "-p", pid, "main.add"}));
    ASSERT_TRUE(tracers.back()->WaitForLine(Stream::kErr, "gotap: tracing", seconds(20)))
        << tracers.back()->err();
  }
  ASSERT_TRUE(target->Write("\n"));
  auto status = target->Wait(seconds(60));
  ASSERT_TRUE(status);
  EXPECT_EQ(DescribeStatus(*status), "exit 0") << target->err();
  EXPECT_EQ(target->out(), "ready\n" + AdderOutput(kCalls));
  for (auto& gotap : tracers) {
    auto gotap_status = gotap->Wait(seconds(60));
    ASSERT_TRUE(gotap_status);
    EXPECT_EQ(DescribeStatus(*gotap_status), "exit 0") << gotap->err();
    auto summary = ParseSummary(gotap->err());
    ASSERT_TRUE(summary) << gotap->err();
    EXPECT_EQ(summary->calls, static_cast<uint64_t>(kCalls)) << gotap->err();
    EXPECT_EQ(summary->lost, 0u) << gotap->err();
    std::vector<Json> lines = ParseJsonLines(gotap->out());
    ASSERT_EQ(lines.size(), static_cast<size_t>(kCalls));
    std::vector<bool> seen(kCalls);
    for (const Json& e : lines) {
      Json b = ValueOf(e, "args", "b");
      if (b.is_number_integer() && b.get<int>() >= 0 && b.get<int>() < kCalls)
        seen[b.get<int>()] = true;
    }
    EXPECT_EQ(std::count(seen.begin(), seen.end(), true), kCalls) << "some add(_, i) missing";
  }
}

// A ring buffer of one page holds about three records of calls with two 512-byte strings, far
// fewer than arrive between two reads: gotap drops records and counts them, and never holds the
// target back — the target completes, and every call is either written or counted as lost.
TEST(FaultBpf, TinyBufferCountsLossesAndNeverBlocksTheTarget) {
  constexpr uint64_t kCalls = 20000;
  std::string events = TempPath("events");
  RunResult r =
      RunGotapWithin({"trace", "--buffer", std::to_string(getpagesize()), "--strlen", "512",
                      "--json", "-o", events, "main.sink", "--", Fixture("strfuzz.default"), "-n",
                      std::to_string(kCalls), "-show", "0"},
                     seconds(120));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(CommandExitStatus(r.err), 0) << r.err;
  EXPECT_NE(r.out.find("strfuzz: " + std::to_string(kCalls) + " calls, sum "), std::string::npos);
  auto summary = ParseSummary(r.err);
  ASSERT_TRUE(summary) << r.err;
  std::vector<Json> lines = TakeEvents(events);
  EXPECT_GT(summary->lost, 0u) << r.err;
  EXPECT_NE(r.err.find("records dropped: ring buffer full"), std::string::npos) << r.err;
  EXPECT_EQ(summary->calls, lines.size());
  EXPECT_EQ(summary->calls + summary->lost, kCalls) << r.err;
}

// --buffer takes a power of two from a page to 1G; anything else is a one-line usage error.
TEST(BufferOption, RejectsSizesTheRingCannotHave) {
  for (const char* bad : {"0", "3000", "12K", "abc", "2G", "64KB"}) {
    for (const char* command : {"trace", "latency"}) {
      RunResult r = RunGotap({command, "--buffer", bad, Fixture("adder.default"), "main.add"});
      EXPECT_EQ(r.exit_code, 2) << command << " --buffer '" << bad << "': " << r.err;
      EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
      EXPECT_NE(r.err.find("buffer"), std::string::npos) << r.err;
    }
  }
}

}  // namespace
}  // namespace gotap::testing
