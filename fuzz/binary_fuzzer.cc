// gobin::Binary::Parse — the whole model of a Go executable (ELF, build info, pclntab location
// and parse, moduledata, wrappers, generic names) — on a whole file image, then every query a
// caller makes: per-function lookups and code, the goid offset (decoded from the runtime's code),
// the inline index, and the disassembly of a few functions.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "fuzz_checks.h"
#include "gobin/binary.h"

namespace gotap::fuzz {
namespace {

bool IsFunctionOf(const gobin::Binary& binary, const gobin::FuncRecord* func) {
  const auto& funcs = binary.functions();
  return func >= funcs.data() && func < funcs.data() + funcs.size();
}

void CheckInlines(const gobin::Binary& binary) {
  const gobin::InlineIndex& inlines = binary.inlines();
  FUZZ_CHECK(std::is_sorted(inlines.inlined_only().begin(), inlines.inlined_only().end()));
  for (std::string_view callee : inlines.inlined_only()) {
    const std::vector<gobin::InlineSite>* sites = inlines.SitesOf(callee);
    FUZZ_CHECK(sites != nullptr && !sites->empty());
    for (const gobin::InlineSite& site : *sites) {
      FUZZ_CHECK(IsFunctionOf(binary, site.caller));  // "never null; points into the list"
      FUZZ_CHECK(site.pc >= site.caller->entry && site.pc <= site.caller->end);
    }
  }
}

void CheckAnalysis(const gobin::Binary& binary, const gobin::FuncRecord& func) {
  auto analysis = binary.Analyze(func);
  if (!analysis.ok()) return;
  const arch::CodeAnalysis& a = *analysis;
  FUZZ_CHECK(a.entry == func.entry && a.end == func.end);
  FUZZ_CHECK(std::is_sorted(a.return_sites.begin(), a.return_sites.end()));
  for (uint64_t site : a.return_sites) {
    FUZZ_CHECK(site >= a.entry && site < a.end);
    FUZZ_CHECK(a.IsInstructionBoundary(site));
  }
  FUZZ_CHECK(a.entry_probe >= a.entry && a.entry_probe <= a.end);
  FUZZ_CHECK(a.has_stack_check == a.stack_check_branch.has_value());
  if (a.stack_check_branch)
    FUZZ_CHECK(*a.stack_check_branch >= a.entry && *a.stack_check_branch < a.end);
  FUZZ_CHECK(std::is_sorted(a.instruction_offsets.begin(), a.instruction_offsets.end()));
  a.ToString();
}

}  // namespace
}  // namespace gotap::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gotap;
  using gobin::FuncRecord;
  const Bytes input(data, size);
  auto parsed = gobin::Binary::Parse(input, "fuzz-input");
  if (!parsed.ok()) return 0;
  const gobin::Binary& binary = **parsed;

  binary.go_version();
  binary.go_major_minor();
  gobin::AbiName(binary.abi());
  binary.goid_offset().ToString();
  FUZZ_CHECK(!binary.dwarf().ok());  // DWARF is read from files only, never from a byte image
  FUZZ_CHECK(binary.pclntab_found_by() != nullptr);
  FUZZ_CHECK(!binary.functions().empty());  // Parse rejects a table without functions
  if (const auto& info = binary.build_info()) fuzz::Touch(info->go_version);

  for (const FuncRecord& func : binary.functions()) {
    std::string_view name = binary.Name(func);
    FUZZ_CHECK(fuzz::Within(input, name));  // pclntab or .symtab name, both views of the input
    fuzz::Touch(name);
    binary.IsWrapper(func);

    std::vector<const FuncRecord*> same_name = binary.FindFunctions(func.name);
    FUZZ_CHECK(std::find(same_name.begin(), same_name.end(), &func) != same_name.end());
    for (const FuncRecord* other : same_name) FUZZ_CHECK(other->name == func.name);

    for (uint64_t pc : {func.entry, func.end - 1, func.end}) {
      if (const FuncRecord* at = binary.FunctionAt(pc)) {
        FUZZ_CHECK(at->entry <= pc && pc < at->end);
      }
    }
    if (func.entry < func.end) FUZZ_CHECK(binary.FunctionAt(func.entry) != nullptr);

    if (auto code = binary.Code(func)) {
      FUZZ_CHECK(code->size() == func.end - func.entry);
      FUZZ_CHECK(fuzz::Within(input, *code));
      fuzz::Touch(*code);
    }
  }
  gotap::fuzz::CheckInlines(binary);
  size_t analyzed = 0;
  for (const FuncRecord& func : binary.functions()) {
    if (analyzed++ == 16) break;  // capstone is slow; a few functions cover the decoders
    gotap::fuzz::CheckAnalysis(binary, func);
  }
  binary.FunctionAt(0);
  binary.FunctionAt(UINT64_MAX);
  binary.FindFunctions("main.main");
  return 0;
}
