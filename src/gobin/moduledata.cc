#include "gobin/moduledata.h"

#include "gobin/locate.h"

namespace gotap::gobin {
namespace {

// Field offsets for Go >= 1.16 (pcHeader-based layout). text stays at 176 from 1.16 on;
// types/etypes/gofunc move by 16 in Go 1.20 when covctrs/ecovctrs were added before them.
constexpr uint64_t kTextOffset = 176;
constexpr uint64_t kTypesOffset118 = 280;
constexpr uint64_t kTypesOffset120 = 296;

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
  md.etypes = word(types_at + 8);
  md.gofunc = word(types_at + 24);  // after etypes and rodata
  return md;
}

}  // namespace gotap::gobin
