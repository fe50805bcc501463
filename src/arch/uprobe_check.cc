#include "arch/uprobe_check.h"

#include <fmt/format.h>

namespace gotap::arch {
namespace {

// The one-byte opcodes (after prefixes, or after a VEX/EVEX prefix) the kernel refuses, with
// what they are. Everything not listed here is accepted, including the 0f escape.
const char* RefusedOpcodeName(uint8_t op) {
  switch (op) {
    case 0x06:
    case 0x07:
    case 0x0e:
    case 0x16:
    case 0x17:
    case 0x1e:
    case 0x1f:
      return "segment register push/pop (invalid in 64-bit mode)";
    case 0x27:
    case 0x2f:
    case 0x37:
    case 0x3f:
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0x60:
    case 0x61:
    case 0x62:
    case 0x82:
      return "an opcode invalid in 64-bit mode";
    case 0x6c:
    case 0x6d:
    case 0x6e:
    case 0x6f:
      return "ins/outs";
    case 0x9a:
    case 0xea:
      return "far call/jmp";
    case 0xcc:
      return "int3";
    case 0xcd:
      return "int n";
    case 0xce:
      return "into";
    case 0xcf:
      return "iret";
    case 0xe4:
    case 0xe5:
    case 0xe6:
    case 0xe7:
    case 0xec:
    case 0xed:
    case 0xee:
    case 0xef:
      return "in/out";
    case 0xf1:
      return "int1";
    case 0xf4:
      return "hlt";
    case 0xfa:
    case 0xfb:
      return "cli/sti";
    default:
      return nullptr;
  }
}

bool IsLegacyPrefix(uint8_t b) {
  switch (b) {
    case 0x26:
    case 0x2e:
    case 0x36:
    case 0x3e:
    case 0x64:
    case 0x65:
    case 0x66:
    case 0x67:
    case 0xf0:
    case 0xf2:
    case 0xf3:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::optional<std::string> X86UprobeRefusal(Bytes code) {
  constexpr size_t kMaxInsn = 15;  // the architectural limit; longer prefix runs are #UD
  const size_t n = code.size() < kMaxInsn ? code.size() : kMaxInsn;
  size_t i = 0;
  bool has_opsize = false;
  for (; i < n && IsLegacyPrefix(code[i]); ++i) {
    const uint8_t p = code[i];
    has_opsize |= p == 0x66;
    if (p == 0xf0) return std::string("lock prefix (f0)");
    if (p != 0x64 && p != 0x65 && p != 0x66 && p != 0x67 && p != 0xf2 && p != 0xf3) {
      return fmt::format("{} segment prefix ({:02x})",
                         p == 0x26   ? "es"
                         : p == 0x2e ? "cs"
                         : p == 0x36 ? "ss"
                                     : "ds",
                         p);
    }
  }
  // A REX prefix makes c4/c5/62/d5 plain opcodes for the kernel's decoder; after legacy prefixes
  // they still start VEX/EVEX/REX2.
  const bool rex = i < n && (code[i] & 0xf0) == 0x40;
  if (rex) ++i;
  if (i >= n) return std::nullopt;
  const uint8_t first = code[i];
  size_t opcode_at = i;
  const char* encoding = "";
  if (!rex && first == 0xc5) {  // 2-byte VEX: c5 RvvvvLpp opcode
    opcode_at = i + 2;
    encoding = "VEX-encoded ";
  } else if (!rex && first == 0xc4) {  // 3-byte VEX: c4 RXBmmmmm WvvvvLpp opcode
    opcode_at = i + 3;
    encoding = "VEX-encoded ";
  } else if (!rex && first == 0x62) {  // EVEX: 62 P0 P1 P2 opcode
    opcode_at = i + 4;
    encoding = "EVEX-encoded ";
  } else if (!rex && first == 0xd5) {  // REX2 (APX): d5 payload opcode, whatever its map
    opcode_at = i + 2;
    encoding = "REX2-prefixed ";
  }
  if (opcode_at >= n) return std::nullopt;
  const uint8_t op = code[opcode_at];
  // The kernel emulates relative branches and refuses them with an operand-size prefix. It
  // recognizes them by the opcode byte alone, so a VEX-encoded 70-7f counts too.
  const bool jcc_rel32 =
      *encoding == '\0' && op == 0x0f && opcode_at + 1 < n && (code[opcode_at + 1] & 0xf0) == 0x80;
  const bool branch = (op >= 0x70 && op <= 0x7f) || op == 0xe8 || op == 0xe9 || op == 0xeb;
  if (has_opsize && (branch || jcc_rel32)) {
    return fmt::format("operand-size prefix (66) on a relative branch ({}opcode {:02x})", encoding,
                       op);
  }
  if (*encoding == '\0') {
    if (op == 0x0f) return std::nullopt;  // every other two- and three-byte opcode is accepted
    // mov ss, r/m: the kernel does not single-step instructions that mask exceptions.
    if (op == 0x8e && opcode_at + 1 < n && ((code[opcode_at + 1] >> 3) & 7) == 2) {
      return std::string("mov to ss (8e /2)");
    }
  }
  const char* name = RefusedOpcodeName(op);
  if (name == nullptr) return std::nullopt;
  if (*encoding == '\0') return fmt::format("{} ({:02x})", name, op);
  // The kernel's decoder puts the byte after the VEX/EVEX prefix where the one-byte opcode goes,
  // and the check looks it up in the one-byte table.
  return fmt::format("{}opcode {:02x} (the kernel checks it as the one-byte opcode: {})", encoding,
                     op, name);
}

bool X86KernelEmulates(Bytes code) {
  if (code.empty()) return false;
  uint8_t op = code[0];
  if (op == 0x41) {  // REX.B: push r8-r15 only
    return code.size() >= 2 && code[1] >= 0x50 && code[1] <= 0x57;
  }
  if (op >= 0x50 && op <= 0x57) return true;                // push reg
  if (op == 0xeb || op == 0xe9 || op == 0xe8) return true;  // jmp rel8/rel32, call rel32
  if (op == 0x90) return true;                              // nop
  if (op >= 0x70 && op <= 0x7f) return true;                // jcc rel8
  return op == 0x0f && code.size() >= 2 && code[1] >= 0x80 && code[1] <= 0x8f;  // jcc rel32
}

}  // namespace gotap::arch
