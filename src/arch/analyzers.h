// Internal to src/arch: the per-architecture sweeps behind Disassembler::Analyze.
#pragma once

#include <cstdint>
#include <string>

#include "arch/code_analysis.h"
#include "base/byte_reader.h"

struct cs_insn;

namespace gotap::arch::internal {

// A borrowed view of a Disassembler's capstone handle, for the instructions the fast paths leave.
class CapstoneView {
 public:
  CapstoneView(size_t handle, cs_insn* insn) : handle_(handle), insn_(insn) {}

  struct Measured {
    uint8_t length = 0;  // 0: capstone cannot decode it
    bool is_return = false;
  };
  Measured Measure(uint64_t address, Bytes code) const;
  // The mnemonic of the instruction at the start of code, "" if undecodable.
  std::string Mnemonic(uint64_t address, Bytes code) const;
  // True iff the instruction at the start of code may change RSP: push/pop/call/ret/leave/enter
  // and friends, or any instruction whose first (destination) operand is rsp/esp/sp. True too
  // when capstone cannot decode it.
  bool MayWriteSp(uint64_t address, Bytes code) const;

 private:
  size_t handle_;
  cs_insn* insn_;
};

// Both fill every field of *out but entry and end (set by the caller, end = entry + code.size()),
// entry_probe_mnemonic, which the caller adds from entry_probe, and fixed_instruction_size.
// `code` is non-empty.
void AnalyzeX86_64(uint64_t entry, Bytes code, const CapstoneView& capstone, CodeAnalysis* out);
void AnalyzeArm64(uint64_t entry, Bytes code, CodeAnalysis* out);

// How far the sweeps look: the longest Go stack check (Go <= 1.16 huge frame preceded by the TLS
// load of g) has 8 instructions; a morestack block spills and reloads at most 9 integer and 15
// float argument registers around its call before jumping back to entry.
inline constexpr size_t kPrologueWindow = 12;
inline constexpr size_t kMorestackWindow = 64;
// How far the count site's straight-line search looks from a function's entry.
inline constexpr size_t kStraightLineWindow = 16;

}  // namespace gotap::arch::internal
