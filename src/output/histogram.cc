#include "output/histogram.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/escape.h"
#include "base/json_writer.h"
#include "output/call_sink.h"

namespace gotap::output {
namespace {

constexpr uint32_t kBuckets = 256;
constexpr size_t kBarWidth = 40;

}  // namespace

LatencyHistogram LatencyHistogram::FromSlots(std::string func, const std::vector<uint64_t>& slots) {
  LatencyHistogram h;
  h.func = std::move(func);
  h.buckets.assign(kBuckets, 0);
  for (uint32_t b = 0; b < kBuckets && b < slots.size(); ++b) {
    h.buckets[b] = slots[b];
    h.count += slots[b];
  }
  if (slots.size() > kBuckets + 2) {
    h.sum_ns = slots[kBuckets];
    h.min_ns = slots[kBuckets + 1];
    h.max_ns = slots[kBuckets + 2];
  }
  return h;
}

uint64_t LatencyHistogram::BucketLow(uint32_t b) {
  if (b < 4) return b;
  uint32_t log = b / 4;
  if (log < 2) return 4;  // buckets 4-7 hold nothing: durations 2 and 3 have buckets 2 and 3
  if (log >= 64) return UINT64_MAX;
  return (uint64_t{1} << log) + (b % 4) * (uint64_t{1} << (log - 2));
}

uint64_t LatencyHistogram::BucketHigh(uint32_t b) {
  if (b < 4) return b + 1;
  uint32_t log = b / 4;
  if (log < 2) return 4;  // empty, as BucketLow says
  if (log >= 63 && b % 4 == 3) return UINT64_MAX;
  return BucketLow(b) + (uint64_t{1} << (log - 2));
}

uint64_t LatencyHistogram::Percentile(double p) const {
  if (count == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(p * static_cast<double>(count) + 0.5);
  rank = std::clamp<uint64_t>(rank, 1, count);
  uint64_t seen = 0;
  for (uint32_t b = 0; b < buckets.size(); ++b) {
    seen += buckets[b];
    if (seen >= rank) {
      uint64_t mid = BucketLow(b) + (BucketHigh(b) - BucketLow(b)) / 2;
      return std::clamp(mid, min_ns, std::max(min_ns, max_ns));
    }
  }
  return max_ns;
}

std::string RenderHistogramText(const LatencyHistogram& h) {
  std::string out = EscapeForTerminal(h.func);
  if (!h.group_by.empty()) out += fmt::format(" {}={}", h.group_by, h.group);
  if (h.count == 0) return out + "  no calls\n";
  out += fmt::format("  count {}  min {}  mean {}  p50 {}  p90 {}  p99 {}  max {}\n", h.count,
                     FormatDuration(h.min_ns), FormatDuration(h.sum_ns / h.count),
                     FormatDuration(h.Percentile(0.5)), FormatDuration(h.Percentile(0.9)),
                     FormatDuration(h.Percentile(0.99)), FormatDuration(h.max_ns));
  if (h.errors) out.insert(out.size() - 1, fmt::format("  errors {}", *h.errors));
  // Bars per power of two (the four sub-buckets summed), from the first to the last non-empty.
  std::vector<uint64_t> octaves(kBuckets / 4, 0);
  for (uint32_t b = 0; b < kBuckets; ++b) octaves[b < 4 ? 0 : b / 4] += h.buckets[b];
  auto first = std::find_if(octaves.begin(), octaves.end(), [](uint64_t c) { return c > 0; });
  auto last = std::find_if(octaves.rbegin(), octaves.rend(), [](uint64_t c) { return c > 0; });
  uint64_t peak = *std::max_element(octaves.begin(), octaves.end());
  for (auto it = first; it != last.base(); ++it) {
    uint32_t o = static_cast<uint32_t>(it - octaves.begin());
    uint64_t low = o == 0 ? 0 : uint64_t{1} << o;
    uint64_t high = uint64_t{1} << (o + 1);
    size_t bar = static_cast<size_t>((*it * kBarWidth + peak - 1) / peak);
    out += fmt::format("  [{:>7}, {:>7}) {:>10} |{:<{}}|\n", FormatDuration(low),
                       FormatDuration(high), *it, std::string(bar, '@'), kBarWidth);
  }
  out += fmt::format("  (percentiles are bucket midpoints: within {:.1f}% of the exact value)\n",
                     kPercentileError * 100);
  return out;
}

std::string RenderHistogramJson(const LatencyHistogram& h, uint64_t ts_ns) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("ts_ns").Uint(ts_ns).Key("func").String(h.func);
  if (!h.group_by.empty()) w.Key(h.group_by).Uint(h.group);
  w.Key("count").Uint(h.count);
  if (h.errors) w.Key("errors").Uint(*h.errors);
  w.Key("sum_ns").Uint(h.sum_ns).Key("min_ns").Uint(h.min_ns).Key("max_ns").Uint(h.max_ns);
  w.Key("mean_ns").Uint(h.count ? h.sum_ns / h.count : 0);
  w.Key("p50_ns").Uint(h.Percentile(0.5)).Key("p90_ns").Uint(h.Percentile(0.9));
  w.Key("p99_ns").Uint(h.Percentile(0.99)).Key("percentile_error").Double(kPercentileError);
  w.Key("buckets").BeginArray();
  for (uint32_t b = 0; b < h.buckets.size(); ++b) {
    if (h.buckets[b] == 0) continue;
    w.BeginObject().Key("low_ns").Uint(LatencyHistogram::BucketLow(b));
    w.Key("high_ns").Uint(LatencyHistogram::BucketHigh(b)).Key("count").Uint(h.buckets[b]);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

}  // namespace gotap::output
