#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/escape.h"
#include "base/glob.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "cli/open_binary.h"

namespace gotap::cli {

int RunFuncs(const FuncsOptions& options, std::ostream& out, std::ostream& err) {
  std::unique_ptr<gobin::Binary> binary = OpenBinaryOrReport(options.binary, err);
  if (!binary) return kExitBadInput;
  std::vector<bool> glob_matched(options.globs.size(), false);
  size_t printed = 0;
  for (const gobin::FuncRecord& f : binary->functions()) {
    bool selected = options.globs.empty();
    for (size_t i = 0; i < options.globs.size(); ++i) {
      if (GlobMatch(options.globs[i], f.name)) selected = glob_matched[i] = true;
    }
    if (!selected) continue;
    ++printed;
    if (options.json) {
      nlohmann::json j = {{"name", f.name}, {"entry", f.entry}, {"end", f.end}};
      out << DumpJson(j) << "\n";
    } else {
      out << fmt::format("{:#x} {:>7} {}\n", f.entry, f.end - f.entry, EscapeForTerminal(f.name));
    }
  }
  for (size_t i = 0; i < options.globs.size(); ++i) {
    if (glob_matched[i]) continue;
    std::vector<std::string_view> names;
    for (const auto& f : binary->functions()) names.push_back(f.name);
    std::vector<std::string> near = NearestNames(options.globs[i], names);
    std::string hint;
    for (const auto& n : near) hint += (hint.empty() ? "" : ", ") + EscapeForTerminal(n);
    err << fmt::format("gotap: no function matches '{}'{}\n", EscapeForTerminal(options.globs[i]),
                       hint.empty() ? "" : "; nearest: " + hint);
  }
  return printed == 0 && !options.globs.empty() ? kExitBadInput : kExitOk;
}

}  // namespace gotap::cli
