#include "gobin/moduledata.h"

#include "gobin/locate.h"

namespace gotap::gobin {
namespace {

// Field offsets for Go >= 1.16 (pcHeader-based layout). text stays at 176 from 1.16 on;
// types/etypes/gofunc move by 16 in Go 1.20 when covctrs/ecovctrs were added before them.
constexpr uint64_t kTextOffset = 176;
constexpr uint64_t kTypesOffset118 = 280;
constexpr uint64_t kTypesOffset120 = 296;

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
  if (go120) {
    auto w = [&](int i) { return word(types_at + 8 * i).value_or(0); };
    md.runs = Go127Runs(md.types.value_or(0), w(1), w(2), w(3), w(4));
  }
  if (md.runs) {
    md.etypes = word(types_at + 16);
    md.gofunc = word(types_at + 48);  // after itaboffset, itabsize and rodata
    return md;
  }
  md.etypes = word(types_at + 8);
  md.gofunc = word(types_at + 24);  // after etypes and rodata
  return md;
}

}  // namespace gotap::gobin
