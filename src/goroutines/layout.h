// Offsets of the runtime.g and runtime.m fields a goroutine listing reads (64-bit targets), from
// DWARF when the binary has it, else from a table keyed by Go version (go-internals.md §5, §8).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "base/status.h"
#include "gobin/binary.h"

namespace gotap::goroutines {

// Byte offsets from the start of a runtime.g.
struct GLayout {
  uint64_t stack_lo = 0;
  uint64_t stack_hi = 8;
  uint64_t m = 48;
  uint64_t sched_sp = 56;
  uint64_t sched_pc = 64;
  uint64_t sched_bp = 104;
  uint64_t syscallsp = 112;
  uint64_t syscallpc = 120;
  uint64_t atomicstatus = 144;
  uint64_t goid = 152;
  uint64_t waitsince = 168;
  uint64_t waitreason = 176;  // one byte
  uint64_t lockedm = 0;
  uint64_t gopc = 0;
  uint64_t startpc = 0;
  std::optional<uint64_t> parent_goid;  // Go >= 1.21
  // Bytes to read from the start of a g to cover every field above.
  uint64_t ReadSize() const;
};

// Byte offsets from the start of a runtime.m.
struct MLayout {
  uint64_t procid = 72;     // the thread id (gettid) of the M
  uint64_t locked_ext = 0;  // lockedExt uint32: runtime.LockOSThread nesting count
  uint64_t locked_int = 0;  // lockedInt uint32: the runtime's internal lockOSThread count
};

enum class LayoutSource { kDwarf, kVersionTable };
const char* LayoutSourceName(LayoutSource source);  // "dwarf" | "version-table"

struct RuntimeLayout {
  GLayout g;
  MLayout m;
  LayoutSource source = LayoutSource::kVersionTable;
  std::string ToString() const;
};

// The table's layout for Go {major, minor} on linux amd64/arm64 (the two have the same runtime.g
// and runtime.m layout up to the fields above); nullopt outside Go 1.13 - 1.26.
std::optional<RuntimeLayout> LayoutForVersion(std::pair<int, int> go_version);

// DWARF when every field is described there (falling back per field to the table is not done:
// a partial DWARF layout means a runtime gotap does not know). kUnsupported for a 32-bit target
// or a Go version outside the table when there is no DWARF.
StatusOr<RuntimeLayout> ResolveLayout(const gobin::Binary& binary);

// From DWARF only; kNotFound when the binary has no DWARF or lacks a field.
StatusOr<RuntimeLayout> LayoutFromDwarf(const gobin::Binary& binary);

}  // namespace gotap::goroutines
