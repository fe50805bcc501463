#include "gobin/inline_tree.h"

#include <algorithm>
#include <map>
#include <unordered_set>

namespace gotap::gobin {
namespace {

// FUNCDATA_InlTree: 4 in Go 1.14-1.15 (the 1.2 table format), 3 from Go 1.16 on.
std::optional<int> InlTreeFuncdataIndex(PclntabVersion version, std::pair<int, int> go_version) {
  if (version != PclntabVersion::kGo12) return 3;
  if (go_version >= std::pair<int, int>{1, 14}) return 4;
  return std::nullopt;  // older numbering differs; not supported
}

struct EntryLayout {
  uint32_t size;
  uint32_t name_at;  // int32 offset into the function-name table
};
constexpr EntryLayout kEntryGo112{20, 12};  // parent i16, funcID, pad, file, line, func_, parentPc
constexpr EntryLayout kEntryGo120{16, 4};   // funcID, pad[3], nameOff, parentPc, startLine

}  // namespace

InlineIndex InlineIndex::Build(const elf::ElfFile& elf, const Pclntab& pclntab,
                               const std::optional<Moduledata>& moduledata,
                               std::pair<int, int> go_version) {
  InlineIndex index;
  std::optional<int> funcdata_index = InlTreeFuncdataIndex(pclntab.version(), go_version);
  if (!funcdata_index) return index;
  const bool offsets_from_gofunc = pclntab.version() >= PclntabVersion::kGo118;
  if (offsets_from_gofunc && !(moduledata && moduledata->gofunc)) return index;
  const EntryLayout layout =
      pclntab.version() == PclntabVersion::kGo120 ? kEntryGo120 : kEntryGo112;

  for (const FuncRecord& f : pclntab.functions()) {
    auto table = pclntab.PcdataOffset(f, kPcdataInlTreeIndex);
    if (!table) continue;
    auto tree_ref = pclntab.Funcdata(f, *funcdata_index);
    if (!tree_ref) continue;
    uint64_t tree_vaddr = offsets_from_gofunc ? *moduledata->gofunc + *tree_ref : *tree_ref;
    auto tree = elf.ReadVaddrToSegmentEnd(tree_vaddr);
    if (!tree) {
      ++index.skipped_functions_;
      continue;
    }
    // The first pc of each inline-tree index used in this function.
    std::map<int32_t, uint64_t> first_pc;
    bool ok = pclntab.ForEachPcValue(f, *table, [&](uint64_t start, uint64_t, int32_t value) {
      if (value >= 0) first_pc.emplace(value, start);
    });
    if (!ok) {
      ++index.skipped_functions_;
      continue;
    }
    ByteReader reader(*tree);
    for (auto [entry, pc] : first_pc) {
      auto name_offset = reader.U32(uint64_t(entry) * layout.size + layout.name_at);
      if (!name_offset) break;
      auto name = pclntab.FuncName(static_cast<int32_t>(*name_offset));
      if (!name || name->empty()) continue;
      index.sites_[*name].push_back(InlineSite{&f, pc});
    }
  }
  std::unordered_set<std::string_view> with_body;
  for (const FuncRecord& f : pclntab.functions()) with_body.insert(f.name);
  for (const auto& [name, sites] : index.sites_) {
    if (!with_body.count(name)) index.inlined_only_.push_back(name);
  }
  std::sort(index.inlined_only_.begin(), index.inlined_only_.end());
  return index;
}

const std::vector<InlineSite>* InlineIndex::SitesOf(std::string_view callee) const {
  auto it = sites_.find(callee);
  return it == sites_.end() ? nullptr : &it->second;
}

}  // namespace gotap::gobin
