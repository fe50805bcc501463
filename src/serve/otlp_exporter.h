// Sends spans to an OpenTelemetry collector over OTLP/HTTP (JSON) from a thread of its own, so
// that the run loop never waits on the network.
//
// Spans queue up to a bound and leave in batches (by size, or every flush interval). A batch the
// collector does not take (no connection, a timeout, 429 or 5xx) is retried with exponential
// backoff while new spans keep queueing; a full queue drops new spans. Every span is accounted
// for: exported, rejected by the collector (4xx, or partial success), dropped because the queue
// was full, or dropped at exit after the shutdown grace.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "output/otlp_json.h"
#include "serve/http_client.h"

namespace gotap::serve {

struct OtlpOptions {
  std::string endpoint;  // "http://127.0.0.1:4318" (path /v1/traces by default)
  size_t max_queue_spans = 65536;
  size_t max_batch_spans = 512;
  std::chrono::milliseconds flush_every{500};
  std::chrono::milliseconds first_backoff{200};
  std::chrono::milliseconds max_backoff{5000};
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds shutdown_grace{5000};
};

struct OtlpStats {
  uint64_t queued = 0;  // taken by Add
  uint64_t exported = 0;
  uint64_t rejected = 0;    // the collector refused them (4xx, or partial success)
  uint64_t queue_full = 0;  // dropped by Add: the queue was full
  uint64_t dropped_at_exit = 0;
  uint64_t failed_requests = 0;  // requests that will be retried
  std::string last_error;        // of the last failed request; "" once one succeeds
};

class OtlpExporter {
 public:
  // InvalidArgument for an endpoint that is not an http:// URL. Does not connect yet.
  static StatusOr<std::unique_ptr<OtlpExporter>> Start(OtlpOptions options,
                                                       std::string scope_version);
  ~OtlpExporter();  // Close()s
  // Sends what is queued for up to shutdown_grace, counts the rest as dropped_at_exit, stops the
  // thread, and returns the final figures. Add after Close drops (counted as dropped_at_exit).
  OtlpStats Close();
  OtlpExporter(const OtlpExporter&) = delete;
  OtlpExporter& operator=(const OtlpExporter&) = delete;

  // Queues one span of the process whose resource attributes are `resource` (shared by that
  // process's spans). Never blocks on the network.
  void Add(std::shared_ptr<const output::Attributes> resource, output::Span span);
  OtlpStats stats() const;
  const HttpEndpoint& endpoint() const { return endpoint_; }

 private:
  struct Item {
    std::shared_ptr<const output::Attributes> resource;
    output::Span span;
  };
  OtlpExporter(OtlpOptions options, HttpEndpoint endpoint, std::string scope_version);
  void Loop();
  // Sends `batch` until it is taken or refused, or stopping ends the retries. Unlocked.
  void Send(std::deque<Item>& batch);
  bool Post(const std::string& body, size_t spans);  // one attempt; false: retry

  const OtlpOptions options_;
  const HttpEndpoint endpoint_;
  const std::string scope_version_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  OtlpStats stats_;
  bool stopping_ = false;
  bool closed_ = false;
  std::chrono::steady_clock::time_point stop_deadline_{};
  std::thread thread_;
};

}  // namespace gotap::serve
