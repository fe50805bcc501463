#include "arch/pc_relative.h"

#include <capstone/capstone.h>

#include <cstring>
#include <memory>
#include <optional>

namespace gotap::arch {
namespace {

std::vector<uint64_t> X86Addresses(csh handle, uint64_t entry, Bytes code) {
  std::vector<uint64_t> out;
  std::unique_ptr<cs_insn, void (*)(cs_insn*)> insn(cs_malloc(handle),
                                                    [](cs_insn* i) { cs_free(i, 1); });
  const uint8_t* at = code.data();
  size_t size = code.size();
  uint64_t address = entry;
  while (size > 0 && cs_disasm_iter(handle, &at, &size, &address, insn.get())) {
    const cs_insn& i = *insn;
    if (i.id != X86_INS_LEA || i.detail->x86.op_count != 2) continue;
    const cs_x86_op& src = i.detail->x86.operands[1];
    if (src.type != X86_OP_MEM || src.mem.base != X86_REG_RIP || src.mem.index != X86_REG_INVALID) {
      continue;
    }
    // RIP-relative operands count from the end of the instruction.
    out.push_back(i.address + i.size + static_cast<uint64_t>(src.mem.disp));
  }
  return out;
}

// arm64 words are decoded by hand: two encodings, fixed width, no capstone needed.
std::vector<uint64_t> Arm64Addresses(uint64_t entry, Bytes code) {
  std::vector<uint64_t> out;
  std::optional<uint64_t> page[32];  // register -> the page its last ADRP computed
  for (size_t off = 0; off + 4 <= code.size(); off += 4) {
    uint32_t w = 0;
    std::memcpy(&w, code.data() + off, 4);
    const uint64_t pc = entry + off;
    const unsigned rd = w & 31, rn = (w >> 5) & 31;
    if ((w & 0x9f000000u) == 0x90000000u) {  // ADRP Xd, #imm (imm = immhi:immlo << 12)
      uint64_t imm = (((w >> 5) & 0x7ffffu) << 2) | ((w >> 29) & 3u);
      int64_t delta = static_cast<int64_t>(imm << 43) >> 31;  // sign-extend 21 bits, << 12
      page[rd] = (pc & ~uint64_t{0xfff}) + static_cast<uint64_t>(delta);
      continue;
    }
    if ((w & 0xff800000u) == 0x91000000u && page[rn]) {  // ADD Xd, Xn, #imm12{, lsl #12}
      uint64_t imm = (w >> 10) & 0xfffu;
      if (w & (1u << 22)) imm <<= 12;
      out.push_back(*page[rn] + imm);
      page[rd].reset();
      continue;
    }
    // Any other instruction may overwrite Xd; forgetting it only loses a pair that is not
    // adjacent, which Go's linker never emits for an address (R_ADDRARM64 relocates both).
    page[rd].reset();
  }
  return out;
}

}  // namespace

StatusOr<std::vector<uint64_t>> PcRelativeAddresses(Arch arch, uint64_t entry, Bytes code) {
  if (arch == Arch::kArm64) {
    if (entry % 4 != 0) return Malformed("arm64 code at {:#x} is not 4-byte aligned", entry);
    return Arm64Addresses(entry, code);
  }
  csh handle = 0;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) {
    return Internal("capstone cannot open an x86-64 disassembler");
  }
  cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
  std::vector<uint64_t> out = X86Addresses(handle, entry, code);
  cs_close(&handle);
  return out;
}

}  // namespace gotap::arch
