// Stops a process (SIGSTOP) for a consistent read and lets it run again (SIGCONT) when the guard
// goes away, on every path out, errors included. While the guard lives, SIGINT, SIGTERM, SIGHUP
// and SIGQUIT to gotap are held back (blocked in the calling thread), so Ctrl-C cannot leave the
// target stopped: they are delivered after the SIGCONT.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>

#include "base/status.h"

namespace gotap::proc {

class FreezeGuard {
 public:
  // Sends SIGSTOP and waits (up to `timeout`) until every thread of the process is stopped.
  // On failure the process is resumed before returning.
  static StatusOr<FreezeGuard> Freeze(pid_t pid,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(2));

  FreezeGuard(FreezeGuard&& other) noexcept : pid_(other.pid_), old_mask_(other.old_mask_) {
    other.pid_ = 0;
  }
  FreezeGuard& operator=(FreezeGuard&&) = delete;
  FreezeGuard(const FreezeGuard&) = delete;
  FreezeGuard& operator=(const FreezeGuard&) = delete;
  ~FreezeGuard();  // SIGCONT

 private:
  FreezeGuard(pid_t pid, sigset_t old_mask) : pid_(pid), old_mask_(old_mask) {}
  pid_t pid_ = 0;      // 0 when moved from
  sigset_t old_mask_;  // the signal mask to restore after SIGCONT
};

// True if every thread in /proc/PID/task is stopped ('T' or 't') or gone.
bool AllThreadsStopped(pid_t pid);

}  // namespace gotap::proc
