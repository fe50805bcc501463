// When a tracing loop (gotap trace, gotap ns) should stop: Ctrl-C, a duration, the end of the
// command it spawned, or the end of the process it watches.
#pragma once

#include <chrono>
#include <csignal>
#include <optional>
#include <string>

namespace gotap::proc {

class StopConditions {
 public:
  // `stop_flag` is set by a signal handler; pid 0 watches no process (every process of a
  // binary); a spawned pid is our child and is reaped here when it exits.
  StopConditions(const volatile std::sig_atomic_t* stop_flag,
                 std::optional<double> duration_seconds, int pid, bool spawned);

  // The reason to stop now ("interrupted", "duration", "command exited", "process exited"), or
  // "" to go on. When the spawned command was reaped, its wait status goes to
  // *child_exit_status.
  std::string Check(std::optional<int>* child_exit_status) const;

  double elapsed_seconds() const;

 private:
  const volatile std::sig_atomic_t* stop_flag_;
  std::optional<double> duration_seconds_;
  int pid_;
  bool spawned_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace gotap::proc
