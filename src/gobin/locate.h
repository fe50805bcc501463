// Finding Go's runtime tables in an ELF file: pclntab and moduledata. Each is found by section
// name, then by symbol, then by scanning segments, so binaries without section headers or
// symbols still work. See go-internals.md §3.4 and §3.5.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "base/status.h"
#include "elf/elf_file.h"

namespace gotap::gobin {

struct TableLocation {
  Bytes bytes;                // from the table's start to the end of its section or segment
  uint64_t vaddr = 0;         // link-time address of the table's first byte
  const char* found_by = "";  // "section", "symbol" or "scan"
};

// kNotFound when the file has no Go pclntab (not a Go binary).
StatusOr<TableLocation> LocatePclntab(const elf::ElfFile& elf);

// The first moduledata: `.go.module` (Go >= 1.26), symbol `runtime.firstmoduledata`, or a scan of
// writable segments for a word equal to the pclntab's address (moduledata's first field).
std::optional<TableLocation> LocateModuledata(const elf::ElfFile& elf, uint64_t pclntab_vaddr);

// Reads a pointer-sized word at `vaddr` as the loaded program would see it before applying its
// load bias: the R_*_RELATIVE addend when a dynamic relocation targets the word (PIE binaries
// may hold 0 in the file), else the word in the file.
std::optional<uint64_t> ReadLinkTimeWord(const elf::ElfFile& elf, uint64_t vaddr);

// Visits the 8-byte-aligned words of every writable PT_LOAD segment's file bytes (and skips
// segments that are also executable when `skip_executable`): `visit(vaddr, rest)` gets the
// word's link-time address and the segment's bytes from that word on (at least 8), and returns
// true to stop. Each file range is scanned once and no more bytes in all than the file holds
// (hostile headers may map the same bytes many times), so the work stays linear in its size.
void ForEachWritableWord(const elf::ElfFile& elf, bool skip_executable,
                         const std::function<bool(uint64_t vaddr, Bytes rest)>& visit);

}  // namespace gotap::gobin
