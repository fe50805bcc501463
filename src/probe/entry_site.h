// Where a probe that must see every call of a function goes (design.md, "The entry probe fires
// once per call"), for trace's entry sites and gotap ns's: `push rbp` right after the stack check
// (Go >= 1.21) is emulated by the kernel and runs once per call: ideal. Before Go 1.21 the
// instruction there (`sub rsp`) is single-stepped, ~8x dearer than the stack check's conditional
// branch, which is emulated too but runs again when morestack re-enters the function: a caller
// that takes the branch must drop or tolerate that second hit.
#pragma once

#include <cstdint>

#include "arch/code_analysis.h"

namespace gotap::probe {

struct EntrySite {
  uint64_t vaddr = 0;  // link-time vaddr
  // The site is the stack check's branch: it fires a second time for a call whose stack grows.
  bool fires_again_on_stack_growth = false;
};

// The cheaper of the analysis' once-per-call entry_probe and its stack check's branch.
EntrySite CheapEntrySite(const arch::CodeAnalysis& analysis);

}  // namespace gotap::probe
