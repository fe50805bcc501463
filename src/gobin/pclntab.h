// Go's pc-line table (`.gopclntab`): every function's name, entry and end, and per-function
// pc-value tables (pcsp, pcdata) and funcdata, in all formats from Go 1.2 to the newest.
// See go-internals.md §3. Addresses returned are link-time vaddrs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "base/byte_reader.h"
#include "base/status.h"

namespace gotap::gobin {

enum class PclntabVersion {
  kGo12,   // magic 0xfffffffb, Go 1.2 - 1.15
  kGo116,  // magic 0xfffffffa, Go 1.16 - 1.17
  kGo118,  // magic 0xfffffff0, Go 1.18 - 1.19
  kGo120,  // magic 0xfffffff1, Go 1.20 and later
};
const char* PclntabVersionName(PclntabVersion version);  // "1.2", "1.16", "1.18", "1.20"

// PCDATA and FUNCDATA table indices that gotap reads (stable since Go 1.16; InlTreeIndex since
// Go 1.12; FUNCDATA_InlTree was 4 in Go 1.14 and 1.15).
constexpr int kPcdataInlTreeIndex = 2;

struct FuncRecord {
  std::string_view name;     // points into the binary's bytes
  uint64_t entry = 0;        // link-time vaddr
  uint64_t end = 0;          // link-time vaddr one past the last byte (next function's entry)
  uint32_t func_offset = 0;  // offset of the _func record from the start of pclntable
  int32_t args = 0;          // size of the argument area; 0x80000000 = unknown (assembly)
  uint8_t func_id = 0;       // runtime funcID (numbering differs between Go versions)
  uint8_t flags = 0;         // runtime funcFlag (Go >= 1.17; 0 before): kFuncFlag*
};

// runtime funcFlag bits (runtime/symtab.go, abi/symtab.go).
inline constexpr uint8_t kFuncFlagTopFrame = 1;  // the outermost frame of a stack (goexit, mstart)
inline constexpr uint8_t kFuncFlagSpWrite = 2;   // writes SP other than by the frame (switches)
inline constexpr uint8_t kFuncFlagAsm = 4;       // written in assembly

// Views the table bytes it was parsed from: they must outlive it.
class Pclntab {
 public:
  // `table` starts at the pcHeader (or the Go 1.2 header) and may extend past the table's end.
  // `table_vaddr` is the table's link-time address. `text_start` overrides the header's
  // textStart; it is required for Go >= 1.26, whose header holds 0 (pass 0 otherwise).
  static StatusOr<Pclntab> Parse(Bytes table, uint64_t table_vaddr, uint64_t text_start);

  // True if the bytes look like a pclntab header (magic, padding, quantum, pointer size).
  static bool LooksLikeHeader(Bytes bytes);

  PclntabVersion version() const { return version_; }
  uint8_t quantum() const { return quantum_; }
  uint8_t ptr_size() const { return ptr_size_; }
  uint64_t text_start() const { return text_start_; }
  bool header_text_start_is_zero() const { return header_text_start_zero_; }
  // Sorted by entry, as in the table.
  const std::vector<FuncRecord>& functions() const { return functions_; }

  // Offset into the pc-value area of the function's pcdata table `index`; nullopt if absent.
  std::optional<uint32_t> PcdataOffset(const FuncRecord& func, int index) const;
  // Raw funcdata word `index`: for Go >= 1.18 an offset from moduledata.gofunc, before that an
  // absolute link-time address. nullopt if absent.
  std::optional<uint64_t> Funcdata(const FuncRecord& func, int index) const;
  // The pcsp table's offset in the pc-value area; nullopt if absent.
  std::optional<uint32_t> PcspOffset(const FuncRecord& func) const;

  // Walks a pc-value table: calls visit(start, end, value) for each run of pcs, starting at
  // func.entry. Returns false if the table is malformed or runs past the function's end.
  bool ForEachPcValue(const FuncRecord& func, uint32_t table_offset,
                      const std::function<void(uint64_t, uint64_t, int32_t)>& visit) const;

  // The NUL-terminated name at `name_offset` in the function-name table (Go >= 1.16; nullopt
  // unless the offset is inside the table and at the start of a name) or in the whole table (Go
  // 1.2 format, whose names are not packed). Never empty.
  std::optional<std::string_view> FuncName(int32_t name_offset) const;

  struct Layout;  // field offsets of _func for one table version (defined in pclntab.cc)

 private:
  Pclntab() = default;
  Status ParseHeader();
  Status ParseFunctab();
  const Layout& layout() const;

  Bytes table_;
  uint64_t table_vaddr_ = 0;
  PclntabVersion version_ = PclntabVersion::kGo120;
  uint8_t quantum_ = 1;
  uint8_t ptr_size_ = 8;
  uint64_t nfunc_ = 0;
  uint64_t text_start_ = 0;
  bool header_text_start_zero_ = false;
  uint64_t funcname_offset_ = 0;  // all offsets relative to the table start
  uint64_t funcname_end_ = 0;     // one past the function-name table (cutab follows it)
  uint64_t pctab_offset_ = 0;
  uint64_t pcln_offset_ = 0;  // start of pclntable (functab, then _func records)
  std::vector<FuncRecord> functions_;
};

}  // namespace gotap::gobin
