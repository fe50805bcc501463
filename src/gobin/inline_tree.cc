#include "gobin/inline_tree.h"

#include <algorithm>
#include <unordered_set>

namespace gotap::gobin {

InlineIndex InlineIndex::Build(const Pclntab& pclntab, const InlineTreeReader& reader) {
  InlineIndex index;
  for (const FuncRecord& f : pclntab.functions()) {
    auto tree = reader.Read(f);
    if (!tree.ok()) {
      if (index.skipped_functions_++ == 0) {
        index.first_skip_reason_ = tree.status().WithContext(f.name);
      }
      continue;
    }
    if (!tree->has_value()) continue;
    const FunctionInlineTree& t = **tree;
    const std::vector<int32_t> indices = t.Indices();
    if (indices.empty()) continue;
    // The lowest pc of each inlined call: its own runs and those of every call inside it.
    std::vector<uint64_t> first_pc(static_cast<size_t>(indices.back()) + 1, UINT64_MAX);
    for (const auto& run : t.runs()) {
      // Read() decodes every ancestor of a pc's entry, each at a lower index: this ends.
      for (int32_t i = run.index; i >= 0 && t.Entry(i) != nullptr; i = t.Entry(i)->parent) {
        first_pc[i] = std::min(first_pc[i], run.start);
      }
    }
    for (int32_t i : indices) {
      index.sites_[t.Entry(i)->callee].push_back(
          InlineSite{&f, first_pc[i], t.Entry(i)->parent_pc});
    }
  }
  // Functions do not overlap, so pc order is caller order, then pc.
  for (auto& [name, sites] : index.sites_) {
    std::sort(sites.begin(), sites.end(),
              [](const InlineSite& a, const InlineSite& b) { return a.pc < b.pc; });
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
