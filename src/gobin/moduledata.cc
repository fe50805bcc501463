#include "gobin/moduledata.h"

#include <elf.h>

#include "gobin/locate.h"

namespace gotap::gobin {
namespace {

// Field offsets for Go >= 1.16 (pcHeader-based layout). text stays at 176 from 1.16 on; the
// field after gcbss, `types`, moves by 16 in Go 1.20 when covctrs/ecovctrs were added before it.
constexpr uint64_t kTextOffset = 176;
constexpr uint64_t kTypesOffset118 = 280;
constexpr uint64_t kTypesOffset120 = 296;

// What follows `types` (runtime/symtab.go, cmd/link/internal/ld/symtab.go):
//   Go 1.18-1.26: types, etypes, rodata, gofunc[, epclntab (1.26)]
//   Go 1.27:      types, typedesclen, etypes, itaboffset, itabsize, rodata, gofunc, epclntab
// In the newer layout the itab block ends the type data: types + itaboffset + itabsize == etypes,
// and the word after types is a length, smaller than the data it measures. That is checked on
// the words themselves, so an unknown layout leaves the fields absent instead of misread.
struct TailFields {
  std::optional<uint64_t> etypes;
  std::optional<uint64_t> gofunc;
};

TailFields ReadTail(const elf::ElfFile& elf, uint64_t types_vaddr, uint64_t types) {
  auto word = [&](int i) { return ReadLinkTimeWord(elf, types_vaddr + 8 * uint64_t(i)); };
  TailFields tail;
  auto w1 = word(1), w2 = word(2), w3 = word(3), w4 = word(4);
  if (!w1 || !w2 || !w3 || !w4) return tail;
  bool itab_block = *w2 > types && *w1 <= *w2 - types && *w3 <= *w2 - types &&
                    *w4 <= *w2 - types - *w3 && types + *w3 + *w4 == *w2;
  if (itab_block) {
    tail.etypes = *w2;
    tail.gofunc = word(6);
  } else if (*w1 > types) {
    tail.etypes = *w1;
    tail.gofunc = *w3;
  }
  return tail;
}

// go:func.* holds inline trees and other funcdata: read-only data, never code. A word that does
// not point into a loaded, non-executable segment is not it.
bool PlausibleFuncdataBase(const elf::ElfFile& elf, uint64_t vaddr) {
  if (vaddr == 0 || !elf.ReadVaddr(vaddr, 1)) return false;
  for (const elf::Segment& seg : elf.segments()) {
    if (seg.type == PT_LOAD && vaddr >= seg.vaddr && vaddr - seg.vaddr < seg.mem_size) {
      return (seg.flags & PF_X) == 0;
    }
  }
  return false;
}

}  // namespace

std::optional<Moduledata> ReadModuledata(const elf::ElfFile& elf, uint64_t pclntab_vaddr,
                                         PclntabVersion version, std::pair<int, int> go_version) {
  if (version == PclntabVersion::kGo12) return std::nullopt;  // layout not needed before 1.16
  std::optional<TableLocation> loc = LocateModuledata(elf, pclntab_vaddr);
  if (!loc) return std::nullopt;
  Moduledata md;
  md.vaddr = loc->vaddr;
  auto word = [&](uint64_t offset) { return ReadLinkTimeWord(elf, loc->vaddr + offset); };
  md.text = word(kTextOffset);
  if (version == PclntabVersion::kGo116) return md;
  bool go120 = version == PclntabVersion::kGo120 || go_version >= std::pair<int, int>{1, 20};
  uint64_t types_at = go120 ? kTypesOffset120 : kTypesOffset118;
  md.types = word(types_at);
  if (!md.types || *md.types == 0) return md;
  TailFields tail = ReadTail(elf, loc->vaddr + types_at, *md.types);
  md.etypes = tail.etypes;
  if (tail.gofunc && PlausibleFuncdataBase(elf, *tail.gofunc)) md.gofunc = tail.gofunc;
  return md;
}

}  // namespace gotap::gobin
