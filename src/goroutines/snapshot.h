// A best-effort consistent listing of every goroutine of a live Go process, read from outside
// without stopping it (unless the caller froze it): each g is read, its stack unwound, and the g
// read again; a goroutine whose status, goid or saved registers changed in between is marked
// `changed` and its frames are not trusted.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "gobin/binary.h"
#include "gobin/runtime_layout.h"
#include "gobin/symbolizer.h"
#include "goroutines/allgs.h"
#include "goroutines/status_names.h"
#include "proc/process_memory.h"

namespace gotap::goroutines {

struct Frame {
  std::string function;  // from the target's pclntab: untrusted text, escape on output
  std::string file;
  int32_t line = 0;
  bool inlined = false;  // an inlined call (no stack frame of its own)
  uint64_t pc = 0;       // runtime address; for inlined frames the pc of their physical frame
  uint64_t offset = 0;   // pc - the physical function's entry (Go's "+0x1b")
  bool wrapper = false;  // compiler-generated wrapper (e.g. of a `go f(x)` statement)
  // Whether runtime.Stack shows this frame at the default GOTRACEBACK level: no wrappers, no
  // unexported runtime functions.
  bool Shown() const;
};

struct Goroutine {
  uint64_t g = 0;  // runtime address of the runtime.g
  int64_t goid = 0;
  uint32_t status = 0;    // atomicstatus without the scan bit
  bool scanning = false;  // the GC's scan bit was set
  std::string status_name;
  std::string wait_reason;             // empty unless waiting with a reason
  std::optional<int64_t> waiting_ns;   // now - g.waitsince, when the runtime recorded it
  std::optional<uint64_t> thread_id;   // the M's procid when running or in a syscall
  bool locked_to_thread = false;       // g.lockedm != 0
  std::optional<uint64_t> locked_tid;  // the locked M's procid when readable
  std::string start_function;          // of g.startpc
  std::string created_by;              // function holding g.gopc; empty if none
  std::string created_at;              // "file:line" of the go statement
  std::optional<int64_t> parent_goid;  // Go >= 1.21
  bool system = false;                 // a runtime goroutine (runtime.Stack hides it)
  bool changed = false;                // changed while being read
  std::vector<Frame> frames;           // innermost first; empty while running
  std::string unwind_error;            // why the unwinding stopped early; empty if it did not
  // The state as runtime.Stack prints it: the wait reason, else the status name.
  std::string State() const { return wait_reason.empty() ? status_name : wait_reason; }
  // The first frame runtime.Stack would show (not a runtime internal), else the first frame,
  // else the start function (running goroutines).
  std::string TopFunction() const;
};

struct SnapshotInfo {
  std::string go_version;
  std::string layout;  // RuntimeLayout::ToString()
  const char* allgs_found_by = "";
  const char* wait_reasons_from = "";
  uint64_t load_bias = 0;
  uint64_t allglen = 0;
};

struct Snapshot {
  std::vector<Goroutine> goroutines;  // by goid
  SnapshotInfo info;
};

// Everything about the target's binary a listing needs, computed once.
class GoroutineReader {
 public:
  // `binary` is the target's executable; `load_bias` its runtime minus link-time address.
  static StatusOr<GoroutineReader> Create(const gobin::Binary& binary, uint64_t load_bias);

  // Reads every goroutine that is not dead. `unwind` false skips stacks (faster); the top
  // function is then the start function.
  StatusOr<Snapshot> Read(const proc::ProcessMemory& memory, bool unwind) const;

  const gobin::RuntimeLayout& layout() const { return layout_; }
  const WaitReasons& wait_reasons() const { return wait_reasons_; }
  const AllgsLocation& allgs() const { return allgs_; }

 private:
  struct PendingUnwind;
  Status UnwindAll(const proc::ProcessMemory& memory, const std::vector<PendingUnwind>& pending,
                   std::vector<Goroutine>* goroutines) const;
  GoroutineReader(const gobin::Binary& binary, gobin::Symbolizer symbolizer)
      : binary_(&binary), symbolizer_(std::move(symbolizer)) {}

  const gobin::Binary* binary_;  // never null
  gobin::Symbolizer symbolizer_;
  uint64_t load_bias_ = 0;
  gobin::RuntimeLayout layout_;
  WaitReasons wait_reasons_;
  AllgsLocation allgs_;
};

// True for a function runtime.Stack hides by default (an unexported runtime.* function, or a
// name without a package).
bool IsRuntimeInternal(std::string_view function);

}  // namespace gotap::goroutines
