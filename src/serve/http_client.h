// A minimal HTTP/1.1 client for gotap serve's exports: one POST per connection over plain TCP,
// with a deadline for the whole exchange. (OTLP collectors run beside the agent, usually on
// loopback; TLS is left to them.)
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "base/status.h"

namespace gotap::serve {

struct HttpEndpoint {
  std::string host;  // a name or address; "[::1]" without the brackets
  uint16_t port = 80;
  std::string path;  // starts with '/'
  std::string url() const;
};

// "http://HOST[:PORT][/PATH]": PORT defaults to `default_port`, an empty PATH (or "/") to
// `default_path`. InvalidArgument for anything else (https included: say so).
StatusOr<HttpEndpoint> ParseHttpUrl(std::string_view url, uint16_t default_port,
                                    std::string_view default_path);

struct HttpResult {
  int status = 0;
  std::string body;  // at most 64 KiB of it
};

// POSTs `body`; IoError when no answer came (cannot resolve, connect, send, or the deadline
// passed), else the status and body the server gave.
StatusOr<HttpResult> HttpPost(const HttpEndpoint& endpoint, std::string_view content_type,
                              std::string_view body, std::chrono::milliseconds deadline);

}  // namespace gotap::serve
