// A plain HTTP/1.1 GET over loopback for end-to-end tests of gotap serve and of the Prometheus
// server scraping it (no client library, no curl on a fresh machine).
#pragma once

#include <cstdint>
#include <string>

namespace gotap::testing {

struct HttpReply {
  int status = 0;  // 0: no connection or no answer within the timeout
  std::string body;
};

// GET http://127.0.0.1:port + target (target starts with '/', already URL-encoded).
HttpReply HttpGet(uint16_t port, const std::string& target);

// A TCP port on 127.0.0.1 that nothing listened on a moment ago (bind to port 0, then close).
uint16_t FreeLoopbackPort();

// Percent-encodes a query parameter value (RFC 3986 unreserved characters stay).
std::string UrlEncode(const std::string& value);

}  // namespace gotap::testing
