// Disassembler::Analyze on hand-written arm64 functions. The words were assembled with clang 14
// (-target aarch64-linux-gnu) from the instructions in the comments, copying the shapes the Go
// compiler emits (obj7.go `stacksplit`, checked against esbuild 0.24.2 and the Go 1.19 fixture).
// Offsets are from the function entry; branch targets are shown as entry offsets.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "arch/disassembler.h"

namespace gotap::arch {
namespace {

constexpr uint64_t kEntry = 0x11000;

std::vector<uint8_t> ToBytes(const std::vector<uint32_t>& words) {
  std::vector<uint8_t> bytes(words.size() * 4);
  for (size_t i = 0; i < words.size(); ++i) {
    for (int b = 0; b < 4; ++b) bytes[i * 4 + b] = static_cast<uint8_t>(words[i] >> (8 * b));
  }
  return bytes;
}

CodeAnalysis Analyze(const std::vector<uint8_t>& code, uint64_t entry = kEntry) {
  auto disassembler = Disassembler::Create(Arch::kArm64);
  EXPECT_TRUE(disassembler.ok()) << disassembler.status().ToString();
  auto analysis = disassembler->Analyze(entry, Bytes(code.data(), code.size()));
  EXPECT_TRUE(analysis.ok()) << analysis.status().ToString();
  return analysis.ok() ? std::move(analysis).value() : CodeAnalysis{};
}

std::vector<uint64_t> At(std::initializer_list<uint64_t> offsets) {
  std::vector<uint64_t> out;
  for (uint64_t o : offsets) out.push_back(kEntry + o);
  return out;
}

// Small frame: MOVD 16(g), R16; CMP R16, RSP; BLS morestack; MOVD.W R30, -n(RSP).
TEST(ArchArm64Test, SmallFrame) {
  const std::vector<uint8_t> code = ToBytes({
      0xf9400b90,  // +0x00 ldr x16, [x28, #16]
      0xeb3063ff,  // +0x04 cmp sp, x16
      0x540000e9,  // +0x08 b.ls +0x24
      0xf81e0ffe,  // +0x0c str x30, [sp, #-32]!
      0xf81f83fd,  // +0x10 stur x29, [sp, #-8]
      0xd10023fd,  // +0x14 sub x29, sp, #8
      0xa97ffbfd,  // +0x18 ldp x29, x30, [sp, #-8]
      0x910083ff,  // +0x1c add sp, sp, #32
      0xd65f03c0,  // +0x20 ret
      0xaa1e03e3,  // +0x24 mov x3, x30
      0x97fffff6,  // +0x28 bl (runtime.morestack_noctxt)
      0x17fffff5,  // +0x2c b +0x00
      0x00000000,  // +0x30 padding
      0x00000000,  // +0x34 padding
  });
  const CodeAnalysis a = Analyze(code);
  EXPECT_EQ(a.end, kEntry + 0x38);
  EXPECT_EQ(a.return_sites, At({0x20})) << a.ToString();
  EXPECT_TRUE(a.has_stack_check);
  EXPECT_EQ(a.stack_check_branch, kEntry + 0x08);
  EXPECT_EQ(a.entry_probe, kEntry + 0x0c);
  EXPECT_EQ(a.entry_probe_kind, EntryProbeKind::kAfterStackCheck);
  EXPECT_EQ(a.entry_probe_mnemonic, "str");
  EXPECT_EQ(a.padding_bytes, 8u);
  EXPECT_EQ(a.undecodable_bytes, 0u);
  EXPECT_EQ(a.fixed_instruction_size, 4);
  EXPECT_TRUE(a.instruction_offsets.empty());
  EXPECT_TRUE(a.IsInstructionBoundary(kEntry + 0x2c));
  EXPECT_FALSE(a.IsInstructionBoundary(kEntry + 0x2e));
  EXPECT_FALSE(a.IsInstructionBoundary(kEntry + 0x30));  // padding
}

// Larger frame: SUB $n, RSP, R17; CMP R16, R17; BLS; the morestack block also spills R0.
TEST(ArchArm64Test, LargeFrame) {
  const std::vector<uint8_t> code = ToBytes({
      0xf9400b90,  // +0x00 ldr x16, [x28, #16]
      0xd10103f1,  // +0x04 sub x17, sp, #64
      0xeb10023f,  // +0x08 cmp x17, x16
      0x540000c9,  // +0x0c b.ls +0x24
      0xf8140ffe,  // +0x10 str x30, [sp, #-192]!
      0xf81f83fd,  // +0x14 stur x29, [sp, #-8]
      0xa97ffbfd,  // +0x18 ldp x29, x30, [sp, #-8]
      0x910303ff,  // +0x1c add sp, sp, #192
      0xd65f03c0,  // +0x20 ret
      0xf90007e0,  // +0x24 str x0, [sp, #8]
      0xaa1e03e3,  // +0x28 mov x3, x30
      0x97fffff5,  // +0x2c bl
      0xf94007e0,  // +0x30 ldr x0, [sp, #8]
      0x17fffff3,  // +0x34 b +0x00
  });
  const CodeAnalysis a = Analyze(code);
  EXPECT_EQ(a.return_sites, At({0x20}));
  EXPECT_EQ(a.stack_check_branch, kEntry + 0x0c);
  EXPECT_EQ(a.entry_probe, kEntry + 0x10);
  EXPECT_EQ(a.padding_bytes, 0u);
}

// Huge frame: SUBS sets carry on underflow (BLO), then the compare (BLS), both to morestack.
TEST(ArchArm64Test, HugeFrameTwoBranches) {
  const std::vector<uint8_t> code = ToBytes({
      0xf9400b90,  // +0x00 ldr x16, [x28, #16]
      0xd283f61b,  // +0x04 mov x27, #8112
      0xeb3b63f1,  // +0x08 subs x17, sp, x27
      0x54000103,  // +0x0c b.lo +0x2c
      0xeb10023f,  // +0x10 cmp x17, x16
      0x540000c9,  // +0x14 b.ls +0x2c
      0xd284061b,  // +0x18 mov x27, #8240
      0xcb3b63f4,  // +0x1c sub x20, sp, x27
      0xa93ffa9d,  // +0x20 stp x29, x30, [x20, #-8]
      0x9100029f,  // +0x24 mov sp, x20
      0xd65f03c0,  // +0x28 ret
      0xaa1e03e3,  // +0x2c mov x3, x30
      0x97fffff4,  // +0x30 bl
      0x17fffff3,  // +0x34 b +0x00
  });
  const CodeAnalysis a = Analyze(code);
  EXPECT_EQ(a.stack_check_branch, kEntry + 0x14);
  EXPECT_EQ(a.entry_probe, kEntry + 0x18);
  EXPECT_EQ(a.entry_probe_mnemonic, "movz");  // capstone 4 does not use the mov alias here
}

// `bl runtime.panic*; nop` falls through into the morestack block, as in Go's output.
TEST(ArchArm64Test, PanicPathFallingIntoMorestackIsNotTheCheck) {
  const std::vector<uint8_t> code = ToBytes({
      0xf9400b90,  // +0x00 ldr x16, [x28, #16]
      0xeb3063ff,  // +0x04 cmp sp, x16
      0x54000109,  // +0x08 b.ls +0x28
      0xf81e0ffe,  // +0x0c str x30, [sp, #-32]!
      0xf100041f,  // +0x10 cmp x0, #1
      0x54000068,  // +0x14 b.hi +0x20
      0xf84207fe,  // +0x18 ldr x30, [sp], #32
      0xd65f03c0,  // +0x1c ret
      0x97fffff8,  // +0x20 bl (runtime.panic*)
      0xd503201f,  // +0x24 nop
      0xaa1e03e3,  // +0x28 mov x3, x30
      0x97fffff5,  // +0x2c bl (runtime.morestack_noctxt)
      0x17fffff4,  // +0x30 b +0x00
  });
  const CodeAnalysis a = Analyze(code);
  EXPECT_EQ(a.stack_check_branch, kEntry + 0x08);
  EXPECT_EQ(a.entry_probe, kEntry + 0x0c);
  EXPECT_EQ(a.return_sites, At({0x1c}));
}

// A wrapper tail-calling through B, with no return.
TEST(ArchArm64Test, TailJumpWithoutReturn) {
  const std::vector<uint8_t> code = ToBytes({
      0xf9400b90,  // +0x00 ldr x16, [x28, #16]
      0xeb3063ff,  // +0x04 cmp sp, x16
      0x54000089,  // +0x08 b.ls +0x18
      0xf81f0ffe,  // +0x0c str x30, [sp, #-16]!
      0xf84107fe,  // +0x10 ldr x30, [sp], #16
      0x14000800,  // +0x14 b +0x2014 (another function)
      0xaa1e03e3,  // +0x18 mov x3, x30
      0x97fffff9,  // +0x1c bl
      0x17fffff8,  // +0x20 b +0x00
  });
  const CodeAnalysis a = Analyze(code);
  EXPECT_TRUE(a.return_sites.empty());
  EXPECT_EQ(a.tail_jump, kEntry + 0x2014);
  EXPECT_EQ(a.entry_probe, kEntry + 0x0c);
}

// Pointer-authenticated returns (ARMv8.3) count; a function with returns reports no tail jump.
TEST(ArchArm64Test, PacReturnsAndNoStackCheck) {
  const std::vector<uint8_t> code = ToBytes({
      0xd503233f,  // +0x00 paciasp
      0xb4000040,  // +0x04 cbz x0, +0x0c
      0xd65f0bff,  // +0x08 retaa
      0xd65f0fff,  // +0x0c retab
      0x14000400,  // +0x10 b +0x1010
      0x00000000,  // +0x14 padding
  });
  const CodeAnalysis a = Analyze(code);
  EXPECT_EQ(a.return_sites, At({0x08, 0x0c}));
  EXPECT_FALSE(a.tail_jump.has_value());
  EXPECT_FALSE(a.has_stack_check);
  EXPECT_EQ(a.entry_probe, kEntry);
  EXPECT_EQ(a.entry_probe_kind, EntryProbeKind::kFunctionStart);
  EXPECT_EQ(a.padding_bytes, 4u);
}

// A forward b.ls at the start that does not lead to a morestack block is not a stack check.
TEST(ArchArm64Test, ConditionalBranchToOrdinaryCode) {
  const std::vector<uint8_t> code = ToBytes({
      0xeb01001f,  // +0x00 cmp x0, x1
      0x54000049,  // +0x04 b.ls +0x0c
      0xd65f03c0,  // +0x08 ret
      0xd65f03c0,  // +0x0c ret
  });
  const CodeAnalysis a = Analyze(code);
  EXPECT_FALSE(a.has_stack_check);
  EXPECT_EQ(a.entry_probe_mnemonic, "cmp");
  EXPECT_EQ(a.return_sites, At({0x08, 0x0c}));
}

TEST(ArchArm64Test, TrailingPartialWordAndMisalignedEntry) {
  std::vector<uint8_t> code = ToBytes({0xd65f03c0});  // ret
  code.push_back(0x12);
  code.push_back(0x34);
  const CodeAnalysis a = Analyze(code);
  EXPECT_EQ(a.undecodable_bytes, 2u);
  EXPECT_EQ(a.return_sites, At({0x00}));

  auto disassembler = Disassembler::Create(Arch::kArm64);
  ASSERT_TRUE(disassembler.ok());
  EXPECT_EQ(disassembler->Analyze(kEntry + 2, Bytes(code.data(), 4)).status().code(),
            StatusCode::kMalformed);
  EXPECT_STREQ(ArchName(Arch::kArm64), "aarch64");
}

}  // namespace
}  // namespace gotap::arch
