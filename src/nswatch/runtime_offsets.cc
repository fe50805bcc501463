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

RuntimeOffsets RuntimeOffsetsFromLayout(const goroutines::RuntimeLayout& layout, uint64_t goid,
                                        std::pair<int, int> go_version) {
  RuntimeOffsets o;
  o.g_goid = goid;
  o.g_m = layout.g.m;
  o.g_lockedm = layout.g.lockedm;
  o.m_lockedext = layout.m.locked_ext;
  o.m_lockedint = layout.m.locked_int;
  o.source = layout.source == goroutines::LayoutSource::kVersionTable
                 ? fmt::format("version-table (go{}.{})", go_version.first, go_version.second)
                 : goroutines::LayoutSourceName(layout.source);
  o.disagreements = layout.disagreements;
  return o;
}

StatusOr<RuntimeOffsets> ResolveRuntimeOffsets(const gobin::Binary& binary) {
  auto layout = goroutines::ResolveLayout(binary);
  if (!layout.ok()) {
    return Unsupported(
        "ns cannot locate runtime.g/runtime.m fields: {}; build the target without "
        "-ldflags='-s -w' so it keeps DWARF",
        layout.status().message());
  }
  const gobin::GoidOffset& goid = binary.goid_offset();
  RuntimeOffsets offsets = RuntimeOffsetsFromLayout(*layout, goid.offset, binary.go_major_minor());
  if (std::string d = goid.Disagreement(); !d.empty()) offsets.disagreements.push_back(d);
  return offsets;
}

}  // namespace gotap::nswatch
