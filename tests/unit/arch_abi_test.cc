// Register ABI tables: Go's assignment order (abi-internal.md) and the pt_regs offsets.
#include "arch/abi.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace gotap::arch {
namespace {

std::vector<std::string> Names(std::span<const Register> regs) {
  std::vector<std::string> out;
  for (const Register& r : regs) out.emplace_back(r.name);
  return out;
}

TEST(ArchAbiTest, Amd64) {
  const RegisterAbi& abi = GoRegisterAbi(Arch::kX86_64);
  EXPECT_EQ(abi.arch, Arch::kX86_64);
  EXPECT_EQ(Names(abi.int_args), (std::vector<std::string>{"rax", "rbx", "rcx", "rdi", "rsi", "r8",
                                                           "r9", "r10", "r11"}));
  EXPECT_EQ(abi.float_arg_count, 15);
  EXPECT_STREQ(abi.g.name, "r14");
  EXPECT_STREQ(abi.closure_context.name, "rdx");
  EXPECT_STREQ(abi.stack_pointer.name, "rsp");
  EXPECT_EQ(abi.link_register.name, nullptr);
  // struct pt_regs: r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip cs
  // eflags rsp ss.
  EXPECT_EQ(abi.int_args[0].pt_regs_offset, 10 * 8);  // rax
  EXPECT_EQ(abi.int_args[1].pt_regs_offset, 5 * 8);   // rbx
  EXPECT_EQ(abi.int_args[8].pt_regs_offset, 6 * 8);   // r11
  EXPECT_EQ(abi.g.pt_regs_offset, 1 * 8);             // r14
  EXPECT_EQ(abi.stack_pointer.pt_regs_offset, 19 * 8);
  EXPECT_EQ(abi.program_counter.pt_regs_offset, 16 * 8);
  // DWARF (System V psABI): rax 0, rdx 1, rcx 2, rbx 3, ..., r14 14, xmm0 17.
  EXPECT_EQ(abi.int_args[1].dwarf_number, 3);
  EXPECT_EQ(abi.g.dwarf_number, 14);
  EXPECT_EQ(abi.first_float_dwarf_number, 17);
}

TEST(ArchAbiTest, Arm64) {
  const RegisterAbi& abi = GoRegisterAbi(Arch::kArm64);
  ASSERT_EQ(abi.int_args.size(), 16u);
  for (size_t i = 0; i < abi.int_args.size(); ++i) {
    EXPECT_EQ(abi.int_args[i].name, "x" + std::to_string(i));
    EXPECT_EQ(abi.int_args[i].dwarf_number, i);
    EXPECT_EQ(abi.int_args[i].pt_regs_offset, 8 * i);  // user_pt_regs.regs[i]
  }
  EXPECT_EQ(abi.float_arg_count, 16);
  EXPECT_STREQ(abi.g.name, "x28");
  EXPECT_EQ(abi.g.pt_regs_offset, 28 * 8);
  EXPECT_STREQ(abi.closure_context.name, "x26");
  EXPECT_STREQ(abi.link_register.name, "x30");
  EXPECT_EQ(abi.stack_pointer.pt_regs_offset, 31 * 8);  // after regs[31]
  EXPECT_EQ(abi.program_counter.pt_regs_offset, 32 * 8);
  EXPECT_EQ(abi.first_float_dwarf_number, 64);
}

TEST(ArchAbiTest, GeneralRegistersAreDistinctSlots) {
  for (Arch arch : {Arch::kX86_64, Arch::kArm64}) {
    std::set<int> offsets, dwarf;
    for (const Register& r : GoRegisterAbi(arch).general_registers) {
      EXPECT_TRUE(offsets.insert(r.pt_regs_offset).second) << r.name;
      EXPECT_TRUE(dwarf.insert(r.dwarf_number).second) << r.name;
      EXPECT_EQ(r.pt_regs_offset % 8, 0) << r.name;
      EXPECT_EQ(RegisterByDwarfNumber(arch, r.dwarf_number), &r);
      EXPECT_EQ(RegisterByName(arch, r.name), &r);
    }
  }
  EXPECT_EQ(RegisterByDwarfNumber(Arch::kX86_64, 17), nullptr);  // xmm0: not in pt_regs
  EXPECT_EQ(RegisterByName(Arch::kArm64, "rax"), nullptr);
  EXPECT_EQ(RegisterByName(Arch::kX86_64, "rdx")->pt_regs_offset, 12 * 8);
}

}  // namespace
}  // namespace gotap::arch
