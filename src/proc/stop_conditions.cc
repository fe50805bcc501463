#include "proc/stop_conditions.h"

#include <signal.h>
#include <sys/wait.h>

#include <cerrno>

namespace gotap::proc {

StopConditions::StopConditions(const volatile std::sig_atomic_t* stop_flag,
                               std::optional<double> duration_seconds, int pid, bool spawned)
    : stop_flag_(stop_flag), duration_seconds_(duration_seconds), pid_(pid), spawned_(spawned) {}

double StopConditions::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string StopConditions::Check(std::optional<int>* child_exit_status) const {
  if (*stop_flag_) return "interrupted";
  if (duration_seconds_ && elapsed_seconds() >= *duration_seconds_) return "duration";
  if (spawned_) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      *child_exit_status = status;
      return "command exited";
    }
  } else if (pid_ > 0 && kill(pid_, 0) != 0 && errno == ESRCH) {
    // kill(pid, 0), not /proc state: a -p target that is a zombie still counts as running,
    // as it always has here.
    return "process exited";
  }
  return "";
}

}  // namespace gotap::proc
