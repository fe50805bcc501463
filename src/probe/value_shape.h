// What the Go ABI needs to know about a type's shape: its alignment, and whether a dwarf::Type is
// consistent enough to lay out (types may come from an untrusted binary's DWARF).
//
// Both supported architectures (x86-64, arm64) are 64-bit: pointers and int are 8 bytes.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "dwarf/type.h"

namespace gotap::probe {

inline constexpr uint64_t kPointerSize = 8;

// Ok iff `type` can be laid out: every kind's size is what Go uses (string 16, slice 24,
// float 4/8, …), arrays hold length × element bytes, struct fields lie inside the struct in
// increasing, non-overlapping order, nothing is kOther, and the type tree is finite and small
// (at most 32 levels, at most 100,000 nodes counted with repetition). Errors name the offending
// type: kMalformed for inconsistent sizes, kUnsupported for kinds gotap cannot lay out.
Status CheckShape(const dwarf::Type& type);

// Go's alignment of `type` in memory (1, 2, 4 or 8). Precondition: CheckShape(type) is ok.
uint64_t Alignment(const dwarf::Type& type);

// `value` rounded up to a multiple of `align` (a power of two).
inline uint64_t AlignUp(uint64_t value, uint64_t align) {
  return (value + align - 1) & ~(align - 1);
}

}  // namespace gotap::probe
