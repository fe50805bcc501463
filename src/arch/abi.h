// Go's register ABI (ABIInternal) per architecture, and where a BPF program finds each register.
//
// Sources: Go's src/cmd/compile/abi-internal.md (amd64 since Go 1.17, arm64 since 1.18); the
// kernel's struct pt_regs (x86-64, arch/x86/include/uapi/asm/ptrace.h) and struct user_pt_regs
// (arm64, arch/arm64/include/uapi/asm/ptrace.h), which open the pt_regs a uprobe's BPF program
// receives; DWARF numbers from the System V x86-64 psABI and Arm's "DWARF for the Arm 64-bit
// Architecture". abi.cc pins the pt_regs offsets with static_asserts on a matching host.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "arch/arch.h"

namespace gotap::arch {

struct Register {
  const char* name;         // lowercase hardware name: "rax", "r14", "x28", "sp", "pc"
  uint16_t dwarf_number;    // DW_OP_reg<n> / DW_OP_breg<n> numbering
  uint16_t pt_regs_offset;  // byte offset of the 8-byte slot in the kernel's struct pt_regs
};

struct RegisterAbi {
  Arch arch;
  // Integer argument registers in assignment order; results reuse the same sequence from its
  // start (abi-internal.md resets the register index before assigning results).
  std::span<const Register> int_args;
  // Floating-point argument/result registers X0..X14 (amd64) or F0..F15 (arm64): only a count,
  // since pt_regs holds no vector registers and a BPF program cannot read them.
  uint8_t float_arg_count;
  uint16_t first_float_dwarf_number;  // xmm0 = 17 on x86-64, v0 = 64 on arm64
  Register g;                // the current goroutine's g, at calls and returns of ABIInternal code
  Register closure_context;  // a closure's context pointer at entry (both ABIs)
  Register stack_pointer;
  Register frame_pointer;
  Register program_counter;
  // arm64 x30 holds the return address at entry; on x86-64 it is at 0(SP), and this is
  // {nullptr, 0, 0}.
  Register link_register;
  // Every register in pt_regs that DWARF can name, for location expressions.
  std::span<const Register> general_registers;
};

// The table for `arch`; valid for the program's lifetime.
const RegisterAbi& GoRegisterAbi(Arch arch);

// The register with this DWARF number among GoRegisterAbi(arch).general_registers, or nullptr
// (e.g. a vector register, which BPF cannot read).
const Register* RegisterByDwarfNumber(Arch arch, uint16_t dwarf_number);

// The register named `name` (as in Register::name), or nullptr.
const Register* RegisterByName(Arch arch, std::string_view name);

}  // namespace gotap::arch
