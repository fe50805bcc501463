// A UTF-8 oracle for tests of gotap's escaping and JSON output, written apart from gotap's own
// decoder (base/utf8.h) so that tests check that decoder rather than repeat it. Shared by the
// unit and e2e test binaries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace gotap::testing {

// Length of the well-formed UTF-8 sequence at s[i] (Unicode table 3-7), 0 if there is none.
inline size_t WellFormedLength(const std::string& s, size_t i) {
  auto at = [&](size_t k) -> int { return i + k < s.size() ? static_cast<uint8_t>(s[i + k]) : -1; };
  auto in = [](int c, int lo, int hi) { return c >= lo && c <= hi; };
  int c0 = at(0);
  if (c0 < 0x80) return 1;
  if (in(c0, 0xc2, 0xdf)) return in(at(1), 0x80, 0xbf) ? 2 : 0;
  int lo = c0 == 0xe0 ? 0xa0 : c0 == 0xf0 ? 0x90 : 0x80;
  int hi = c0 == 0xed ? 0x9f : c0 == 0xf4 ? 0x8f : 0xbf;
  if (in(c0, 0xe0, 0xef)) return in(at(1), lo, hi) && in(at(2), 0x80, 0xbf) ? 3 : 0;
  if (in(c0, 0xf0, 0xf4)) {
    return in(at(1), lo, hi) && in(at(2), 0x80, 0xbf) && in(at(3), 0x80, 0xbf) ? 4 : 0;
  }
  return 0;
}

// The text a JSON string can hold for `raw`: well-formed UTF-8 as is, every other byte U+FFFD.
// Equal to `raw` whenever raw is valid UTF-8 (NULs and escape sequences included).
inline std::string AsJsonText(const std::string& raw) {
  std::string out;
  for (size_t i = 0; i < raw.size();) {
    size_t n = WellFormedLength(raw, i);
    out += n == 0 ? std::string("\xef\xbf\xbd") : raw.substr(i, n);
    i += n == 0 ? 1 : n;
  }
  return out;
}

}  // namespace gotap::testing
