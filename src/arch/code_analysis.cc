#include "arch/code_analysis.h"

#include <fmt/format.h>

#include <algorithm>

namespace gotap::arch {

const char* EntryProbeKindName(EntryProbeKind kind) {
  switch (kind) {
    case EntryProbeKind::kFunctionStart:
      return "function-start";
    case EntryProbeKind::kAfterStackCheck:
      return "after-stack-check";
  }
  return "unknown";
}

bool CodeAnalysis::IsInstructionBoundary(uint64_t addr) const {
  if (addr < entry || addr >= end - padding_bytes) return false;
  const uint64_t offset = addr - entry;
  if (fixed_instruction_size != 0) return offset % fixed_instruction_size == 0;
  return std::binary_search(instruction_offsets.begin(), instruction_offsets.end(), offset);
}

std::string CodeAnalysis::ToString() const {
  std::string out = fmt::format("[{:#x}, {:#x}) entry_probe={:#x} ({}, {})", entry, end,
                                entry_probe, EntryProbeKindName(entry_probe_kind),
                                entry_probe_mnemonic.empty() ? "?" : entry_probe_mnemonic);
  if (stack_check_branch) out += fmt::format(" stack_check_branch={:#x}", *stack_check_branch);
  out += " returns=[";
  for (size_t i = 0; i < return_sites.size(); ++i) {
    out += fmt::format("{}{:#x}", i ? ", " : "", return_sites[i]);
  }
  out += "]";
  if (tail_jump) out += fmt::format(" tail_jump={:#x}", *tail_jump);
  if (undecodable_bytes) out += fmt::format(" undecodable={}", undecodable_bytes);
  if (padding_bytes) out += fmt::format(" padding={}", padding_bytes);
  return out;
}

}  // namespace gotap::arch
