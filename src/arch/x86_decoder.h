// A table-driven x86-64 instruction-length decoder for linear sweeps over Go text.
//
// Why not capstone alone: capstone 4 formats text for every instruction even with detail off, and
// sweeps ~3.5 M instructions/s here, i.e. ~350 ms for a 5 MB Go text; this decoder only measures
// instructions and classifies control flow. It also measures VEX instructions capstone 4 rejects
// (e.g. VBROADCASTI128 `c4 42 7d 5a`, used by Go's chacha20poly1305), where capstone would lose
// synchronization. It covers the legacy one- and two-byte maps, 0F38/0F3A, VEX and EVEX (maps 1-3).
// Everything else (most invalid opcodes, XOP, 3DNow!, far branches, system opcodes, EVEX maps >= 4)
// yields length 0, and the caller asks capstone. Some invalid encodings (undefined VEX opcodes,
// x87 register forms, misplaced LOCK) are still measured: code from a compiler never contains
// them, and their length is well defined. Internal to src/arch (and its tests).
#pragma once

#include <cstdint>

#include "base/byte_reader.h"

namespace gotap::arch::x86 {

enum class Flow : uint8_t {
  kNone,          // falls through, or a transfer we do not track (loop, call r/m, xbegin)
  kReturn,        // near RET: c3 or c2 iw, with any prefixes (f3 c3 is "rep ret")
  kCondJump,      // jcc rel8 / jcc rel32
  kJump,          // jmp rel8 / jmp rel32
  kCall,          // call rel32
  kIndirectJump,  // jmp r/m64 (ff /4)
};

struct Insn {
  uint8_t length = 0;  // 0: not measured by the fast path; never more than the bytes given
  Flow flow = Flow::kNone;
  // For kCondJump, kJump and kCall: target = (address of the instruction) + length + rel.
  int32_t rel = 0;
};

// Measures the instruction at the start of `code` (in 64-bit mode). Reads only inside `code`.
Insn Decode(Bytes code);

}  // namespace gotap::arch::x86
