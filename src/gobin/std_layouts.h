// The standard library's context types that gotap copies and reads behind interfaces without
// DWARF (decode/iface.h BuiltinShapes), on 64-bit targets: their sizes and the offsets of their
// nested interfaces, per Go release (go-internals.md §7). The one place these per-release numbers
// are written down; gobin::RuntimeModel hands out the binary's.
#pragma once

#include <cstdint>
#include <utility>

namespace gotap::gobin {

struct StdLayouts {
  // The error types' layouts have not changed since Go 1.13 (decode/iface.cc lists them); only
  // io/fs.PathError's name did.
  const char* path_error_type = "*fs.PathError";
  // Contexts: each holds its parent at offset 0. valueCtx{Context; key, val any}.
  uint16_t value_ctx_size = 48;
  // cancelCtx{Context; mu; done; children; err; cause}: where err starts and the struct's size.
  uint16_t cancel_err_at = 48;
  uint16_t cancel_size = 80;
  bool cancel_has_cause = true;     // cause error after err (WithCancelCause, Go >= 1.20)
  bool cancel_err_is_eface = true;  // err is an atomic.Value (an eface) since Go 1.25
  // timerCtx{cancelCtx; timer; deadline time.Time}: where deadline starts.
  uint16_t timer_deadline_at = 88;
  // Go 1.20 only: timerCtx{*cancelCtx; timer; deadline}, a pointer to its cancelCtx first.
  bool timer_points_to_cancel = false;
  uint16_t timer_ptr_size = 40, timer_ptr_deadline_at = 16;
  // Go >= 1.21: backgroundCtx, todoCtx, withoutCancelCtx{c}, afterFuncCtx{cancelCtx; ...} and
  // stopCtx{Context; stop} replace *emptyCtx (told apart by the address of context.background
  // and context.todo).
  bool has_go121_contexts = true;
  uint16_t without_cancel_size = 16, stop_ctx_size = 24;
};

// The layouts of Go {1, minor}; releases after the newest known get the newest's.
StdLayouts StdLayoutsForVersion(std::pair<int, int> go_version);

}  // namespace gotap::gobin
