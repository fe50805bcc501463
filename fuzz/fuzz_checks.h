// Checks shared by the fuzzers. A parser may reject any input; what it returns must keep its
// documented contracts, and a broken contract is reported as a crash so libFuzzer keeps the input.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

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

}  // namespace gotap::fuzz
