#include "base/clock.h"

#include <fmt/format.h>

namespace gotap {

uint64_t ClockNs(clockid_t clock) {
  struct timespec ts {};
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000 + static_cast<uint64_t>(ts.tv_nsec);
}

std::string FormatTimeOfDay(uint64_t ts_ns) {
  time_t secs = static_cast<time_t>(ts_ns / 1000000000);
  struct tm tm {};
  localtime_r(&secs, &tm);
  return fmt::format("{:02}:{:02}:{:02}.{:06}", tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (ts_ns % 1000000000) / 1000);
}

}  // namespace gotap
