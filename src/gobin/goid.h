// Where runtime.g keeps the goroutine id, per binary (go-internals.md §5.1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace gotap::gobin {

enum class GoidSource {
  kDwarf,         // runtime.g's `goid` member in the binary's DWARF
  kCode,          // decoded from the binary's own runtime code (runtime.goroutineheader)
  kTypeData,      // runtime.g's `goid` field in the runtime's type descriptors (runtime_structs.h)
  kVersionTable,  // the per-Go-version table (runtime_layout.h): when none of the above works
  kNone,          // nothing worked (tables disabled or no entry): `offset` is an unchecked guess
};
// "dwarf", "code", "type-data", "version-table", "none"
const char* GoidSourceName(GoidSource source);

struct GoidOffset {
  uint64_t offset = 0;
  GoidSource source = GoidSource::kVersionTable;
  // The table's value for this Go version; absent when the table has no entry or the tables are
  // disabled (version_tables.h). A mismatch with `offset` is reported, never resolved silently.
  std::optional<uint64_t> table_offset;
  std::pair<int, int> go_version;  // whose table entry table_offset is
  std::string ToString() const;
  // "runtime.g goid offset 152 from type-data disagrees with the go1.26 table (160)", or "" when
  // the table agrees, has no entry, or is the source.
  std::string Disagreement() const;
};

}  // namespace gotap::gobin
