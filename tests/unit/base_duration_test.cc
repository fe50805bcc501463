// Durations as Go prints them: the cases of Go's own time.Duration.String table.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "base/duration.h"

namespace gotap {
namespace {

TEST(FormatGoDuration, MatchesGosDurationString) {
  constexpr int64_t kUs = 1000, kMs = 1000 * kUs, kS = 1000 * kMs, kMin = 60 * kS, kH = 60 * kMin;
  const std::pair<const char*, int64_t> cases[] = {
      {"0s", 0},
      {"1ns", 1},
      {"1.1\u00b5s", 1100},
      {"2.2ms", 2200 * kUs},
      {"3.3s", 3300 * kMs},
      {"4m5s", 4 * kMin + 5 * kS},
      {"4m5.001s", 4 * kMin + 5001 * kMs},
      {"5h6m7.001s", 5 * kH + 6 * kMin + 7001 * kMs},
      {"8m0.000000001s", 8 * kMin + 1},
      {"2562047h47m16.854775807s", std::numeric_limits<int64_t>::max()},
      {"-2562047h47m16.854775808s", std::numeric_limits<int64_t>::min()},
      {"-1ms", -kMs},
      {"1h0m0s", kH},
  };
  for (const auto& [want, ns] : cases) EXPECT_EQ(FormatGoDuration(ns), want) << ns;
}

}  // namespace
}  // namespace gotap
