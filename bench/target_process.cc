#include "target_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <thread>
#include <utility>

namespace gotap::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kStartTimeout = std::chrono::seconds(30);

bool ExeIs(pid_t pid, const std::string& path) {
  char exe[PATH_MAX], want[PATH_MAX];
  std::string link = "/proc/" + std::to_string(pid) + "/exe";
  ssize_t n = readlink(link.c_str(), exe, sizeof(exe) - 1);
  if (n <= 0 || realpath(path.c_str(), want) == nullptr) return false;
  exe[n] = '\0';
  return std::strcmp(exe, want) == 0;
}

}  // namespace

StatusOr<TargetProcess> TargetProcess::Start(const std::vector<std::string>& argv,
                                             const std::string& ready_line) {
  if (argv.empty()) return InvalidArgument("no command");
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return IoError("pipe: {}", std::strerror(errno));
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return IoError("pipe: {}", std::strerror(errno));
  }
  std::vector<std::string> args = argv;
  std::vector<char*> cargs;
  for (std::string& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return IoError("fork: {}", std::strerror(errno));
  if (pid == 0) {
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    execv(cargs[0], cargs.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  TargetProcess target(pid, in[1], out[0]);
  auto deadline = Clock::now() + kStartTimeout;
  if (ready_line.empty()) {
    while (!ExeIs(pid, argv[0])) {
      if (Clock::now() > deadline) return IoError("{} did not start within 30 s", argv[0]);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return target;
  }
  // One byte at a time, so that nothing after the ready line is consumed here.
  std::string line;
  while (line.empty() || line.back() != '\n') {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd pfd{target.stdout_fd_, POLLIN, 0};
    char c;
    if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
      return IoError("{} printed no \"{}\" line within 30 s", argv[0], ready_line);
    }
    if (read(target.stdout_fd_, &c, 1) != 1) {
      return IoError("{} ended before \"{}\" (printed \"{}\")", argv[0], ready_line, line);
    }
    line += c;
  }
  if (line != ready_line + "\n") {
    return IoError("{} printed \"{}\" instead of \"{}\"", argv[0], line, ready_line);
  }
  return target;
}

TargetProcess::TargetProcess(TargetProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      stdin_fd_(std::exchange(other.stdin_fd_, -1)),
      stdout_fd_(std::exchange(other.stdout_fd_, -1)) {}

TargetProcess::~TargetProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stdin_fd_ >= 0) close(stdin_fd_);
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

Status TargetProcess::Release() {
  if (stdin_fd_ < 0) return Status::Ok();
  bool wrote = write(stdin_fd_, "\n", 1) == 1;
  int error = errno;
  close(std::exchange(stdin_fd_, -1));
  // A program that already stopped reading (EPIPE) has been released as well.
  if (!wrote && error != EPIPE) return IoError("releasing the target: {}", std::strerror(error));
  return Status::Ok();
}

StatusOr<TargetProcess::Exit> TargetProcess::Wait() {
  if (pid_ <= 0) return InvalidArgument("the process was already reaped");
  Exit exit;
  rusage usage{};
  pid_t got;
  do {
    got = wait4(pid_, &exit.status, 0, &usage);
  } while (got < 0 && errno == EINTR);
  if (got != pid_) return IoError("wait4: {}", std::strerror(errno));
  pid_ = -1;
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + tv.tv_usec * 1e-6;
  };
  exit.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  return exit;
}

std::string TargetProcess::ReadOutput() {
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(stdout_fd_, buf, sizeof(buf))) > 0) text.append(buf, static_cast<size_t>(n));
  return text;
}

}  // namespace gotap::bench
