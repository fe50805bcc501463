#include "nswatch/runtime_offsets.h"

#include <fmt/format.h>

namespace gotap::nswatch {

std::string RuntimeOffsets::ToString() const {
  return fmt::format("g.goid={} g.m={} g.lockedm={} m.lockedExt={} m.lockedInt={} ({})", g_goid,
                     g_m, g_lockedm, m_lockedext, m_lockedint, source);
}

gotap_ns_config RuntimeOffsets::ToConfig() const {
  gotap_ns_config c{};
  c.tls_g = -8;  // amd64: the runtime keeps g in the last word below the thread pointer
  c.g_goid = static_cast<uint32_t>(g_goid);
  c.g_m = static_cast<uint32_t>(g_m);
  c.g_lockedm = static_cast<uint32_t>(g_lockedm);
  c.m_lockedext = static_cast<uint32_t>(m_lockedext);
  c.m_lockedint = static_cast<uint32_t>(m_lockedint);
  return c;
}

std::optional<RuntimeOffsets> RuntimeOffsetsForVersion(std::pair<int, int> v) {
  // Go 1.19 (amd64, arm64): read from a 1.19.8 binary's DWARF; runtime2.go of 1.19 puts
  // lockedm after tracelastp in g, and lockedExt/lockedInt after createstack [32]uintptr in m.
  if (v == std::pair{1, 19}) {
    RuntimeOffsets o;
    o.g_goid = 152;
    o.g_m = 48;
    o.g_lockedm = 232;
    o.m_lockedext = 616;
    o.m_lockedint = 620;
    o.source = "version-table (go1.19)";
    return o;
  }
  return std::nullopt;
}

StatusOr<RuntimeOffsets> ResolveRuntimeOffsets(const gobin::Binary& binary) {
  if (auto info = binary.dwarf(); info.ok()) {
    const dwarf::DwarfInfo& d = **info;
    auto m = d.MemberOffset("runtime.g", "m");
    auto lockedm = d.MemberOffset("runtime.g", "lockedm");
    auto ext = d.MemberOffset("runtime.m", "lockedExt");
    auto in = d.MemberOffset("runtime.m", "lockedInt");
    if (m && lockedm && ext && in) {
      RuntimeOffsets o;
      o.g_goid = binary.goid_offset().offset;
      o.g_m = *m;
      o.g_lockedm = *lockedm;
      o.m_lockedext = *ext;
      o.m_lockedint = *in;
      o.source = "dwarf";
      return o;
    }
  }
  auto table = RuntimeOffsetsForVersion(binary.go_major_minor());
  if (!table) {
    return Unsupported(
        "{} has no DWARF and gotap ns knows the runtime.g/runtime.m layout of go1.19 only; "
        "build the target without -ldflags=-s -w",
        binary.go_version());
  }
  table->g_goid = binary.goid_offset().offset;
  return *table;
}

}  // namespace gotap::nswatch
