#include "probe/resolve.h"

#include <fmt/format.h>

#include <set>

#include "base/glob.h"

namespace gotap::probe {

StatusOr<std::vector<Resolved>> ResolveSelectors(const gobin::Binary& binary,
                                                 const std::vector<Selector>& selectors) {
  std::vector<Resolved> out;
  std::set<uint64_t> seen;
  for (const Selector& sel : selectors) {
    bool matched = false;
    if (sel.is_glob) {
      for (const gobin::FuncRecord& f : binary.functions()) {
        // Wrappers, and the linker's section markers (go:textfipsstart, go:buildid): no code.
        if (binary.IsWrapper(f) || f.name.starts_with("go:")) continue;
        if (!GlobMatch(sel.pattern, binary.Name(f)) && !GlobMatch(sel.pattern, f.name)) continue;
        matched = true;
        if (seen.insert(f.entry).second) out.emplace_back(&f, &sel);
      }
    } else {
      auto found = binary.FindFunctions(sel.pattern);
      if (found.empty()) {
        for (const gobin::FuncRecord& f : binary.functions()) {
          if (binary.Name(f) == sel.pattern) found.push_back(&f);
        }
      }
      if (!found.empty()) found.resize(1);  // the body, not its wrappers
      // A generic function's bare name means every instantiation, as in Delve.
      if (found.empty()) {
        std::string prefix = sel.pattern + "[";
        for (const gobin::FuncRecord& f : binary.functions()) {
          if (!binary.IsWrapper(f) && f.name.starts_with(prefix)) found.push_back(&f);
        }
      }
      matched = !found.empty();
      for (const gobin::FuncRecord* f : found) {
        if (seen.insert(f->entry).second) out.emplace_back(f, &sel);
      }
      if (found.empty()) {
        if (const auto* sites = binary.inlines().SitesOf(sel.pattern)) {
          std::string where;
          for (size_t i = 0; i < sites->size() && i < 3; ++i) {
            where += fmt::format("{}{} at {:#x}", i ? ", " : "", binary.Name(*(*sites)[i].caller),
                                 (*sites)[i].pc);
          }
          if (sites->size() > 3) where += fmt::format(" and {} more", sites->size() - 3);
          return InvalidArgument(
              "{} exists only inlined (no body of its own to probe): inlined into {}; trace the "
              "caller instead",
              sel.pattern, where);
        }
      }
    }
    if (!matched) {
      std::vector<std::string_view> names;
      for (const auto& f : binary.functions()) names.push_back(binary.Name(f));
      std::string hint;
      for (const auto& n : NearestNames(sel.pattern, names)) hint += (hint.empty() ? "" : ", ") + n;
      return NotFound("no function matches '{}'{}", sel.pattern,
                      hint.empty() ? "" : "; nearest: " + hint);
    }
  }
  return out;
}

}  // namespace gotap::probe
