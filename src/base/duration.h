// Durations as users type them on the command line.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace gotap {

// Seconds in "5s", "250ms", "10us", "2m", "1h" or a plain number of seconds; must be > 0.
StatusOr<double> ParseSeconds(std::string_view text);

// Nanoseconds in "1ms", "250us", "1.5s", "800ns" or a plain number of nanoseconds; >= 0.
StatusOr<uint64_t> ParseNanoseconds(std::string_view text);

}  // namespace gotap
