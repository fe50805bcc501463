// Inlining, from pclntab alone (works on stripped binaries): which functions were inlined into
// which callers, and which exist only inlined (no body of their own to put a probe on).
// See go-internals.md §10.
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "elf/elf_file.h"
#include "gobin/moduledata.h"
#include "gobin/pclntab.h"

namespace gotap::gobin {

struct InlineSite {
  const FuncRecord* caller = nullptr;  // never null; points into the Pclntab's function list
  uint64_t pc = 0;                     // link-time vaddr of the first instruction of the copy
};

class InlineIndex {
 public:
  // Decodes every function's inline tree. Tables that cannot be read (out-of-range funcdata,
  // a malformed pc-value table) are skipped and counted in `skipped_functions()`.
  static InlineIndex Build(const elf::ElfFile& elf, const Pclntab& pclntab,
                           const std::optional<Moduledata>& moduledata,
                           std::pair<int, int> go_version);

  // Copies of `callee` inlined into other functions; nullptr if it was never inlined.
  const std::vector<InlineSite>* SitesOf(std::string_view callee) const;
  // Names that appear only as inlined copies, sorted.
  const std::vector<std::string_view>& inlined_only() const { return inlined_only_; }
  size_t skipped_functions() const { return skipped_functions_; }

 private:
  std::unordered_map<std::string_view, std::vector<InlineSite>> sites_;
  std::vector<std::string_view> inlined_only_;
  size_t skipped_functions_ = 0;
};

}  // namespace gotap::gobin
