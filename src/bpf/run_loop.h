// The run loop of every command that streams from a BPF ring: trace, latency, graph, record (and
// gotap serve's attachments) through trace::RunTrace, and gotap ns through nswatch::RunNsWatch.
// Once the caller has attached: resume a spawned target, poll the ring until a stop condition
// holds, detach (the target then runs unprobed), and drain what the kernel already recorded.
#pragma once

#include <chrono>
#include <csignal>
#include <functional>
#include <optional>
#include <string>

#include "base/byte_reader.h"
#include "base/status.h"

namespace gotap::bpf {

// What a run attaches to.
struct Target {
  std::string binary_path;  // the executable whose file gets the uprobes
  int pid = 0;              // >0: only this process (-p, or the spawned command); 0: every one
  bool spawned = false;     // pid is our child, stopped before exec; resumed once attached
};

// Set from a signal handler (Ctrl-C and the like); ends every run without a flag of its own.
extern volatile std::sig_atomic_t g_stop_requested;

struct LoopLimits {
  std::optional<double> duration_seconds;
  // Ends the run once set (by a signal handler or another thread); null: g_stop_requested.
  // Several runs at once (gotap serve's attachments) each need a flag of their own.
  const volatile std::sig_atomic_t* stop_flag = nullptr;
};

struct LoopHooks {
  // Waits up to the timeout for the ring, hands its records on, returns how many. Required.
  std::function<StatusOr<int>(std::chrono::milliseconds)> poll;
  // Closes every link. Required.
  std::function<void()> detach;
  // The caller's own reason to stop ("max events"), checked before each poll and each drain
  // step; "" to go on. While it holds, nothing is drained. Optional.
  std::function<std::string()> stop_reason;
  // Runs after each poll (about every 100 ms); a non-empty result ("write failed") stops the
  // run, which is then still drained. Optional.
  std::function<std::string()> after_poll;
};

// The hooks of a session (bpf::Session, nswatch::NsSession: Poll and DetachAll) whose records
// go to `deliver`; both must outlive the loop.
template <typename SessionT>
LoopHooks SessionHooks(SessionT& session, const std::function<void(Bytes)>& deliver) {
  LoopHooks hooks;
  hooks.poll = [&session, &deliver](std::chrono::milliseconds timeout) {
    return session.Poll(timeout, deliver);
  };
  hooks.detach = [&session] { session.DetachAll(); };
  return hooks;
}

struct LoopEnd {
  // "interrupted", "duration", "command exited", "process exited", or the hooks' reason.
  std::string stop_reason;
  std::optional<int> child_exit_status;  // the spawned command's wait status, when it ended
  std::chrono::steady_clock::time_point started;  // when the target was resumed

  double elapsed_seconds() const;
};

// Resumes a spawned target, polls every 100 ms until a limit, a signal, the target's end or a
// hook stops it, detaches, and drains the ring. An error polling the ring ends it (detached).
StatusOr<LoopEnd> RunLoop(const Target& target, const LoopLimits& limits, const LoopHooks& hooks);

}  // namespace gotap::bpf
