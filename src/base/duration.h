// Durations as users type them on the command line, and as Go prints them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace gotap {

// Seconds in "5s", "250ms", "10us", "2m", "1h" or a plain number of seconds; must be > 0.
StatusOr<double> ParseSeconds(std::string_view text);

// Nanoseconds in "1ms", "250us", "1.5s", "800ns" or a plain number of nanoseconds; >= 0.
StatusOr<uint64_t> ParseNanoseconds(std::string_view text);

// A time.Duration of `ns` nanoseconds as Go's Duration.String writes it: "0s", "800ns",
// "1.5µs", "2.000001ms", "1h2m3.5s", "-3s".
std::string FormatGoDuration(int64_t ns);

}  // namespace gotap
