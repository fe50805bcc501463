// Per-function code analysis: return sites, the once-per-call entry site, tail jumps.
//
// Speed: a whole Go binary is cheap to analyze. esbuild 0.24.2 (Go 1.23, 7.9k functions, 5.4 MB
// of code) takes 28-60 ms on amd64 and ~10 ms on arm64 on this project's shared 2-core VM. The
// sweeps do not run capstone per instruction (it decodes ~3.5 M instructions/s here, ~365 ms for
// that binary): x86-64 uses a table-driven length decoder (x86_decoder.h) with capstone as the
// fallback for rare opcodes; arm64 classifies the fixed-width words directly. Capstone only names
// the instruction at the entry site.
#pragma once

#include <cstddef>
#include <cstdint>

#include "arch/arch.h"
#include "arch/code_analysis.h"
#include "base/byte_reader.h"
#include "base/status.h"

struct cs_insn;  // capstone, kept out of this header

namespace gotap::arch {

// Owns a capstone handle. Move-only. Not thread-safe: Analyze reuses one scratch instruction and
// scratch vectors; use one Disassembler per thread.
class Disassembler {
 public:
  static StatusOr<Disassembler> Create(Arch arch);

  Disassembler(Disassembler&& other) noexcept;
  Disassembler& operator=(Disassembler&& other) noexcept;
  Disassembler(const Disassembler&) = delete;
  Disassembler& operator=(const Disassembler&) = delete;
  ~Disassembler();

  Arch arch() const { return arch_; }

  // Analyzes one function. `entry` is its link-time vaddr; `code` its bytes from entry to the next
  // function's entry as given by Go's pclntab, so possibly followed by alignment padding. `code`
  // is untrusted: garbage yields undecodable bytes and odd results, never a crash. Errors: empty
  // code, a range that wraps around, or (arm64) a misaligned entry.
  StatusOr<CodeAnalysis> Analyze(uint64_t entry, Bytes code) const;

  // Capstone's mnemonic of the instruction at the start of `code`, or "" if it cannot decode it.
  std::string Mnemonic(uint64_t address, Bytes code) const;

 private:
  Disassembler(Arch arch, size_t handle, cs_insn* insn)
      : arch_(arch), handle_(handle), insn_(insn) {}
  void Reset();

  Arch arch_;
  size_t handle_ = 0;        // capstone csh; 0 iff moved from
  cs_insn* insn_ = nullptr;  // scratch for cs_disasm_iter, owned; null iff moved from
};

}  // namespace gotap::arch
