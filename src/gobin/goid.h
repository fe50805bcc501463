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
  kVersionTable,  // the per-Go-version table below: used only when neither of the above works
};
const char* GoidSourceName(GoidSource source);  // "dwarf", "code", "version-table"

struct GoidOffset {
  uint64_t offset = 0;
  GoidSource source = GoidSource::kVersionTable;
  // The table's value for this Go version, when known; a mismatch with `offset` is reported.
  std::optional<uint64_t> table_offset;
  std::string ToString() const;
};

// The goid offset of runtime.g for Go {major, minor} on amd64/arm64: 152 for 1.9-1.22, 160 for
// 1.23-1.24 (g.syscallbp added), 152 again from 1.25 (gobuf.ret removed). nullopt before 1.9.
std::optional<uint64_t> GoidOffsetForVersion(std::pair<int, int> go_version);

}  // namespace gotap::gobin
