// Reading the system clocks in ns, and printing a wall-clock time of day.
#pragma once

#include <time.h>

#include <cstdint>
#include <string>

namespace gotap {

// clock_gettime(clock) in ns. CLOCK_MONOTONIC is the clock of bpf_ktime_get_ns and of Go's
// nanotime() on Linux; CLOCK_REALTIME the wall clock.
uint64_t ClockNs(clockid_t clock);

// "12:00:01.000123" in local time, for a CLOCK_REALTIME timestamp in ns.
std::string FormatTimeOfDay(uint64_t ts_ns);

}  // namespace gotap
