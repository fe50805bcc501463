#include "base/duration.h"

#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>

namespace gotap {
namespace {

// Splits "250ms" into 250 and the scale of "ms" relative to `units`[0]'s base unit.
StatusOr<double> ParseScaled(std::string_view text,
                             std::initializer_list<std::pair<std::string_view, double>> units,
                             std::string_view examples) {
  double scale = 1;
  std::string number(text);
  for (auto [suffix, factor] : units) {
    if (text.size() > suffix.size() && text.ends_with(suffix)) {
      number = std::string(text.substr(0, text.size() - suffix.size()));
      scale = factor;
      break;
    }
  }
  char* end = nullptr;
  double value = std::strtod(number.c_str(), &end);
  if (number.empty() || end == nullptr || *end != '\0' || !std::isfinite(value) || value < 0) {
    return InvalidArgument("bad duration '{}' (examples: {})", text, examples);
  }
  return value * scale;
}

}  // namespace

StatusOr<double> ParseSeconds(std::string_view text) {
  // Longer suffixes first: "ms" must not be read as "s".
  ASSIGN_OR_RETURN(
      double seconds,
      ParseScaled(text,
                  {{"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}},
                  "5s, 250ms, 2m"));
  if (!(seconds > 0)) return InvalidArgument("bad duration '{}': must be positive", text);
  return seconds;
}

StatusOr<uint64_t> ParseNanoseconds(std::string_view text) {
  ASSIGN_OR_RETURN(
      double ns,
      ParseScaled(text,
                  {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}},
                  "1ms, 250us, 800ns"));
  if (ns >= 9e18) return InvalidArgument("duration '{}' is too long", text);
  return static_cast<uint64_t>(std::llround(ns));
}

namespace {

// Prepends v / 10^prec's fraction digits ("." and the digits, trailing zeros dropped; nothing
// when they are all zero) to `out`, and returns v / 10^prec.
uint64_t PrependFraction(uint64_t v, int prec, std::string* out) {
  std::string digits;
  bool significant = false;
  for (int i = 0; i < prec; ++i) {
    const char digit = static_cast<char>('0' + v % 10);
    significant = significant || digit != '0';
    if (significant) digits.insert(digits.begin(), digit);
    v /= 10;
  }
  if (significant) out->insert(0, "." + digits);
  return v;
}

}  // namespace

std::string FormatGoDuration(int64_t ns) {
  const bool negative = ns < 0;
  uint64_t u = negative ? ~static_cast<uint64_t>(ns) + 1 : static_cast<uint64_t>(ns);
  if (u == 0) return "0s";
  std::string out;
  constexpr uint64_t kMicro = 1000, kMilli = 1000000, kSecond = 1000000000;
  if (u < kSecond) {
    // Below a second: the largest unit that keeps a whole part ("1.2ms").
    const char* unit = u < kMicro ? "ns" : u < kMilli ? "\u00b5s" : "ms";
    const int prec = u < kMicro ? 0 : u < kMilli ? 3 : 6;
    out = unit;
    u = PrependFraction(u, prec, &out);
    out.insert(0, std::to_string(u));
  } else {
    out = "s";
    u = PrependFraction(u, 9, &out);  // whole seconds from here
    out.insert(0, std::to_string(u % 60));
    u /= 60;
    if (u > 0) {
      out.insert(0, std::to_string(u % 60) + "m");
      u /= 60;
      if (u > 0) out.insert(0, std::to_string(u) + "h");
    }
  }
  if (negative) out.insert(0, "-");
  return out;
}

}  // namespace gotap
