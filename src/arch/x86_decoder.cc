#include "arch/x86_decoder.h"

#include <array>
#include <cstring>

namespace gotap::arch::x86 {
namespace {

// Operand-shape flags per opcode. Prefix and escape bytes never reach a table lookup.
enum : uint8_t {
  kModRm = 1 << 0,
  kImm8 = 1 << 1,
  kImm16 = 1 << 2,
  kImmZ = 1 << 3,   // 2 bytes under 0x66 (without REX.W), else 4
  kImmV = 1 << 4,   // MOV r, imm (b8+r): 8 with REX.W, 2 under 0x66, else 4
  kMoffs = 1 << 5,  // MOV A0-A3: 8-byte address, 4 under 0x67
  kGroup = 1 << 6,  // validity or immediate depends on ModRM.reg; see GroupAdjust
  kSlow = 1 << 7,   // invalid, rare or irregular: leave it to capstone
};

using OpTable = std::array<uint8_t, 256>;

constexpr void Set(OpTable& t, int lo, int hi, uint8_t flags) {
  for (int i = lo; i <= hi; ++i) t[i] = flags;
}

constexpr OpTable MakeOneByteMap() {
  OpTable t{};
  for (int row = 0; row < 0x40; row += 8) {  // ADD OR ADC SBB AND SUB XOR CMP
    Set(t, row, row + 3, kModRm);
    t[row + 4] = kImm8;
    t[row + 5] = kImmZ;
    Set(t, row + 6, row + 7, kSlow);  // segment push/pop, BCD (invalid), prefixes, 0f escape
  }
  Set(t, 0x40, 0x4f, kSlow);  // REX (a second REX, or REX before a prefix)
  Set(t, 0x60, 0x62, kSlow);  // invalid in 64-bit mode; 62 is EVEX, handled before
  t[0x63] = kModRm;           // movsxd
  Set(t, 0x64, 0x67, kSlow);  // prefixes after REX
  t[0x68] = kImmZ;
  t[0x69] = kModRm | kImmZ;
  t[0x6a] = kImm8;
  t[0x6b] = kModRm | kImm8;
  Set(t, 0x70, 0x7f, kImm8);  // jcc rel8
  t[0x80] = kModRm | kImm8;
  t[0x81] = kModRm | kImmZ;
  t[0x82] = kSlow;
  t[0x83] = kModRm | kImm8;
  Set(t, 0x84, 0x8b, kModRm);
  Set(t, 0x8c, 0x8e, kModRm | kGroup);  // mov from/to segment registers, lea: some forms invalid
  t[0x8f] = kModRm | kGroup;            // pop r/m; other reg values are XOP
  t[0x9a] = kSlow;                      // far call
  Set(t, 0xa0, 0xa3, kMoffs);
  t[0xa8] = kImm8;
  t[0xa9] = kImmZ;
  Set(t, 0xb0, 0xb7, kImm8);
  Set(t, 0xb8, 0xbf, kImmV);
  t[0xc0] = t[0xc1] = kModRm | kImm8;
  t[0xc2] = kImm16;                   // ret imm16
  t[0xc4] = t[0xc5] = kSlow;          // VEX, handled before
  t[0xc6] = kModRm | kImm8 | kGroup;  // mov r/m8, imm8; xabort
  t[0xc7] = kModRm | kImmZ | kGroup;  // mov r/m, imm32; xbegin
  t[0xc8] = kImm16 | kImm8;           // enter
  t[0xca] = kImm16;                   // retf imm16
  t[0xcd] = kImm8;                    // int imm8
  t[0xce] = kSlow;                    // into (invalid)
  Set(t, 0xd0, 0xd3, kModRm);
  Set(t, 0xd4, 0xd6, kSlow);            // aam, aad, salc (invalid)
  Set(t, 0xd8, 0xdf, kModRm);           // x87
  Set(t, 0xe0, 0xe7, kImm8);            // loop*, jrcxz, in, out
  t[0xe8] = t[0xe9] = kImmZ;            // call/jmp rel32
  t[0xea] = kSlow;                      // far jmp
  t[0xeb] = kImm8;                      // jmp rel8
  t[0xf0] = t[0xf2] = t[0xf3] = kSlow;  // prefixes after REX
  t[0xf6] = t[0xf7] = kModRm | kGroup;  // group 3: test has an immediate
  t[0xfe] = t[0xff] = kModRm | kGroup;  // groups 4 and 5
  return t;
}

constexpr OpTable MakeTwoByteMap() {  // 0f xx
  OpTable t{};
  Set(t, 0x00, 0xff, kModRm);
  t[0x00] = t[0x01] = kSlow;  // system groups 6 and 7 (many reg-form special cases)
  t[0x04] = t[0x0a] = t[0x0c] = t[0x0e] = t[0x0f] = kSlow;
  Set(t, 0x05, 0x09, 0);      // syscall, clts, sysret, invd, wbinvd
  t[0x0b] = 0;                // ud2
  Set(t, 0x20, 0x27, kSlow);  // mov to/from control and debug registers ignore ModRM.mod
  Set(t, 0x30, 0x35, 0);      // wrmsr, rdtsc, rdmsr, rdpmc, sysenter, sysexit
  t[0x36] = kSlow;
  t[0x37] = 0;                // getsec
  Set(t, 0x38, 0x3f, kSlow);  // 38 and 3a are escapes handled before; the rest are invalid
  Set(t, 0x70, 0x73, kModRm | kImm8);
  t[0x77] = 0;                      // emms
  Set(t, 0x78, 0x7b, kSlow);        // vmread/vmwrite/extrq/insertq
  Set(t, 0x80, 0x8f, kImmZ);        // jcc rel32
  t[0xa0] = t[0xa1] = t[0xa2] = 0;  // push fs, pop fs, cpuid
  t[0xa4] = t[0xac] = kModRm | kImm8;
  t[0xa6] = t[0xa7] = kSlow;
  t[0xa8] = t[0xa9] = t[0xaa] = 0;  // push gs, pop gs, rsm
  t[0xb8] = kModRm | kGroup;        // popcnt only with f3
  t[0xb9] = kSlow;                  // ud1
  t[0xba] = kModRm | kImm8 | kGroup;
  t[0xc2] = kModRm | kImm8;
  Set(t, 0xc4, 0xc6, kModRm | kImm8);
  t[0xc7] = kSlow;        // group 9
  Set(t, 0xc8, 0xcf, 0);  // bswap
  t[0xff] = kSlow;        // ud0
  return t;
}

// 0f 38 xx: ModRM, no immediate. Only opcodes in common use; others go to capstone.
constexpr OpTable MakeMap0F38() {
  OpTable t{};
  Set(t, 0x00, 0xff, kSlow);
  Set(t, 0x00, 0x0b, kModRm);
  t[0x10] = t[0x14] = t[0x15] = t[0x17] = kModRm;
  Set(t, 0x1c, 0x1e, kModRm);
  Set(t, 0x20, 0x25, kModRm);
  Set(t, 0x28, 0x2b, kModRm);
  Set(t, 0x30, 0x35, kModRm);
  Set(t, 0x37, 0x41, kModRm);
  Set(t, 0xc8, 0xcd, kModRm);            // sha
  Set(t, 0xdb, 0xdf, kModRm);            // aes
  t[0xf0] = t[0xf1] = t[0xf6] = kModRm;  // movbe, crc32, adcx/adox
  return t;
}

// 0f 3a xx: ModRM and imm8. Only opcodes in common use.
constexpr OpTable MakeMap0F3A() {
  OpTable t{};
  Set(t, 0x00, 0xff, kSlow);
  Set(t, 0x08, 0x0f, kModRm | kImm8);
  Set(t, 0x14, 0x17, kModRm | kImm8);
  Set(t, 0x20, 0x22, kModRm | kImm8);
  Set(t, 0x40, 0x42, kModRm | kImm8);
  t[0x44] = kModRm | kImm8;  // pclmulqdq
  Set(t, 0x60, 0x63, kModRm | kImm8);
  t[0xcc] = t[0xdf] = kModRm | kImm8;  // sha1rnds4, aeskeygenassist
  return t;
}

// Legacy prefixes: which ones change operand sizes or mean REP.
enum : uint8_t { kNoPrefix = 0, kOpsize, kAddrsize, kRep, kOtherPrefix };

constexpr OpTable MakePrefixes() {
  OpTable t{};
  t[0x66] = kOpsize;
  t[0x67] = kAddrsize;
  t[0xf3] = kRep;
  for (int b : {0xf2, 0xf0, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65}) t[b] = kOtherPrefix;
  return t;
}

constexpr OpTable kPrefixes = MakePrefixes();
constexpr OpTable kOneByte = MakeOneByteMap();
constexpr OpTable kTwoByte = MakeTwoByteMap();
constexpr OpTable k0F38 = MakeMap0F38();
constexpr OpTable k0F3A = MakeMap0F3A();

// Bytes taken by ModRM, SIB and displacement at p[0..avail), or 0 if they do not fit.
size_t ModRmLength(const uint8_t* p, size_t avail) {
  if (avail == 0) return 0;
  const uint8_t mod = p[0] >> 6;
  const uint8_t rm = p[0] & 7;
  if (mod == 3) return 1;
  size_t n = 1;
  if (rm == 4) {
    if (avail < 2) return 0;
    n = 2;
    if (mod == 0 && (p[1] & 7) == 5) n += 4;  // [index*scale + disp32]
  } else if (mod == 0 && rm == 5) {
    n += 4;  // [rip + disp32]
  }
  if (mod == 1) n += 1;
  if (mod == 2) n += 4;
  return n <= avail ? n : 0;
}

int32_t ReadRel(const uint8_t* end, size_t width) {
  if (width == 1) return static_cast<int8_t>(end[-1]);
  int32_t v;
  std::memcpy(&v, end - 4, 4);
  return v;
}

// Immediate size of a VEX/EVEX instruction in opcode map `map` (1 = 0f, 2 = 0f38, 3 = 0f3a).
size_t VexImmediate(int map, uint8_t op) {
  if (map == 3) return 1;
  if (map == 1 && ((op >= 0x70 && op <= 0x73) || op == 0xc2 || (op >= 0xc4 && op <= 0xc6))) {
    return 1;
  }
  return 0;
}

// p points at the VEX (c4/c5) or EVEX (62) byte; n bytes are readable from there.
Insn DecodeVex(const uint8_t* p, size_t n) {
  size_t i;
  int map;
  const uint8_t kind = p[0];
  if (kind == 0xc5) {
    map = 1;
    i = 2;
  } else if (kind == 0xc4) {
    if (n < 2) return {};
    map = p[1] & 0x1f;
    i = 3;
  } else {  // EVEX: 62 P0 P1 P2; P0 bits 2-3 must be zero, P1 bit 2 must be one.
    if (n < 3) return {};
    if ((p[1] & 0x0c) != 0 || (p[2] & 0x04) == 0) return {};
    map = p[1] & 0x03;
    i = 4;
  }
  if (map < 1 || map > 3 || i >= n) return {};
  const uint8_t op = p[i++];
  if (map == 1 && op == 0x77) {  // vzeroupper / vzeroall: no ModRM, VEX only
    if (kind != 0xc5 && kind != 0xc4) return {};
    return Insn{static_cast<uint8_t>(i), Flow::kNone, 0};
  }
  const size_t modrm = ModRmLength(p + i, n - i);
  if (modrm == 0) return {};
  i += modrm + VexImmediate(map, op);
  if (i > n || i > 15) return {};
  return Insn{static_cast<uint8_t>(i), Flow::kNone, 0};
}

// Applies the ModRM.reg-dependent rules of group opcodes. Returns false to defer to capstone.
// imm_z is the size of a z-sized immediate under the current prefixes.
bool GroupAdjust(bool two_byte, uint8_t op, uint8_t modrm, bool rep, size_t imm_z, size_t* imm,
                 Flow* flow) {
  const uint8_t reg = (modrm >> 3) & 7;
  if (two_byte) {
    if (op == 0xb8) return rep;       // f3 0f b8 popcnt; without f3 it is jmpe
    if (op == 0xba) return reg >= 4;  // bt/bts/btr/btc imm8
    return false;
  }
  switch (op) {
    case 0x8c:  // mov r/m, Sreg: only es, cs, ss, ds, fs, gs
      return reg <= 5;
    case 0x8d:  // lea needs a memory operand
      return (modrm >> 6) != 3;
    case 0x8e:  // mov Sreg, r/m: not into cs
      return reg <= 5 && reg != 1;
    case 0x8f:  // pop r/m; reg != 0 is XOP
      return reg == 0;
    case 0xc6:  // mov r/m8, imm8; c6 f8 ib is xabort
    case 0xc7:  // mov r/m, imm32; c7 f8 is xbegin rel
      return reg == 0 || modrm == 0xf8;
    case 0xf6:  // test r/m8, imm8 has an immediate; not/neg/mul/imul/div/idiv do not
      if (reg == 1) return false;
      if (reg == 0) *imm += 1;
      return true;
    case 0xf7:
      if (reg == 1) return false;
      if (reg == 0) *imm += imm_z;
      return true;
    case 0xfe:  // inc/dec r/m8
      return reg <= 1;
    case 0xff:  // inc, dec, call r/m, (far call), jmp r/m, (far jmp), push r/m
      if (reg == 3 || reg == 5 || reg == 7) return false;
      if (reg == 4) *flow = Flow::kIndirectJump;
      return true;
  }
  return false;
}

}  // namespace

Insn Decode(Bytes code) {
  const uint8_t* p = code.data();
  const size_t n = code.size() < 15 ? code.size() : 15;
  size_t i = 0;
  bool opsize = false, addrsize = false, rep = false;
  for (; i < n; ++i) {
    const uint8_t kind = kPrefixes[p[i]];
    if (kind == kNoPrefix) break;
    opsize |= kind == kOpsize;
    addrsize |= kind == kAddrsize;
    rep |= kind == kRep;
  }
  bool rex_w = false;
  if (i < n && (p[i] & 0xf0) == 0x40) {
    rex_w = (p[i] & 0x08) != 0;
    ++i;
  }
  if (i >= n) return {};
  const uint8_t first = p[i];
  if (first == 0xc4 || first == 0xc5 || first == 0x62) {
    if (i != 0) return {};  // legacy prefixes or REX before VEX/EVEX are #UD
    return DecodeVex(p, n);
  }
  ++i;
  bool two_byte = false;
  uint8_t op = first;
  uint8_t flags;
  if (first == 0x0f) {
    if (i >= n) return {};
    op = p[i++];
    if (op == 0x38 || op == 0x3a) {
      if (i >= n) return {};
      flags = (op == 0x38 ? k0F38 : k0F3A)[p[i++]];
    } else {
      two_byte = true;
      flags = kTwoByte[op];
    }
  } else {
    flags = kOneByte[op];
  }
  if (flags & kSlow) return {};

  const size_t imm_z = (opsize && !rex_w) ? 2 : 4;
  size_t imm = 0;
  if (flags & kImm8) imm += 1;
  if (flags & kImm16) imm += 2;
  if (flags & kImmZ) imm += imm_z;
  if (flags & kImmV) imm += rex_w ? 8 : (opsize ? 2 : 4);
  if (flags & kMoffs) imm += addrsize ? 4 : 8;

  Flow flow = Flow::kNone;
  size_t rel_width = 0;
  if (two_byte) {
    if (op >= 0x80 && op <= 0x8f) {
      if (opsize) return {};  // jcc rel16: vendor-dependent, leave to capstone
      flow = Flow::kCondJump;
      rel_width = 4;
    }
  } else if (first == 0x0f) {
    // three-byte maps: no flow
  } else if (op >= 0x70 && op <= 0x7f) {
    flow = Flow::kCondJump;
    rel_width = 1;
  } else if (op == 0xeb) {
    flow = Flow::kJump;
    rel_width = 1;
  } else if (op == 0xe8 || op == 0xe9) {
    if (opsize) return {};
    flow = op == 0xe8 ? Flow::kCall : Flow::kJump;
    rel_width = 4;
  } else if (op == 0xc2 || op == 0xc3) {
    flow = Flow::kReturn;
  }

  if (flags & kModRm) {
    const size_t modrm = ModRmLength(p + i, n - i);
    if (modrm == 0) return {};
    if ((flags & kGroup) && !GroupAdjust(two_byte, op, p[i], rep, imm_z, &imm, &flow)) return {};
    i += modrm;
  }
  i += imm;
  if (i > n) return {};
  Insn insn{static_cast<uint8_t>(i), flow, 0};
  if (rel_width != 0) insn.rel = ReadRel(p + i, rel_width);
  return insn;
}

}  // namespace gotap::arch::x86
