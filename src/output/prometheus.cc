#include "output/prometheus.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/utf8.h"

namespace gotap::output {
namespace {

constexpr uint32_t kFirstBoundLog2 = 8;  // 256 ns
constexpr uint32_t kLastBoundLog2 = 35;  // 34.4 s

// A number as the format reads it: integers exactly, others with the shortest round trip.
std::string Number(double v) { return fmt::format("{}", v); }

std::string Seconds(uint64_t ns) { return Number(static_cast<double>(ns) / 1e9); }

class Writer {
 public:
  explicit Writer(std::string* out) : out_(*out) {}

  void Family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }

  // name{labels[, extra]} value
  void Sample(std::string_view name, const std::string& labels, std::string_view value,
              std::string_view extra = {}) {
    out_ += name;
    if (!labels.empty() || !extra.empty()) {
      out_ += '{';
      out_ += labels;
      if (!labels.empty() && !extra.empty()) out_ += ',';
      out_ += extra;
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }

 private:
  std::string& out_;
};

std::string Label(std::string_view name, std::string_view value) {
  return fmt::format("{}=\"{}\"", name, EscapeLabelValue(value));
}

std::string BinaryLabels(const BinaryMetrics& b) {
  return Label("binary", b.binary) + "," + Label("service", b.service);
}

std::string FunctionLabels(const BinaryMetrics& b, const FunctionMetrics& f) {
  std::string labels = Label("function", f.function) + "," + BinaryLabels(b);
  if (f.pid != 0) labels += "," + Label("pid", fmt::format("{}", f.pid));
  return labels;
}

}  // namespace

const std::vector<uint64_t>& PrometheusBucketBoundsNs() {
  static const std::vector<uint64_t> bounds = [] {
    std::vector<uint64_t> v;
    for (uint32_t k = kFirstBoundLog2; k <= kLastBoundLog2; ++k) v.push_back(uint64_t{1} << k);
    return v;
  }();
  return bounds;
}

std::string EscapeLabelValue(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size();) {
    char c = raw[i];
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else if (static_cast<unsigned char>(c) < 0x80) {
      out += c;
    } else {
      uint32_t cp = 0;
      size_t n = DecodeUtf8(raw, i, &cp);
      if (n == 0) {
        out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        ++i;
        continue;
      }
      out.append(raw.substr(i, n));
      i += n;
      continue;
    }
    ++i;
  }
  return out;
}

std::string FormatPrometheus(const AgentMetrics& metrics) {
  std::string out;
  Writer w(&out);

  w.Family("gotap_calls_total", "counter",
           "Calls to the function that returned, counted in the kernel at its RETs.");
  for (const BinaryMetrics& b : metrics.binaries) {
    for (const FunctionMetrics& f : b.functions) {
      w.Sample("gotap_calls_total", FunctionLabels(b, f), fmt::format("{}", f.calls.count));
    }
  }

  w.Family("gotap_call_errors_total", "counter",
           "Calls that returned a non-nil error (functions with an error result only).");
  for (const BinaryMetrics& b : metrics.binaries) {
    for (const FunctionMetrics& f : b.functions) {
      if (!f.counts_errors) continue;
      w.Sample("gotap_call_errors_total", FunctionLabels(b, f), fmt::format("{}", f.errors));
    }
  }

  w.Family("gotap_call_duration_seconds", "histogram",
           "Time from entry to return of each call, measured in the kernel.");
  const std::vector<uint64_t>& bounds = PrometheusBucketBoundsNs();
  for (const BinaryMetrics& b : metrics.binaries) {
    for (const FunctionMetrics& f : b.functions) {
      const std::string labels = FunctionLabels(b, f);
      // Each kernel bucket [low, high) falls in the first le bucket with high <= le.
      std::vector<uint64_t> cumulative(bounds.size(), 0);
      for (uint32_t b = 0; b < f.calls.buckets.size(); ++b) {
        if (f.calls.buckets[b] == 0) continue;
        uint64_t high = LatencyHistogram::BucketHigh(b);
        auto first = std::lower_bound(bounds.begin(), bounds.end(), high);
        for (auto it = first; it != bounds.end(); ++it) {
          cumulative[it - bounds.begin()] += f.calls.buckets[b];
        }
      }
      for (size_t i = 0; i < bounds.size(); ++i) {
        w.Sample("gotap_call_duration_seconds_bucket", labels, fmt::format("{}", cumulative[i]),
                 Label("le", Seconds(bounds[i])));
      }
      w.Sample("gotap_call_duration_seconds_bucket", labels, fmt::format("{}", f.calls.count),
               Label("le", "+Inf"));
      w.Sample("gotap_call_duration_seconds_sum", labels, Seconds(f.calls.sum_ns));
      w.Sample("gotap_call_duration_seconds_count", labels, fmt::format("{}", f.calls.count));
    }
  }

  w.Family("gotap_calls_lost_total", "counter",
           "Calls missing from the counts above, by reason (all functions of the binary).");
  for (const BinaryMetrics& b : metrics.binaries) {
    for (const auto& [reason, n] : b.lost) {
      w.Sample("gotap_calls_lost_total", BinaryLabels(b), fmt::format("{}", n),
               Label("reason", reason));
    }
  }

  w.Family("gotap_functions_untraced", "gauge",
           "Functions selected but not traced (the kernel refuses one of their probe sites, or "
           "they have no exit to probe).");
  for (const BinaryMetrics& b : metrics.binaries) {
    w.Sample("gotap_functions_untraced", BinaryLabels(b), fmt::format("{}", b.functions_untraced));
  }

  w.Family("gotap_binary_info", "gauge", "One per served binary: its Go version.");
  for (const BinaryMetrics& b : metrics.binaries) {
    w.Sample("gotap_binary_info", BinaryLabels(b), "1", Label("go_version", b.go_version));
  }

  if (metrics.spans) {
    w.Family("gotap_spans_exported_total", "counter", "Spans the OTLP collector accepted.");
    w.Sample("gotap_spans_exported_total", "", fmt::format("{}", metrics.spans->exported));
    w.Family("gotap_spans_dropped_total", "counter",
             "Spans that never reached the collector, by reason.");
    for (const auto& [reason, n] : metrics.spans->dropped) {
      w.Sample("gotap_spans_dropped_total", "", fmt::format("{}", n), Label("reason", reason));
    }
    w.Family("gotap_span_export_failures_total", "counter",
             "OTLP requests that failed and were retried (no answer, 429 or 5xx).");
    w.Sample("gotap_span_export_failures_total", "",
             fmt::format("{}", metrics.spans->failed_requests));
  }

  w.Family("gotap_start_time_seconds", "gauge", "When the agent started, in Unix seconds.");
  w.Sample("gotap_start_time_seconds", "", Number(metrics.start_time_seconds));
  w.Family("gotap_attach_failures_total", "counter",
           "Binaries found for a target that could not be served (see the agent's log).");
  w.Sample("gotap_attach_failures_total", "", fmt::format("{}", metrics.attach_failures));
  w.Family("gotap_scrapes_total", "counter", "Requests for /metrics served before this one.");
  w.Sample("gotap_scrapes_total", "", fmt::format("{}", metrics.scrapes));
  return out;
}

}  // namespace gotap::output
