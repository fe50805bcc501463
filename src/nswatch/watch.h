// Running `gotap ns`: load the program, record each watched process's original namespaces,
// attach the plan's sites and the setns/unshare programs, and turn events into findings until
// a signal, the duration or the target's exit (bpf::RunLoop, as every traced run).
#pragma once

#include <functional>

#include "bpf/run_loop.h"
#include "gobin/binary.h"
#include "nswatch/findings.h"
#include "nswatch/ns_plan.h"

namespace gotap::nswatch {

// duration_seconds and stop_flag (null: bpf::g_stop_requested) as bpf::LoopLimits.
struct WatchLimits : bpf::LoopLimits {
  std::function<void()> on_attached;  // once everything is attached, before a spawn resumes
};

// `binary` is the Binary the plan was made from (for symbolizing stacks).
StatusOr<NsSummary> RunNsWatch(const NsPlan& plan, const gobin::Binary& binary,
                               const bpf::Target& target, const WatchLimits& limits,
                               const std::function<void(const Finding&)>& on_finding);

}  // namespace gotap::nswatch
