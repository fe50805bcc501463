// Leaving out, before attaching, the functions one of whose probe sites the kernel would refuse.
//
// A uprobe_multi link is all-or-nothing: one site the kernel cannot probe (e.g. runtime.abort's
// first instruction, `int 3`) would fail a whole `runtime.*` trace. Sites whose refusal is
// predictable from the instruction (arch::X86UprobeRefusal) are screened here; the rest is caught
// at attach time (bpf::Session::AttachDroppingRefused).
#pragma once

#include <string>

#include "gobin/binary.h"
#include "trace/plan.h"

namespace gotap::trace {

// Removes from plan->specs and plan->file_offsets every site of each function that has a site
// the kernel would refuse, sets that function's `untraced` (why, one line) and adds one warning
// per such function to plan->warnings. Functions stay in plan->functions (func_id == index).
// No probe is moved: a refused entry site is an assembly function's first instruction, and no
// later instruction is known to run exactly once per call. x86-64 only (arm64: unchanged).
void DropRefusedSites(const gobin::Binary& binary, TracePlan* plan);

}  // namespace gotap::trace
