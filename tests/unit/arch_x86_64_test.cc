// Disassembler::Analyze on hand-written x86-64 functions. Every byte sequence was assembled with
// GNU as 2.40 from the instructions in the comments, copying the shapes the Go compiler emits
// (obj6.go `stacksplit`, checked against esbuild and the Go 1.19 fixtures): offsets are from the
// function entry, jump targets are shown as entry offsets.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "arch/disassembler.h"

namespace gotap::arch {
namespace {

constexpr uint64_t kEntry = 0x401000;

CodeAnalysis Analyze(const std::vector<uint8_t>& code, uint64_t entry = kEntry) {
  auto disassembler = Disassembler::Create(Arch::kX86_64);
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

// Go 1.17-1.20 regabi, small frame: the check uses g in R14; the frame is built by SUBQ.
TEST(ArchX86_64Test, Go119SmallFrame) {
  const std::vector<uint8_t> code = {
      0x49, 0x3b, 0x66, 0x10,                    // +0x00 cmp rsp,[r14+0x10]
      0x76, 0x24,                                // +0x04 jbe +0x2a
      0x48, 0x83, 0xec, 0x18,                    // +0x06 sub rsp,0x18
      0x48, 0x89, 0x6c, 0x24, 0x10,              // +0x0a mov [rsp+0x10],rbp
      0x48, 0x8d, 0x6c, 0x24, 0x10,              // +0x0f lea rbp,[rsp+0x10]
      0xb8, 0xc3, 0x00, 0x00, 0x00,              // +0x14 mov eax,0xc3       (c3 in an imm)
      0x48, 0x8d, 0x0d, 0xc3, 0x00, 0x00, 0x00,  // +0x19 lea rcx,[rip+0xc3] (c3 in a disp)
      0x48, 0x8b, 0x6c, 0x24, 0x10,              // +0x20 mov rbp,[rsp+0x10]
      0x48, 0x83, 0xc4, 0x18,                    // +0x25 add rsp,0x18
      0xc3,                                      // +0x29 ret
      0x48, 0x89, 0x44, 0x24, 0x08,              // +0x2a mov [rsp+0x8],rax  (spill)
      0xe8, 0xcc, 0xff, 0xff, 0xff,              // +0x2f call (runtime.morestack_noctxt)
      0x48, 0x8b, 0x44, 0x24, 0x08,              // +0x34 mov rax,[rsp+0x8]
      0xeb, 0xc5,                                // +0x39 jmp +0x00
      0xcc, 0xcc, 0xcc,                          // +0x3b int3 padding
  };
  const CodeAnalysis a = Analyze(code);
  EXPECT_EQ(a.entry, kEntry);
  EXPECT_EQ(a.end, kEntry + code.size());
  EXPECT_EQ(a.return_sites, At({0x29})) << a.ToString();
  EXPECT_TRUE(a.has_stack_check);
  EXPECT_EQ(a.stack_check_branch, kEntry + 0x04);
  EXPECT_EQ(a.entry_probe, kEntry + 0x06);
  EXPECT_EQ(a.entry_probe_kind, EntryProbeKind::kAfterStackCheck);
  EXPECT_EQ(a.entry_probe_mnemonic, "sub");
  EXPECT_FALSE(a.tail_jump.has_value());
  EXPECT_EQ(a.undecodable_bytes, 0u);
  EXPECT_EQ(a.padding_bytes, 3u);
  EXPECT_EQ(a.fixed_instruction_size, 0);
  EXPECT_EQ(a.instruction_offsets.size(), 14u);
  EXPECT_TRUE(a.IsInstructionBoundary(kEntry + 0x14));
  EXPECT_FALSE(a.IsInstructionBoundary(kEntry + 0x15));  // the c3 inside mov eax,0xc3
  EXPECT_FALSE(a.IsInstructionBoundary(kEntry + 0x1c));  // the c3 inside the lea
  EXPECT_FALSE(a.IsInstructionBoundary(kEntry + 0x3b));  // padding
  EXPECT_FALSE(a.IsInstructionBoundary(kEntry - 1));
}

// Go >= 1.21: `push rbp` right after the check, the kernel-emulated once-per-call site.
TEST(ArchX86_64Test, Go121PushRbp) {
  const std::vector<uint8_t> code = {
      0x49, 0x3b, 0x66, 0x10,        // +0x00 cmp rsp,[r14+0x10]
      0x76, 0x1b,                    // +0x04 jbe +0x21
      0x55,                          // +0x06 push rbp
      0x48, 0x89, 0xe5,              // +0x07 mov rbp,rsp
      0x48, 0x83, 0xec, 0x10,        // +0x0a sub rsp,0x10
      0x48, 0x85, 0xc0,              // +0x0e test rax,rax
      0x74, 0x06,                    // +0x11 je +0x19
      0x48, 0x83, 0xc4, 0x10,        // +0x13 add rsp,0x10
      0x5d,                          // +0x17 pop rbp
      0xc3,                          // +0x18 ret
      0x31, 0xc0,                    // +0x19 xor eax,eax
      0x48, 0x83, 0xc4, 0x10,        // +0x1b add rsp,0x10
      0x5d,                          // +0x1f pop rbp
      0xc3,                          // +0x20 ret
      0x48, 0x89, 0x44, 0x24, 0x08,  // +0x21 mov [rsp+0x8],rax
      0xe8, 0xd5, 0xff, 0xff, 0xff,  // +0x26 call
      0x48, 0x8b, 0x44, 0x24, 0x08,  // +0x2b mov rax,[rsp+0x8]
      0xeb, 0xce,                    // +0x30 jmp +0x00
  };
  const CodeAnalysis a = Analyze(code);
  EXPECT_EQ(a.return_sites, At({0x18, 0x20}));
  EXPECT_EQ(a.stack_check_branch, kEntry + 0x04);
  EXPECT_EQ(a.entry_probe, kEntry + 0x06);
  EXPECT_EQ(a.entry_probe_mnemonic, "push");
  EXPECT_EQ(a.padding_bytes, 0u);
}

// Frames up to StackBig: LEAQ -(framesize-StackSmall)(SP), R12; CMPQ R12, 16(R14); JLS rel32.
TEST(ArchX86_64Test, LeaFormLargeFrame) {
  const std::vector<uint8_t> code = {
      0x4c, 0x8d, 0x64, 0x24, 0xf8,                    // +0x00 lea r12,[rsp-0x8]
      0x4d, 0x3b, 0x66, 0x10,                          // +0x05 cmp r12,[r14+0x10]
      0x0f, 0x86, 0x27, 0x00, 0x00, 0x00,              // +0x09 jbe +0x36
      0x48, 0x81, 0xec, 0x88, 0x00, 0x00, 0x00,        // +0x0f sub rsp,0x88
      0x48, 0x89, 0xac, 0x24, 0x80, 0x00, 0x00, 0x00,  // +0x16 mov [rsp+0x80],rbp
      0x48, 0x8d, 0xac, 0x24, 0x80, 0x00, 0x00, 0x00,  // +0x1e lea rbp,[rsp+0x80]
      0x48, 0x8b, 0xac, 0x24, 0x80, 0x00, 0x00, 0x00,  // +0x26 mov rbp,[rsp+0x80]
      0x48, 0x81, 0xc4, 0x88, 0x00, 0x00, 0x00,        // +0x2e add rsp,0x88
      0xc3,                                            // +0x35 ret
      0xe8, 0xc5, 0xff, 0xff, 0xff,                    // +0x36 call
      0xeb, 0xc3,                                      // +0x3b jmp +0x00
      0xcc, 0xcc, 0xcc,                                // +0x3d int3 padding
  };
  const CodeAnalysis a = Analyze(code);
  EXPECT_EQ(a.return_sites, At({0x35}));
  EXPECT_EQ(a.stack_check_branch, kEntry + 0x09);
  EXPECT_EQ(a.entry_probe, kEntry + 0x0f);
  EXPECT_EQ(a.entry_probe_mnemonic, "sub");
}

// Frames over StackBig (Go >= 1.17): MOVQ SP, R12; SUBQ $n, R12; JCS L; CMPQ R12, 16(R14); JLS L.
// Both branches go to the morestack block; the probe goes after the last one.
TEST(ArchX86_64Test, HugeFrameTwoBranches) {
  const std::vector<uint8_t> code = {
      0x49, 0x89, 0xe4,                          // +0x00 mov r12,rsp
      0x49, 0x81, 0xec, 0xa8, 0x1f, 0x00, 0x00,  // +0x03 sub r12,0x1fa8
      0x0f, 0x82, 0x1e, 0x00, 0x00, 0x00,        // +0x0a jb +0x2e
      0x4d, 0x3b, 0x66, 0x10,                    // +0x10 cmp r12,[r14+0x10]
      0x0f, 0x86, 0x14, 0x00, 0x00, 0x00,        // +0x14 jbe +0x2e
      0x55,                                      // +0x1a push rbp
      0x48, 0x89, 0xe5,                          // +0x1b mov rbp,rsp
      0x48, 0x81, 0xec, 0x20, 0x20, 0x00, 0x00,  // +0x1e sub rsp,0x2020
      0x48, 0x81, 0xc4, 0x20, 0x20, 0x00, 0x00,  // +0x25 add rsp,0x2020
      0x5d,                                      // +0x2c pop rbp
      0xc3,                                      // +0x2d ret
      0xe8, 0xcd, 0xff, 0xff, 0xff,              // +0x2e call
      0xeb, 0xcb,                                // +0x33 jmp +0x00
  };
  const CodeAnalysis a = Analyze(code);
  EXPECT_EQ(a.return_sites, At({0x2d}));
  EXPECT_EQ(a.stack_check_branch, kEntry + 0x14);
  EXPECT_EQ(a.entry_probe, kEntry + 0x1a);
  EXPECT_EQ(a.entry_probe_mnemonic, "push");
}

// ABI0 (Go <= 1.16, and assembly functions later): g is loaded from TLS first.
TEST(ArchX86_64Test, Abi0TlsLoad) {
  const std::vector<uint8_t> code = {
      0x64, 0x48, 0x8b, 0x0c, 0x25, 0xf8, 0xff, 0xff, 0xff,  // +0x00 mov rcx,fs:[-8]
      0x48, 0x3b, 0x61, 0x10,                                // +0x09 cmp rsp,[rcx+0x10]
      0x76, 0x18,                                            // +0x0d jbe +0x27
      0x48, 0x83, 0xec, 0x18,                                // +0x0f sub rsp,0x18
      0x48, 0x89, 0x6c, 0x24, 0x10,                          // +0x13 mov [rsp+0x10],rbp
      0x48, 0x8d, 0x6c, 0x24, 0x10,                          // +0x18 lea rbp,[rsp+0x10]
      0x48, 0x8b, 0x6c, 0x24, 0x10,                          // +0x1d mov rbp,[rsp+0x10]
      0x48, 0x83, 0xc4, 0x18,                                // +0x22 add rsp,0x18
      0xc3,                                                  // +0x26 ret
      0xe8, 0xd4, 0xff, 0xff, 0xff,                          // +0x27 call
      0xeb, 0xd2,                                            // +0x2c jmp +0x00
  };
  const CodeAnalysis a = Analyze(code);
  EXPECT_EQ(a.return_sites, At({0x26}));
  EXPECT_EQ(a.stack_check_branch, kEntry + 0x0d);
  EXPECT_EQ(a.entry_probe, kEntry + 0x0f);
  EXPECT_EQ(a.entry_probe_mnemonic, "sub");
}

// Go <= 1.16 huge frame: a preemption test (JEQ) and the size test (JLS), both to morestack.
TEST(ArchX86_64Test, Abi0HugeFrame) {
  const std::vector<uint8_t> code = {
      0x64, 0x48, 0x8b, 0x0c, 0x25, 0xf8, 0xff, 0xff, 0xff,  // +0x00 mov rcx,fs:[-8]
      0x48, 0x8b, 0x71, 0x10,                                // +0x09 mov rsi,[rcx+0x10]
      0x48, 0x81, 0xfe, 0xde, 0xfa, 0xff, 0xff,              // +0x0d cmp rsi,-0x522
      0x0f, 0x84, 0x26, 0x00, 0x00, 0x00,                    // +0x14 je +0x40
      0x48, 0x8d, 0x84, 0x24, 0xa0, 0x03, 0x00, 0x00,        // +0x1a lea rax,[rsp+0x3a0]
      0x48, 0x29, 0xf0,                                      // +0x22 sub rax,rsi
      0x48, 0x3d, 0x48, 0x23, 0x00, 0x00,                    // +0x25 cmp rax,0x2348
      0x0f, 0x86, 0x0f, 0x00, 0x00, 0x00,                    // +0x2b jbe +0x40
      0x48, 0x81, 0xec, 0x28, 0x20, 0x00, 0x00,              // +0x31 sub rsp,0x2028
      0x48, 0x81, 0xc4, 0x28, 0x20, 0x00, 0x00,              // +0x38 add rsp,0x2028
      0xc3,                                                  // +0x3f ret
      0xe8, 0xbb, 0xff, 0xff, 0xff,                          // +0x40 call
      0xeb, 0xb9,                                            // +0x45 jmp +0x00
  };
  const CodeAnalysis a = Analyze(code);
  EXPECT_EQ(a.return_sites, At({0x3f}));
  EXPECT_EQ(a.stack_check_branch, kEntry + 0x2b);
  EXPECT_EQ(a.entry_probe, kEntry + 0x31);
}

// A panic path (`call runtime.panic*; nop`) falls through into the morestack block. A branch to
// it from the body must not be taken for the stack check (runtime.makechan has this shape).
TEST(ArchX86_64Test, PanicPathFallingIntoMorestackIsNotTheCheck) {
  const std::vector<uint8_t> code = {
      0x49, 0x3b, 0x66, 0x10,                    // +0x00 cmp rsp,[r14+0x10]
      0x76, 0x1b,                                // +0x04 jbe +0x21
      0x55,                                      // +0x06 push rbp
      0x48, 0x89, 0xe5,                          // +0x07 mov rbp,rsp
      0x48, 0x3d, 0x00, 0x00, 0x01, 0x00,        // +0x0a cmp rax,0x10000
      0x73, 0x02,                                // +0x10 jae +0x14
      0x5d,                                      // +0x12 pop rbp
      0xc3,                                      // +0x13 ret
      0x48, 0x8d, 0x05, 0x00, 0x01, 0x00, 0x00,  // +0x14 lea rax,[rip+0x100]
      0xe8, 0xe0, 0xff, 0xff, 0xff,              // +0x1b call (runtime.panic*)
      0x90,                                      // +0x20 nop
      0x48, 0x89, 0x44, 0x24, 0x08,              // +0x21 mov [rsp+0x8],rax
      0xe8, 0xd5, 0xff, 0xff, 0xff,              // +0x26 call (runtime.morestack_noctxt)
      0x48, 0x8b, 0x44, 0x24, 0x08,              // +0x2b mov rax,[rsp+0x8]
      0xeb, 0xce,                                // +0x30 jmp +0x00
  };
  const CodeAnalysis a = Analyze(code);
  EXPECT_EQ(a.stack_check_branch, kEntry + 0x04);
  EXPECT_EQ(a.entry_probe, kEntry + 0x06);
  EXPECT_EQ(a.return_sites, At({0x13}));
}

// A wrapper that tail-calls: no RET, a JMP out of the function.
TEST(ArchX86_64Test, TailJumpWithoutReturn) {
  const std::vector<uint8_t> code = {
      0x49, 0x3b, 0x66, 0x10,        // +0x00 cmp rsp,[r14+0x10]
      0x76, 0x0a,                    // +0x04 jbe +0x10
      0x55,                          // +0x06 push rbp
      0x48, 0x89, 0xe5,              // +0x07 mov rbp,rsp
      0x5d,                          // +0x0a pop rbp
      0xe9, 0x00, 0x10, 0x00, 0x00,  // +0x0b jmp +0x1010 (another function)
      0xe8, 0xeb, 0xff, 0xff, 0xff,  // +0x10 call
      0xeb, 0xe9,                    // +0x15 jmp +0x00
      0xcc, 0xcc,                    // +0x17 int3 padding
  };
  const CodeAnalysis a = Analyze(code);
  EXPECT_TRUE(a.return_sites.empty());
  EXPECT_EQ(a.tail_jump, kEntry + 0x1010);
  EXPECT_EQ(a.entry_probe, kEntry + 0x06);
  EXPECT_EQ(a.padding_bytes, 2u);
}

// A leaf without a stack check, with every near-return form.
TEST(ArchX86_64Test, LeafWithReturnForms) {
  const std::vector<uint8_t> code = {
      0x48, 0x85, 0xc0,        // +0x00 test rax,rax
      0x74, 0x02,              // +0x03 je +0x07
      0xf3, 0xc3,              // +0x05 rep ret
      0x48, 0x83, 0xfb, 0x01,  // +0x07 cmp rbx,0x1
      0x75, 0x03,              // +0x0b jne +0x10   (a forward jcc, but not to morestack)
      0xc2, 0x08, 0x00,        // +0x0d ret 0x8
      0xc3,                    // +0x10 ret
  };
  const CodeAnalysis a = Analyze(code);
  EXPECT_EQ(a.return_sites, At({0x05, 0x0d, 0x10}));
  EXPECT_FALSE(a.has_stack_check);
  EXPECT_FALSE(a.stack_check_branch.has_value());
  EXPECT_EQ(a.entry_probe, kEntry);
  EXPECT_EQ(a.entry_probe_kind, EntryProbeKind::kFunctionStart);
  EXPECT_EQ(a.entry_probe_mnemonic, "test");
  EXPECT_FALSE(a.tail_jump.has_value());
}

// Bytes nothing decodes (push es and salc are invalid in 64-bit mode) are skipped one at a time.
TEST(ArchX86_64Test, UndecodableBytesAreSkipped) {
  const std::vector<uint8_t> code = {0x06, 0xd6, 0xc3, 0xcc};
  const CodeAnalysis a = Analyze(code);
  EXPECT_EQ(a.undecodable_bytes, 2u);
  EXPECT_EQ(a.return_sites, At({0x02}));
  EXPECT_EQ(a.padding_bytes, 1u);
  EXPECT_EQ(a.entry_probe_mnemonic, "");  // capstone cannot name the byte at entry either
}

// An instruction whose last bytes are 0xcc is decoded whole even though it runs into the run of
// int3 bytes at the end; only what follows it counts as padding.
TEST(ArchX86_64Test, InstructionEndingInCcBeforePadding) {
  const std::vector<uint8_t> code = {
      0xc3,                          // +0x00 ret
      0xb8, 0xcc, 0xcc, 0xcc, 0xcc,  // +0x01 mov eax,0xcccccccc
      0xcc, 0xcc,                    // +0x06 int3 padding
  };
  const CodeAnalysis a = Analyze(code);
  EXPECT_EQ(a.return_sites, At({0x00}));
  EXPECT_EQ(a.instruction_offsets, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(a.padding_bytes, 2u);
}

TEST(ArchX86_64Test, RejectsEmptyAndWrappingRanges) {
  auto disassembler = Disassembler::Create(Arch::kX86_64);
  ASSERT_TRUE(disassembler.ok());
  const uint8_t ret = 0xc3;
  EXPECT_EQ(disassembler->Analyze(kEntry, Bytes()).status().code(), StatusCode::kInvalidArgument);
  const std::vector<uint8_t> code(32, 0x90);
  EXPECT_EQ(
      disassembler->Analyze(~uint64_t{0} - 8, Bytes(code.data(), code.size())).status().code(),
      StatusCode::kMalformed);
  EXPECT_TRUE(disassembler->Analyze(kEntry, Bytes(&ret, 1)).ok());
}

TEST(ArchX86_64Test, MovedFromDisassemblerFailsCleanly) {
  auto created = Disassembler::Create(Arch::kX86_64);
  ASSERT_TRUE(created.ok());
  Disassembler first = std::move(created).value();
  Disassembler second = std::move(first);
  const uint8_t ret = 0xc3;
  EXPECT_TRUE(second.Analyze(kEntry, Bytes(&ret, 1)).ok());
  EXPECT_EQ(
      first.Analyze(kEntry, Bytes(&ret, 1)).status().code(),  // NOLINT(bugprone-use-after-move)
      StatusCode::kInternal);
  EXPECT_EQ(second.arch(), Arch::kX86_64);
  EXPECT_STREQ(ArchName(Arch::kX86_64), "x86_64");
}

TEST(ArchX86_64Test, ToStringNamesTheSites) {
  const std::vector<uint8_t> code = {0x55, 0x5d, 0xc3, 0xcc};
  const std::string text = Analyze(code).ToString();
  EXPECT_NE(text.find("entry_probe=0x401000 (function-start, push)"), std::string::npos) << text;
  EXPECT_NE(text.find("returns=[0x401002]"), std::string::npos) << text;
  EXPECT_NE(text.find("padding=1"), std::string::npos) << text;
}

}  // namespace
}  // namespace gotap::arch
