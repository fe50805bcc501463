// The agent's HTTP server against real sockets on loopback: routing, HEAD, and the malformed,
// oversized and silent requests a network sends.
#include "serve/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace gotap::serve {
namespace {

// Sends `request` to 127.0.0.1:port and returns everything the server answers until it closes.
std::string Exchange(uint16_t port, const std::string& request, bool close_write = false) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return "connect failed";
  }
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer and close before reading everything
    sent += static_cast<size_t>(n);
  }
  if (close_write) shutdown(fd, SHUT_WR);
  std::string answer;
  char buf[4096];
  pollfd p{fd, POLLIN, 0};
  while (poll(&p, 1, 10000) > 0) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return answer;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = HttpServer::Start("127.0.0.1:0", [](const HttpRequest& r) {
      if (r.path == "/metrics") return HttpResponse{200, "text/plain", "m 1\n"};
      return HttpResponse{404, "text/plain", "no " + r.path + " (" + r.query + ")\n"};
    });
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
  }
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, ServesGetWithLengthAndCloses) {
  std::string a = Exchange(server_->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(a.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << a;
  EXPECT_NE(a.find("Content-Length: 4\r\n"), std::string::npos) << a;
  EXPECT_NE(a.find("Connection: close\r\n"), std::string::npos) << a;
  EXPECT_EQ(a.substr(a.size() - 4), "m 1\n");
  EXPECT_EQ(server_->url(), "http://127.0.0.1:" + std::to_string(server_->port()));
}

TEST_F(HttpServerTest, HeadHasNoBodyAndUnknownPathsAre404) {
  std::string head = Exchange(server_->port(), "HEAD /metrics HTTP/1.0\r\n\r\n");
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << head;
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n") << head;
  std::string missing = Exchange(server_->port(), "GET /nope?a=1 HTTP/1.1\r\n\r\n");
  EXPECT_EQ(missing.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u) << missing;
  EXPECT_NE(missing.find("no /nope (a=1)"), std::string::npos) << missing;
}

TEST_F(HttpServerTest, RejectsWhatIsNotAGetOrHead) {
  EXPECT_EQ(Exchange(server_->port(), "POST /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 405", 0),
            0u);
  EXPECT_EQ(Exchange(server_->port(), "GET metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  EXPECT_EQ(Exchange(server_->port(), "hello\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  EXPECT_EQ(Exchange(server_->port(), "GET / SPDY/3\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  std::string huge = "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n";
  EXPECT_EQ(Exchange(server_->port(), huge).rfind("HTTP/1.1 431", 0), 0u);
  // A client that sends half a request and waits is timed out, and the server goes on.
  EXPECT_EQ(Exchange(server_->port(), "GET /metrics HTTP/1.1\r\n").rfind("HTTP/1.1 408", 0), 0u);
  // One that closes mid-request gets nothing; the next one is served.
  EXPECT_EQ(Exchange(server_->port(), "GET /met", true), "");
  EXPECT_EQ(Exchange(server_->port(), "GET /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 200", 0),
            0u);
}

TEST(HttpServer, BadAddressesAreInvalidAndTakenPortsAreIoErrors) {
  auto noop = [](const HttpRequest&) { return HttpResponse{}; };
  for (const char* bad :
       {"9464", "127.0.0.1:", "127.0.0.1:port", "127.0.0.1:70000", "no.such.host.invalid:9464"}) {
    auto s = HttpServer::Start(bad, noop);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument)
        << bad << ": " << s.status().message();
  }
  auto first = HttpServer::Start("127.0.0.1:0", noop);
  ASSERT_TRUE(first.ok());
  auto second = HttpServer::Start("127.0.0.1:" + std::to_string((*first)->port()), noop);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kIo) << second.status().message();
}

TEST(HttpServer, ParsesRequestHeads) {
  auto r = ParseRequestHead("GET /metrics?x=1&y HTTP/1.1\r\nAccept: */*");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->path, "/metrics");
  EXPECT_EQ(r->query, "x=1&y");
  for (const char* bad : {"", "GET", "GET /", "GET  / HTTP/1.1", "GET / HTTP/1.1 extra",
                          "GET http://x/ HTTP/1.1", "GET / HTTP/2"}) {
    EXPECT_FALSE(ParseRequestHead(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace gotap::serve
