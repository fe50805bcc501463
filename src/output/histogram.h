// Latency histograms as the BPF program aggregates them (gotap_intf.h, enum gotap_hist): four
// linear sub-buckets per power of two of nanoseconds, plus count, sum, min and max. Rendering in
// the terminal (bars like bpftrace's hist()) and as JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gotap::output {

struct LatencyHistogram {
  std::string func;
  std::string group_by;  // "goid", "tid", "pid" with `gotap latency --by`; "" otherwise
  uint64_t group = 0;
  std::vector<uint64_t> buckets;  // 256 counts, bucket b as in gotap_intf.h
  uint64_t count = 0, sum_ns = 0, min_ns = 0, max_ns = 0;
  // Of the calls, those that returned a non-nil error; none when the function returns no error
  // (or the histogram is per group, where errors are not split).
  std::optional<uint64_t> errors;

  // From the raw slots of Session::ReadHistogram (buckets, then sum, min, max).
  static LatencyHistogram FromSlots(std::string func, const std::vector<uint64_t>& slots);
  // [low, high) of bucket b in ns.
  static uint64_t BucketLow(uint32_t b);
  static uint64_t BucketHigh(uint32_t b);
  // The p-quantile (0 < p <= 1): the middle of the bucket that holds it, clamped to
  // [min, max]; within kPercentileError of the true value (relative).
  uint64_t Percentile(double p) const;
};

// Half a sub-bucket over the bucket's low bound: 2^(k-2) / 2 / 2^k.
constexpr double kPercentileError = 0.125;

// A summary line and bars per power of two; empty histograms say "no calls".
std::string RenderHistogramText(const LatencyHistogram& h);
// One JSON object (no newline).
std::string RenderHistogramJson(const LatencyHistogram& h, uint64_t ts_ns);

}  // namespace gotap::output
