// Checks shared by the fuzzers. A parser may reject any input; what it returns must keep its
// documented contracts, and a broken contract is reported as a crash so libFuzzer keeps the input.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/byte_reader.h"

namespace gotap::fuzz {

[[noreturn]] inline void ContractBroken(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: contract broken: %s\n", file, line, what);
  std::abort();
}

#define FUZZ_CHECK(cond) \
  ((cond) ? (void)0 : ::gotap::fuzz::ContractBroken(#cond, __FILE__, __LINE__))

// True if `inner` (a view a parser handed back) lies entirely inside `outer` (its input).
inline bool Within(Bytes outer, const void* data, size_t size) {
  auto begin = reinterpret_cast<uintptr_t>(outer.data());
  auto p = reinterpret_cast<uintptr_t>(data);
  if (size == 0) return true;  // empty views may point anywhere, they are never read
  return p >= begin && p - begin <= outer.size() && size <= outer.size() - (p - begin);
}
inline bool Within(Bytes outer, Bytes inner) { return Within(outer, inner.data(), inner.size()); }
inline bool Within(Bytes outer, std::string_view inner) {
  return Within(outer, inner.data(), inner.size());
}

// Reads the first and last byte so that ASan checks the view is backed by live memory.
inline uint8_t Touch(Bytes bytes) {
  if (bytes.empty()) return 0;
  volatile uint8_t sink = bytes.front() ^ bytes.back();
  return sink;
}
inline uint8_t Touch(std::string_view s) {
  return Touch(Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

// True if `text` may be written to a terminal as is: well-formed UTF-8 (Unicode table 3-7, decoded
// here apart from gotap's own decoder) without C0 or C1 controls, DEL, or the line and paragraph
// separators U+2028/U+2029.
inline bool TerminalSafe(std::string_view text) {
  auto byte = [&](size_t i) -> int { return i < text.size() ? static_cast<uint8_t>(text[i]) : -1; };
  auto in = [](int c, int lo, int hi) { return c >= lo && c <= hi; };
  for (size_t i = 0; i < text.size();) {
    int c0 = byte(i);
    if (c0 < 0x80) {
      if (c0 < 0x20 || c0 == 0x7f) return false;
      ++i;
      continue;
    }
    uint32_t cp = 0;
    size_t len = 0;
    if (in(c0, 0xc2, 0xdf) && in(byte(i + 1), 0x80, 0xbf)) {
      len = 2;
      cp = (uint32_t(c0 & 0x1f) << 6) | (byte(i + 1) & 0x3f);
    } else if (in(c0, 0xe0, 0xef)) {
      int lo = c0 == 0xe0 ? 0xa0 : 0x80, hi = c0 == 0xed ? 0x9f : 0xbf;
      if (!in(byte(i + 1), lo, hi) || !in(byte(i + 2), 0x80, 0xbf)) return false;
      len = 3;
      cp = (uint32_t(c0 & 0x0f) << 12) | (uint32_t(byte(i + 1) & 0x3f) << 6) | (byte(i + 2) & 0x3f);
    } else if (in(c0, 0xf0, 0xf4)) {
      int lo = c0 == 0xf0 ? 0x90 : 0x80, hi = c0 == 0xf4 ? 0x8f : 0xbf;
      if (!in(byte(i + 1), lo, hi) || !in(byte(i + 2), 0x80, 0xbf) ||
          !in(byte(i + 3), 0x80, 0xbf)) {
        return false;
      }
      len = 4;
      cp = 0x10000;  // beyond every control; the exact value does not matter here
    } else {
      return false;
    }
    if (cp < 0xa0 || cp == 0x2028 || cp == 0x2029) return false;
    i += len;
  }
  return true;
}

// True if `text` is one complete JSON value (nlohmann's parser also rejects invalid UTF-8).
inline bool IsJson(const std::string& text) { return nlohmann::json::accept(text); }

}  // namespace gotap::fuzz
