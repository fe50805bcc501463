// Where a Go function's arguments and results are when a probe fires, per Go's calling
// conventions (go-internals.md §1; Go's src/cmd/compile/abi-internal.md):
//
// - Register ABI (ABIInternal): each value is register-assigned component by component (strings
//   and interfaces 2 words, slices 3, structs field by field, complex as two floats), integers and
//   pointers to the arch's integer sequence, floats to its FP sequence; a value that does not fit
//   in the remaining registers, or holds an array of more than one element, goes wholly to the
//   stack. Results start again from the first registers.
// - Stack ABI (ABI0): the same with no registers.
//
// Stack-assigned arguments come first in the caller's frame, then (pointer-aligned) the stack-
// assigned results, then (pointer-aligned) a spill slot for every register-assigned argument.
// That area begins at SP+8 at function entry on both x86-64 (0(SP) holds the return address) and
// arm64 (the return address is in x30; 0(SP) is the caller's slot for its own saved x30).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "arch/abi.h"
#include "arch/arch.h"
#include "base/status.h"
#include "dwarf/type.h"
#include "gobin/binary.h"
#include "probe/signature.h"

namespace gotap::probe {

// Byte offset from SP at function entry to the first stack-assigned argument.
inline constexpr uint64_t kStackArgsOffset = 8;

struct Location {
  enum class Kind {
    kIntReg,    // integer argument register number `index` of the arch (0 = rax / x0)
    kFloatReg,  // FP argument register number `index` (X0… / F0…): not in pt_regs, so a uprobe's
                // BPF program cannot read it
    kStack,  // memory at SP + stack_offset
  };
  Kind kind = Kind::kStack;
  uint32_t index = 0;  // kIntReg, kFloatReg
  // kStack: bytes above the stack pointer as it is at the function's entry, before the frame is
  // set up. At a RET instruction SP has the same value, so results use the same base.
  uint64_t stack_offset = 0;

  bool operator==(const Location&) const = default;
};

// Some bytes of a value in one place.
struct Piece {
  Location location;
  uint64_t size = 0;    // bytes; for a register, its low `size` bytes
  uint64_t offset = 0;  // where these bytes go in the value's Go memory layout

  bool operator==(const Piece&) const = default;
};

struct ValueLayout {
  enum class Role { kReceiver, kParam, kResult };
  Role role = Role::kParam;
  std::string name;
  const dwarf::Type* type = nullptr;  // never null
  // Register pieces in assignment order, or one kStack piece holding the whole value. Empty iff
  // the value has size 0.
  std::vector<Piece> pieces;
  // Arguments in registers only: where the callee spills them (SP-relative at entry, like
  // kStack). The slot is reserved by the caller but holds garbage until the callee writes it
  // (e.g. on its morestack path), so it is no substitute for the registers at entry.
  std::optional<uint64_t> spill_offset;

  bool in_registers() const;
  // False iff some piece is in an FP register.
  bool ReadableAtUprobe() const;
};

struct FrameLayout {
  arch::Arch arch = arch::Arch::kX86_64;
  gobin::Abi abi = gobin::Abi::kRegister;
  std::vector<ValueLayout> args;  // the receiver first, when there is one
  std::vector<ValueLayout> results;
  // Bytes of the caller-reserved area at SP+8: stack arguments, stack results and spill slots,
  // each part pointer-aligned. This is what pclntab records as the function's `args` size.
  uint64_t args_area_size = 0;

  // One line per value: "a int: rax[0,8)", "g [2]int32: sp+8[0,8)".
  std::string ToString() const;
};

// Computes the layout of a function whose parameters and results are `signature`. With
// `pointer_receiver` (a method "(*T).M" whose signature was written by the user) an extra first
// argument, one pointer word called "recv", precedes signature.params; signatures from DWARF
// already list the receiver. Errors come from types that cannot be laid out (CheckShape) and
// name the value.
StatusOr<FrameLayout> ComputeFrameLayout(arch::Arch arch, gobin::Abi abi, bool pointer_receiver,
                                         const Signature& signature);

// The concrete register of an kIntReg location, from arch/abi.h's table; nullptr if `index` is
// past the arch's sequence.
const arch::Register* IntRegister(arch::Arch arch, uint32_t index);

// "rax", "x3", "xmm2" (x86-64) / "v2" (arm64), "sp+8".
std::string LocationName(arch::Arch arch, const Location& location);
// "rbx[0,8),rcx[8,16)": each piece's location and the byte range of the value it holds.
std::string PiecesToString(arch::Arch arch, const std::vector<Piece>& pieces);

}  // namespace gotap::probe
