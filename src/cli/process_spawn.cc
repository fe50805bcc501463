#include "cli/process_spawn.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/escape.h"
#include "cli/app.h"

namespace gotap::cli {
namespace {

volatile std::sig_atomic_t* stop_flag = nullptr;

void RequestStop(int) {
  if (stop_flag) *stop_flag = 1;
}

}  // namespace

std::optional<std::string> ResolveCommand(const std::string& command) {
  if (command.find('/') != std::string::npos) return command;
  const char* path = getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    std::string dir = dirs.substr(start, colon == std::string::npos ? colon : colon - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + command;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return std::nullopt;
}

StatusOr<int> SpawnStopped(const std::vector<std::string>& argv) {
  if (argv.empty()) return InvalidArgument("no command to run");
  std::vector<char*> args;  // built before fork: the child only makes system calls
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<int> stop_signals = StopSignals();
  // SIGCONT is blocked across fork, so that one sent before the child waits stays pending for
  // its sigwait instead of being lost.
  sigset_t release, old_mask;
  sigemptyset(&release);
  sigaddset(&release, SIGCONT);
  sigprocmask(SIG_BLOCK, &release, &old_mask);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // Until gotap releases it, the child dies with gotap (also if gotap died before prctl):
    // a SIGKILLed gotap never leaves a command waiting forever.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(127);
    // gotap's stop handlers would only set a flag in this copy: a Ctrl-C while the command waits
    // ends it, as it would end the command itself.
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int sig : stop_signals) {
      struct sigaction current {};
      if (sigaction(sig, nullptr, &current) == 0 && current.sa_handler == RequestStop) {
        sigaction(sig, &default_action, nullptr);
      }
    }
    int sig = 0;
    while (sigwait(&release, &sig) != 0) {
    }
    // Released: from now on the command lives on its own, whatever happens to gotap.
    prctl(PR_SET_PDEATHSIG, 0);
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    execvp(args[0], args.data());
    fprintf(stderr, "gotap: cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  int fork_error = errno;
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  if (pid < 0) return IoError("fork: {}", std::strerror(fork_error));
  return pid;
}

StatusOr<TargetArgs> ResolveTargetArgs(std::vector<std::string> positionals,
                                       const std::vector<std::string>& command, int pid,
                                       std::string_view subcommand) {
  TargetArgs target;
  target.probes = std::move(positionals);
  if (!command.empty()) {
    auto path = ResolveCommand(command[0]);
    if (!path) return NotFound("{}: command not found", EscapeForTerminal(command[0]));
    target.binary_path = *path;
  } else if (pid > 0) {
    if (kill(pid, 0) != 0 && errno == ESRCH) return NotFound("no such process: {}", pid);
    target.binary_path = fmt::format("/proc/{}/exe", pid);
    target.pid = pid;
  } else {
    if (target.probes.empty()) {
      return InvalidArgument("give a binary, -p PID or -- COMMAND (see gotap {} --help)",
                             subcommand);
    }
    target.binary_path = target.probes.front();
    target.probes.erase(target.probes.begin());
  }
  return target;
}

int EndFailedRun(const Status& error, int spawned_pid) {
  if (spawned_pid > 0) {
    kill(spawned_pid, SIGKILL);
    waitpid(spawned_pid, nullptr, 0);
  }
  return error.code() == StatusCode::kPermissionDenied || error.code() == StatusCode::kUnsupported
             ? kExitFailure
             : kExitBadInput;
}

int CommandExitCode(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return kExitFailure;
}

int WaitForCommand(int pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

std::vector<int> StopSignals() {
  // Every signal whose default action ends the process and that a handler can catch, except
  // the ones the kernel raises for a fault in gotap itself (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
  // SIGABRT, SIGTRAP, SIGSYS): those stay fatal.
  std::vector<int> signals = {SIGHUP,  SIGINT,  SIGQUIT,   SIGPIPE, SIGALRM,
                              SIGTERM, SIGUSR1, SIGUSR2,   SIGPOLL, SIGPROF,
                              SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPWR,  SIGSTKFLT};
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) signals.push_back(sig);
  return signals;
}

void InstallStopHandlers(volatile std::sig_atomic_t* flag) {
  stop_flag = flag;
  struct sigaction sa {};
  sa.sa_handler = RequestStop;
  sigemptyset(&sa.sa_mask);
  for (int sig : StopSignals()) {
    // Under nohup SIGHUP arrives ignored, and is meant to stay so. (SIGINT and SIGQUIT, which
    // a shell ignores in background jobs, do stop gotap: it is how one stops it there.)
    struct sigaction old {};
    if (sig == SIGHUP && sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    sigaction(sig, &sa, nullptr);
  }
}

}  // namespace gotap::cli
