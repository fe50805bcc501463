#include "serve/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace gotap::serve {
namespace {

constexpr size_t kMaxHead = 8192;
constexpr int kReadTimeoutMs = 2000;
constexpr int kWriteTimeoutSeconds = 5;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }

 private:
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  int fd_;
};

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
  }
  return "Error";
}

// Splits "host:port", "[v6]:port" or ":port".
Status SplitAddress(const std::string& address, std::string* host, std::string* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) {
    return InvalidArgument("bad listen address '{}': want HOST:PORT (e.g. 127.0.0.1:9464)",
                           address);
  }
  *host = address.substr(0, colon);
  *port = address.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  for (char c : *port) {
    if (c < '0' || c > '9') {
      return InvalidArgument("bad listen address '{}': the port is not a number", address);
    }
  }
  if (port->size() > 5 || std::stoul(*port) > 65535) {
    return InvalidArgument("bad listen address '{}': ports go up to 65535", address);
  }
  return Status::Ok();
}

StatusOr<Fd> Listen(const std::string& address) {
  std::string host, port;
  RETURN_IF_ERROR(SplitAddress(address, &host, &port));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    return InvalidArgument("bad listen address '{}': {}", address, gai_strerror(rc));
  }
  std::string last_error = "no address";
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    Fd fd(socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol));
    if (fd.get() < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int one = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd.get(), 64) != 0) {
      last_error = std::strerror(errno);
      continue;
    }
    freeaddrinfo(found);
    return fd;
  }
  freeaddrinfo(found);
  return IoError("cannot listen on {}: {}", address, last_error);
}

// Reads the request head (up to the blank line). Empty with *status set when it cannot.
std::string ReadHead(int fd, int* status) {
  std::string head;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kReadTimeoutMs);
  char buf[2048];
  while (true) {
    size_t end = head.find("\r\n\r\n");
    if (end == std::string::npos) end = head.find("\n\n");
    if (end != std::string::npos) return head.substr(0, end);
    if (head.size() > kMaxHead) {
      *status = 431;
      return {};
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      *status = 408;
      return {};
    }
    pollfd p{fd, POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      *status = 408;
      return {};
    }
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      *status = 0;  // the client went away: nobody to answer
      return {};
    }
    head.append(buf, static_cast<size_t>(n));
  }
}

void WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the client left or stalled past the send timeout: drop it
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void Respond(int fd, const HttpResponse& r, bool with_body) {
  std::string head = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
      r.status, Reason(r.status), r.content_type, r.body.size());
  WriteAll(fd, head);
  if (with_body) WriteAll(fd, r.body);
}

}  // namespace

StatusOr<HttpRequest> ParseRequestHead(std::string_view head) {
  size_t eol = head.find_first_of("\r\n");
  std::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos ||
      line.find(' ', sp2 + 1) != std::string_view::npos) {
    return InvalidArgument("request line is not 'METHOD TARGET VERSION'");
  }
  HttpRequest request;
  request.method = std::string(line.substr(0, sp1));
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return InvalidArgument("not HTTP/1.x");
  }
  if (target.empty() || target.front() != '/') return InvalidArgument("target is not a path");
  size_t q = target.find('?');
  request.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) request.query = std::string(target.substr(q + 1));
  return request;
}

struct HttpServer::State {
  Fd listener;
  Fd wake;  // eventfd: written once to stop the thread
  Handler handler;
  uint16_t port = 0;
  std::string host;
  std::thread thread;

  void Loop() {
    while (true) {
      pollfd fds[2] = {{listener.get(), POLLIN, 0}, {wake.get(), POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents) return;
      if (!(fds[0].revents & POLLIN)) continue;
      Fd client(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (client.get() < 0) continue;  // the client gave up already, or fds ran out: next one
      Serve(client.get());
    }
  }

  void Serve(int fd) {
    timeval send_timeout{kWriteTimeoutSeconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
    int status = 400;
    std::string head = ReadHead(fd, &status);
    if (head.empty()) {
      if (status != 0) Respond(fd, {status, "text/plain; charset=utf-8", "bad request\n"}, true);
      return;
    }
    auto request = ParseRequestHead(head);
    if (!request.ok()) {
      Respond(fd, {400, "text/plain; charset=utf-8", request.status().message() + "\n"}, true);
      return;
    }
    if (request->method != "GET" && request->method != "HEAD") {
      Respond(fd, {405, "text/plain; charset=utf-8", "only GET and HEAD\n"}, true);
      return;
    }
    Respond(fd, handler(*request), request->method == "GET");
  }
};

HttpServer::HttpServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& address,
                                                        Handler handler) {
  auto state = std::make_unique<State>();
  ASSIGN_OR_RETURN(state->listener, Listen(address));
  state->wake = Fd(eventfd(0, EFD_CLOEXEC));
  if (state->wake.get() < 0) return IoError("eventfd: {}", std::strerror(errno));
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  if (getsockname(state->listener.get(), reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
    return IoError("getsockname: {}", std::strerror(errno));
  }
  char host[INET6_ADDRSTRLEN] = "";
  if (bound.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&bound);
    state->port = ntohs(a->sin6_port);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    state->host = fmt::format("[{}]", host);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&bound);
    state->port = ntohs(a->sin_port);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
    state->host = host;
  }
  state->handler = std::move(handler);
  State* raw = state.get();
  state->thread = std::thread([raw] { raw->Loop(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(state)));
}

HttpServer::~HttpServer() {
  if (!state_) return;
  uint64_t one = 1;
  (void)!write(state_->wake.get(), &one, sizeof(one));
  if (state_->thread.joinable()) state_->thread.join();
}

uint16_t HttpServer::port() const { return state_->port; }

std::string HttpServer::url() const {
  return fmt::format("http://{}:{}", state_->host, state_->port);
}

}  // namespace gotap::serve
