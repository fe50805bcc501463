// Running `gotap ns`: load the program, record each watched process's original namespaces,
// attach the plan's sites and the setns/unshare programs, and turn events into findings until
// a signal, the duration or the target's exit.
#pragma once

#include <csignal>
#include <functional>
#include <optional>
#include <string>

#include "gobin/binary.h"
#include "nswatch/findings.h"
#include "nswatch/ns_plan.h"

namespace gotap::nswatch {

struct WatchTarget {
  std::string binary_path;  // the executable whose file gets the uprobes
  int pid = 0;              // >0: this process only (-p, or the spawned command); 0: every one
  bool spawned = false;     // pid is our child, stopped before exec; resumed after attaching
};

struct WatchLimits {
  std::optional<double> duration_seconds;
  std::function<void()> on_attached;  // once everything is attached, before a spawn resumes
};

// Set from a signal handler; the loop polls it.
extern volatile std::sig_atomic_t g_ns_stop_requested;

// `binary` is the Binary the plan was made from (for symbolizing stacks).
StatusOr<NsSummary> RunNsWatch(const NsPlan& plan, const gobin::Binary& binary,
                               const WatchTarget& target, const WatchLimits& limits,
                               const std::function<void(const Finding&)>& on_finding);

}  // namespace gotap::nswatch
