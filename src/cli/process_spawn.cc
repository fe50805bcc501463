#include "cli/process_spawn.h"

#include <fmt/format.h>
#include <signal.h>
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
  pid_t pid = fork();
  if (pid < 0) return IoError("fork: {}", std::strerror(errno));
  if (pid == 0) {
    raise(SIGSTOP);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    fprintf(stderr, "gotap: cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, WUNTRACED) != pid || !WIFSTOPPED(status)) {
    return IoError("the command did not start");
  }
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

int WaitForCommand(int pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

void InstallStopHandlers(volatile std::sig_atomic_t* flag) {
  stop_flag = flag;
  struct sigaction sa {};
  sa.sa_handler = RequestStop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace gotap::cli
