#include "arch/arg_load_tracker.h"

#include <capstone/capstone.h>

#include <map>
#include <memory>
#include <string>

namespace gotap::arch {
namespace {

// Where a tracked value came from: a load at `displacement` from a non-stack base register.
using Origin = std::optional<int64_t>;

// Canonical 64-bit name of a general-purpose register ("eax" -> "rax", "w3" -> "x3").
std::string Canonical(csh handle, unsigned reg, Arch arch) {
  const char* raw = cs_reg_name(handle, reg);
  if (raw == nullptr) return "";
  std::string name(raw);
  if (arch == Arch::kArm64) {
    if (!name.empty() && name[0] == 'w') name[0] = 'x';
    return name;
  }
  static const std::map<std::string, std::string> kLegacy = {
      {"eax", "rax"}, {"ax", "rax"},  {"al", "rax"},  {"ebx", "rbx"}, {"bx", "rbx"},
      {"bl", "rbx"},  {"ecx", "rcx"}, {"cx", "rcx"},  {"cl", "rcx"},  {"edx", "rdx"},
      {"dx", "rdx"},  {"dl", "rdx"},  {"esi", "rsi"}, {"si", "rsi"},  {"sil", "rsi"},
      {"edi", "rdi"}, {"di", "rdi"},  {"dil", "rdi"}, {"ebp", "rbp"}, {"esp", "rsp"}};
  if (auto it = kLegacy.find(name); it != kLegacy.end()) return it->second;
  if (name.size() > 2 && name[0] == 'r' && std::isdigit(static_cast<unsigned char>(name[1]))) {
    while (!name.empty() && !std::isdigit(static_cast<unsigned char>(name.back()))) name.pop_back();
  }
  return name;
}

struct CsHandle {
  csh handle = 0;
  ~CsHandle() {
    if (handle != 0) cs_close(&handle);
  }
};

}  // namespace

std::optional<int64_t> FindFirstArgumentLoad(const ArgLoadQuery& q) {
  CsHandle cs;
  bool x86 = q.arch == Arch::kX86_64;
  if (cs_open(x86 ? CS_ARCH_X86 : CS_ARCH_ARM64, x86 ? CS_MODE_64 : CS_MODE_ARM, &cs.handle) !=
      CS_ERR_OK) {
    return std::nullopt;
  }
  cs_option(cs.handle, CS_OPT_DETAIL, CS_OPT_ON);
  std::unique_ptr<cs_insn, void (*)(cs_insn*)> insn(cs_malloc(cs.handle),
                                                    [](cs_insn* i) { cs_free(i, 1); });
  const std::string sp = x86 ? "rsp" : "sp";
  const std::string first_arg = x86 ? "rax" : "x0";
  // ABI0 passes the first argument at 0(SP) (amd64) or 8(RSP) (arm64, above the saved LR).
  const int64_t stack_arg = x86 ? 0 : 8;
  std::map<std::string, Origin> regs;
  std::map<int64_t, Origin> slots;  // stack-pointer-relative slot -> origin

  const uint8_t* code = q.code.data();
  size_t size = q.code.size();
  uint64_t address = q.entry;
  while (size > 0 && cs_disasm_iter(cs.handle, &code, &size, &address, insn.get())) {
    const cs_insn& i = *insn;
    std::string mnemonic = i.mnemonic;
    bool is_call = x86 ? mnemonic == "call" : mnemonic == "bl";
    if (is_call) {
      uint64_t target = 0;
      if (x86 && i.detail->x86.op_count == 1 && i.detail->x86.operands[0].type == X86_OP_IMM) {
        target = i.detail->x86.operands[0].imm;
      } else if (!x86 && i.detail->arm64.op_count == 1 &&
                 i.detail->arm64.operands[0].type == ARM64_OP_IMM) {
        target = i.detail->arm64.operands[0].imm;
      }
      if (q.callees.count(target)) {
        return q.register_abi ? regs[first_arg] : slots[stack_arg];
      }
      regs.clear();  // calls clobber every register under Go's ABIs
      continue;
    }
    // Loads, stores and register copies of 8-byte values.
    if (x86 && mnemonic == "mov" && i.detail->x86.op_count == 2) {
      const cs_x86_op& dst = i.detail->x86.operands[0];
      const cs_x86_op& src = i.detail->x86.operands[1];
      if (dst.type == X86_OP_REG && dst.size == 8 && src.type == X86_OP_MEM) {
        std::string base = Canonical(cs.handle, src.mem.base, q.arch);
        Origin o = base == sp ? slots[src.mem.disp] : Origin(src.mem.disp);
        if (src.mem.index != X86_REG_INVALID) o.reset();
        regs[Canonical(cs.handle, dst.reg, q.arch)] = o;
        continue;
      }
      if (dst.type == X86_OP_MEM && src.type == X86_OP_REG && src.size == 8 &&
          Canonical(cs.handle, dst.mem.base, q.arch) == sp) {
        slots[dst.mem.disp] = regs[Canonical(cs.handle, src.reg, q.arch)];
        continue;
      }
      if (dst.type == X86_OP_REG && src.type == X86_OP_REG && dst.size == 8) {
        regs[Canonical(cs.handle, dst.reg, q.arch)] = regs[Canonical(cs.handle, src.reg, q.arch)];
        continue;
      }
    }
    if (!x86 && (mnemonic == "ldr" || mnemonic == "str" || mnemonic == "mov") &&
        i.detail->arm64.op_count == 2) {
      const cs_arm64_op& a = i.detail->arm64.operands[0];
      const cs_arm64_op& b = i.detail->arm64.operands[1];
      std::string reg = a.type == ARM64_OP_REG ? Canonical(cs.handle, a.reg, q.arch) : "";
      bool x_reg = !reg.empty() && cs_reg_name(cs.handle, a.reg)[0] == 'x';
      if (mnemonic == "ldr" && x_reg && b.type == ARM64_OP_MEM &&
          b.mem.index == ARM64_REG_INVALID) {
        std::string base = Canonical(cs.handle, b.mem.base, q.arch);
        regs[reg] = base == sp ? slots[b.mem.disp] : Origin(b.mem.disp);
        continue;
      }
      if (mnemonic == "str" && x_reg && b.type == ARM64_OP_MEM &&
          Canonical(cs.handle, b.mem.base, q.arch) == sp && !i.detail->arm64.writeback) {
        slots[b.mem.disp] = regs[reg];
        continue;
      }
      if (mnemonic == "mov" && x_reg && b.type == ARM64_OP_REG) {
        regs[reg] = regs[Canonical(cs.handle, b.reg, q.arch)];
        continue;
      }
    }
    // Anything else that writes a register forgets what it held.
    cs_regs read, written;
    uint8_t read_count = 0, written_count = 0;
    if (cs_regs_access(cs.handle, &i, read, &read_count, written, &written_count) == CS_ERR_OK) {
      for (uint8_t k = 0; k < written_count; ++k) {
        std::string name = Canonical(cs.handle, written[k], q.arch);
        if (name == sp) slots.clear();  // the frame moved: slot offsets no longer line up
        regs.erase(name);
      }
    } else {
      regs.clear();
    }
  }
  return std::nullopt;
}

}  // namespace gotap::arch
