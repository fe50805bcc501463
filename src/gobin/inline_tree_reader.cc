#include "gobin/inline_tree_reader.h"

#include <algorithm>

#include "gobin/symbol_name.h"

namespace gotap::gobin {
namespace {

// A function's tree holds one entry per inlined call that left code behind; a few thousand at
// most in the largest functions. The bound keeps a hostile table from allocating gigabytes.
constexpr int32_t kMaxTreeEntries = 1 << 16;

// runtime.inlinedCall (runtime/symtabinl.go and its predecessors).
struct EntryLayout {
  uint32_t size;
  uint32_t name_at;       // int32 offset into the function-name table
  uint32_t parent_pc_at;  // int32 offset from the function's entry
  uint32_t line_at;       // int32 source line (of the call, or of the callee's start): > 0
};
// Go 1.14-1.19: parent int16, funcID, pad, file int32, line int32, func_ int32, parentPc int32.
constexpr EntryLayout kEntryWithParent{20, 12, 16, 8};
// Go >= 1.20: funcID, pad[3], nameOff int32, parentPc int32, startLine int32.
constexpr EntryLayout kEntryWithoutParent{16, 4, 8, 12};

}  // namespace

std::optional<int32_t> FunctionInlineTree::IndexAt(uint64_t pc) const {
  auto it = std::upper_bound(runs_.begin(), runs_.end(), pc,
                             [](uint64_t p, const Run& r) { return p < r.start; });
  if (it == runs_.begin()) return std::nullopt;
  --it;
  if (pc >= it->end) return std::nullopt;
  return it->index;
}

const InlinedCallEntry* FunctionInlineTree::Entry(int32_t index) const {
  if (index < 0 || static_cast<size_t>(index) >= entries_.size() || !entries_[index]) {
    return nullptr;
  }
  return &*entries_[index];
}

std::vector<int32_t> FunctionInlineTree::Indices() const {
  std::vector<int32_t> out;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i]) out.push_back(static_cast<int32_t>(i));
  }
  return out;
}

InlineTreeReader InlineTreeReader::Create(const elf::ElfFile& elf, const Pclntab& pclntab,
                                          const std::optional<Moduledata>& moduledata,
                                          std::pair<int, int> go_version) {
  InlineTreeReader reader(elf, pclntab);
  // FUNCDATA_InlTree: 4 in Go 1.14-1.15 (the 1.2 table format), 3 from Go 1.16 on. Older
  // numberings and entry layouts differ and are not read.
  if (pclntab.version() != PclntabVersion::kGo12) {
    reader.funcdata_index_ = 3;
  } else if (go_version >= std::pair<int, int>{1, 14}) {
    reader.funcdata_index_ = 4;
  } else {
    reader.status_ = Unsupported("inline trees of Go < 1.14 are not read");
  }
  // From the 1.18 format on, funcdata words are offsets from go:func.*, whose address only
  // moduledata holds.
  if (pclntab.version() >= PclntabVersion::kGo118) {
    if (moduledata && moduledata->gofunc) {
      reader.funcdata_base_ = moduledata->gofunc;
    } else if (reader.status_.ok()) {
      reader.status_ = NotFound("no funcdata base (go:func.*) found in runtime.moduledata");
    }
  }
  reader.entries_have_parent_index_ = pclntab.version() != PclntabVersion::kGo120;
  return reader;
}

StatusOr<std::optional<FunctionInlineTree>> InlineTreeReader::Read(const FuncRecord& func) const {
  auto index_table = pclntab_->PcdataOffset(func, kPcdataInlTreeIndex);
  if (!index_table) return std::optional<FunctionInlineTree>();
  if (!status_.ok()) return status_;
  auto tree_ref = pclntab_->Funcdata(func, *funcdata_index_);
  if (!tree_ref) return Malformed("inline tree index without an inline tree");
  uint64_t tree_vaddr = funcdata_base_ ? *funcdata_base_ + *tree_ref : *tree_ref;
  auto tree_bytes = elf_->ReadVaddrToSegmentEnd(tree_vaddr);
  if (!tree_bytes) return Malformed("inline tree at {:#x} is outside the file", tree_vaddr);

  FunctionInlineTree tree;
  int32_t max_index = -1;
  bool ok = pclntab_->ForEachPcValue(func, *index_table,
                                     [&](uint64_t start, uint64_t end, int32_t index) {
                                       if (start == end) return;
                                       tree.runs_.push_back({start, end, index});
                                       max_index = std::max(max_index, index);
                                     });
  if (!ok) return Malformed("inline tree index table is malformed");
  if (max_index < 0) return std::optional<FunctionInlineTree>();
  if (max_index >= kMaxTreeEntries)
    return Malformed("inline tree index {} is too large", max_index);
  for (const auto& run : tree.runs_) {
    if (run.index < -1) return Malformed("negative inline tree index {}", run.index);
  }
  tree.entries_.resize(static_cast<size_t>(max_index) + 1);
  // Decode the entries pcs point at, then their ancestors: a parent has a lower index than its
  // children (the compiler adds it first), so one pass down from the highest index finds all.
  for (const auto& run : tree.runs_) {
    if (run.index >= 0 && !tree.entries_[run.index]) {
      RETURN_IF_ERROR(ReadEntry(func, *tree_bytes, run.index, &tree));
    }
  }
  for (int32_t i = max_index; i >= 0; --i) {
    if (!tree.entries_[i]) continue;
    int32_t parent = tree.entries_[i]->parent;
    if (parent >= 0 && !tree.entries_[parent]) {
      RETURN_IF_ERROR(ReadEntry(func, *tree_bytes, parent, &tree));
    }
  }
  return std::optional<FunctionInlineTree>(std::move(tree));
}

Status InlineTreeReader::ReadEntry(const FuncRecord& func, Bytes tree_bytes, int32_t index,
                                   FunctionInlineTree* tree) const {
  const EntryLayout& layout = entries_have_parent_index_ ? kEntryWithParent : kEntryWithoutParent;
  ByteReader reader(tree_bytes);
  const uint64_t at = uint64_t(index) * layout.size;
  auto name_offset = reader.U32(at + layout.name_at);
  auto parent_pc = reader.U32(at + layout.parent_pc_at);
  auto line = reader.U32(at + layout.line_at);
  if (!name_offset || !parent_pc || !line) {
    return Malformed("inline tree entry {} is truncated", index);
  }
  // Zero-filled bytes would otherwise pass every check below (name 0 is the table's first).
  if (static_cast<int32_t>(*line) <= 0) {
    return Malformed("inline tree entry {} has line {}", index, static_cast<int32_t>(*line));
  }
  auto callee = pclntab_->FuncName(static_cast<int32_t>(*name_offset));
  if (!callee || !IsGoSymbolName(*callee)) {
    return Malformed("inline tree entry {} has no valid function name", index);
  }
  if (*parent_pc >= func.end - func.entry) {
    return Malformed("inline tree entry {} has its call site outside the function", index);
  }
  InlinedCallEntry entry;
  entry.callee = *callee;
  entry.parent_pc = func.entry + *parent_pc;
  if (entries_have_parent_index_) {
    auto parent = reader.U16(at);
    if (!parent) return Malformed("inline tree entry {} is truncated", index);
    entry.parent = static_cast<int16_t>(*parent);
  } else {
    // The call site is an instruction of the parent: the index there is the parent's.
    auto parent = tree->IndexAt(entry.parent_pc);
    if (!parent) return Malformed("inline tree entry {} has no code at its call site", index);
    entry.parent = *parent;
  }
  if (entry.parent < -1 || entry.parent >= index) {
    return Malformed("inline tree entry {} has parent {}, not an earlier entry", index,
                     entry.parent);
  }
  tree->entries_[index] = entry;
  return Status::Ok();
}

}  // namespace gotap::gobin
