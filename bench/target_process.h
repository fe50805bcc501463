// A target program for the benchmarks, started with its stdin on a pipe we hold: Go fixtures run
// with -wait (they print "ready" and block until a newline), other programs (esbuild) simply
// block reading stdin until we close it. Probes are attached in between, so no timing includes
// the target's start-up.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "base/status.h"

namespace gotap::bench {

class TargetProcess {
 public:
  // Runs `argv` (argv[0] is the path) and, with `ready_line`, waits up to 30 s until its stdout
  // starts with that line. Without it, waits until the exec has happened (/proc/PID/exe is
  // argv[0]), so the binary is mapped before probes are attached to the process.
  static StatusOr<TargetProcess> Start(const std::vector<std::string>& argv,
                                       const std::string& ready_line);

  TargetProcess(TargetProcess&& other) noexcept;
  TargetProcess& operator=(TargetProcess&&) = delete;
  TargetProcess(const TargetProcess&) = delete;
  ~TargetProcess();  // kills and reaps a process that still runs

  pid_t pid() const { return pid_; }

  // Writes a newline to its stdin and closes it: a -wait fixture starts working, a program
  // reading stdin sees the end of its input.
  Status Release();
  struct Exit {
    int status = 0;          // as from waitpid
    double cpu_seconds = 0;  // user + system CPU time the process used (its rusage)
  };
  // Blocks until the process exits. Uprobe hits are handled in the process's own context, so
  // its system time includes them, without the time it waited for a CPU on a busy machine.
  StatusOr<Exit> Wait();
  // Everything the process wrote to stdout after the ready line (after Wait).
  std::string ReadOutput();

 private:
  TargetProcess(pid_t pid, int stdin_fd, int stdout_fd)
      : pid_(pid), stdin_fd_(stdin_fd), stdout_fd_(stdout_fd) {}

  pid_t pid_ = -1;  // -1 once reaped or moved from
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
};

}  // namespace gotap::bench
