#include "gobin/moduledata.h"

#include <elf.h>

#include "gobin/locate.h"

namespace gotap::gobin {
namespace {

// text stays at 176 from Go 1.16 on (pcHeader-based layout).
constexpr uint64_t kTextOffset = 176;

// Go 1.27 (runtime/symtab.go) writes `types, typedesclen, etypes, itaboffset, itabsize, rodata,
// gofunc` where Go 1.20-1.26 wrote `types, etypes, rodata, gofunc`. The word after `types` tells
// them apart: before 1.27 it is etypes, an address above types; in 1.27 it is a length, and the
// itab run must end inside [types, etypes). Returns the runs iff the words read that way.
std::optional<TypeDescriptorRuns> Go127Runs(uint64_t types, uint64_t after_types, uint64_t etypes,
                                            uint64_t itab_offset, uint64_t itab_size) {
  if (types == 0 || after_types >= types || etypes <= types) return std::nullopt;
  uint64_t span = etypes - types;
  if (after_types > span || itab_offset > span || itab_size > span - itab_offset) {
    return std::nullopt;
  }
  return TypeDescriptorRuns{after_types, itab_offset, itab_size};
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

bool IsGo120Layout(PclntabVersion version, std::pair<int, int> go_version) {
  return version == PclntabVersion::kGo120 || go_version >= std::pair<int, int>{1, 20};
}

}  // namespace

uint64_t ModuledataTypesOffset(PclntabVersion version, std::pair<int, int> go_version) {
  if (IsGo120Layout(version, go_version)) return 296;
  if (version == PclntabVersion::kGo12 && go_version < std::pair<int, int>{1, 16}) return 200;
  return 280;
}

std::optional<Moduledata> ReadModuledata(const elf::ElfFile& elf, const TableLocation& where,
                                         PclntabVersion version, std::pair<int, int> go_version) {
  if (version == PclntabVersion::kGo12) return std::nullopt;  // layout not needed before 1.16
  Moduledata md;
  md.vaddr = where.vaddr;
  auto word = [&](uint64_t offset) { return ReadLinkTimeWord(elf, where.vaddr + offset); };
  md.text = word(kTextOffset);
  if (version == PclntabVersion::kGo116) return md;
  const bool go120 = IsGo120Layout(version, go_version);
  const uint64_t types_at = ModuledataTypesOffset(version, go_version);
  md.types = word(types_at);
  if (!md.types || *md.types == 0) return md;
  if (go120) {
    auto w = [&](int i) { return word(types_at + 8 * i).value_or(0); };
    md.runs = Go127Runs(*md.types, w(1), w(2), w(3), w(4));
  }
  std::optional<uint64_t> gofunc;
  if (md.runs) {
    md.etypes = word(types_at + 16);
    gofunc = word(types_at + 48);  // after itaboffset, itabsize and rodata
  } else {
    md.etypes = word(types_at + 8);
    gofunc = word(types_at + 24);  // after etypes and rodata
  }
  if (gofunc && PlausibleFuncdataBase(elf, *gofunc)) md.gofunc = gofunc;
  return md;
}

}  // namespace gotap::gobin
