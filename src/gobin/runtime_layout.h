// Offsets of the runtime.g and runtime.m fields a goroutine listing reads (64-bit targets), read
// from the binary: its DWARF when it has it, else the runtime's own type descriptors (which
// stripped binaries keep, gobin/runtime_structs.h). A table keyed by Go version is the last
// resort and, whatever the source, the cross-check: a disagreement is reported, never resolved
// (go-internals.md §5, §8).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace gotap::gobin {

class Binary;  // binary.h includes this header (through runtime_model.h)

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

enum class LayoutSource { kDwarf, kTypeData, kVersionTable };
const char* LayoutSourceName(LayoutSource source);  // "dwarf" | "type-data" | "version-table"

struct RuntimeLayout {
  GLayout g;
  MLayout m;
  LayoutSource source = LayoutSource::kVersionTable;
  // How the layout compares with the version table: "agrees with the go1.26 table",
  // "disagrees with the go1.26 table", "no go1.27 table", "version tables disabled"; "" when
  // the table is the source. Set by ResolveLayout.
  std::string table_check;
  // One sentence per field the table has differently, e.g. "runtime.g goid offset 152 from
  // type-data disagrees with the go1.26 table (160)". Commands print each once on stderr as a
  // warning; the layout read from the binary is used regardless.
  std::vector<std::string> disagreements;
  std::string ToString() const;
};

// The table's layout for Go {major, minor} on linux amd64/arm64 (the two have the same runtime.g
// and runtime.m layout up to the fields above); nullopt outside Go 1.13 - 1.27. Pure: it ignores
// the switch of gobin/version_tables.h, which ResolveLayout obeys.
std::optional<RuntimeLayout> LayoutForVersion(std::pair<int, int> go_version);

// The goid offset of runtime.g for Go {major, minor}, read off the same table: 152 for 1.9-1.22,
// 160 for 1.23-1.24 (g.syscallbp added), 152 again from 1.25 (gobuf.ret removed). Go 1.9-1.12
// had 1.13's shape up to goid; nullopt before 1.9 and past the table.
std::optional<uint64_t> GoidOffsetForVersion(std::pair<int, int> go_version);

// DWARF when every field is described there, else the type data when every field is found there
// (no source is mixed with another per field: a partial layout means a runtime gotap does not
// know), else the version table unless disabled. Fills table_check and disagreements.
// kUnsupported when no source gives a layout (the message says what each source lacked).
StatusOr<RuntimeLayout> ResolveLayout(const Binary& binary);

// From DWARF only; kNotFound when the binary has no DWARF or lacks a field.
StatusOr<RuntimeLayout> LayoutFromDwarf(const Binary& binary);

// From the runtime's type descriptors only (runtime.g via runtime.malg, runtime.m via
// runtime.allocm); kNotFound when either struct or a field is missing.
StatusOr<RuntimeLayout> LayoutFromTypeData(const Binary& binary);

// The fields where `table` differs from `derived`, one sentence each (see disagreements).
std::vector<std::string> CompareWithTable(const RuntimeLayout& derived, const RuntimeLayout& table,
                                          std::pair<int, int> go_version);

}  // namespace gotap::gobin
