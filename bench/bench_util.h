// Small helpers shared by the gotap_bench subcommands: clocks, failing loudly, JSON result lines.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace gotap::bench {

using Clock = std::chrono::steady_clock;

inline double Millis(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// A benchmark that cannot run as set up has no figure worth printing: stop with the reason.
[[noreturn]] inline void Die(const std::string& what) {
  std::fprintf(stderr, "gotap_bench: %s\n", what.c_str());
  std::exit(1);
}
inline void Check(const Status& status, const char* doing) {
  if (!status.ok()) Die(std::string(doing) + ": " + status.ToString());
}
template <typename T>
T Check(StatusOr<T> value, const char* doing) {
  Check(value.status(), doing);
  return std::move(value).value();
}

// One result per line on stdout; bench/run.sh collects them.
inline void Emit(const nlohmann::json& result) {
  std::printf("%s\n", result.dump().c_str());
  std::fflush(stdout);
}

}  // namespace gotap::bench
