// A write that fails is never silent: with `-o /dev/full`, or stdout on /dev/full, every command
// ends with exit 1, one line "gotap: cannot write NAME: No space left on device", and (for the
// tracing commands) a summary that counts every call it could not write as lost.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>

#include "trace_events.h"
#include "trace_process.h"

namespace gotap::testing {
namespace {

using std::chrono::seconds;

constexpr char kFullMessage[] = "No space left on device";

// gotap with `args`, its stdout on /dev/full (through sh, which only redirects and execs).
RunResult RunGotapIntoDevFull(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" >/dev/full", GOTAP_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  auto gotap = ChildProcess::Start(argv);
  gotap->CloseStdin();
  std::optional<int> status = gotap->Wait(std::chrono::milliseconds(60000));
  RunResult r;
  if (!status) {
    ADD_FAILURE() << "gotap did not finish; stderr: " << gotap->err();
    return r;
  }
  if (WIFEXITED(*status)) r.exit_code = WEXITSTATUS(*status);
  if (WIFSIGNALED(*status)) r.signal = WTERMSIG(*status);
  r.err = gotap->err();
  return r;
}

// Exit 1 and exactly one "gotap: cannot write NAME: ..." line, the last one on stderr.
void ExpectWriteFailure(const RunResult& r, const std::string& name) {
  EXPECT_EQ(r.signal, 0) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  std::vector<std::string> lines = Lines(r.err);
  std::string expected = "gotap: cannot write " + name + ": " + kFullMessage;
  EXPECT_EQ(std::count(lines.begin(), lines.end(), expected), 1) << r.err;
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), expected) << r.err;
}

// Every call traced was lost, and the summary says so. The run ends at the first failed write:
// how many calls it saw before then depends on timing, not that it lost them all.
void ExpectEveryCallLost(const RunResult& r) {
  auto summary = ParseSummary(r.err);
  ASSERT_TRUE(summary) << r.err;
  uint64_t seen =
      summary->calls + summary->unwound + summary->entry_only + summary->running_at_exit;
  EXPECT_GT(seen, 0u) << r.err;
  EXPECT_EQ(summary->lost, seen) << r.err;
  EXPECT_NE(r.err.find("\n  " + std::to_string(seen) + " calls not written: cannot write"),
            std::string::npos)
      << r.err;
}

TEST(OutputLossBpf, TraceToDevFull) {
  std::vector<std::string> target = {"main.add", "main.main", "--", Fixture("adder.default"),
                                     "-n",       "1000"};
  for (bool json : {false, true}) {
    std::vector<std::string> args = {"trace", "-o", "/dev/full"};
    if (json) args.push_back("--json");
    args.insert(args.end(), target.begin(), target.end());
    RunResult to_file = RunGotapWithin(args, seconds(60));
    ExpectWriteFailure(to_file, "/dev/full");
    ExpectEveryCallLost(to_file);

    args.erase(args.begin() + 1, args.begin() + 3);  // no -o: stdout
    RunResult to_stdout = RunGotapIntoDevFull(args);
    ExpectWriteFailure(to_stdout, "stdout");
    ExpectEveryCallLost(to_stdout);
  }
}

TEST(OutputLossBpf, CountToDevFull) {
  RunResult r = RunGotapIntoDevFull(
      {"trace", "--count", "main.add", "--", Fixture("adder.default"), "-n", "1000"});
  ExpectWriteFailure(r, "stdout");
  ExpectEveryCallLost(r);
  auto summary = ParseSummary(r.err);
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->calls, 1000u) << r.err;  // counted in the kernel: all of them, none written
}

TEST(OutputLossBpf, RecordToDevFull) {
  RunResult r = RunGotapWithin(
      {"record", "-o", "/dev/full", "main.add", "--", Fixture("adder.default"), "-n", "1000"},
      seconds(60));
  ExpectWriteFailure(r, "/dev/full");
  ExpectEveryCallLost(r);
}

TEST(OutputLossBpf, LatencyToDevFull) {
  std::vector<std::string> target = {"main.add", "--", Fixture("adder.default"), "-n", "1000"};
  std::vector<std::string> args = {"latency", "-o", "/dev/full"};
  args.insert(args.end(), target.begin(), target.end());
  RunResult to_file = RunGotapWithin(args, seconds(60));
  ExpectWriteFailure(to_file, "/dev/full");
  ExpectEveryCallLost(to_file);
  auto summary = ParseSummary(to_file.err);
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->calls, 1000u) << to_file.err;  // one report, at the end: all calls in it

  args = {"latency", "--json"};
  args.insert(args.end(), target.begin(), target.end());
  RunResult to_stdout = RunGotapIntoDevFull(args);
  ExpectWriteFailure(to_stdout, "stdout");
  ExpectEveryCallLost(to_stdout);
}

// No BPF: the binary commands.
TEST(OutputLoss, FuncsAndInfoToDevFull) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"funcs", Fixture("adder.default")},
        {"funcs", "--json", Fixture("adder.default"), "main.*"},
        {"info", Fixture("adder.default")},
        {"info", "--json", Fixture("adder.default")}}) {
    RunResult r = RunGotapIntoDevFull(args);
    ExpectWriteFailure(r, "stdout");
  }
}

}  // namespace
}  // namespace gotap::testing
