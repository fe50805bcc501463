// Inlining, from pclntab alone (works on stripped binaries): which functions were inlined into
// which callers, and which exist only inlined (no body of their own to put a probe on).
// See go-internals.md §10.
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "gobin/inline_tree_reader.h"

namespace gotap::gobin {

struct InlineSite {
  const FuncRecord* caller = nullptr;  // never null; points into the Pclntab's function list
  // Link-time vaddr of the copy's lowest instruction (its own code or that of a call inlined into
  // it): the copy's first pc in the function's layout, not necessarily the first one executed.
  uint64_t pc = 0;
  // Link-time vaddr of the caller's instruction at the call site (the tree's parentPc, the
  // inline mark): where the call happens, before any of the copy's own effects. The copy's
  // lowest pc (`pc`) can lie earlier, e.g. a spill the compiler hoisted into the prologue.
  uint64_t call_pc = 0;
};

class InlineIndex {
 public:
  // Decodes every function's inline tree. Every inlined call that left code behind is a site,
  // including one whose code is all in calls inlined into it (A inlines B, B only calls C: B's
  // site is C's code). Trees that cannot be read are skipped and counted.
  static InlineIndex Build(const Pclntab& pclntab, const InlineTreeReader& reader);

  // Copies of `callee` inlined into other functions, by caller then pc; nullptr if never inlined.
  const std::vector<InlineSite>* SitesOf(std::string_view callee) const;
  // Names that appear only as inlined copies, sorted.
  const std::vector<std::string_view>& inlined_only() const { return inlined_only_; }
  // Functions whose inline tree could not be read, and the first reason.
  size_t skipped_functions() const { return skipped_functions_; }
  const Status& first_skip_reason() const { return first_skip_reason_; }

 private:
  std::unordered_map<std::string_view, std::vector<InlineSite>> sites_;
  std::vector<std::string_view> inlined_only_;
  size_t skipped_functions_ = 0;
  Status first_skip_reason_;
};

}  // namespace gotap::gobin
