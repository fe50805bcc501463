#include "goroutines/layout.h"

#include <fmt/format.h>

#include <algorithm>

namespace gotap::goroutines {

uint64_t GLayout::ReadSize() const {
  uint64_t end =
      std::max({stack_hi, m, sched_sp, sched_pc, sched_bp, syscallsp, syscallpc, atomicstatus, goid,
                waitsince, waitreason, lockedm, gopc, startpc, parent_goid.value_or(0)});
  return end + 8;
}

const char* LayoutSourceName(LayoutSource source) {
  return source == LayoutSource::kDwarf ? "dwarf" : "version-table";
}

std::string RuntimeLayout::ToString() const {
  return fmt::format(
      "{}: status@{} goid@{} waitsince@{} waitreason@{} sched.pc@{} sched.sp@{} lockedm@{} "
      "gopc@{} startpc@{} parentGoid@{} m.procid@{} m.lockedExt@{} m.lockedInt@{}",
      LayoutSourceName(source), g.atomicstatus, g.goid, g.waitsince, g.waitreason, g.sched_pc,
      g.sched_sp, g.lockedm, g.gopc, g.startpc,
      g.parent_goid ? fmt::format("{}", *g.parent_goid) : "-", m.procid, m.locked_ext,
      m.locked_int);
}

// The shapes of runtime.g (runtime2.go), 64-bit:
//  * up to 1.22: gobuf{sp,pc,g,ctxt,ret,lr,bp} (56 bytes), then syscallsp, syscallpc, stktopsp,
//    param, atomicstatus, stackLock, goid (152), schedlink, waitsince (168), waitreason (176),
//    a run of bools, ...; 1.23-1.24 insert syscallbp after syscallpc (+8 from there on); from
//    1.25 gobuf loses `ret` (-8 from sched.lr on), cancelling it out.
//  * the tail lockedm ... gopc, ancestors, startpc moved as fields came and went before it:
//    1.13-1.16 lockedm@216 gopc@280 startpc@296 (labels@344); 1.17-1.20 added runnableStamp and
//    runnableTime (+16; verified against the DWARF of Go 1.19: lockedm@232 gopc@296
//    startpc@312); 1.21 moved the tracer's sysexitticks/traceseq/tracelastp into gTraceState
//    (-24) and added parentGoid before gopc (+8).
//
// runtime.m's lockedExt (lockedInt follows it, +4) moves with the fields before it. Computed from
// `type m struct` in src/runtime/runtime2.go of go1.13 (a July 2019 release-branch tree),
// go1.14.13, go1.15.8, go1.16.14, go1.17.13, go1.18, go1.19.8, go1.20.6, go1.21.12, a go1.22
// tree, go1.23.5, go1.24.0, go1.25.3 and a go1.26 tree (m.xRegs era), with the same method that
// reproduces every g offset above; checked against the DWARF of Go 1.19 and against the code of
// runtime.unlockOSThread in stripped go1.15, 1.16, 1.19, 1.20 and 1.23 (amd64 and arm64) builds:
//  * 1.13-1.14: 624 (m.mcache, moved to p in 1.15)   * 1.15: 616
//  * 1.16-1.17: 624 (doesPark bool before park note) * 1.18-1.21: 616 (doesPark removed)
//  * 1.22-1.24: 608 (fastrand uint64 removed; random state moved to m's tail)
//  * 1.25-1.26: 624 (morebuf loses gobuf.ret, -8; allpSnapshot []*p added before ncgocall, +24)
namespace {

uint64_t LockedExtForVersion(std::pair<int, int> v) {
  if (v <= std::pair{1, 14}) return 624;
  if (v <= std::pair{1, 15}) return 616;
  if (v <= std::pair{1, 17}) return 624;
  if (v <= std::pair{1, 21}) return 616;
  if (v <= std::pair{1, 24}) return 608;
  return 624;
}

}  // namespace

std::optional<RuntimeLayout> LayoutForVersion(std::pair<int, int> v) {
  if (v < std::pair{1, 13} || v > std::pair{1, 26}) return std::nullopt;
  RuntimeLayout layout;
  GLayout& g = layout.g;
  if (v <= std::pair{1, 16}) {
    g.lockedm = 216, g.gopc = 280, g.startpc = 296;
  } else if (v <= std::pair{1, 20}) {
    g.lockedm = 232, g.gopc = 296, g.startpc = 312;
  } else {
    g.lockedm = 208, g.parent_goid = 272, g.gopc = 280, g.startpc = 296;
  }
  if (v >= std::pair{1, 23} && v <= std::pair{1, 24}) {
    g.atomicstatus += 8, g.goid += 8, g.waitsince += 8, g.waitreason += 8;
    g.lockedm += 8, g.gopc += 8, g.startpc += 8, *g.parent_goid += 8;
  }
  if (v >= std::pair{1, 25}) {
    g.sched_bp = 96, g.syscallsp = 104, g.syscallpc = 112;
    layout.m.procid = 64;
  }
  layout.m.locked_ext = LockedExtForVersion(v);
  layout.m.locked_int = layout.m.locked_ext + 4;
  return layout;
}

StatusOr<RuntimeLayout> LayoutFromDwarf(const gobin::Binary& binary) {
  ASSIGN_OR_RETURN(const dwarf::DwarfInfo* dwarf, binary.dwarf());
  RuntimeLayout layout;
  layout.source = LayoutSource::kDwarf;
  std::string missing;
  auto member = [&](const char* type, const char* name, uint64_t* out) {
    if (auto off = dwarf->MemberOffset(type, name)) {
      *out = *off;
    } else {
      missing += missing.empty() ? name : fmt::format(", {}", name);
    }
  };
  GLayout& g = layout.g;
  member("runtime.g", "stack.lo", &g.stack_lo);
  member("runtime.g", "stack.hi", &g.stack_hi);
  member("runtime.g", "m", &g.m);
  member("runtime.g", "sched.sp", &g.sched_sp);
  member("runtime.g", "sched.pc", &g.sched_pc);
  member("runtime.g", "sched.bp", &g.sched_bp);
  member("runtime.g", "syscallsp", &g.syscallsp);
  member("runtime.g", "syscallpc", &g.syscallpc);
  member("runtime.g", "atomicstatus", &g.atomicstatus);
  member("runtime.g", "goid", &g.goid);
  member("runtime.g", "waitsince", &g.waitsince);
  member("runtime.g", "waitreason", &g.waitreason);
  member("runtime.g", "lockedm", &g.lockedm);
  member("runtime.g", "gopc", &g.gopc);
  member("runtime.g", "startpc", &g.startpc);
  member("runtime.m", "procid", &layout.m.procid);
  member("runtime.m", "lockedExt", &layout.m.locked_ext);
  member("runtime.m", "lockedInt", &layout.m.locked_int);
  if (!missing.empty()) return NotFound("DWARF runtime.g/runtime.m lack {}", missing);
  g.parent_goid = dwarf->MemberOffset("runtime.g", "parentGoid");
  return layout;
}

StatusOr<RuntimeLayout> ResolveLayout(const gobin::Binary& binary) {
  if (binary.has_dwarf()) {
    auto from_dwarf = LayoutFromDwarf(binary);
    if (from_dwarf.ok()) return from_dwarf;
  }
  auto version = binary.go_major_minor();
  if (auto table = LayoutForVersion(version)) return *table;
  return Unsupported(
      "{}: no runtime.g layout for this Go version (supported: go1.13 - go1.26, "
      "or any version when the binary has DWARF)",
      binary.go_version());
}

}  // namespace gotap::goroutines
