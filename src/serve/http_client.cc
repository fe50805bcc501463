#include "serve/http_client.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gotap::serve {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxReply = 64 << 10;

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Waits for `events` on fd until the deadline; false on timeout or error.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, MillisLeft(deadline));
    if (n < 0 && errno == EINTR) continue;
    return n > 0 && (p.revents & (events | POLLHUP | POLLERR));
  }
}

StatusOr<int> Connect(const HttpEndpoint& e, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port = std::to_string(e.port);
  if (int rc = getaddrinfo(e.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return IoError("{}: {}", e.url(), gai_strerror(rc));
  }
  std::string error = "no address";
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
        (errno == EINPROGRESS && WaitFor(fd, POLLOUT, deadline))) {
      int so_error = 0;
      socklen_t len = sizeof(so_error);
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
      if (so_error == 0) {
        freeaddrinfo(found);
        return fd;
      }
      error = std::strerror(so_error);
    } else {
      error = errno == EINPROGRESS ? "connect timed out" : std::strerror(errno);
    }
    close(fd);
  }
  freeaddrinfo(found);
  return IoError("{}: {}", e.url(), error);
}

}  // namespace

std::string HttpEndpoint::url() const {
  bool v6 = host.find(':') != std::string::npos;
  return fmt::format("http://{}{}{}:{}{}", v6 ? "[" : "", host, v6 ? "]" : "", port, path);
}

StatusOr<HttpEndpoint> ParseHttpUrl(std::string_view url, uint16_t default_port,
                                    std::string_view default_path) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, 8) == "https://") {
    return InvalidArgument(
        "'{}': https is not supported; export to a collector over http "
        "(e.g. one on the same host)",
        url);
  }
  if (url.substr(0, kScheme.size()) != kScheme) {
    return InvalidArgument("'{}' is not an http:// URL (e.g. http://127.0.0.1:4318)", url);
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  HttpEndpoint e;
  e.path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  if (e.path.empty() || e.path == "/") e.path = std::string(default_path);
  e.port = default_port;
  std::string_view host = authority;
  size_t colon = authority.rfind(':');
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgument("'{}': unclosed '['", url);
    host = authority.substr(1, close - 1);
    colon = close + 1 < authority.size() && authority[close + 1] == ':' ? close + 1
                                                                        : std::string_view::npos;
    if (colon == std::string_view::npos && close + 1 != authority.size()) {
      return InvalidArgument("'{}': junk after ']'", url);
    }
  } else if (colon != std::string_view::npos) {
    host = authority.substr(0, colon);
  }
  if (colon != std::string_view::npos) {
    std::string_view digits = authority.substr(colon + 1);
    unsigned long port = 0;
    for (char c : digits) {
      if (c < '0' || c > '9' || port > 65535) return InvalidArgument("'{}': bad port", url);
      port = port * 10 + static_cast<unsigned long>(c - '0');
    }
    if (digits.empty() || port == 0 || port > 65535) {
      return InvalidArgument("'{}': bad port", url);
    }
    e.port = static_cast<uint16_t>(port);
  }
  if (host.empty()) return InvalidArgument("'{}': no host", url);
  for (char c : host) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '@' || c == '/' || c == '?' || c == '#') {
      return InvalidArgument("'{}': bad host", url);
    }
  }
  e.host = std::string(host);
  return e;
}

StatusOr<HttpResult> HttpPost(const HttpEndpoint& endpoint, std::string_view content_type,
                              std::string_view body, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  ASSIGN_OR_RETURN(int fd, Connect(endpoint, deadline));
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  bool v6 = endpoint.host.find(':') != std::string::npos;
  std::string request = fmt::format(
      "POST {} HTTP/1.1\r\nHost: {}{}{}:{}\r\nContent-Type: {}\r\nContent-Length: {}\r\n"
      "Connection: close\r\nUser-Agent: gotap\r\n\r\n",
      endpoint.path, v6 ? "[" : "", endpoint.host, v6 ? "]" : "", endpoint.port, content_type,
      body.size());
  for (std::string_view part : {std::string_view(request), body}) {
    while (!part.empty()) {
      if (!WaitFor(fd, POLLOUT, deadline)) return IoError("{}: send timed out", endpoint.url());
      ssize_t n = send(fd, part.data(), part.size(), MSG_NOSIGNAL);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return IoError("{}: send: {}", endpoint.url(), std::strerror(errno));
      part.remove_prefix(static_cast<size_t>(n));
    }
  }
  std::string reply;
  char buf[8192];
  while (reply.size() < kMaxReply) {
    size_t head_end = reply.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      // Done when the body's length is known and here (Content-Length), else at close.
      std::string head = reply.substr(0, head_end);
      for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t cl = head.find("\r\ncontent-length:");
      if (cl != std::string::npos) {
        size_t length = std::strtoul(head.c_str() + cl + 17, nullptr, 10);
        if (reply.size() >= head_end + 4 + length) break;
      }
    }
    if (!WaitFor(fd, POLLIN, deadline)) return IoError("{}: no reply in time", endpoint.url());
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return IoError("{}: recv: {}", endpoint.url(), std::strerror(errno));
    if (n == 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  if (reply.rfind("HTTP/1.", 0) != 0 || reply.size() < 12) {
    return IoError("{}: not an HTTP reply", endpoint.url());
  }
  HttpResult result;
  result.status = std::atoi(reply.c_str() + 9);
  size_t head_end = reply.find("\r\n\r\n");
  if (head_end != std::string::npos) result.body = reply.substr(head_end + 4);
  return result;
}

}  // namespace gotap::serve
