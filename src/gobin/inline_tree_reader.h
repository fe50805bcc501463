// A function's inline tree, from pclntab alone (works on stripped binaries): FUNCDATA_InlTree
// (one entry per call the compiler inlined into the function) and PCDATA_InlTreeIndex (which
// entry each pc belongs to). Every entry read is checked, so bytes read at a wrong base surface
// as a Malformed status instead of as names. See go-internals.md §10.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "elf/elf_file.h"
#include "gobin/moduledata.h"
#include "gobin/pclntab.h"

namespace gotap::gobin {

// One inlined call.
struct InlinedCallEntry {
  std::string_view callee;  // passes IsGoSymbolName; points into the binary's bytes
  int32_t parent = -1;      // the inlined call this one sits in (a lower index); -1: the function
  uint64_t parent_pc = 0;   // link-time vaddr of an instruction of the parent at the call site
};

// Views the binary's bytes through its entries' names.
class FunctionInlineTree {
 public:
  struct Run {
    uint64_t start = 0;  // link-time vaddrs, [start, end), non-empty, sorted, disjoint
    uint64_t end = 0;
    int32_t index = -1;  // innermost inlined call at these pcs; -1: the function's own code
  };

  // The innermost inlined call at `pc`: -1 for the function's own code, nullopt outside it.
  std::optional<int32_t> IndexAt(uint64_t pc) const;
  // The entry `index` (>= 0) if some pc lies in it (directly or in a call inlined into it);
  // nullptr otherwise. Calls whose code was optimised away entirely are not decoded.
  const InlinedCallEntry* Entry(int32_t index) const;
  const std::vector<Run>& runs() const { return runs_; }
  // Indices with a decoded entry, ascending.
  std::vector<int32_t> Indices() const;

 private:
  friend class InlineTreeReader;
  std::vector<Run> runs_;
  std::vector<std::optional<InlinedCallEntry>> entries_;  // by index
};

// Finds and decodes inline trees. Views the Pclntab and ELF file it was made from.
class InlineTreeReader {
 public:
  // `go_version` only matters for the Go 1.2 table format, whose FUNCDATA numbering and entry
  // layout are known for Go 1.14-1.15 only.
  static InlineTreeReader Create(const elf::ElfFile& elf, const Pclntab& pclntab,
                                 const std::optional<Moduledata>& moduledata,
                                 std::pair<int, int> go_version);

  // Ok, or why no tree of this binary can be read (then Read() fails for every function that
  // has one).
  const Status& status() const { return status_; }
  // nullopt if `func` has no inlined calls; Malformed if its tree cannot be read or an entry
  // fails a check (a name that is not a name, a parent that is not an earlier entry, a call site
  // outside the function, a source line that is not positive).
  StatusOr<std::optional<FunctionInlineTree>> Read(const FuncRecord& func) const;

 private:
  InlineTreeReader(const elf::ElfFile& elf, const Pclntab& pclntab)
      : elf_(&elf), pclntab_(&pclntab) {}
  Status ReadEntry(const FuncRecord& func, Bytes tree, int32_t index,
                   FunctionInlineTree* out) const;

  const elf::ElfFile* elf_;  // never null
  const Pclntab* pclntab_;   // never null
  Status status_;
  std::optional<int> funcdata_index_;       // FUNCDATA_InlTree
  std::optional<uint64_t> funcdata_base_;   // go:func.*; absent: funcdata words are addresses
  bool entries_have_parent_index_ = false;  // Go <= 1.19 entries; newer ones resolve parentPc
};

}  // namespace gotap::gobin
