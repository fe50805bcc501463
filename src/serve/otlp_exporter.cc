#include "serve/otlp_exporter.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <regex>

namespace gotap::serve {
namespace {

using Clock = std::chrono::steady_clock;

// ExportTraceServiceResponse.partial_success.rejected_spans of a JSON reply (0 when absent).
uint64_t RejectedSpans(const std::string& reply) {
  static const std::regex rejected(R"re("rejectedSpans"\s*:\s*"?(\d+))re");
  std::smatch m;
  return std::regex_search(reply, m, rejected) ? std::stoull(m[1]) : 0;
}

}  // namespace

StatusOr<std::unique_ptr<OtlpExporter>> OtlpExporter::Start(OtlpOptions options,
                                                            std::string scope_version) {
  ASSIGN_OR_RETURN(HttpEndpoint endpoint, ParseHttpUrl(options.endpoint, 4318, "/v1/traces"));
  auto exporter = std::unique_ptr<OtlpExporter>(
      new OtlpExporter(std::move(options), std::move(endpoint), std::move(scope_version)));
  exporter->thread_ = std::thread([raw = exporter.get()] { raw->Loop(); });
  return exporter;
}

OtlpExporter::OtlpExporter(OtlpOptions options, HttpEndpoint endpoint, std::string scope_version)
    : options_(std::move(options)),
      endpoint_(std::move(endpoint)),
      scope_version_(std::move(scope_version)) {}

OtlpExporter::~OtlpExporter() { Close(); }

OtlpStats OtlpExporter::Close() {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      stopping_ = true;
      stop_deadline_ = Clock::now() + options_.shutdown_grace;
    }
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  closed_ = true;
  return stats_;
}

void OtlpExporter::Add(std::shared_ptr<const output::Attributes> resource, output::Span span) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (closed_) {
      ++stats_.dropped_at_exit;
      return;
    }
    if (queue_.size() >= options_.max_queue_spans) {
      ++stats_.queue_full;
      return;
    }
    ++stats_.queued;
    queue_.push_back({std::move(resource), std::move(span)});
    wake = queue_.size() >= options_.max_batch_spans;
  }
  if (wake) wake_.notify_all();
}

OtlpStats OtlpExporter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void OtlpExporter::Loop() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait_for(lock, options_.flush_every,
                   [&] { return stopping_ || queue_.size() >= options_.max_batch_spans; });
    if (queue_.empty()) {
      if (stopping_) return;
      continue;
    }
    if (stopping_ && Clock::now() >= stop_deadline_) {
      stats_.dropped_at_exit += queue_.size();
      queue_.clear();
      return;
    }
    std::deque<Item> batch;
    size_t n = std::min(queue_.size(), options_.max_batch_spans);
    std::move(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n),
              std::back_inserter(batch));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
    lock.unlock();
    Send(batch);
    lock.lock();
    if (!batch.empty()) {  // stopped while retrying
      stats_.dropped_at_exit += batch.size() + queue_.size();
      queue_.clear();
      return;
    }
  }
}

void OtlpExporter::Send(std::deque<Item>& batch) {
  // One ResourceSpans per process, in the order the processes first appear.
  std::vector<output::ResourceSpans> grouped;
  std::map<const output::Attributes*, size_t> index;
  for (Item& item : batch) {
    auto [it, added] = index.emplace(item.resource.get(), grouped.size());
    if (added) {
      grouped.emplace_back();
      grouped.back().resource = *item.resource;
    }
    grouped[it->second].spans.push_back(std::move(item.span));
  }
  const std::string body = output::EncodeOtlpTraces(grouped, scope_version_);
  auto backoff = options_.first_backoff;
  while (!Post(body, batch.size())) {
    std::unique_lock lock(mu_);
    if (wake_.wait_for(lock, backoff,
                       [&] { return stopping_ && Clock::now() >= stop_deadline_; })) {
      return;  // the batch stays, counted by Loop
    }
    if (stopping_ && Clock::now() >= stop_deadline_) return;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  batch.clear();
}

bool OtlpExporter::Post(const std::string& body, size_t spans) {
  auto reply = HttpPost(endpoint_, "application/json", body, options_.request_timeout);
  std::lock_guard lock(mu_);
  if (!reply.ok()) {
    ++stats_.failed_requests;
    stats_.last_error = reply.status().message();
    return false;
  }
  int status = reply->status;
  if (status == 429 || status == 408 || status >= 500) {
    ++stats_.failed_requests;
    stats_.last_error = fmt::format("{} answered {}", endpoint_.url(), status);
    return false;
  }
  if (status < 200 || status >= 300) {
    stats_.rejected += spans;
    stats_.last_error =
        fmt::format("{} answered {}: {}", endpoint_.url(), status, reply->body.substr(0, 200));
    return true;  // not worth retrying: the collector will refuse it again
  }
  uint64_t rejected = std::min<uint64_t>(RejectedSpans(reply->body), spans);
  stats_.rejected += rejected;
  stats_.exported += spans - rejected;
  stats_.last_error.clear();
  return true;
}

}  // namespace gotap::serve
