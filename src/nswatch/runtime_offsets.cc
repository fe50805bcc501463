#include "nswatch/runtime_offsets.h"

#include <fmt/format.h>

namespace gotap::nswatch {

std::string RuntimeOffsets::ToString() const {
  return fmt::format("g.goid={} g.m={} g.lockedm={} m.lockedExt={} m.lockedInt={} ({})",
                     config.g_goid, config.g_m, config.g_lockedm, config.m_lockedext,
                     config.m_lockedint, source);
}

RuntimeOffsets RuntimeOffsetsFromLayout(const gobin::RuntimeLayout& layout, uint64_t goid,
                                        int64_t tls_g, std::pair<int, int> go_version) {
  RuntimeOffsets o;
  o.config.tls_g = tls_g;
  o.config.g_goid = static_cast<uint32_t>(goid);
  o.config.g_m = static_cast<uint32_t>(layout.g.m);
  o.config.g_lockedm = static_cast<uint32_t>(layout.g.lockedm);
  o.config.m_lockedext = static_cast<uint32_t>(layout.m.locked_ext);
  o.config.m_lockedint = static_cast<uint32_t>(layout.m.locked_int);
  o.source = layout.source == gobin::LayoutSource::kVersionTable
                 ? fmt::format("version-table (go{}.{})", go_version.first, go_version.second)
                 : gobin::LayoutSourceName(layout.source);
  o.disagreements = layout.disagreements;
  return o;
}

StatusOr<RuntimeOffsets> ResolveRuntimeOffsets(const gobin::Binary& binary) {
  const gobin::RuntimeModel& runtime = binary.runtime();
  if (!runtime.layout().ok()) {
    return Unsupported(
        "ns cannot locate runtime.g/runtime.m fields: {}; build the target without "
        "-ldflags='-s -w' so it keeps DWARF",
        runtime.layout().status().message());
  }
  RuntimeOffsets offsets = RuntimeOffsetsFromLayout(
      *runtime.layout(), runtime.goid().offset, runtime.tls_g_offset(), binary.go_major_minor());
  offsets.disagreements = runtime.Disagreements();
  return offsets;
}

}  // namespace gotap::nswatch
