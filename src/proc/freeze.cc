#include "proc/freeze.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

namespace gotap::proc {
namespace {

// The state letter of /proc/PID/task/TID/stat, or 0 if it cannot be read.
char ThreadState(const std::string& stat_path) {
  std::ifstream in(stat_path);
  std::string line;
  if (!std::getline(in, line)) return 0;
  size_t close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return 0;
  return line[close + 2];
}

}  // namespace

bool AllThreadsStopped(pid_t pid) {
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return true;  // gone
  bool all = true;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    char state = ThreadState(dir + "/" + e->d_name + "/stat");
    if (state != 0 && state != 'T' && state != 't' && state != 'Z' && state != 'X') {
      all = false;
      break;
    }
  }
  closedir(d);
  return all;
}

StatusOr<FreezeGuard> FreezeGuard::Freeze(pid_t pid, std::chrono::milliseconds timeout) {
  sigset_t hold, old_mask;
  sigemptyset(&hold);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&hold, sig);
  pthread_sigmask(SIG_BLOCK, &hold, &old_mask);
  if (kill(pid, SIGSTOP) != 0) {
    int error = errno;
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    if (error == ESRCH) return NotFound("no process with pid {}", pid);
    return PermissionDenied("cannot stop process {}: {}", pid, strerror(error));
  }
  FreezeGuard guard(pid, old_mask);  // resumes the process on every return below
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!AllThreadsStopped(pid)) {
    if (std::chrono::steady_clock::now() > deadline) {
      return IoError("process {} did not stop within {} ms", pid, timeout.count());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return guard;
}

FreezeGuard::~FreezeGuard() {
  if (pid_ <= 0) return;
  kill(pid_, SIGCONT);
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

}  // namespace gotap::proc
