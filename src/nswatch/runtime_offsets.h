// What `gotap ns` hands its BPF program about the Go runtime: where g is (the TLS slot), the
// goroutine's id, its M, whether it is wired to its thread (g.lockedm), and the M's
// LockOSThread counts (m.lockedExt, m.lockedInt). Every number is the binary's runtime model's
// (gobin::RuntimeModel: DWARF, else the runtime's type data, else the per-Go-version table, which
// also cross-checks the other two); this file only packs them into the BPF program's rodata.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "gobin/binary.h"
#include "nswatch/ns_intf.h"

namespace gotap::nswatch {

struct RuntimeOffsets {
  gotap_ns_config config{};  // as ns.bpf.c reads it
  std::string source;        // "dwarf", "type-data" or "version-table (go1.N)"
  // Where the version table disagrees with `source` (layout and goid), one sentence each; the
  // command prints them as warnings.
  std::vector<std::string> disagreements;

  std::string ToString() const;  // "g.goid=152 g.m=48 ... (dwarf)"
};

// The fields gotap ns reads, picked out of a runtime layout with the goid offset and the TLS
// slot of g. `go_version` names the table's entry in `source` ("version-table (go1.21)").
RuntimeOffsets RuntimeOffsetsFromLayout(const gobin::RuntimeLayout& layout, uint64_t goid,
                                        int64_t tls_g, std::pair<int, int> go_version);

// From binary.runtime(). Unsupported when no source gives a runtime.g/runtime.m layout.
StatusOr<RuntimeOffsets> ResolveRuntimeOffsets(const gobin::Binary& binary);

}  // namespace gotap::nswatch
