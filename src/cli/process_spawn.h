// Starting the command after `--` so that probes are in place before its first instruction, and
// stopping cleanly on Ctrl-C. Shared by the subcommands that trace a live process.
#pragma once

#include <csignal>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace gotap::cli {

// The file execvp would run for `command` (a PATH search for a bare name); nullopt if none.
std::optional<std::string> ResolveCommand(const std::string& command);

// Forks `argv`, held before exec until the caller has attached and sends SIGCONT. Returns the
// child's pid. The held child is not in a stopped state: it waits for SIGCONT (sigwait), and
// dies with gotap until then (PR_SET_PDEATHSIG), so a gotap killed between fork and SIGCONT
// never leaves it waiting forever; once released it runs on its own.
StatusOr<int> SpawnStopped(const std::vector<std::string>& argv);

// What a tracing subcommand's arguments name: the file that gets the probes, the process (0 =
// every process running the file), and the probe patterns left over.
struct TargetArgs {
  std::string binary_path;
  int pid = 0;
  std::vector<std::string> probes;
};

// From `[BINARY] PROBE...`, `-p PID PROBE...` or `PROBE... -- COMMAND`: with a command, its
// resolved path (the pid is known only once it is spawned); with -p, /proc/PID/exe; otherwise
// the first positional. kInvalidArgument / kNotFound carry the one-line message to print.
StatusOr<TargetArgs> ResolveTargetArgs(std::vector<std::string> positionals,
                                       const std::vector<std::string>& command, int pid,
                                       std::string_view subcommand);

// After a tracing run failed: kills and reaps the command we spawned (spawned_pid > 0) and
// returns the exit code for the error: kExitFailure for missing privileges or kernel support,
// kExitBadInput otherwise.
int EndFailedRun(const Status& error, int spawned_pid);

// gotap's exit code for a spawned command that ended with `wait_status`, as strace and time
// give it: N for exit(N), 128+S for signal S.
int CommandExitCode(int wait_status);

// The wait status of the spawned command once it ends (tracing may have stopped first, on a
// limit: it runs on unprobed).
int WaitForCommand(int pid);

// The signals that end a run cleanly (files finished, summary printed) instead of killing
// gotap: every catchable signal whose default action terminates, except those of a fault.
std::vector<int> StopSignals();

// Each of StopSignals() sets *flag to 1 (the run loops poll it) instead of killing gotap;
// SIGHUP stays ignored when gotap started with it ignored (nohup).
void InstallStopHandlers(volatile std::sig_atomic_t* flag);

}  // namespace gotap::cli
