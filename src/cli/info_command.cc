#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/escape.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "cli/open_binary.h"

namespace gotap::cli {

int RunInfo(const InfoOptions& options, std::ostream& out, std::ostream& err) {
  std::unique_ptr<gobin::Binary> binary = OpenBinaryOrReport(options.binary, err);
  if (!binary) return kExitBadInput;
  const auto& build = binary->build_info();
  std::string module = build ? build->main_module.path : "";
  if (module.empty() && build) module = build->main_path;
  const gobin::RuntimeModel& runtime = binary->runtime();
  const gobin::GoidOffset& goid = runtime.goid();
  const StatusOr<gobin::RuntimeLayout>& layout = runtime.layout();
  // Where the version tables disagree with what the binary says: warned once, never resolved.
  const std::vector<std::string> disagreements = runtime.Disagreements();
  for (const std::string& d : disagreements) err << "gotap: warning: " << d << "\n";

  if (options.json) {
    nlohmann::json j = {
        {"path", options.binary},
        {"arch", elf::MachineName(binary->machine())},
        {"go_version", binary->go_version()},
        {"go_version_source", binary->go_version_source()},
        {"abi", gobin::AbiName(binary->abi())},
        {"module", module},
        {"pclntab_version", gobin::PclntabVersionName(binary->pclntab().version())},
        {"functions", binary->functions().size()},
        {"symtab", binary->has_symtab()},
        {"dwarf", binary->has_dwarf()},
        {"goid_offset", goid.offset},
        {"goid_offset_source", gobin::GoidSourceName(goid.source)},
        {"runtime_layout_source", layout.ok() ? gobin::LayoutSourceName(layout->source) : nullptr},
        {"runtime_layout_table_check", layout.ok() ? layout->table_check : ""},
        {"runtime_layout_error", layout.ok() ? "" : layout.status().message()},
        {"version_table_disagreements", disagreements},
    };
    out << DumpJson(j) << "\n";
    return WrittenOrReport(out, err);
  }
  auto row = [&](std::string_view key, const std::string& value) {
    out << fmt::format("{:<20}{}\n", key, value);
  };
  row("path:", EscapeForTerminal(options.binary));
  row("arch:", elf::MachineName(binary->machine()));
  row("go version:", fmt::format("{} (from {})", EscapeForTerminal(binary->go_version()),
                                 binary->go_version_source()));
  row("abi:", gobin::AbiName(binary->abi()));
  row("module:", module.empty() ? "-" : EscapeForTerminal(module));
  row("pclntab:",
      fmt::format("{} (found by {})", gobin::PclntabVersionName(binary->pclntab().version()),
                  binary->pclntab_found_by()));
  row("functions:", std::to_string(binary->functions().size()));
  row("symtab:", binary->has_symtab() ? "yes" : "no (stripped)");
  std::string dwarf = "no";
  if (binary->has_dwarf()) {
    auto info = binary->dwarf();
    dwarf = info.ok() ? fmt::format("yes ({} functions)", (*info)->functions().size())
                      : "yes, but unreadable: " + EscapeForTerminal(info.status().message());
  }
  row("dwarf:", dwarf);
  std::string goid_note;
  if (goid.table_offset && *goid.table_offset != goid.offset) {
    goid_note = fmt::format("; the version table says {}", *goid.table_offset);
  } else if (goid.table_offset && goid.source != gobin::GoidSource::kVersionTable) {
    goid_note = "; agrees with the version table";
  }
  row("goid offset:",
      fmt::format("{} (from {}{})", goid.offset, gobin::GoidSourceName(goid.source), goid_note));
  if (layout.ok()) {
    const std::string check = layout->table_check.empty() ? "" : "; " + layout->table_check;
    row("runtime.g/m layout:",
        fmt::format("from {}{}", gobin::LayoutSourceName(layout->source), check));
  } else {
    row("runtime.g/m layout:", "unknown: " + EscapeForTerminal(layout.status().message()));
  }
  return WrittenOrReport(out, err);
}

}  // namespace gotap::cli
