// `gotap trace -- COMMAND`: gotap's records and the command's own output share one stdout without
// splitting each other's lines; the command's exit status becomes gotap's; and a gotap killed
// before it released the command never leaves the command waiting forever.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "trace_events.h"
#include "trace_process.h"

namespace gotap::testing {
namespace {

using std::chrono::seconds;

// What chatter prints as line i.
std::string ChatterLine(int i) {
  return "chatter line " + std::to_string(i) + " of the command's own output";
}

TEST(SpawnBpf, JsonRecordsStayWholeOnSharedStdout) {
  constexpr int kLines = 20000;
  auto gotap = ChildProcess::Start({GOTAP_BINARY, "trace", "--json", "main.say", "--",
                                    Fixture("chatter.default"), "-n", std::to_string(kLines)});
  gotap->CloseStdin();
  auto status = gotap->Wait(std::chrono::milliseconds(60000));
  ASSERT_TRUE(status) << gotap->err();
  ASSERT_EQ(DescribeStatus(*status), "exit 0") << gotap->err();
  // Every line is one of gotap's records or one of the command's lines, whole.
  int records = 0, chatter = 0, next_chatter = 0;
  std::vector<std::string> broken;
  for (const std::string& line : Lines(gotap->out())) {
    Json record = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (record.is_object() && record.value("func", "") == "main.say") {
      ++records;
    } else if (line == ChatterLine(next_chatter)) {
      ++chatter;
      ++next_chatter;
    } else if (broken.size() < 5) {
      broken.push_back(line);
    }
  }
  EXPECT_TRUE(broken.empty()) << "split lines, e.g.: " << broken[0];
  EXPECT_EQ(chatter, kLines);
  auto summary = ParseSummary(gotap->err());
  ASSERT_TRUE(summary) << gotap->err();
  EXPECT_EQ(static_cast<uint64_t>(records), summary->calls) << gotap->err();
  EXPECT_EQ(summary->calls + summary->lost, static_cast<uint64_t>(kLines)) << gotap->err();
}

TEST(SpawnBpf, ExitStatusIsTheCommands) {
  RunResult exited = RunGotapWithin(
      {"trace", "main.say", "--", Fixture("chatter.default"), "-n", "1", "-exit", "100"},
      seconds(60));
  EXPECT_EQ(exited.exit_code, 100) << exited.err;
  EXPECT_EQ(CommandExitStatus(exited.err), 100) << exited.err;

  RunResult killed = RunGotapWithin(
      {"latency", "main.say", "--", Fixture("chatter.default"), "-n", "1", "-kill"}, seconds(60));
  EXPECT_EQ(killed.exit_code, 128 + SIGKILL) << killed.err;
  EXPECT_NE(killed.err.find("gotap: command killed by signal 9"), std::string::npos) << killed.err;

  // gotap's own failure stays 1 or 2 whatever the command would have done: an unknown probe.
  RunResult bad = RunGotapWithin(
      {"trace", "main.nosuch", "--", Fixture("chatter.default"), "-exit", "100"}, seconds(60));
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

// The first child of `parent` once it has one (gotap forks the command after planning), or 0.
pid_t WaitForChildOf(pid_t parent, seconds timeout) {
  std::string p = std::to_string(parent);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pid_t child =
        static_cast<pid_t>(std::atoi(ReadText("/proc/" + p + "/task/" + p + "/children").c_str()));
    if (child > 0) return child;
    if (kill(parent, 0) != 0) return 0;
    usleep(500);  // polling /proc for the fork, which nothing else announces
  }
  return 0;
}

// Waits for a process that is not our child to end; true if it did within `timeout`.
bool WaitForEnd(pid_t pid, seconds timeout) {
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;  // already gone
  pollfd p{fd, POLLIN, 0};
  bool ended = poll(&p, 1, static_cast<int>(timeout.count() * 1000)) == 1;
  close(fd);
  return ended;
}

// SIGKILL of gotap right after it forked the command (while it loads BPF and attaches, before
// it releases the command): the command must not stay behind, stopped or waiting.
TEST(SpawnBpf, KilledGotapLeavesNoCommandWaiting) {
  for (int run = 0; run < 3; ++run) {
    auto gotap = ChildProcess::Start(
        {GOTAP_BINARY, "trace", "main.say", "--", Fixture("chatter.default"), "-n", "1"});
    pid_t command = WaitForChildOf(gotap->pid(), seconds(20));
    ASSERT_GT(command, 0) << gotap->err();
    gotap->Signal(SIGKILL);
    gotap->Wait(seconds(10));
    bool ended = WaitForEnd(command, seconds(5));
    std::string stat = ReadText("/proc/" + std::to_string(command) + "/stat");
    EXPECT_TRUE(ended) << "run " << run << ": the command is still there: " << stat;
    if (!ended) kill(command, SIGKILL);
  }
}

}  // namespace
}  // namespace gotap::testing
