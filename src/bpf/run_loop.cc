#include "bpf/run_loop.h"

#include <signal.h>

#include "proc/stop_conditions.h"

namespace gotap::bpf {

volatile std::sig_atomic_t g_stop_requested = 0;

namespace {
constexpr std::chrono::milliseconds kPollInterval(100);
}  // namespace

double LoopEnd::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

StatusOr<LoopEnd> RunLoop(const Target& target, const LoopLimits& limits, const LoopHooks& hooks) {
  if (target.spawned) kill(target.pid, SIGCONT);
  LoopEnd end;
  end.started = std::chrono::steady_clock::now();
  proc::StopConditions stop(limits.stop_flag ? limits.stop_flag : &g_stop_requested,
                            limits.duration_seconds, target.pid, target.spawned);
  auto own_reason = [&] { return hooks.stop_reason ? hooks.stop_reason() : std::string(); };
  while (true) {
    end.stop_reason = own_reason();
    if (end.stop_reason.empty()) end.stop_reason = stop.Check(&end.child_exit_status);
    if (!end.stop_reason.empty()) break;
    auto polled = hooks.poll(kPollInterval);
    if (!polled.ok()) {
      hooks.detach();
      return polled.status();
    }
    if (hooks.after_poll) {
      end.stop_reason = hooks.after_poll();
      if (!end.stop_reason.empty()) break;
    }
  }
  // Detach first so the target runs unprobed, then drain what the kernel already recorded.
  hooks.detach();
  while (own_reason().empty()) {
    auto polled = hooks.poll(std::chrono::milliseconds(0));
    if (!polled.ok() || *polled == 0) break;
  }
  return end;
}

}  // namespace gotap::bpf
