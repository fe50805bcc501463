// Runs a Go fixture with -wait: it prints "ready" and blocks on stdin until Release(), so a test
// can attach probes in between without sleeping.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace gotap::bpf::testing {

class FixtureProcess {
 public:
  // Starts `path -wait args...` and waits (up to 30 s) for its "ready" line.
  static StatusOr<FixtureProcess> Start(const std::string& path,
                                        const std::vector<std::string>& args);

  FixtureProcess(FixtureProcess&& other) noexcept;
  FixtureProcess& operator=(FixtureProcess&&) = delete;
  FixtureProcess(const FixtureProcess&) = delete;
  ~FixtureProcess();  // kills and reaps a process that is still running

  pid_t pid() const { return pid_; }
  // Lets the fixture do its work.
  Status Release();
  // The exit status once the process has ended (reaped), or nullopt while it runs.
  std::optional<int> TryWait();
  // Everything the process wrote to stdout after "ready" (call after it ended).
  std::string ReadOutput();

 private:
  FixtureProcess(pid_t pid, int stdin_fd, int stdout_fd)
      : pid_(pid), stdin_fd_(stdin_fd), stdout_fd_(stdout_fd) {}

  pid_t pid_ = -1;  // kept after the process is reaped; -1 when moved from
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::optional<int> exit_status_;
};

// "exit 0", "exit 2", "signal 11 (Segmentation fault)".
std::string DescribeWaitStatus(int status);

}  // namespace gotap::bpf::testing
