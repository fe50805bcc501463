#include "nswatch/ns_plan.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "probe/entry_site.h"
#include "probe/resolve.h"
#include "probe/selector.h"

namespace gotap::nswatch {
namespace {

constexpr int16_t kPtRegsRax = 80;  // struct pt_regs: r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax

class PlanBuilder {
 public:
  PlanBuilder(const gobin::Binary& binary, NsPlan* plan) : binary_(binary), plan_(*plan) {}

  uint32_t FuncId(std::string_view name) {
    plan_.functions.emplace_back(name);
    return static_cast<uint32_t>(plan_.functions.size() - 1);
  }

  Status Add(uint64_t vaddr, uint32_t role, uint32_t func_id, uint16_t flags,
             int16_t result_reg = -1) {
    if (!seen_.insert({vaddr, role}).second) return Status::Ok();
    auto offset = binary_.elf().VaddrToFileOffset(vaddr);
    if (!offset) return Malformed("probe site {:#x} is in no file-backed segment", vaddr);
    gotap_ns_site site{};
    site.role = role;
    site.func_id = func_id;
    site.flags = flags;
    site.result_reg = result_reg;
    plan_.sites.push_back(site);
    plan_.file_offsets.push_back(*offset);
    plan_.vaddrs.push_back(vaddr);
    return Status::Ok();
  }

 private:
  const gobin::Binary& binary_;
  NsPlan& plan_;
  std::set<std::pair<uint64_t, uint32_t>> seen_;
};

// probe::CheapEntrySite: the stack check's branch fires again when the stack grows; the PROBE
// check (reported once per goroutine and thread) and NEWPROC (overwrites its pending slot)
// tolerate that. The unlock checks do not: they use the once-per-call site.
uint64_t CheapEntry(const arch::CodeAnalysis& a) { return probe::CheapEntrySite(a).vaddr; }

}  // namespace

int16_t ResultRegisterOffset(gobin::Abi abi) {
  return abi == gobin::Abi::kRegister ? kPtRegsRax : -1;
}

StatusOr<NsPlan> PlanNsWatch(const gobin::Binary& binary, const std::vector<std::string>& probes,
                             size_t max_functions) {
  if (binary.arch() != arch::Arch::kX86_64) {
    return Unsupported("ns supports x86-64 binaries only (it finds g through fs_base)");
  }
  NsPlan plan;
  ASSIGN_OR_RETURN(plan.offsets, ResolveRuntimeOffsets(binary));
  PlanBuilder b(binary, &plan);

  // The runtime's unlock paths: the body's once-per-call entry and each inlined copy.
  for (auto [name, role] : {std::pair{"runtime.UnlockOSThread", GOTAP_NS_ROLE_UNLOCK_EXT},
                            std::pair{"runtime.unlockOSThread", GOTAP_NS_ROLE_UNLOCK_INT}}) {
    uint32_t id = b.FuncId(name);
    auto found = binary.FindFunctions(name);
    bool any = false;
    if (!found.empty()) {
      ASSIGN_OR_RETURN(arch::CodeAnalysis a, binary.Analyze(*found.front()));
      RETURN_IF_ERROR(b.Add(a.entry_probe, role, id, GOTAP_NS_SITE_SP_IS_RET));
      any = true;
    }
    if (const auto* copies = binary.inlines().SitesOf(name)) {
      // At the call site, not the copy's lowest pc: from Go 1.23 the compiler hoists part of
      // an inlined UnlockOSThread into its caller's prologue, before the caller's setns.
      for (const gobin::InlineSite& s : *copies) {
        RETURN_IF_ERROR(b.Add(s.call_pc, role, id, 0));
        any = true;
      }
    }
    if (!any) plan.warnings.push_back(fmt::format("{} not found: its unlocks are not seen", name));
  }

  // Goroutine creation: runtime.newproc's entry pairs with the RETs of runtime.newproc1.
  auto newproc = binary.FindFunctions("runtime.newproc");
  auto newproc1 = binary.FindFunctions("runtime.newproc1");
  if (!newproc.empty() && !newproc1.empty()) {
    uint32_t id = b.FuncId("runtime.newproc");
    ASSIGN_OR_RETURN(arch::CodeAnalysis a, binary.Analyze(*newproc.front()));
    RETURN_IF_ERROR(b.Add(CheapEntry(a), GOTAP_NS_ROLE_NEWPROC, id, GOTAP_NS_SITE_SP_IS_RET));
    ASSIGN_OR_RETURN(arch::CodeAnalysis a1, binary.Analyze(*newproc1.front()));
    int16_t reg = ResultRegisterOffset(binary.abi());
    if (reg < 0) {
      plan.warnings.push_back("stack ABI (Go < 1.17): the ids of new goroutines are not read");
    }
    for (uint64_t ret : a1.return_sites) {
      RETURN_IF_ERROR(b.Add(ret, GOTAP_NS_ROLE_NEWPROC1_RET, id, GOTAP_NS_SITE_SP_IS_RET, reg));
    }
    if (a1.return_sites.empty()) {
      plan.warnings.push_back("runtime.newproc1 has no RET: goroutine creation is not seen");
    }
  } else {
    plan.warnings.push_back("runtime.newproc/newproc1 not found: goroutine creation is not seen");
  }

  // Traced functions: where a goroutine on a poisoned thread is caught.
  std::vector<probe::Selector> selectors;
  for (const std::string& pattern : probes.empty() ? std::vector<std::string>{"main.*"} : probes) {
    ASSIGN_OR_RETURN(probe::Selector selector, probe::ParseSelector(pattern));
    selectors.push_back(std::move(selector));
  }
  ASSIGN_OR_RETURN(std::vector<probe::Resolved> traced, probe::ResolveSelectors(binary, selectors));
  std::map<const probe::Selector*, size_t> per_selector;
  for (const auto& [f, selector] : traced) {
    if (++per_selector[selector] > max_functions) {
      return InvalidArgument(
          "'{}' matches more than {} functions, one probe site each; one run attaches at most "
          "that many: narrow it (e.g. 'main.*' or a package path)",
          selector->pattern, max_functions);
    }
  }
  for (const auto& [f, selector] : traced) {
    std::string_view name = binary.Name(*f);
    // The runtime's own lock bookkeeping runs on foreign-namespace threads by design.
    if (name.starts_with("runtime.")) continue;
    auto a = binary.Analyze(*f);
    if (!a.ok()) {
      plan.warnings.push_back(fmt::format("{}: {}", name, a.status().message()));
      continue;
    }
    RETURN_IF_ERROR(
        b.Add(CheapEntry(*a), GOTAP_NS_ROLE_PROBE, b.FuncId(name), GOTAP_NS_SITE_SP_IS_RET));
    ++plan.traced_functions;
  }
  return plan;
}

}  // namespace gotap::nswatch
