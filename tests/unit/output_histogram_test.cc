#include "output/histogram.h"

#include <gtest/gtest.h>

#include <linux/types.h>

#include <algorithm>
#include <random>

#include "bpf/gotap_intf.h"

namespace gotap::output {
namespace {

// The BPF program's bucket function and the userspace bounds describe the same buckets.
TEST(LatencyHistogram, BucketsMatchTheKernelsBucketFunction) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200000; ++i) {
    uint64_t d = rng() >> (rng() % 64);
    uint32_t b = gotap_hist_bucket(d);
    ASSERT_LT(b, uint32_t{GOTAP_HIST_BUCKETS}) << d;
    EXPECT_LE(LatencyHistogram::BucketLow(b), d) << d << " bucket " << b;
    if (LatencyHistogram::BucketHigh(b) != UINT64_MAX) {
      EXPECT_LT(d, LatencyHistogram::BucketHigh(b)) << d << " bucket " << b;
    }
  }
  EXPECT_EQ(gotap_hist_bucket(0), 0u);
  EXPECT_EQ(gotap_hist_bucket(3), 3u);
  EXPECT_EQ(gotap_hist_bucket(4), 8u);      // 2^2, first sub-bucket
  EXPECT_EQ(gotap_hist_bucket(1023), 39u);  // 2^9 + 3 * 2^7 .. 2^10
  EXPECT_EQ(gotap_hist_bucket(1024), 40u);
}

// Percentiles from buckets stay within the documented error of the exact order statistic.
TEST(LatencyHistogram, PercentilesWithinDocumentedError) {
  std::mt19937_64 rng(5);
  std::lognormal_distribution<double> dist(10.0, 2.0);
  std::vector<uint64_t> samples(50000);
  std::vector<uint64_t> slots(GOTAP_HIST_SLOTS, 0);
  for (uint64_t& s : samples) {
    s = 4 + static_cast<uint64_t>(dist(rng));
    ++slots[gotap_hist_bucket(s)];
    slots[GOTAP_HIST_SUM] += s;
  }
  std::sort(samples.begin(), samples.end());
  slots[GOTAP_HIST_MIN] = samples.front();
  slots[GOTAP_HIST_MAX] = samples.back();
  auto h = LatencyHistogram::FromSlots("main.f", slots);
  EXPECT_EQ(h.count, samples.size());
  for (double p : {0.5, 0.9, 0.99}) {
    double exact = static_cast<double>(samples[static_cast<size_t>(p * samples.size()) - 1]);
    double estimate = static_cast<double>(h.Percentile(p));
    EXPECT_LE(std::abs(estimate - exact) / exact, kPercentileError * 1.01) << "p" << p;
  }
  std::string text = RenderHistogramText(h);
  EXPECT_NE(text.find("count 50000"), std::string::npos) << text;
  EXPECT_NE(text.find("|@"), std::string::npos) << text;
}

TEST(LatencyHistogram, EmptySaysNoCalls) {
  auto h = LatencyHistogram::FromSlots("main.g", std::vector<uint64_t>(GOTAP_HIST_SLOTS, 0));
  EXPECT_EQ(RenderHistogramText(h), "main.g  no calls\n");
  EXPECT_EQ(h.Percentile(0.5), 0u);
}

}  // namespace
}  // namespace gotap::output
