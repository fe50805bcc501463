#include "goroutines/allgs.h"

#include <capstone/capstone.h>
#include <elf.h>

#include <set>

namespace gotap::goroutines {

StatusOr<std::set<uint64_t>> RipRelativeTargets(uint64_t entry, Bytes code) {
  csh handle = 0;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) {
    return Internal("capstone: cannot open x86-64");
  }
  cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
  cs_option(handle, CS_OPT_SKIPDATA, CS_OPT_ON);
  cs_insn* insn = cs_malloc(handle);
  std::set<uint64_t> targets;
  const uint8_t* bytes = code.data();
  size_t size = code.size();
  uint64_t address = entry;
  while (cs_disasm_iter(handle, &bytes, &size, &address, insn)) {
    if (insn->detail == nullptr) continue;
    const cs_x86& x86 = insn->detail->x86;
    for (uint8_t i = 0; i < x86.op_count; ++i) {
      const cs_x86_op& op = x86.operands[i];
      if (op.type != X86_OP_MEM || op.mem.base != X86_REG_RIP) continue;
      targets.insert(insn->address + insn->size + static_cast<uint64_t>(op.mem.disp));
    }
  }
  cs_free(insn, 1);
  cs_close(&handle);
  return targets;
}

StatusOr<uint64_t> FindSliceReferencedByCode(uint64_t entry, Bytes code, uint64_t data_begin,
                                             uint64_t data_end) {
  ASSIGN_OR_RETURN(std::set<uint64_t> targets, RipRelativeTargets(entry, code));
  for (uint64_t a : targets) {
    if (a < data_begin || a + 24 > data_end || a % 8 != 0) continue;
    if (targets.count(a + 8) && targets.count(a + 16)) return a;
  }
  return NotFound("no slice header referenced by the code");
}

StatusOr<AllgsLocation> LocateAllgs(const gobin::Binary& binary) {
  if (const elf::Symbol* sym = binary.elf().FindSymbol("runtime.allgs")) {
    return AllgsLocation{sym->value, "symtab"};
  }
  if (binary.has_dwarf()) {
    if (auto dwarf = binary.dwarf(); dwarf.ok()) {
      if (const dwarf::Global* g = (*dwarf)->FindGlobal("runtime.allgs")) {
        return AllgsLocation{g->address, "dwarf"};
      }
    }
  }
  if (binary.machine() != elf::Machine::kX86_64) {
    return Unsupported("finding runtime.allgs in a stripped {} binary is not supported",
                       elf::MachineName(binary.machine()));
  }
  // allgs lives in writable data (.bss); any writable segment bounds the search.
  uint64_t data_begin = UINT64_MAX, data_end = 0;
  for (const elf::Segment& seg : binary.elf().segments()) {
    if (seg.type != PT_LOAD || !(seg.flags & PF_W)) continue;
    data_begin = std::min(data_begin, seg.vaddr);
    data_end = std::max(data_end, seg.vaddr + seg.mem_size);
  }
  for (const gobin::FuncRecord* f : binary.FindFunctions("runtime.allgadd")) {
    if (binary.IsWrapper(*f)) continue;
    auto code = binary.Code(*f);
    if (!code) continue;
    auto found = FindSliceReferencedByCode(f->entry, *code, data_begin, data_end);
    if (found.ok()) return AllgsLocation{*found, "code"};
  }
  return NotFound(
      "runtime.allgs not found (no symbol, no DWARF, and runtime.allgadd does not "
      "show it)");
}

}  // namespace gotap::goroutines
