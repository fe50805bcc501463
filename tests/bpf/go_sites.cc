#include "go_sites.h"

#include "arch/uprobe_check.h"
#include "gobin/binary.h"

namespace gotap::bpf::testing {
namespace {

StatusOr<std::unique_ptr<gobin::Binary>> Open(const std::string& binary) {
  auto opened = gobin::Binary::Open(binary);
  if (!opened.ok()) return opened.status().WithContext(binary);
  return opened;
}

StatusOr<uint64_t> FileOffset(const gobin::Binary& binary, uint64_t vaddr) {
  auto offset = binary.elf().VaddrToFileOffset(vaddr);
  if (!offset) return NotFound("{:#x} is not in a PT_LOAD segment of {}", vaddr, binary.path());
  return *offset;
}

}  // namespace

StatusOr<uint64_t> VaddrToFileOffset(const std::string& binary, uint64_t vaddr) {
  ASSIGN_OR_RETURN(auto bin, Open(binary));
  return FileOffset(*bin, vaddr);
}

StatusOr<FunctionSites> FindFunctionSites(const std::string& binary, const std::string& name) {
  ASSIGN_OR_RETURN(auto bin, Open(binary));
  auto found = bin->FindFunctions(name);
  if (found.empty()) return NotFound("no function {} in {}", name, binary);
  ASSIGN_OR_RETURN(arch::CodeAnalysis analysis, bin->Analyze(*found[0]));
  FunctionSites sites;
  ASSIGN_OR_RETURN(sites.entry, FileOffset(*bin, analysis.entry));
  ASSIGN_OR_RETURN(sites.after_check, FileOffset(*bin, analysis.entry_probe));
  sites.stack_check = sites.entry;
  if (analysis.stack_check_branch) {
    ASSIGN_OR_RETURN(sites.stack_check, FileOffset(*bin, *analysis.stack_check_branch));
    ASSIGN_OR_RETURN(sites.morestack, FileOffset(*bin, *analysis.morestack_block));
  }
  for (uint64_t ret : analysis.return_sites) {
    ASSIGN_OR_RETURN(uint64_t offset, FileOffset(*bin, ret));
    sites.returns.push_back(offset);
  }
  return sites;
}

StatusOr<std::vector<uint64_t>> InstructionOffsets(const std::string& binary, size_t limit) {
  ASSIGN_OR_RETURN(auto bin, Open(binary));
  std::vector<uint64_t> offsets;
  for (const gobin::FuncRecord& f : bin->functions()) {
    if (offsets.size() >= limit) break;
    ASSIGN_OR_RETURN(arch::CodeAnalysis a, bin->Analyze(f));
    // Compiled Go code only (it has the stack check): hand-written assembly holds the
    // instructions uprobes refuse.
    if (!a.has_stack_check) continue;
    auto code = bin->Code(f);
    if (!code) continue;
    for (size_t i = 0; i < a.instruction_offsets.size() && offsets.size() < limit; ++i) {
      uint32_t at = a.instruction_offsets[i];
      uint32_t next = i + 1 < a.instruction_offsets.size() ? a.instruction_offsets[i + 1]
                                                           : static_cast<uint32_t>(code->size());
      if (arch::X86UprobeRefusal(code->subspan(at, next - at))) continue;  // not probe-able
      ASSIGN_OR_RETURN(uint64_t offset, FileOffset(*bin, f.entry + at));
      offsets.push_back(offset);
    }
  }
  return offsets;
}

StatusOr<std::vector<uint64_t>> FunctionEntries(const std::string& binary, size_t limit) {
  ASSIGN_OR_RETURN(auto bin, Open(binary));
  std::vector<uint64_t> entries;
  for (const gobin::FuncRecord& f : bin->functions()) {
    if (entries.size() >= limit) break;
    if (f.end == f.entry) continue;  // zero-size markers
    ASSIGN_OR_RETURN(uint64_t offset, FileOffset(*bin, f.entry));
    entries.push_back(offset);
  }
  return entries;
}

}  // namespace gotap::bpf::testing
