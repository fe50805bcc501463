#include "trace_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace gotap::testing {
namespace {

using Clock = std::chrono::steady_clock;

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

int MillisUntil(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace

std::unique_ptr<ChildProcess> ChildProcess::Start(const std::vector<std::string>& argv) {
  // stdin is a socket so that writing after the child closed it fails with EPIPE (MSG_NOSIGNAL)
  // instead of raising SIGPIPE in the test.
  int in[2], out[2], err[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
      pipe2(err, O_CLOEXEC) != 0) {
    abort();  // the test machine is out of descriptors: nothing sensible to report
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[1], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    signal(SIGPIPE, SIG_DFL);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(in[1]);
  close(out[1]);
  close(err[1]);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  fcntl(err[0], F_SETFL, O_NONBLOCK);
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) abort();  // kernel >= 5.3 is a precondition of every BPF test here
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, pidfd, in[0], out[0], err[0]));
}

ChildProcess::ChildProcess(pid_t pid, int pidfd, int in_fd, int out_fd, int err_fd)
    : pid_(pid), pidfd_(pidfd), in_fd_(in_fd), out_fd_(out_fd), err_fd_(err_fd) {}

ChildProcess::~ChildProcess() {
  if (!reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
  CloseFd(&in_fd_);
  CloseFd(&out_fd_);
  CloseFd(&err_fd_);
  CloseFd(&pidfd_);
}

bool ChildProcess::ReadFrom(int* fd, std::string* into) {
  if (*fd < 0) return false;
  bool got = false;
  char buf[65536];
  while (true) {
    ssize_t n = read(*fd, buf, sizeof buf);
    if (n > 0) {
      into->append(buf, static_cast<size_t>(n));
      got = true;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (n == 0 || errno != EAGAIN) CloseFd(fd);  // end of stream (or a broken pipe)
      return got;
    }
  }
}

void ChildProcess::Drain() {
  ReadFrom(&out_fd_, &out_);
  ReadFrom(&err_fd_, &err_);
}

bool ChildProcess::Pump(Clock::time_point deadline) {
  if (reaped_) {
    Drain();
    return false;
  }
  pollfd fds[3];
  nfds_t n = 0;
  fds[n++] = {pidfd_, POLLIN, 0};
  if (out_fd_ >= 0) fds[n++] = {out_fd_, POLLIN, 0};
  if (err_fd_ >= 0) fds[n++] = {err_fd_, POLLIN, 0};
  int ready = poll(fds, n, MillisUntil(deadline));
  if (ready < 0 && errno != EINTR) return false;
  Drain();
  if (ready > 0 && (fds[0].revents & POLLIN)) {
    // Ended: what it wrote is already in the pipes. A grandchild may still hold them open, so
    // read what is there rather than waiting for the end of the streams.
    waitpid(pid_, &status_, 0);
    reaped_ = true;
    Drain();
  }
  return true;
}

std::optional<std::string> ChildProcess::WaitForLine(Stream stream, std::string_view needle,
                                                     Millis timeout) {
  auto deadline = Clock::now() + timeout;
  const std::string& text = stream == Stream::kOut ? out_ : err_;
  size_t& scanned = stream == Stream::kOut ? out_scanned_ : err_scanned_;
  while (true) {
    for (size_t end; (end = text.find('\n', scanned)) != std::string::npos;) {
      std::string line = text.substr(scanned, end - scanned);
      scanned = end + 1;
      if (line.find(needle) != std::string::npos) return line;
    }
    int fd = stream == Stream::kOut ? out_fd_ : err_fd_;
    if (fd < 0 || Clock::now() >= deadline || !Pump(deadline)) return std::nullopt;
  }
}

bool ChildProcess::Write(std::string_view text) {
  while (!text.empty() && in_fd_ >= 0) {
    ssize_t n = send(in_fd_, text.data(), text.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<size_t>(n));
  }
  return text.empty();
}

void ChildProcess::CloseStdin() { CloseFd(&in_fd_); }

bool ChildProcess::Signal(int sig) { return !reaped_ && kill(pid_, sig) == 0; }

bool ChildProcess::WaitStopped() {
  if (reaped_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WUNTRACED) != pid_) return false;
  if (WIFSTOPPED(status)) return true;
  status_ = status;
  reaped_ = true;
  return false;
}

std::optional<int> ChildProcess::Wait(Millis timeout) {
  auto deadline = Clock::now() + timeout;
  while (!reaped_) {
    if (Clock::now() >= deadline || !Pump(deadline)) break;
  }
  if (!reaped_) return std::nullopt;
  Drain();
  return status_;
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  if (WIFSTOPPED(status)) return "stopped";
  return "status " + std::to_string(status);
}

}  // namespace gotap::testing
