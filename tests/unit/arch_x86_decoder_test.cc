// The table-driven x86-64 length decoder: hand-picked encodings, then differential checks
// against capstone on pseudo-random bytes (real binaries: arch_real_binary_test.cc).
#include "arch/x86_decoder.h"

#include <capstone/capstone.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace gotap::arch::x86 {
namespace {

struct Case {
  std::vector<uint8_t> bytes;  // the instruction, possibly followed by unrelated bytes
  int length;                  // expected; 0 = left to capstone
  Flow flow = Flow::kNone;
  int32_t rel = 0;
};

std::string Hex(const std::vector<uint8_t>& bytes) {
  std::string out;
  for (uint8_t b : bytes) out += fmt::format("{:02x} ", b);
  return out;
}

TEST(ArchX86DecoderTest, HandPickedEncodings) {
  const std::vector<Case> cases = {
      {{0x90}, 1},                                                        // nop
      {{0x55}, 1},                                                        // push rbp
      {{0xc3}, 1, Flow::kReturn},                                         // ret
      {{0xf3, 0xc3}, 2, Flow::kReturn},                                   // rep ret
      {{0xc2, 0x08, 0x00}, 3, Flow::kReturn},                             // ret 8
      {{0xcb}, 1},                                                        // retf: not near
      {{0x49, 0x3b, 0x66, 0x10}, 4},                                      // cmp rsp,[r14+16]
      {{0x76, 0x37}, 2, Flow::kCondJump, 0x37},                           // jbe +0x37
      {{0x76, 0xf0}, 2, Flow::kCondJump, -16},                            // jbe -16
      {{0x0f, 0x86, 0x2a, 0x05, 0x00, 0x00}, 6, Flow::kCondJump, 0x52a},  // jbe rel32
      {{0xe9, 0xfc, 0xff, 0xff, 0xff}, 5, Flow::kJump, -4},               // jmp rel32
      {{0xeb, 0x05}, 2, Flow::kJump, 5},                                  // jmp rel8
      {{0xe8, 0x10, 0x00, 0x00, 0x00}, 5, Flow::kCall, 0x10},             // call rel32
      {{0xff, 0xe0}, 2, Flow::kIndirectJump},                             // jmp rax
      {{0xff, 0x24, 0xc5, 0, 0, 0, 0}, 7, Flow::kIndirectJump},           // jmp [rax*8+0]
      {{0xff, 0xd0}, 2},                                                  // call rax
      {{0x64, 0x48, 0x8b, 0x0c, 0x25, 0xf8, 0xff, 0xff, 0xff}, 9},        // mov rcx,fs:[-8]
      {{0x48, 0x8d, 0x05, 0xc3, 0x00, 0x00, 0x00}, 7},                    // lea rax,[rip+0xc3]
      {{0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8}, 10},                         // mov rax,imm64
      {{0x66, 0xb8, 0x34, 0x12}, 4},                                      // mov ax,imm16
      {{0xa1, 1, 2, 3, 4, 5, 6, 7, 8}, 9},                                // mov eax,[moffs64]
      {{0x67, 0xa1, 1, 2, 3, 4}, 6},                                      // mov eax,[moffs32]
      {{0xf6, 0xc1, 0x01}, 3},                                            // test cl,1
      {{0xf7, 0xc1, 1, 0, 0, 0}, 6},                                      // test ecx,1
      {{0x66, 0xf7, 0xc1, 1, 0}, 5},                                      // test cx,1
      {{0xf7, 0xd8}, 2},                                                  // neg eax
      {{0x48, 0x81, 0xec, 0x88, 0, 0, 0}, 7},                             // sub rsp,0x88
      {{0xc8, 0x10, 0x00, 0x01}, 4},                                      // enter 16,1
      {{0xf3, 0x0f, 0x1e, 0xfa}, 4},                                      // endbr64
      {{0x0f, 0x1f, 0x44, 0x00, 0x00}, 5},                                // nop5
      {{0x66, 0x0f, 0x38, 0x00, 0xc1}, 5},                                // pshufb
      {{0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x08}, 6},                          // palignr imm8
      {{0xf3, 0x48, 0x0f, 0xb8, 0xc1}, 5},                                // popcnt rax,rcx
      {{0xc5, 0xfd, 0x6f, 0x06}, 4},                                      // vmovdqa ymm0,[rsi]
      {{0xc4, 0xe3, 0x7d, 0x39, 0xc1, 0x01}, 6},                          // vextracti128
      {{0xc4, 0x42, 0x7d, 0x5a, 0x60, 0x20}, 6},                          // vbroadcasti128
      {{0xc5, 0xf8, 0x77}, 3},                                            // vzeroupper
      {{0x62, 0xf1, 0x7c, 0x48, 0x10, 0x44, 0x24, 0x01}, 8},              // vmovups zmm0,[]
      {{0x62, 0xf3, 0x7d, 0x48, 0x3b, 0xc1, 0x01}, 7},                    // vextracti32x8
      {{0x0f, 0x01, 0xd0}, 0},                                            // xgetbv: capstone
      {{0x06}, 0},                                                        // invalid
      {{0x8d, 0xc0}, 0},                                                  // lea with mod=3
      {{0x48, 0x8b}, 0},                                                  // truncated
      {{0xe8, 0x00, 0x00}, 0},                                            // truncated rel32
      {{0x66, 0xe9, 0x00, 0x00}, 0},                                      // jmp rel16
  };
  for (const Case& c : cases) {
    const Insn insn = Decode(Bytes(c.bytes.data(), c.bytes.size()));
    EXPECT_EQ(insn.length, c.length) << Hex(c.bytes);
    if (c.length == 0) continue;
    EXPECT_EQ(insn.flow, c.flow) << Hex(c.bytes);
    EXPECT_EQ(insn.rel, c.rel) << Hex(c.bytes);
  }
}

// Wherever both decoders measure an instruction, they agree on its length and on RET.
TEST(ArchX86DecoderTest, AgreesWithCapstoneOnRandomBytes) {
  csh handle;
  ASSERT_EQ(cs_open(CS_ARCH_X86, CS_MODE_64, &handle), CS_ERR_OK);
  cs_insn* insn = cs_malloc(handle);
  std::mt19937_64 rng(20240601);
  int both = 0, mismatches = 0;
  for (int i = 0; i < 300000; ++i) {
    uint8_t buf[16];
    for (uint8_t& b : buf) b = static_cast<uint8_t>(rng());
    switch (i % 4) {  // bias towards REX and the two-byte maps
      case 1:
        buf[0] = 0x48 | (buf[0] & 7);
        break;
      case 2:
        buf[0] = 0x0f;
        break;
      case 3:
        buf[0] = 0x66;
        buf[1] = 0x0f;
        break;
    }
    const Insn mine = Decode(Bytes(buf, sizeof(buf)));
    const uint8_t* data = buf;
    size_t size = sizeof(buf);
    uint64_t address = 0x1000;
    if (mine.length == 0 || !cs_disasm_iter(handle, &data, &size, &address, insn)) continue;
    ++both;
    const bool same =
        mine.length == insn->size && (mine.flow == Flow::kReturn) == (insn->id == X86_INS_RET);
    if (!same && ++mismatches <= 10) {
      ADD_FAILURE() << Hex(std::vector<uint8_t>(buf, buf + 15)) << " mine=" << int{mine.length}
                    << " capstone=" << insn->size << " " << insn->mnemonic << " " << insn->op_str;
    }
  }
  cs_free(insn, 1);
  cs_close(&handle);
  EXPECT_EQ(mismatches, 0);
  EXPECT_GT(both, 200000);
}

}  // namespace
}  // namespace gotap::arch::x86
