// Finding Go's runtime tables in an ELF file: pclntab and moduledata. Each is found by section
// name, then by symbol, then by scanning segments, so binaries without section headers or
// symbols still work. See go-internals.md §3.4 and §3.5.
#pragma once

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

}  // namespace gotap::gobin
