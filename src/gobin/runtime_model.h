// gobin::RuntimeModel — the one home of the Go runtime facts gotap reads in a live process or
// hands to the BPF program: where the running g is (the TLS slot; the register is the ABI's,
// arch/abi.h), runtime.g's goid and stack bounds, the rest of the runtime.g / runtime.m layout,
// the layout of the runtime's type descriptors with their kind numbers, and the context types'
// layouts. Derived once per binary, by gobin::Binary::runtime(), from the binary itself (DWARF,
// the runtime's type data, its code, its symbols); the per-Go-version tables (runtime_layout.h,
// std_layouts.h) are the last resort and the cross-check, whose disagreements are reported,
// never resolved (design.md, go-internals.md §5-§7). Consumers read this model; none keeps its
// own copy of a number.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "elf/elf_file.h"
#include "gobin/goid.h"
#include "gobin/runtime_layout.h"
#include "gobin/std_layouts.h"
#include "gobin/type_layout.h"

namespace gotap::gobin {

class Binary;  // binary.h includes this header

enum class TlsSlotSource {
  kTlsgSymbol,  // runtime.tlsg's value and PT_TLS (Delve's rule), from .symtab
  kDefault,     // the slot the runtime uses when linked internally: fs_base - 8
};
const char* TlsSlotSourceName(TlsSlotSource source);  // "runtime.tlsg" | "default"

class RuntimeModel {
 public:
  // Never fails as a whole: a part that cannot be derived says why (layout()), or falls back
  // to what every supported release has (stack bounds, TLS slot) and says so.
  static RuntimeModel Derive(const Binary& binary);

  // Where runtime.g keeps the goroutine id, and from which source.
  const GoidOffset& goid() const { return goid_; }
  // The runtime.g / runtime.m fields a goroutine listing and `gotap ns` read; an error (with
  // what each source lacked) when no source gives every field.
  const StatusOr<RuntimeLayout>& layout() const { return layout_; }
  // runtime.g.stack.{lo,hi}: the layout's, else the first two words of runtime.g, where
  // `stack stack` has sat in every Go release.
  uint64_t stack_lo_offset() const;
  uint64_t stack_hi_offset() const;
  // amd64: where g sits relative to the thread pointer (fs_base) for code that does not keep it
  // in a register (ABI0, Go < 1.17). Negative.
  int64_t tls_g_offset() const { return tls_g_offset_; }
  TlsSlotSource tls_g_source() const { return tls_g_source_; }
  // runtime._type, its kind numbers and runtime.itab (type_layout.h).
  const TypeDescriptorLayout& type_descriptor() const { return kTypeDescriptor; }
  // The context types' layouts of the binary's Go release (std_layouts.h).
  const StdLayouts& std_layouts() const { return std_layouts_; }

  // Every place where a version table disagrees with what the binary says, one sentence each
  // (layout fields, then the goid), and where the goid disagrees with the layout's.
  std::vector<std::string> Disagreements() const;

 private:
  RuntimeModel(GoidOffset goid, StatusOr<RuntimeLayout> layout, int64_t tls_g_offset,
               TlsSlotSource tls_g_source, StdLayouts std_layouts)
      : goid_(std::move(goid)),
        layout_(std::move(layout)),
        tls_g_offset_(tls_g_offset),
        tls_g_source_(tls_g_source),
        std_layouts_(std_layouts) {}

  GoidOffset goid_;
  StatusOr<RuntimeLayout> layout_;
  int64_t tls_g_offset_;
  TlsSlotSource tls_g_source_;
  StdLayouts std_layouts_;
};

// runtime.g's goid offset: from DWARF, else from the runtime's code (runtime.goroutineheader),
// else from its type data, else the per-version table (unless the tables are disabled).
GoidOffset DeriveGoidOffset(const Binary& binary);

// amd64: the g slot's offset from fs_base by Delve's rule, runtime.tlsg's value minus PT_TLS's
// size rounded up to its alignment; nullopt without both (stripped binaries, or internal
// non-PIE links, which have no PT_TLS) or when the result is not a plausible slot.
std::optional<int64_t> TlsGOffsetFromSymbols(const elf::ElfFile& elf);

}  // namespace gotap::gobin
