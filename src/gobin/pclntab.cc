#include "gobin/pclntab.h"

#include <algorithm>

namespace gotap::gobin {

// Offsets of the _func fields gotap reads, per table version (go-internals.md §3.2).
struct Pclntab::Layout {
  uint32_t name_at;
  uint32_t args_at;
  uint32_t pcsp_at;
  uint32_t npcdata_at;
  uint32_t func_id_at;
  uint32_t nfuncdata_at;
  uint32_t fixed_size;  // pcdata offsets start here
};

namespace {

constexpr uint32_t kMagic12 = 0xfffffffb;
constexpr uint32_t kMagic116 = 0xfffffffa;
constexpr uint32_t kMagic118 = 0xfffffff0;
constexpr uint32_t kMagic120 = 0xfffffff1;
// No Go binary comes near this; it bounds allocation for a hostile header.
constexpr uint64_t kMaxFunctions = 1 << 24;
// Generic instantiations make long names; nothing the toolchain writes comes near this.
constexpr uint64_t kMaxNameLength = 4096;

// 64-bit layouts; the Go 1.2 and 1.16 formats start with a pointer-sized entry.
constexpr Pclntab::Layout kLayout12{8, 12, 20, 32, 36, 39, 40};
constexpr Pclntab::Layout kLayout116{8, 12, 20, 32, 40, 43, 44};
constexpr Pclntab::Layout kLayout118{4, 8, 16, 28, 36, 39, 40};
constexpr Pclntab::Layout kLayout120{4, 8, 16, 28, 40, 43, 44};

std::optional<PclntabVersion> VersionFromMagic(uint32_t magic) {
  switch (magic) {
    case kMagic12:
      return PclntabVersion::kGo12;
    case kMagic116:
      return PclntabVersion::kGo116;
    case kMagic118:
      return PclntabVersion::kGo118;
    case kMagic120:
      return PclntabVersion::kGo120;
    default:
      return std::nullopt;
  }
}

}  // namespace

const char* PclntabVersionName(PclntabVersion version) {
  switch (version) {
    case PclntabVersion::kGo12:
      return "1.2";
    case PclntabVersion::kGo116:
      return "1.16";
    case PclntabVersion::kGo118:
      return "1.18";
    case PclntabVersion::kGo120:
      return "1.20";
  }
  return "?";
}

const Pclntab::Layout& Pclntab::layout() const {
  switch (version_) {
    case PclntabVersion::kGo12:
      return kLayout12;
    case PclntabVersion::kGo116:
      return kLayout116;
    case PclntabVersion::kGo118:
      return kLayout118;
    case PclntabVersion::kGo120:
      return kLayout120;
  }
  return kLayout120;
}

bool Pclntab::LooksLikeHeader(Bytes bytes) {
  if (bytes.size() < 8) return false;
  ByteReader reader(bytes);
  auto magic = reader.U32(0);
  if (!magic || !VersionFromMagic(*magic)) return false;
  uint8_t quantum = bytes[6];
  uint8_t ptr_size = bytes[7];
  return bytes[4] == 0 && bytes[5] == 0 && (quantum == 1 || quantum == 2 || quantum == 4) &&
         (ptr_size == 4 || ptr_size == 8);
}

StatusOr<Pclntab> Pclntab::Parse(Bytes table, uint64_t table_vaddr, uint64_t text_start) {
  if (table.size() < 16 || !LooksLikeHeader(table)) return Malformed("bad pclntab header");
  Pclntab tab;
  tab.table_ = table;
  tab.table_vaddr_ = table_vaddr;
  tab.version_ = *VersionFromMagic(*ByteReader(table).U32(0));
  tab.quantum_ = table[6];
  tab.ptr_size_ = table[7];
  if (tab.ptr_size_ != 8) return Unsupported("32-bit pclntab is not supported");
  RETURN_IF_ERROR(tab.ParseHeader());
  if (tab.header_text_start_zero_ && text_start == 0) {
    return Malformed("pclntab textStart is 0 and no text base was found in moduledata");
  }
  if (text_start != 0) tab.text_start_ = text_start;
  RETURN_IF_ERROR(tab.ParseFunctab());
  return tab;
}

Status Pclntab::ParseHeader() {
  ByteReader r(table_);
  auto word = [&](uint64_t at) { return r.U64(at); };
  auto nfunc = word(8);
  if (!nfunc || *nfunc > kMaxFunctions) return Malformed("pclntab function count out of range");
  nfunc_ = *nfunc;
  switch (version_) {
    case PclntabVersion::kGo12:
      funcname_offset_ = 0;
      funcname_end_ = table_.size();
      pctab_offset_ = 0;
      pcln_offset_ = 16;  // functab follows nfunc directly
      return Status::Ok();
    case PclntabVersion::kGo116: {
      auto name = word(24), cu = word(32), pctab = word(48), pcln = word(56);
      if (!name || !cu || !pctab || !pcln) return Malformed("truncated pclntab header");
      funcname_offset_ = *name, funcname_end_ = *cu, pctab_offset_ = *pctab, pcln_offset_ = *pcln;
      return Status::Ok();
    }
    case PclntabVersion::kGo118:
    case PclntabVersion::kGo120: {
      auto text = word(24), name = word(32), cu = word(40), pctab = word(56), pcln = word(64);
      if (!text || !name || !cu || !pctab || !pcln) return Malformed("truncated pclntab header");
      text_start_ = *text;
      header_text_start_zero_ = *text == 0;
      funcname_offset_ = *name, funcname_end_ = *cu, pctab_offset_ = *pctab, pcln_offset_ = *pcln;
      return Status::Ok();
    }
  }
  return Internal("unknown pclntab version");
}

Status Pclntab::ParseFunctab() {
  ByteReader r(table_);
  const bool wide = version_ == PclntabVersion::kGo12 || version_ == PclntabVersion::kGo116;
  const uint64_t entry_size = wide ? 16 : 8;
  if (!r.Contains(pcln_offset_, (nfunc_ + 1) * entry_size)) {
    return Malformed("pclntab function table is truncated");
  }
  const Layout& lay = layout();
  functions_.reserve(nfunc_);
  // Reads functab entry i: (entry vaddr, _func offset from pclntable).
  auto read_entry = [&](uint64_t i, uint64_t* entry, uint64_t* func_off) {
    uint64_t at = pcln_offset_ + i * entry_size;
    if (wide) {
      *entry = *r.U64(at);
      *func_off = *r.U64(at + 8);
    } else {
      *entry = text_start_ + *r.U32(at);
      *func_off = *r.U32(at + 4);
    }
  };
  uint64_t entry = 0, func_off = 0;
  read_entry(0, &entry, &func_off);
  for (uint64_t i = 0; i < nfunc_; ++i) {
    uint64_t next_entry = 0, next_off = 0;
    if (wide || i + 1 < nfunc_) {
      read_entry(i + 1, &next_entry, &next_off);
    } else {
      next_entry = text_start_ + *r.U32(pcln_offset_ + nfunc_ * entry_size);  // end sentinel
    }
    if (next_entry < entry) return Malformed("pclntab entries are not sorted (function {})", i);
    // _func records are relative to pclntable (Go >= 1.16) or the table start (Go 1.2).
    uint64_t record = (version_ == PclntabVersion::kGo12 ? 0 : pcln_offset_) + func_off;
    if (func_off > UINT32_MAX || !r.Contains(record, lay.fixed_size)) {
      return Malformed("pclntab function {} record is out of range", i);
    }
    FuncRecord f;
    f.entry = entry;
    f.end = next_entry;
    f.func_offset = static_cast<uint32_t>(func_off);
    f.args = static_cast<int32_t>(*r.U32(record + lay.args_at));
    f.func_id = *r.U8(record + lay.func_id_at);
    // The byte after funcID: funcFlag from Go 1.17, padding (zero) before.
    f.flags = *r.U8(record + lay.func_id_at + 1);
    auto name = FuncName(static_cast<int32_t>(*r.U32(record + lay.name_at)));
    if (!name) return Malformed("pclntab function {} has a bad name offset", i);
    f.name = *name;
    functions_.push_back(f);
    entry = next_entry;
    func_off = next_off;
  }
  return Status::Ok();
}

std::optional<std::string_view> Pclntab::FuncName(int32_t name_offset) const {
  if (name_offset < 0) return std::nullopt;
  const uint64_t at = funcname_offset_ + static_cast<uint64_t>(name_offset);
  if (version_ == PclntabVersion::kGo12) {
    auto name = ByteReader(table_).CString(at, kMaxNameLength);
    if (!name || name->empty()) return std::nullopt;
    return name;
  }
  // funcnametab is NUL-terminated names back to back, so a name starts at the table's start or
  // right after a NUL; an offset into the middle of a name (or past the table) is a misread.
  if (at >= funcname_end_ || at >= table_.size()) return std::nullopt;
  if (name_offset > 0 && table_[at - 1] != 0) return std::nullopt;
  auto name = ByteReader(table_).CString(at, std::min(kMaxNameLength, funcname_end_ - at));
  if (!name || name->empty()) return std::nullopt;
  return name;
}

std::optional<uint32_t> Pclntab::PcspOffset(const FuncRecord& func) const {
  uint64_t record = (version_ == PclntabVersion::kGo12 ? 0 : pcln_offset_) + func.func_offset;
  auto v = ByteReader(table_).U32(record + layout().pcsp_at);
  if (!v || *v == 0) return std::nullopt;
  return v;
}

std::optional<uint32_t> Pclntab::PcdataOffset(const FuncRecord& func, int index) const {
  ByteReader r(table_);
  const Layout& lay = layout();
  uint64_t record = (version_ == PclntabVersion::kGo12 ? 0 : pcln_offset_) + func.func_offset;
  auto npcdata = r.U32(record + lay.npcdata_at);
  if (!npcdata || index < 0 || static_cast<uint32_t>(index) >= *npcdata) return std::nullopt;
  auto v = r.U32(record + lay.fixed_size + 4 * static_cast<uint64_t>(index));
  if (!v || *v == 0) return std::nullopt;
  return v;
}

std::optional<uint64_t> Pclntab::Funcdata(const FuncRecord& func, int index) const {
  ByteReader r(table_);
  const Layout& lay = layout();
  uint64_t record = (version_ == PclntabVersion::kGo12 ? 0 : pcln_offset_) + func.func_offset;
  auto npcdata = r.U32(record + lay.npcdata_at);
  auto nfuncdata = r.U8(record + lay.nfuncdata_at);
  if (!npcdata || !nfuncdata || index < 0 || index >= *nfuncdata) return std::nullopt;
  uint64_t at = record + lay.fixed_size + 4 * uint64_t{*npcdata};
  if (version_ == PclntabVersion::kGo118 || version_ == PclntabVersion::kGo120) {
    auto v = r.U32(at + 4 * static_cast<uint64_t>(index));
    if (!v || *v == UINT32_MAX) return std::nullopt;
    return *v;
  }
  // Older tables store absolute pointers, aligned to 8 in the address space.
  if ((table_vaddr_ + at) % 8 != 0) at += 4;
  auto v = r.U64(at + 8 * static_cast<uint64_t>(index));
  if (!v || *v == 0) return std::nullopt;
  return v;
}

bool Pclntab::ForEachPcValue(const FuncRecord& func, uint32_t table_offset,
                             const std::function<void(uint64_t, uint64_t, int32_t)>& visit) const {
  ByteReader r(table_);
  uint64_t at = pctab_offset_ + table_offset;
  // Values are int32 in Go; a table that steps outside that range is malformed (and adding
  // in int32 would overflow).
  int64_t value = -1;
  uint64_t pc = func.entry;
  for (bool first = true;; first = false) {
    auto uvdelta = r.Uvarint(&at);
    if (!uvdelta) return false;
    if (*uvdelta == 0 && !first) return true;
    if ((*uvdelta >> 1) > uint64_t{UINT32_MAX}) return false;  // no int32 step is this large
    int64_t magnitude = static_cast<int64_t>(*uvdelta >> 1);
    value += (*uvdelta & 1) ? -magnitude - 1 : magnitude;
    if (value < INT32_MIN || value > INT32_MAX) return false;
    auto pcdelta = r.Uvarint(&at);
    if (!pcdelta || pc > func.end || *pcdelta > (func.end - pc) / quantum_) return false;
    uint64_t next = pc + *pcdelta * quantum_;
    visit(pc, next, static_cast<int32_t>(value));
    pc = next;
  }
}

}  // namespace gotap::gobin
