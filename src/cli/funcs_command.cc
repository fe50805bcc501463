#include <fmt/format.h>

#include "base/escape.h"
#include "base/glob.h"
#include "base/json_writer.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "cli/open_binary.h"
#include "gobin/symbol_name.h"

namespace gotap::cli {
namespace {

// Inlined copies listed per function in the output; the rest are counted.
constexpr size_t kMaxInlineSitesShown = 8;

// Which globs select `name`; marks each matching glob in `matched`.
bool Selected(std::string_view name, std::string_view short_name,
              const std::vector<std::string>& globs, std::vector<bool>* matched) {
  bool selected = globs.empty();
  for (size_t i = 0; i < globs.size(); ++i) {
    if (GlobMatch(globs[i], name) || GlobMatch(globs[i], short_name)) {
      selected = (*matched)[i] = true;
    }
  }
  return selected;
}

std::string Notes(const gobin::Binary& binary, const gobin::FuncRecord& f,
                  const arch::CodeAnalysis& a) {
  std::vector<std::string> notes;
  if (binary.IsWrapper(f)) notes.push_back("compiler-generated wrapper");
  if (a.return_sites.empty()) {
    notes.push_back(a.tail_jump ? fmt::format("no RET: tail jump to {:#x}", *a.tail_jump)
                                : "no RET: entry-only");
  }
  if (a.undecodable_bytes > 0)
    notes.push_back(fmt::format("{} undecodable bytes", a.undecodable_bytes));
  std::string out;
  for (const auto& n : notes) out += (out.empty() ? "" : "; ") + n;
  return out;
}

// Appends one function's line to `out` (text or JSON).
void FormatFunction(const gobin::Binary& binary, const gobin::FuncRecord& f,
                    const arch::CodeAnalysis& a, bool json, std::string* out) {
  std::string_view name = binary.Name(f);
  if (json) {
    JsonWriter w(out);
    w.BeginObject().Key("name").String(name).Key("entry").Uint(f.entry).Key("end").Uint(f.end);
    w.Key("entry_probe").Uint(a.entry_probe);
    w.Key("entry_probe_instruction").String(a.entry_probe_mnemonic);
    w.Key("stack_check_branch");
    a.stack_check_branch ? w.Uint(*a.stack_check_branch) : w.Null();
    w.Key("returns").BeginArray();
    for (uint64_t r : a.return_sites) w.Uint(r);
    w.EndArray().Key("inlined_only").Bool(false).Key("wrapper").Bool(binary.IsWrapper(f));
    w.Key("tail_jump");
    a.tail_jump ? w.Uint(*a.tail_jump) : w.Null();
    w.Key("tail_jumps").BeginArray();
    for (uint64_t j : a.tail_jump_sites) w.Uint(j);
    w.EndArray();
    // Where `gotap trace --count` counts, and the site whose hits it subtracts.
    w.Key("count_site").Uint(a.count_site).Key("count_site_emulated").Bool(a.count_site_emulated);
    w.Key("count_correction_site");
    a.count_correction_site ? w.Uint(*a.count_correction_site) : w.Null();
    w.EndObject();
    out->push_back('\n');
    return;
  }
  std::string probe = fmt::format("+{:#x} {}", a.entry_probe - f.entry, a.entry_probe_mnemonic);
  std::string notes = Notes(binary, f, a);
  fmt::format_to(std::back_inserter(*out), "{:#012x} {:>7} {:>4}  {:<14} {}{}\n", f.entry,
                 f.end - f.entry, a.return_sites.size(), probe, EscapeForTerminal(name),
                 notes.empty() ? "" : "  [" + notes + "]");
}

void FormatInlinedOnly(std::string_view name, const std::vector<gobin::InlineSite>& sites,
                       const gobin::Binary& binary, bool json, std::string* out) {
  if (json) {
    JsonWriter w(out);
    w.BeginObject().Key("name").String(name).Key("entry").Null().Key("end").Null();
    w.Key("entry_probe").Null().Key("returns").BeginArray().EndArray();
    w.Key("inlined_only").Bool(true).Key("inlined_copies").Uint(sites.size());
    w.Key("inlined_into").BeginArray();
    for (size_t i = 0; i < sites.size() && i < kMaxInlineSitesShown; ++i) {
      w.BeginObject().Key("caller").String(binary.Name(*sites[i].caller));
      w.Key("pc").Uint(sites[i].pc).EndObject();
    }
    w.EndArray().EndObject();
    out->push_back('\n');
    return;
  }
  std::string where;
  for (size_t i = 0; i < sites.size() && i < 3; ++i) {
    where += fmt::format("{}{} at {:#x}", i ? ", " : "",
                         EscapeForTerminal(binary.Name(*sites[i].caller)), sites[i].pc);
  }
  if (sites.size() > 3) where += fmt::format(", and {} more", sites.size() - 3);
  fmt::format_to(std::back_inserter(*out), "{:>12} {:>7} {:>4}  {:<14} {}  [inlined only: {}]\n",
                 "-", "-", "-", "-", EscapeForTerminal(name), where);
}

// Writes `buffer` to `out` once it has grown past a few pages, and clears it.
void FlushIfLarge(std::string* buffer, std::ostream& out, bool force = false) {
  if (force || buffer->size() > (64 << 10)) {
    out.write(buffer->data(), static_cast<std::streamsize>(buffer->size()));
    buffer->clear();
  }
}

}  // namespace

int RunFuncs(const FuncsOptions& options, std::ostream& out, std::ostream& err) {
  std::unique_ptr<gobin::Binary> binary = OpenBinaryOrReport(options.binary, err);
  if (!binary) return kExitBadInput;
  std::vector<bool> matched(options.globs.size(), false);
  if (!options.json) {
    out << fmt::format("{:<12} {:>7} {:>4}  {:<14} {}\n", "ENTRY", "SIZE", "RETS", "ENTRY-PROBE",
                       "NAME");
  }
  size_t printed = 0;
  std::string buffer;
  for (const gobin::FuncRecord& f : binary->functions()) {
    if (!Selected(binary->Name(f), f.name, options.globs, &matched)) continue;
    auto analysis = binary->Analyze(f);
    if (!analysis.ok()) {
      err << "gotap: " << EscapeForTerminal(options.binary) << ": "
          << EscapeForTerminal(analysis.status().message()) << "\n";
      return kExitBadInput;
    }
    FormatFunction(*binary, f, *analysis, options.json, &buffer);
    FlushIfLarge(&buffer, out);
    ++printed;
  }
  const gobin::InlineIndex& inlines = binary->inlines();
  for (std::string_view name : inlines.inlined_only()) {
    if (!Selected(name, name, options.globs, &matched)) continue;
    FormatInlinedOnly(name, *inlines.SitesOf(name), *binary, options.json, &buffer);
    FlushIfLarge(&buffer, out);
    ++printed;
  }
  FlushIfLarge(&buffer, out, /*force=*/true);
  if (WrittenOrReport(out, err) != kExitOk) return kExitFailure;
  if (inlines.skipped_functions() > 0) {
    err << fmt::format(
        "gotap: note: the inline trees of {} functions could not be read ({}); "
        "functions that exist only inlined there are not listed\n",
        inlines.skipped_functions(), EscapeForTerminal(inlines.first_skip_reason().message()));
  }
  std::vector<std::string_view> names;
  for (size_t i = 0; i < options.globs.size(); ++i) {
    if (matched[i]) continue;
    if (names.empty()) {
      // Only names that could be Go symbols: a malformed table's bytes are no hint.
      for (const auto& f : binary->functions()) {
        if (gobin::IsGoSymbolName(binary->Name(f))) names.push_back(binary->Name(f));
      }
      for (std::string_view n : inlines.inlined_only()) names.push_back(n);
    }
    std::string hint;
    for (const auto& n : NearestNames(options.globs[i], names)) {
      hint += (hint.empty() ? "" : ", ") + EscapeForTerminal(n);
    }
    err << fmt::format("gotap: no function matches '{}'{}\n", EscapeForTerminal(options.globs[i]),
                       hint.empty() ? "" : "; nearest: " + hint);
  }
  return printed == 0 && !options.globs.empty() ? kExitBadInput : kExitOk;
}

}  // namespace gotap::cli
