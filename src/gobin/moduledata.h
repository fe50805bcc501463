// The fields of runtime.moduledata gotap needs, at the offsets of the binary's Go version
// (go-internals.md §3.5). Pointer fields are link-time vaddrs.
#pragma once

#include <optional>
#include <utility>

#include "elf/elf_file.h"
#include "gobin/pclntab.h"

namespace gotap::gobin {

struct Moduledata {
  uint64_t vaddr = 0;
  std::optional<uint64_t> text;    // runtime.text: base of functab entry offsets
  std::optional<uint64_t> gofunc;  // base of funcdata offsets (Go >= 1.18)
  std::optional<uint64_t> types;   // [types, etypes) holds every runtime._type
  std::optional<uint64_t> etypes;
};

// `go_version` is {major, minor} from build info, or {0, 0} if unknown (then the pclntab
// version decides between layouts).
std::optional<Moduledata> ReadModuledata(const elf::ElfFile& elf, uint64_t pclntab_vaddr,
                                         PclntabVersion version, std::pair<int, int> go_version);

}  // namespace gotap::gobin
