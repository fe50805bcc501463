// Where the Go runtime keeps what `gotap ns` reads: the goroutine's id, its M, whether it is
// wired to its thread (g.lockedm), and the M's LockOSThread counts (m.lockedExt, m.lockedInt).
// Byte offsets into runtime.g / runtime.m. They come from goroutines::ResolveLayout: DWARF when
// the binary has it, else the runtime's type data (kept by stripped binaries), else the
// per-Go-version table (go1.13 - go1.27), which also cross-checks the other two.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "gobin/binary.h"
#include "goroutines/layout.h"
#include "nswatch/ns_intf.h"

namespace gotap::nswatch {

struct RuntimeOffsets {
  uint64_t g_goid = 0;
  uint64_t g_m = 0;
  uint64_t g_lockedm = 0;
  uint64_t m_lockedext = 0;
  uint64_t m_lockedint = 0;
  std::string source;  // "dwarf", "type-data" or "version-table (go1.N)"
  // Where the version table disagrees with `source` (layout and goid), one sentence each; the
  // command prints them as warnings.
  std::vector<std::string> disagreements;

  std::string ToString() const;      // "g.goid=152 g.m=48 ... (dwarf)"
  gotap_ns_config ToConfig() const;  // with the amd64 TLS slot of g (fs_base - 8)
};

// The fields gotap ns reads, picked out of a goroutine-listing layout. `go_version` names the
// table's entry in `source` ("version-table (go1.21)") and is unused for a DWARF layout.
RuntimeOffsets RuntimeOffsetsFromLayout(const goroutines::RuntimeLayout& layout, uint64_t goid,
                                        std::pair<int, int> go_version);

// goroutines::ResolveLayout's layout, with the goid offset from Binary::goid_offset() (which also
// decodes it from the runtime's code). Unsupported when no source gives a layout.
StatusOr<RuntimeOffsets> ResolveRuntimeOffsets(const gobin::Binary& binary);

}  // namespace gotap::nswatch
