// The fields of runtime.moduledata gotap needs (go-internals.md §3.5). Pointer fields are
// link-time vaddrs. Where the layout changed between releases, the fields are told apart by what
// their values are (an address vs a length, a word equal to the end of another table), not by
// the Go version.
#pragma once

#include <optional>
#include <utility>

#include "elf/elf_file.h"
#include "gobin/locate.h"
#include "gobin/pclntab.h"

namespace gotap::gobin {

// Go 1.27 dropped the typelinks/itablinks slices (and the .typelink/.itablink sections): the
// type descriptors the runtime enumerates sit in one run at the start of [types, etypes), and
// the linker's itabs in another run inside it. These are the bounds of both runs, as offsets
// from `types`.
struct TypeDescriptorRuns {
  uint64_t typelinks_end = 0;  // moduledata.typedesclen: [types + ptrsize, types + this)
  uint64_t itabs_begin = 0;    // moduledata.itaboffset
  uint64_t itabs_size = 0;     // moduledata.itabsize
};

struct Moduledata {
  uint64_t vaddr = 0;
  std::optional<uint64_t> text;  // runtime.text: base of functab entry offsets
  // Base of funcdata offsets (go:func.*, Go >= 1.18): in rodata up to Go 1.25, the tail of the
  // pclntab itself from Go 1.26 on (right after the _func records).
  std::optional<uint64_t> gofunc;
  std::optional<uint64_t> types;  // [types, etypes) holds every runtime._type
  std::optional<uint64_t> etypes;
  // Present iff the moduledata has the Go 1.27 layout (typedesclen after types).
  std::optional<TypeDescriptorRuns> runs;
};

// The offset of moduledata.types, after the pclntab slices and the section bounds: 200 for Go
// 1.2-1.15 tables, 280 for 1.16-1.19, 296 from 1.20 (covctrs/ecovctrs added before it).
// `go_version` as for ReadModuledata.
uint64_t ModuledataTypesOffset(PclntabVersion version, std::pair<int, int> go_version);

// The fields of the moduledata at `where` (see LocateModuledata). `go_version` is {major, minor}
// from build info, or {0, 0} if unknown (then the pclntab version decides between layouts). The
// Go 1.27 layout is recognised from the bytes. nullopt for Go 1.2-1.15 tables (layout unneeded).
std::optional<Moduledata> ReadModuledata(const elf::ElfFile& elf, const TableLocation& where,
                                         PclntabVersion version, std::pair<int, int> go_version);

}  // namespace gotap::gobin
