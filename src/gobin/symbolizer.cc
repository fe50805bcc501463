#include "gobin/symbolizer.h"

#include <fmt/format.h>

namespace gotap::gobin {
std::string SourceFrame::ToString() const {
  return fmt::format("{}{} {}:{}", function, inlined ? " (inlined)" : "", pos.file, pos.line);
}

StatusOr<Symbolizer> Symbolizer::Create(const Binary& binary) {
  Symbolizer s(binary);
  s.table_ = binary.pclntab_location().bytes;
  const Pclntab& tab = binary.pclntab();
  ByteReader r(s.table_);
  switch (tab.version()) {
    case PclntabVersion::kGo12: {
      // functab[nfunc] {entry, funcoff}, the end pc, then the u32 filetab offset.
      auto nfunc = r.U64(8);
      if (!nfunc) return Malformed("truncated pclntab header");
      auto filetab = r.U32(16 + *nfunc * 16 + 8);
      if (!filetab) return Malformed("pclntab file table offset is out of range");
      s.filetab_ = *filetab;
      s.pcln_ = 0;  // _func offsets are from the table start
      s.pcfile_at_ = 24, s.pcln_at_ = 28, s.cu_at_ = 0;
      break;
    }
    case PclntabVersion::kGo116: {
      auto cutab = r.U64(32), filetab = r.U64(40), pcln = r.U64(56);
      if (!cutab || !filetab || !pcln) return Malformed("truncated pclntab header");
      s.cutab_ = *cutab, s.filetab_ = *filetab, s.pcln_ = *pcln;
      s.pcfile_at_ = 24, s.pcln_at_ = 28, s.cu_at_ = 36;
      break;
    }
    case PclntabVersion::kGo118:
    case PclntabVersion::kGo120: {
      auto cutab = r.U64(40), filetab = r.U64(48), pcln = r.U64(64);
      if (!cutab || !filetab || !pcln) return Malformed("truncated pclntab header");
      s.cutab_ = *cutab, s.filetab_ = *filetab, s.pcln_ = *pcln;
      s.pcfile_at_ = 20, s.pcln_at_ = 24, s.cu_at_ = 32;
      break;
    }
  }
  return s;
}

std::optional<uint64_t> Symbolizer::RecordOffset(const FuncRecord& func) const {
  return pcln_ + func.func_offset;
}

std::optional<int32_t> Symbolizer::PcValueAt(const FuncRecord& func, uint32_t table_offset,
                                             uint64_t pc) const {
  std::optional<int32_t> found;
  bool ok = binary_->pclntab().ForEachPcValue(func, table_offset,
                                              [&](uint64_t start, uint64_t end, int32_t value) {
                                                if (!found && pc >= start && pc < end) {
                                                  found = value;
                                                }
                                              });
  if (!ok && !found) return std::nullopt;
  return found;
}

std::optional<int32_t> Symbolizer::SpDeltaAt(const FuncRecord& func, uint64_t pc) const {
  auto table = binary_->pclntab().PcspOffset(func);
  if (!table) return std::nullopt;
  return PcValueAt(func, *table, pc);
}

std::optional<std::string_view> Symbolizer::FileName(const FuncRecord& func,
                                                     int32_t file_index) const {
  if (file_index < 0) return std::nullopt;
  ByteReader r(table_);
  const uint64_t record = *RecordOffset(func);
  if (binary_->pclntab().version() == PclntabVersion::kGo12) {
    // filetab[0] is the count; filetab[i] the offset of file i's name from the table start.
    auto count = r.U32(filetab_);
    if (!count || static_cast<uint32_t>(file_index) >= *count) return std::nullopt;
    auto name_at = r.U32(filetab_ + 4 * static_cast<uint64_t>(file_index));
    if (!name_at) return std::nullopt;
    return r.CString(*name_at, 4096);
  }
  auto cu = r.U32(record + cu_at_);
  if (!cu) return std::nullopt;
  auto name_at = r.U32(cutab_ + 4 * (uint64_t{*cu} + static_cast<uint64_t>(file_index)));
  if (!name_at || *name_at == UINT32_MAX) return std::nullopt;
  return r.CString(filetab_ + *name_at, 4096);
}

std::optional<SourcePos> Symbolizer::PosAt(const FuncRecord& func, uint64_t pc) const {
  ByteReader r(table_);
  const uint64_t record = *RecordOffset(func);
  auto pcfile = r.U32(record + pcfile_at_), pcln = r.U32(record + pcln_at_);
  if (!pcfile || !pcln || *pcfile == 0 || *pcln == 0) return std::nullopt;
  auto file_index = PcValueAt(func, *pcfile, pc);
  auto line = PcValueAt(func, *pcln, pc);
  if (!file_index || !line) return std::nullopt;
  SourcePos pos;
  pos.line = *line;
  if (auto name = FileName(func, *file_index)) pos.file = *name;
  return pos;
}

std::vector<SourceFrame> Symbolizer::FramesAt(uint64_t pc) const {
  std::vector<SourceFrame> frames;
  const FuncRecord* func = binary_->FunctionAt(pc);
  if (func == nullptr) return frames;
  // A tree that cannot be read leaves the inlined frames out; the function's own frame stays.
  auto tree = binary_->inline_tree_reader().Read(*func);
  uint64_t at = pc;
  if (tree.ok() && tree->has_value()) {
    const FunctionInlineTree& t = **tree;
    std::optional<int32_t> index = t.IndexAt(at);
    // Entries are decoded with parents at lower indices, so this walk ends.
    for (const InlinedCallEntry* call = index ? t.Entry(*index) : nullptr; call != nullptr;
         call = t.Entry(call->parent)) {
      SourceFrame frame;
      frame.function = call->callee;
      frame.inlined = true;
      if (auto pos = PosAt(*func, at)) frame.pos = *pos;
      frames.push_back(frame);
      at = call->parent_pc;  // an instruction of the caller at the call site
    }
  }
  SourceFrame outer;
  outer.function = binary_->Name(*func);
  if (outer.function.empty()) outer.function = "?";  // a malformed table's empty name
  if (auto pos = PosAt(*func, at)) outer.pos = *pos;
  frames.push_back(outer);
  return frames;
}

}  // namespace gotap::gobin
