#include "gobin/runtime_model.h"

#include <elf.h>
#include <fmt/format.h>

#include "arch/arg_load_tracker.h"
#include "gobin/binary.h"
#include "gobin/runtime_structs.h"
#include "gobin/version_tables.h"

namespace gotap::gobin {
namespace {

// The g slot the runtime uses on linux/amd64 when nothing says otherwise (go-internals.md §5.2).
constexpr int64_t kDefaultTlsGOffset = -8;

// runtime.goroutineheader starts with print("goroutine ", gp.goid, ...): the value passed to the
// first runtime.printint (goid is int64 up to Go 1.19) or printuint (uint64 since 1.20) is
// loaded from gp at the goid offset.
std::optional<uint64_t> GoidOffsetFromCode(const Binary& binary) {
  auto header = binary.FindFunctions("runtime.goroutineheader");
  if (header.empty()) return std::nullopt;
  arch::ArgLoadQuery query;
  query.arch = binary.arch();
  query.register_abi = binary.abi() == Abi::kRegister;
  query.entry = header[0]->entry;
  auto code = binary.Code(*header[0]);
  if (!code) return std::nullopt;
  query.code = *code;
  for (const char* callee : {"runtime.printint", "runtime.printuint"}) {
    for (const FuncRecord* f : binary.FindFunctions(callee)) query.callees.insert(f->entry);
  }
  std::optional<int64_t> displacement = arch::FindFirstArgumentLoad(query);
  // runtime.g's goid has sat between 0x80 and 0x100 in every release; anything else is a misread.
  if (!displacement || *displacement < 0x80 || *displacement > 0x100 || *displacement % 8 != 0) {
    return std::nullopt;
  }
  return static_cast<uint64_t>(*displacement);
}

}  // namespace

const char* TlsSlotSourceName(TlsSlotSource source) {
  return source == TlsSlotSource::kTlsgSymbol ? "runtime.tlsg" : "default";
}

GoidOffset DeriveGoidOffset(const Binary& binary) {
  GoidOffset goid;
  goid.go_version = binary.go_major_minor();
  if (!VersionTablesDisabled()) goid.table_offset = GoidOffsetForVersion(goid.go_version);
  if (auto info = binary.dwarf(); info.ok()) {
    if (auto offset = (*info)->MemberOffset("runtime.g", "goid")) {
      goid.offset = *offset;
      goid.source = GoidSource::kDwarf;
      return goid;
    }
  }
  if (std::optional<uint64_t> from_code = GoidOffsetFromCode(binary)) {
    goid.offset = *from_code;
    goid.source = GoidSource::kCode;
    return goid;
  }
  if (auto from_types = RuntimeStructs::Find(binary).GField("goid"); from_types.ok()) {
    goid.offset = *from_types;
    goid.source = GoidSource::kTypeData;
    return goid;
  }
  if (goid.table_offset) {
    goid.offset = *goid.table_offset;
    goid.source = GoidSource::kVersionTable;
    return goid;
  }
  // The offset of every Go release but 1.23-1.24; reported as "none", never as derived.
  goid.offset = GLayout{}.goid;
  goid.source = GoidSource::kNone;
  return goid;
}

std::optional<int64_t> TlsGOffsetFromSymbols(const elf::ElfFile& elf) {
  const elf::Symbol* tlsg = elf.FindSymbol("runtime.tlsg");
  if (tlsg == nullptr) return std::nullopt;
  for (const elf::Segment& seg : elf.segments()) {
    if (seg.type != PT_TLS) continue;
    const uint64_t align = seg.align == 0 ? 1 : seg.align;
    // The TLS block ends at the thread pointer (variant II): a variable at `value` in it sits
    // at value - roundup(memsz, align) from fs_base.
    const uint64_t block = (seg.mem_size + align - 1) / align * align;
    if (tlsg->value >= block || block > 1 << 20) return std::nullopt;
    const int64_t offset = static_cast<int64_t>(tlsg->value) - static_cast<int64_t>(block);
    if (offset % 8 != 0) return std::nullopt;
    return offset;
  }
  return std::nullopt;
}

RuntimeModel RuntimeModel::Derive(const Binary& binary) {
  int64_t tls = kDefaultTlsGOffset;
  TlsSlotSource tls_source = TlsSlotSource::kDefault;
  if (binary.arch() == arch::Arch::kX86_64) {
    if (std::optional<int64_t> from_symbols = TlsGOffsetFromSymbols(binary.elf())) {
      tls = *from_symbols;
      tls_source = TlsSlotSource::kTlsgSymbol;
    }
  }
  return RuntimeModel(DeriveGoidOffset(binary), ResolveLayout(binary), tls, tls_source,
                      StdLayoutsForVersion(binary.go_major_minor()));
}

uint64_t RuntimeModel::stack_lo_offset() const {
  return layout_.ok() ? layout_->g.stack_lo : GLayout{}.stack_lo;
}

uint64_t RuntimeModel::stack_hi_offset() const {
  return layout_.ok() ? layout_->g.stack_hi : GLayout{}.stack_hi;
}

std::vector<std::string> RuntimeModel::Disagreements() const {
  std::vector<std::string> out;
  if (layout_.ok()) out = layout_->disagreements;
  if (std::string d = goid_.Disagreement(); !d.empty()) out.push_back(d);
  if (layout_.ok() && layout_->g.goid != goid_.offset) {
    out.push_back(fmt::format(
        "runtime.g goid offset {} from {} disagrees with the layout's {} ({})", goid_.offset,
        GoidSourceName(goid_.source), layout_->g.goid, LayoutSourceName(layout_->source)));
  }
  return out;
}

}  // namespace gotap::gobin
