// A small HTTP/1.1 server for gotap serve's endpoints (/metrics, /healthz): GET and HEAD only,
// one request per connection, handled one at a time on the server's own thread.
//
// Requests come from the network: a request line or headers longer than 8 KiB, a client that
// sends nothing for 2 s, or anything that is not `METHOD TARGET HTTP/1.x` gets an error status
// (or a closed connection), never a crash or a stuck server. Scrapers (Prometheus, curl) send
// one small GET and wait for the whole body, which this serves well; it is not a general server.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"

namespace gotap::serve {

struct HttpRequest {
  std::string method;  // "GET" or "HEAD"
  std::string path;    // the target without its query ("/metrics")
  std::string query;   // after '?', undecoded; empty if none
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Listens on `address` ("127.0.0.1:9464", "[::1]:9464", ":9464" for every interface; port 0
  // picks a free one, see port()) and serves each request with `handler` on a new thread until
  // the server is destroyed. InvalidArgument for an address that does not parse, IoError when it
  // cannot be bound (in use, not local, no permission).
  static StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& address, Handler handler);

  ~HttpServer();  // stops the thread (a request being served is finished first)
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;
  // "http://127.0.0.1:9464" with the bound port.
  std::string url() const;

 private:
  struct State;
  explicit HttpServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The parts of a request head (the bytes up to the blank line), or InvalidArgument. Exposed for
// tests: the server answers 400 when this fails.
StatusOr<HttpRequest> ParseRequestHead(std::string_view head);

}  // namespace gotap::serve
