#include "trace/site_screen.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "arch/uprobe_check.h"

namespace gotap::trace {
namespace {

const char* SiteKindName(uint8_t kind) {
  switch (kind) {
    case GOTAP_SITE_ENTRY:
      return "entry";
    case GOTAP_SITE_RETURN:
      return "return";
    case GOTAP_SITE_MORESTACK:
      return "morestack";
    case GOTAP_SITE_COUNT:
      return "counting";
    default:
      return "probe";
  }
}

}  // namespace

void DropRefusedSites(const gobin::Binary& binary, TracePlan* plan) {
  if (binary.arch() != arch::Arch::kX86_64) return;
  const size_t n = std::min(plan->specs.size(), plan->file_offsets.size());
  std::vector<bool> drop_function(plan->functions.size(), false);
  for (size_t i = 0; i < n; ++i) {
    const gotap_site_spec& spec = plan->specs[i];
    if (spec.func_id >= plan->functions.size() || drop_function[spec.func_id]) continue;
    Bytes file = binary.elf().bytes();
    uint64_t offset = plan->file_offsets[i];
    if (offset >= file.size()) continue;  // Session::Attach reports it
    auto refusal = arch::X86UprobeRefusal(file.subspan(offset));
    if (!refusal) continue;
    TracedFunction& fn = plan->functions[spec.func_id];
    drop_function[spec.func_id] = true;
    LeaveOut(fn,
             fmt::format("the kernel refuses a uprobe on its {} site {:#x} (file offset {:#x}): {}",
                         SiteKindName(spec.kind), spec.vaddr, offset, *refusal),
             plan);
  }
  size_t kept = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t func_id = plan->specs[i].func_id;
    if (func_id < drop_function.size() && drop_function[func_id]) continue;
    plan->specs[kept] = plan->specs[i];
    plan->file_offsets[kept] = plan->file_offsets[i];
    ++kept;
  }
  plan->specs.resize(kept);
  plan->file_offsets.resize(kept);
}

}  // namespace gotap::trace
