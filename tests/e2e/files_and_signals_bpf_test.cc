// Hostile files and signals: a binary truncated while gotap reads it, a FIFO given as the binary,
// pids that are not pids, and every catchable terminating signal sent to a recording gotap.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "trace_events.h"
#include "trace_process.h"

namespace gotap::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
namespace fs = std::filesystem;

std::string TempPath(const std::string& stem) {
  std::string path = "/tmp/gotap-e2e-" + stem + "-XXXXXX";
  close(mkstemp(path.data()));
  return path;
}

// Exit 0, or exit 2 with one line "gotap: ..."; never a signal.
void ExpectCleanOutcome(const RunResult& r, const std::string& what) {
  EXPECT_EQ(r.signal, 0) << what << " killed by signal " << r.signal << "; stderr: " << r.err;
  if (r.exit_code == 0) return;
  EXPECT_EQ(r.exit_code, 2) << what << ": " << r.err;
  std::vector<std::string> lines = Lines(r.err);
  ASSERT_EQ(lines.size(), 1u) << what << ": " << r.err;
  EXPECT_EQ(lines[0].rfind("gotap: ", 0), 0u) << what << ": " << r.err;
}

// Runs `args` (with the copy of `original` as their binary) several times while another
// thread keeps truncating the copy to one page and writing the rest back, `cp` style.
void RunWhileTruncating(const std::string& original, const std::vector<std::string>& args) {
  std::string copy = TempPath("truncated");
  fs::copy_file(original, copy, fs::copy_options::overwrite_existing);
  std::string bytes = ReadText(original);
  std::atomic<bool> done{false};
  std::thread truncator([&] {
    int fd = open(copy.c_str(), O_WRONLY | O_CLOEXEC);
    while (!done) {
      ASSERT_EQ(ftruncate(fd, 4096), 0);
      ASSERT_EQ(pwrite(fd, bytes.data() + 4096, bytes.size() - 4096, 4096),
                static_cast<ssize_t>(bytes.size() - 4096));
      // The fault's duty cycle, not a synchronization: whole most of the time (so gotap gets
      // past opening it), cut short again and again while gotap reads it.
      std::this_thread::sleep_for(milliseconds(20));
    }
    close(fd);
  });
  for (int run = 0; run < 6; ++run) {
    std::vector<std::string> full = args;
    full.push_back(copy);
    ExpectCleanOutcome(RunGotapWithin(full, seconds(20)), args[0] + " run " + std::to_string(run));
  }
  done = true;
  truncator.join();
  unlink(copy.c_str());
}

// A stripped third-party binary, parsed and disassembled (no DWARF).
TEST(BinaryFiles, TruncatedWhileFuncsReadsIt) {
  RunWhileTruncating(std::string(GOTAP_NPM_DIR) + "/@esbuild+linux-x64@0.24.2/bin/esbuild",
                     {"funcs"});
}

// A fixture with DWARF, which info reads through libdw.
TEST(BinaryFiles, TruncatedWhileInfoReadsIt) {
  RunWhileTruncating(Fixture("model.default"), {"info"});
}

// A FIFO is refused at once (opening it for reading would wait for a writer).
TEST(BinaryFiles, FifoIsRefusedWithoutBlocking) {
  std::string fifo = TempPath("fifo");
  unlink(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const char* command : {"info", "funcs"}) {
    RunResult r = RunGotapWithin({command, fifo}, seconds(10));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(Lines(r.err), std::vector<std::string>{"gotap: " + fifo + ": not a regular file"});
  }
  unlink(fifo.c_str());
}

// 0 and negative numbers are not processes (they would read as "no -p given").
TEST(PidArgs, ZeroAndNegativePidsAreRefused) {
  for (std::string pid : {"0", "-1", "-42"}) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"trace", "-p", pid, "main.add"},
          {"latency", "--pid", pid, "main.add"},
          {"goroutines", "-p", pid}}) {
      RunResult r = RunGotapWithin(args, seconds(10));
      EXPECT_EQ(r.exit_code, 2) << args[0] << " -p " << pid << ": " << r.err;
      EXPECT_EQ(Lines(r.err), std::vector<std::string>{"gotap: bad pid " + pid +
                                                       ": -p takes a process id (a positive "
                                                       "number)"})
          << args[0];
    }
  }
}

// `gotap record -p` of a busy process, stopped by `sig`: it must finish the file (a valid JSON
// array holding the calls so far), print its summary and exit 0.
void ExpectSignalEndsRecordCleanly(int sig) {
  auto target = ChildProcess::Start(
      {Fixture("pacer.default"), "-wait", "-rate", "2000", "-seconds", "30", "-goroutines", "2"});
  ASSERT_TRUE(target->WaitForLine(Stream::kOut, "ready", seconds(20)));
  std::string json = TempPath("record");
  auto gotap = ChildProcess::Start(
      {GOTAP_BINARY, "record", "-o", json, "-p", std::to_string(target->pid()), "main.add"});
  ASSERT_TRUE(gotap->WaitForLine(Stream::kErr, "gotap: tracing", seconds(20))) << gotap->err();
  ASSERT_TRUE(target->Write("\n"));
  // Calls are written as they end, flushed after every poll: wait for the first one in the file.
  auto deadline = std::chrono::steady_clock::now() + seconds(20);
  while (ReadText(json).find("\"ph\":\"X\"") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    usleep(20000);
  }
  ASSERT_TRUE(gotap->Signal(sig));
  auto status = gotap->Wait(seconds(20));
  std::string written = ReadText(json);
  unlink(json.c_str());
  ASSERT_TRUE(status) << "signal " << sig << " did not stop gotap";
  EXPECT_EQ(DescribeStatus(*status), "exit 0") << "signal " << sig << ": " << gotap->err();
  auto summary = ParseSummary(gotap->err());
  ASSERT_TRUE(summary) << "signal " << sig << ": " << gotap->err();
  Json trace = Json::parse(written, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(trace.is_array()) << "signal " << sig << ": " << written.substr(0, 300);
  uint64_t calls = 0;
  for (const Json& e : trace) calls += e.value("ph", "") == "X";
  EXPECT_GT(calls, 0u);
  EXPECT_EQ(calls, summary->calls + summary->running_at_exit) << gotap->err();
}

TEST(StopSignalsBpf, EveryTerminatingSignalFinishesTheRecording) {
  for (int sig : {SIGHUP, SIGPIPE, SIGUSR1, SIGQUIT, SIGTERM}) {
    SCOPED_TRACE(strsignal(sig));
    ExpectSignalEndsRecordCleanly(sig);
  }
}

}  // namespace
}  // namespace gotap::testing
