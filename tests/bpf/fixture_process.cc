#include "fixture_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

namespace gotap::bpf::testing {

StatusOr<FixtureProcess> FixtureProcess::Start(const std::string& path,
                                               const std::vector<std::string>& args) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
    return IoError("pipe: {}", std::strerror(errno));
  }
  std::vector<std::string> argv_strings = {path, "-wait"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return IoError("fork: {}", std::strerror(errno));
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    execv(path.c_str(), argv.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  FixtureProcess process(pid, in[1], out[0]);
  // Read byte by byte up to the newline so that no output after "ready" is consumed here.
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (line.empty() || line.back() != '\n') {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd pfd{process.stdout_fd_, POLLIN, 0};
    if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
      return IoError("{} did not print \"ready\" within 30 s", path);
    }
    char c;
    if (read(process.stdout_fd_, &c, 1) != 1) {
      return IoError("{} ended before printing \"ready\" (got \"{}\")", path, line);
    }
    line += c;
  }
  if (line != "ready\n") return IoError("{} printed \"{}\" instead of ready", path, line);
  return process;
}

FixtureProcess::FixtureProcess(FixtureProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      stdin_fd_(std::exchange(other.stdin_fd_, -1)),
      stdout_fd_(std::exchange(other.stdout_fd_, -1)),
      exit_status_(other.exit_status_) {}

FixtureProcess::~FixtureProcess() {
  if (pid_ > 0 && !exit_status_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stdin_fd_ >= 0) close(stdin_fd_);
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

Status FixtureProcess::Release() {
  if (write(stdin_fd_, "\n", 1) != 1) return IoError("releasing the fixture: {}", errno);
  return Status::Ok();
}

std::optional<int> FixtureProcess::TryWait() {
  if (exit_status_) return exit_status_;
  int status = 0;
  if (pid_ > 0 && waitpid(pid_, &status, WNOHANG) == pid_) exit_status_ = status;
  return exit_status_;
}

std::string FixtureProcess::ReadOutput() {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(stdout_fd_, buf, sizeof(buf))) > 0) out.append(buf, n);
  return out;
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return fmt::format("exit {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return fmt::format("signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  }
  return fmt::format("status {:#x}", status);
}

}  // namespace gotap::bpf::testing
