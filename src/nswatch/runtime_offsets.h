// Where the Go runtime keeps what `gotap ns` reads: the goroutine's id, its M, whether it is
// wired to its thread (g.lockedm), and the M's LockOSThread counts (m.lockedExt, m.lockedInt).
// Byte offsets into runtime.g / runtime.m, from DWARF when the binary has it, else from a
// per-version table (stripped binaries). See go-internals.md and runtime/runtime2.go.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "base/status.h"
#include "gobin/binary.h"
#include "nswatch/ns_intf.h"

namespace gotap::nswatch {

struct RuntimeOffsets {
  uint64_t g_goid = 0;
  uint64_t g_m = 0;
  uint64_t g_lockedm = 0;
  uint64_t m_lockedext = 0;
  uint64_t m_lockedint = 0;
  std::string source;  // "dwarf" or "version-table (go1.19)"

  std::string ToString() const;      // "g.goid=152 g.m=48 ... (dwarf)"
  gotap_ns_config ToConfig() const;  // with the amd64 TLS slot of g (fs_base - 8)
};

// The table: offsets verified against a Go release's DWARF (the lock fields moved with every
// field added to runtime.g and runtime.m). nullopt for versions not in it. goid comes from
// gobin::GoidOffsetForVersion.
std::optional<RuntimeOffsets> RuntimeOffsetsForVersion(std::pair<int, int> go_version);

// DWARF first (every field must be present), else the table; goid from Binary::goid_offset().
// Unsupported for a stripped binary of a version the table does not know.
StatusOr<RuntimeOffsets> ResolveRuntimeOffsets(const gobin::Binary& binary);

}  // namespace gotap::nswatch
