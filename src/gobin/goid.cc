#include "gobin/goid.h"

#include <fmt/format.h>

namespace gotap::gobin {

const char* GoidSourceName(GoidSource source) {
  switch (source) {
    case GoidSource::kDwarf:
      return "dwarf";
    case GoidSource::kCode:
      return "code";
    case GoidSource::kTypeData:
      return "type-data";
    case GoidSource::kVersionTable:
      return "version-table";
    case GoidSource::kNone:
      return "none";
  }
  return "?";
}

std::string GoidOffset::ToString() const {
  return fmt::format("{} ({})", offset, GoidSourceName(source));
}

std::string GoidOffset::Disagreement() const {
  if (!table_offset || *table_offset == offset || source == GoidSource::kVersionTable) return "";
  return fmt::format("runtime.g goid offset {} from {} disagrees with the go{}.{} table ({})",
                     offset, GoidSourceName(source), go_version.first, go_version.second,
                     *table_offset);
}

}  // namespace gotap::gobin
