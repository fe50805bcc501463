// pc -> function, file:line, with the inlined calls at that pc, from pclntab alone (works on
// stripped binaries). All pcs are link-time vaddrs. See go-internals.md §3.3 (pcfile/pcln,
// cutab/filetab) and §10 (inline tree).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "gobin/binary.h"

namespace gotap::gobin {

struct SourcePos {
  std::string_view file;  // points into the binary's bytes; empty if unknown
  int32_t line = 0;       // 0 if unknown
};

// One frame as Go's own tracebacks print it.
struct SourceFrame {
  std::string_view function;  // points into the binary's bytes; never empty
  SourcePos pos;
  bool inlined = false;          // an inlined call: it has no frame of its own on the stack
  std::string ToString() const;  // "main.worker /src/main.go:12" (unescaped)
};

// Views the Binary it was made from: the Binary must outlive it.
class Symbolizer {
 public:
  static StatusOr<Symbolizer> Create(const Binary& binary);

  // The frames at `pc`, innermost inlined call first and the function holding `pc` last; empty
  // if no function holds `pc`. For a return address pass the call instruction (pc - 1), as
  // Go's traceback does.
  std::vector<SourceFrame> FramesAt(uint64_t pc) const;

  // File and line of `pc` inside `func` (no inlining applied: the innermost position).
  std::optional<SourcePos> PosAt(const FuncRecord& func, uint64_t pc) const;
  // The value of the pc-value table at `table_offset` (from Pclntab) that covers `pc`.
  std::optional<int32_t> PcValueAt(const FuncRecord& func, uint32_t table_offset,
                                   uint64_t pc) const;
  // Stack-pointer delta (frame size so far) at `pc`, from pcsp.
  std::optional<int32_t> SpDeltaAt(const FuncRecord& func, uint64_t pc) const;

 private:
  explicit Symbolizer(const Binary& binary) : binary_(&binary) {}
  std::optional<std::string_view> FileName(const FuncRecord& func, int32_t file_index) const;
  std::optional<uint64_t> RecordOffset(const FuncRecord& func) const;

  const Binary* binary_;  // never null
  Bytes table_;           // the pclntab, from its header on
  uint64_t cutab_ = 0;    // offsets from the table start; cutab unused for the Go 1.2 format
  uint64_t filetab_ = 0;
  uint64_t pcln_ = 0;  // start of pclntable (functab then _func records)
  uint32_t pcfile_at_ = 0, pcln_at_ = 0, cu_at_ = 0;  // _func field offsets
};

}  // namespace gotap::gobin
