#include "gobin/runtime_layout.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "gobin/binary.h"
#include "gobin/runtime_structs.h"
#include "gobin/version_tables.h"

namespace gotap::gobin {

uint64_t GLayout::ReadSize() const {
  uint64_t end =
      std::max({stack_hi, m, sched_sp, sched_pc, sched_bp, syscallsp, syscallpc, atomicstatus, goid,
                waitsince, waitreason, lockedm, gopc, startpc, parent_goid.value_or(0)});
  return end + 8;
}

const char* LayoutSourceName(LayoutSource source) {
  switch (source) {
    case LayoutSource::kDwarf:
      return "dwarf";
    case LayoutSource::kTypeData:
      return "type-data";
    case LayoutSource::kVersionTable:
      return "version-table";
  }
  return "?";
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
//    (-24) and added parentGoid before gopc (+8); 1.26 added fipsOnlyBypass, ditWanted and
//    secret before writebuf (+8 from there on: parentGoid@280 gopc@288 startpc@304).
//
// runtime.m's lockedExt (lockedInt follows it, +4) moves with the fields before it. Computed from
// `type m struct` in src/runtime/runtime2.go of go1.13 (a July 2019 release-branch tree),
// go1.14.13, go1.15.8, go1.16.14, go1.17.13, go1.18, go1.19.8, go1.20.6, go1.21.12, a go1.22
// tree, go1.23.5, go1.24.0 and go1.25.3, with the same method that reproduces every g offset
// above; checked against the DWARF of Go 1.19, against the code of runtime.unlockOSThread in
// stripped go1.15, 1.16, 1.19, 1.20 and 1.23 (amd64 and arm64) builds, and since then against the
// DWARF and type data of every release of the fixture matrix (goroutines_layout_matrix_test.cc).
// 1.26 and 1.27 entries come from the DWARF of Debian's go1.26 and go1.27 builds: an earlier
// go1.26 entry taken from a pre-release tree had the 1.25 tail and was wrong.
//  * 1.13-1.14: 624 (m.mcache, moved to p in 1.15)   * 1.15: 616
//  * 1.16-1.17: 624 (doesPark bool before park note) * 1.18-1.21: 616 (doesPark removed)
//  * 1.22-1.24: 608 (fastrand uint64 removed; random state moved to m's tail)
//  * 1.25: 624 (morebuf loses gobuf.ret, -8; allpSnapshot []*p added before ncgocall, +24)
//  * 1.26-1.27: 648 (signalSecret before p, +8; idleNode listNodeManual before lockedg, +16)
namespace {

uint64_t LockedExtForVersion(std::pair<int, int> v) {
  if (v <= std::pair{1, 14}) return 624;
  if (v <= std::pair{1, 15}) return 616;
  if (v <= std::pair{1, 17}) return 624;
  if (v <= std::pair{1, 21}) return 616;
  if (v <= std::pair{1, 24}) return 608;
  if (v <= std::pair{1, 25}) return 624;
  return 648;
}

}  // namespace

std::optional<RuntimeLayout> LayoutForVersion(std::pair<int, int> v) {
  if (v < std::pair{1, 13} || v > std::pair{1, 27}) return std::nullopt;
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
  if (v >= std::pair{1, 26}) *g.parent_goid += 8, g.gopc += 8, g.startpc += 8;
  layout.m.locked_ext = LockedExtForVersion(v);
  layout.m.locked_int = layout.m.locked_ext + 4;
  return layout;
}

std::optional<uint64_t> GoidOffsetForVersion(std::pair<int, int> v) {
  if (v >= std::pair{1, 9} && v < std::pair{1, 13}) return GLayout{}.goid;
  if (std::optional<RuntimeLayout> layout = LayoutForVersion(v)) return layout->g.goid;
  return std::nullopt;
}

namespace {

// The fields every source must give, by the names the runtime's source uses.
struct FieldSpec {
  const char* type;  // "runtime.g" | "runtime.m"
  const char* path;  // nested struct fields joined by dots: "sched.sp"
  uint64_t* (*at)(RuntimeLayout&);
};
const FieldSpec kFields[] = {
    {"runtime.g", "stack.lo", [](RuntimeLayout& l) { return &l.g.stack_lo; }},
    {"runtime.g", "stack.hi", [](RuntimeLayout& l) { return &l.g.stack_hi; }},
    {"runtime.g", "m", [](RuntimeLayout& l) { return &l.g.m; }},
    {"runtime.g", "sched.sp", [](RuntimeLayout& l) { return &l.g.sched_sp; }},
    {"runtime.g", "sched.pc", [](RuntimeLayout& l) { return &l.g.sched_pc; }},
    {"runtime.g", "sched.bp", [](RuntimeLayout& l) { return &l.g.sched_bp; }},
    {"runtime.g", "syscallsp", [](RuntimeLayout& l) { return &l.g.syscallsp; }},
    {"runtime.g", "syscallpc", [](RuntimeLayout& l) { return &l.g.syscallpc; }},
    {"runtime.g", "atomicstatus", [](RuntimeLayout& l) { return &l.g.atomicstatus; }},
    {"runtime.g", "goid", [](RuntimeLayout& l) { return &l.g.goid; }},
    {"runtime.g", "waitsince", [](RuntimeLayout& l) { return &l.g.waitsince; }},
    {"runtime.g", "waitreason", [](RuntimeLayout& l) { return &l.g.waitreason; }},
    {"runtime.g", "lockedm", [](RuntimeLayout& l) { return &l.g.lockedm; }},
    {"runtime.g", "gopc", [](RuntimeLayout& l) { return &l.g.gopc; }},
    {"runtime.g", "startpc", [](RuntimeLayout& l) { return &l.g.startpc; }},
    {"runtime.m", "procid", [](RuntimeLayout& l) { return &l.m.procid; }},
    {"runtime.m", "lockedExt", [](RuntimeLayout& l) { return &l.m.locked_ext; }},
    {"runtime.m", "lockedInt", [](RuntimeLayout& l) { return &l.m.locked_int; }},
};
// Added in Go 1.21: absent from older runtimes, so never "missing".
constexpr const char* kParentGoid = "parentGoid";

using FieldLookup = std::function<std::optional<uint64_t>(const char* type, const char* path)>;

// Every field of kFields from one source, or kNotFound naming the ones it lacks.
StatusOr<RuntimeLayout> ReadLayout(LayoutSource source, const FieldLookup& lookup) {
  RuntimeLayout layout;
  layout.source = source;
  std::string missing;
  for (const FieldSpec& f : kFields) {
    if (auto off = lookup(f.type, f.path)) {
      *f.at(layout) = *off;
    } else {
      missing += fmt::format("{}{}.{}", missing.empty() ? "" : ", ", f.type, f.path);
    }
  }
  if (!missing.empty()) return NotFound("{} lacks {}", LayoutSourceName(source), missing);
  layout.g.parent_goid = lookup("runtime.g", kParentGoid);
  return layout;
}

}  // namespace

StatusOr<RuntimeLayout> LayoutFromDwarf(const Binary& binary) {
  ASSIGN_OR_RETURN(const dwarf::DwarfInfo* dwarf, binary.dwarf());
  return ReadLayout(LayoutSource::kDwarf, [&](const char* type, const char* path) {
    return dwarf->MemberOffset(type, path);
  });
}

StatusOr<RuntimeLayout> LayoutFromTypeData(const Binary& binary) {
  const RuntimeStructs structs = RuntimeStructs::Find(binary);
  // Say why a whole struct is missing rather than listing each of its fields.
  if (!structs.g_type().ok()) return structs.g_type().status();
  if (!structs.m_type().ok()) return structs.m_type().status();
  return ReadLayout(
      LayoutSource::kTypeData, [&](const char* type, const char* path) -> std::optional<uint64_t> {
        auto off =
            std::string_view(type) == "runtime.g" ? structs.GField(path) : structs.MField(path);
        if (!off.ok()) return std::nullopt;
        return *off;
      });
}

std::vector<std::string> CompareWithTable(const RuntimeLayout& derived, const RuntimeLayout& table,
                                          std::pair<int, int> v) {
  std::vector<std::string> out;
  auto differs = [&](const char* type, const char* path, std::string got, std::string want) {
    out.push_back(fmt::format("{} {} offset {} from {} disagrees with the go{}.{} table ({})", type,
                              path, got, LayoutSourceName(derived.source), v.first, v.second,
                              want));
  };
  RuntimeLayout d = derived, t = table;  // kFields hands out pointers into non-const layouts
  for (const FieldSpec& f : kFields) {
    if (*f.at(d) != *f.at(t)) {
      differs(f.type, f.path, std::to_string(*f.at(d)), std::to_string(*f.at(t)));
    }
  }
  auto show = [](const std::optional<uint64_t>& o) { return o ? std::to_string(*o) : "absent"; };
  if (d.g.parent_goid != t.g.parent_goid) {
    differs("runtime.g", kParentGoid, show(d.g.parent_goid), show(t.g.parent_goid));
  }
  return out;
}

StatusOr<RuntimeLayout> ResolveLayout(const Binary& binary) {
  const auto version = binary.go_major_minor();
  const bool tables = !VersionTablesDisabled();
  const std::optional<RuntimeLayout> table =
      tables ? LayoutForVersion(version) : std::optional<RuntimeLayout>();
  std::string why_not;  // what each source lacked, for the error
  auto checked = [&](RuntimeLayout layout) {
    if (!tables) {
      layout.table_check = "version tables disabled";
    } else if (!table) {
      layout.table_check = fmt::format("no go{}.{} table", version.first, version.second);
    } else {
      layout.disagreements = CompareWithTable(layout, *table, version);
      layout.table_check = fmt::format(
          "{} the go{}.{} table", layout.disagreements.empty() ? "agrees with" : "disagrees with",
          version.first, version.second);
    }
    return layout;
  };
  if (binary.has_dwarf()) {
    auto from_dwarf = LayoutFromDwarf(binary);
    if (from_dwarf.ok()) return checked(std::move(from_dwarf).value());
    why_not += fmt::format("DWARF: {}; ", from_dwarf.status().message());
  }
  auto from_types = LayoutFromTypeData(binary);
  if (from_types.ok()) return checked(std::move(from_types).value());
  why_not += fmt::format("type data: {}; ", from_types.status().message());
  if (table) return *table;
  return Unsupported("{}: no runtime.g layout ({}{})", binary.go_version(), why_not,
                     tables ? "no version table for it: it covers go1.13 - go1.27"
                            : "version tables disabled by GOTAP_NO_VERSION_TABLES");
}

}  // namespace gotap::gobin
