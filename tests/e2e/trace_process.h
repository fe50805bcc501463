// A program started by an end-to-end test and driven while it runs: its stdin, stdout and stderr
// are pipes, so a test waits for what the program prints (a "ready" line, gotap's "tracing" line,
// its exit) with a bounded timeout instead of sleeping, writes to it, and signals it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gotap::testing {

enum class Stream { kOut, kErr };

class ChildProcess {
 public:
  using Millis = std::chrono::milliseconds;

  // Forks and execs argv[0] (a path, no PATH search) with pipes on fds 0, 1 and 2. A program
  // that cannot be executed exits with status 127. Never null.
  static std::unique_ptr<ChildProcess> Start(const std::vector<std::string>& argv);

  // A child still running is killed (SIGKILL) and reaped: a failed test leaves no process.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Reads until a whole line of `stream` that was not examined by an earlier call contains
  // `needle`, and returns that line (without its newline); nullopt if the stream ends or
  // `timeout` passes first. Lines examined and not matched are skipped by later calls.
  std::optional<std::string> WaitForLine(Stream stream, std::string_view needle, Millis timeout);

  // Writes all of `text` to the child's stdin; false if the pipe is closed.
  bool Write(std::string_view text);
  void CloseStdin();

  // kill(pid, sig); false if the child is already reaped.
  bool Signal(int sig);

  // Waits until the child stops (after SIGSTOP) or ends; true if it is stopped.
  bool WaitStopped();

  // Waits for the child to end, then collects what it wrote before ending. The wait status
  // (for WIFEXITED etc.), or nullopt if `timeout` passed first (the child keeps running).
  std::optional<int> Wait(Millis timeout);

  // Everything read so far from stdout / stderr.
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  ChildProcess(pid_t pid, int pidfd, int in_fd, int out_fd, int err_fd);

  // Reads what is available on the pipes, waiting at most until `deadline` for something to
  // happen (data, end of a pipe, or the child's exit). False once nothing more can happen.
  bool Pump(std::chrono::steady_clock::time_point deadline);
  // Reads without blocking until the pipes are empty.
  void Drain();
  bool ReadFrom(int* fd, std::string* into);

  pid_t pid_;
  int pidfd_;                    // readable once the child has ended
  int in_fd_, out_fd_, err_fd_;  // -1 once closed
  bool reaped_ = false;
  int status_ = 0;  // the wait status, once reaped_
  std::string out_, err_;
  size_t out_scanned_ = 0, err_scanned_ = 0;  // bytes of whole lines WaitForLine has examined
};

// A short description of a wait status for failure messages: "exit 0", "signal 9", "stopped".
std::string DescribeStatus(int status);

}  // namespace gotap::testing
