// Which x86-64 instructions the Linux kernel refuses to put a uprobe on.
//
// The kernel checks the probed instruction when it installs the breakpoint into a process that
// maps the file (arch/x86/kernel/uprobes.c, arch_uprobe_analyze_insn; the rules below were checked
// against Linux 6.18 by attaching to every listed encoding). A refusal fails the whole
// uprobe_multi link with ENOTSUPP (524), so gotap screens its sites before attaching: a refused
// site found here is dropped at plan time with a warning instead of failing the attach.
#pragma once

#include <optional>
#include <string>

#include "base/byte_reader.h"

namespace gotap::arch {

// Why the kernel refuses a uprobe on the x86-64 instruction at the start of `code` ("int3 (cc)",
// "lock prefix", ...), or nullopt when it accepts it or when the bytes end before the opcode (the
// caller cannot tell; bpf::Session reports what the kernel refuses at attach time). Reads only
// inside `code`; never fails on arbitrary bytes.
//
// What is refused: legacy prefixes lock (f0) and es/cs/ss/ds (26 2e 36 3e) anywhere in the
// prefixes; `mov ss, r/m` (8e /2); one-byte opcodes the kernel does not single-step (int3, int n,
// into, iret, in/out/ins/outs, hlt, cli/sti, int1, far jmp/call, and those invalid in 64-bit
// mode). VEX/EVEX instructions are judged by the opcode byte after the VEX/EVEX prefix, looked up
// in the ONE-byte table (so `vmovdqu` c5 fe 6f, whose 6f is `outs` there, is refused). Two- and
// three-byte opcodes (0f ..) are all accepted.
std::optional<std::string> X86UprobeRefusal(Bytes code);

// Whether the kernel emulates the x86-64 instruction at the start of `code` when a uprobe hits it
// (branch_setup_xol_ops and push_setup_xol_ops in arch/x86/kernel/uprobes.c): jmp rel8/rel32,
// call rel32, jcc rel8/rel32, nop (90), and push of a general register (50+r, 41 50+r), none with
// a 66 prefix. Emulated hits cost ~0.5 µs here; every other instruction is single-stepped out of
// line, ~9.5 µs (uprobe-costs.md).
bool X86KernelEmulates(Bytes code);

}  // namespace gotap::arch
