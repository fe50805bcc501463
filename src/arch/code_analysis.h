// What disassembly tells the probe planner about one Go function.
//
// Every address here is a link-time virtual address (the address space of the ELF's symbols and of
// Go's pclntab), never a file offset or a runtime address.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gotap::arch {

enum class EntryProbeKind {
  kFunctionStart,    // no stack check found: the entry itself (leaf NOSPLIT functions, asm)
  kAfterStackCheck,  // the instruction after the last branch to the morestack path
};

const char* EntryProbeKindName(EntryProbeKind kind);

struct CodeAnalysis {
  uint64_t entry = 0;  // the first byte analyzed (the function's entry)
  uint64_t end = 0;    // one past the last byte analyzed, alignment padding included

  // Every near return instruction, ascending: x86-64 `c3`, `c2 iw`, `f3 c3` (the address of the
  // prefix); arm64 `ret`, `retaa`, `retab`. Found by a linear sweep from entry, so bytes inside
  // other instructions and trailing padding are never reported.
  std::vector<uint64_t> return_sites;

  // The site that runs exactly once per call. Go's stack check branches to a morestack block at
  // the end of the function that calls runtime.morestack* and jumps back to entry, so a probe at
  // entry fires again whenever the stack grows (or the goroutine is preempted there); the first
  // instruction after that branch runs only on the final pass. Without a stack check: entry.
  uint64_t entry_probe = 0;
  EntryProbeKind entry_probe_kind = EntryProbeKind::kFunctionStart;
  // Capstone's mnemonic of the instruction at entry_probe ("push", "sub", "str", ...), so callers
  // can tell kernel-emulated sites from single-stepped ones. Empty if capstone cannot decode it.
  std::string entry_probe_mnemonic;

  // The conditional branch to the morestack path (x86 jbe/jcc, arm64 b.ls/b.cc); absent iff
  // has_stack_check is false. Cheap to probe (the kernel emulates branches), but it executes once
  // more every time the stack grows.
  bool has_stack_check = false;
  std::optional<uint64_t> stack_check_branch;
  // The first instruction of the morestack block the stack check branches to (set iff
  // stack_check_branch is): it runs only when the call is about to re-enter the function from its
  // start (stack growth or a preemption request), never on a normal call.
  std::optional<uint64_t> morestack_block;

  // The cheapest site that counts calls exactly (x86-64; entry_probe elsewhere): the
  // count is hits(count_site) - hits(count_correction_site) when the latter is set.
  //  - entry_probe, when the kernel emulates it (`push rbp` after the stack check, Go >= 1.21);
  //  - with a stack check whose entry_probe is single-stepped (`sub rsp`, Go <= 1.20): the
  //    stack check's FIRST branch to the morestack block, which every pass through the prologue
  //    runs once, corrected by the block's CALL, which runs once per extra pass (a stack growth
  //    or a preemption request re-entering the function);
  //  - without a stack check: the first emulated instruction on the straight line from entry, if
  //    SP has not moved before it and no jump lands between entry and it (it then runs exactly
  //    once per call, and SP there is SP at entry: a latency entry can use it too);
  //  - else entry_probe.
  uint64_t count_site = 0;
  std::optional<uint64_t> count_correction_site;
  bool count_site_emulated = false;
  // Set iff count_site is the straight-line site of a function without a stack check.
  bool count_site_on_straight_line = false;

  // Set iff the function has no return and leaves through a direct unconditional jump whose target
  // lies outside [entry, end) (a wrapper's tail call); the target of the last such jump.
  std::optional<uint64_t> tail_jump;

  // Every direct unconditional jump whose target lies outside [entry, end), ascending: tail
  // calls (`JMP memeqbody<>` in runtime.memequal, wrappers). The call ends there; the target
  // returns to the caller. Go's compiler keeps a function's blocks inside its symbol, so for
  // compiled code these are exactly the tail calls; x86-64 only (empty on arm64 for now).
  std::vector<uint64_t> tail_jump_sites;
  // Every indirect jump (`jmp r/m`), ascending. In compiled Go these are switch jump tables
  // inside the function; in assembly, tail calls (runtime.systemstack's `JMP DI` when already on
  // the system stack).
  std::vector<uint64_t> indirect_jump_sites;

  // How the function's paths end, from a walk of its control flow from entry (x86-64). Every
  // path of well-formed Go code ends in a RET, a tail jump, an indirect jump (jump tables, asm
  // `JMP reg`), a call that never returns (`CALL runtime.panic*` with nothing after it), or a
  // trap.
  struct ExitPaths {
    uint32_t indirect_jumps = 0;      // reachable `jmp r/m`: targets unknown here
    uint32_t conditional_exits = 0;   // reachable jcc leaving the function (asm only)
    uint32_t noreturn_call_ends = 0;  // paths ending in a call with no instruction after it
    uint32_t traps = 0;               // paths ending in int3, `int $3` or ud2 (crash on purpose)
    uint32_t off_end = 0;             // paths that run past the last instruction: none expected
    uint32_t bad_targets = 0;         // jumps into the middle of an instruction: none expected
  };
  ExitPaths exit_paths;

  // Bytes the sweep could not decode and skipped (1 at a time on x86-64). On arm64 every aligned
  // word is an instruction boundary, so only a trailing partial word counts.
  uint32_t undecodable_bytes = 0;
  // Trailing alignment padding, not swept: int3 (0xcc) bytes on x86-64, zero words on arm64.
  uint32_t padding_bytes = 0;

  // x86-64: offsets from entry of every decoded instruction, ascending. Empty on arm64, where
  // instructions are the 4-byte aligned words.
  std::vector<uint32_t> instruction_offsets;
  uint8_t fixed_instruction_size = 0;  // 4 on arm64; 0 (variable) on x86-64

  // True iff addr is the start of an instruction the sweep decoded (padding excluded).
  bool IsInstructionBoundary(uint64_t addr) const;

  std::string ToString() const;
};

}  // namespace gotap::arch
