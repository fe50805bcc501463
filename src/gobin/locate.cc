#include "gobin/locate.h"

#include <elf.h>

#include <cstring>
#include <set>
#include <utility>

#include "gobin/pclntab.h"

namespace gotap::gobin {
namespace {

std::optional<TableLocation> FromVaddr(const elf::ElfFile& elf, uint64_t vaddr,
                                       const char* found_by) {
  auto bytes = elf.ReadVaddrToSegmentEnd(vaddr);
  if (!bytes) return std::nullopt;
  return TableLocation{*bytes, vaddr, found_by};
}

// A candidate header must parse with at least one function.
bool PlausiblePclntab(Bytes bytes, uint64_t vaddr) {
  if (!Pclntab::LooksLikeHeader(bytes)) return false;
  // Go >= 1.26 keeps textStart at 0; any non-zero base lets the function table be checked.
  auto parsed = Pclntab::Parse(bytes, vaddr, /*text_start=*/1);
  return parsed.ok() && !parsed->functions().empty();
}

}  // namespace

StatusOr<TableLocation> LocatePclntab(const elf::ElfFile& elf) {
  for (const char* name : {".gopclntab", ".data.rel.ro.gopclntab"}) {
    if (const elf::Section* s = elf.FindSection(name)) {
      auto data = elf.SectionData(*s);
      if (!data) return Malformed("section {} is out of range", name);
      return TableLocation{*data, s->vaddr, "section"};
    }
  }
  if (const elf::Symbol* sym = elf.FindSymbol("runtime.pclntab")) {
    if (auto loc = FromVaddr(elf, sym->value, "symbol")) return *loc;
  }
  // Scan loaded segments at 8-byte alignment for a header that parses.
  for (const elf::Segment& seg : elf.segments()) {
    if (seg.type != PT_LOAD || (seg.flags & PF_X)) continue;
    auto data = ByteReader(elf.bytes()).Sub(seg.offset, seg.file_size);
    if (!data) continue;
    uint64_t skew = (8 - seg.vaddr % 8) % 8;
    for (uint64_t at = skew; at + 16 <= data->size(); at += 8) {
      if ((*data)[at + 1] != 0xff || (*data)[at + 2] != 0xff || (*data)[at + 3] != 0xff) continue;
      Bytes candidate = data->subspan(at);
      if (PlausiblePclntab(candidate, seg.vaddr + at)) {
        return TableLocation{candidate, seg.vaddr + at, "scan"};
      }
    }
  }
  return NotFound("no Go pclntab (not a Go binary)");
}

std::optional<TableLocation> LocateModuledata(const elf::ElfFile& elf, uint64_t pclntab_vaddr) {
  if (const elf::Section* s = elf.FindSection(".go.module")) {
    if (auto loc = FromVaddr(elf, s->vaddr, "section")) return loc;
  }
  if (const elf::Symbol* sym = elf.FindSymbol("runtime.firstmoduledata")) {
    if (auto loc = FromVaddr(elf, sym->value, "symbol")) return loc;
  }
  // A word equal to the pclntab's address, or in a PIE a zero word whose RELATIVE relocation
  // puts that address there.
  std::optional<TableLocation> found;
  ForEachWritableWord(elf, /*skip_executable=*/false, [&](uint64_t vaddr, Bytes rest) {
    uint64_t word = 0;
    std::memcpy(&word, rest.data(), 8);
    if (word == 0 && elf.is_position_independent()) {
      word = elf.RelativeRelocationAddend(vaddr).value_or(0);
    }
    if (word != pclntab_vaddr) return false;
    found = FromVaddr(elf, vaddr, "scan");
    return true;
  });
  return found;
}

void ForEachWritableWord(const elf::ElfFile& elf, bool skip_executable,
                         const std::function<bool(uint64_t vaddr, Bytes rest)>& visit) {
  std::set<std::pair<uint64_t, uint64_t>> seen;
  uint64_t budget = elf.bytes().size();
  for (const elf::Segment& seg : elf.segments()) {
    if (seg.type != PT_LOAD || !(seg.flags & PF_W)) continue;
    if (skip_executable && (seg.flags & PF_X)) continue;
    if (!seen.emplace(seg.offset, seg.file_size).second) continue;
    if (seg.file_size > budget) return;
    budget -= seg.file_size;
    auto data = ByteReader(elf.bytes()).Sub(seg.offset, seg.file_size);
    if (!data) continue;
    uint64_t skew = (8 - seg.vaddr % 8) % 8;
    for (uint64_t at = skew; at + 8 <= data->size(); at += 8) {
      if (visit(seg.vaddr + at, data->subspan(at))) return;
    }
  }
}

std::optional<uint64_t> ReadLinkTimeWord(const elf::ElfFile& elf, uint64_t vaddr) {
  auto bytes = elf.ReadVaddr(vaddr, 8);
  if (!bytes) return std::nullopt;
  uint64_t word = 0;
  std::memcpy(&word, bytes->data(), 8);
  if (word != 0 || !elf.is_position_independent()) return word;
  if (auto addend = elf.RelativeRelocationAddend(vaddr)) return addend;
  return word;
}

}  // namespace gotap::gobin
