#include "gobin/runtime_exits.h"

#include <utility>

namespace gotap::gobin {
namespace {

constexpr std::string_view kSchedules = "runs the scheduler, which does not return";
constexpr std::string_view kEndsGoroutine = "ends the goroutine";
constexpr std::string_view kEndsProgram = "ends the program";
constexpr std::string_view kPanics = "panics: unwinds to a recover or ends the program";
constexpr std::string_view kRestarts = "grows the stack and restarts its caller from the top";

constexpr std::pair<std::string_view, std::string_view> kNonReturning[] = {
    {"runtime.morestack", kRestarts},
    {"runtime.morestack_noctxt", kRestarts},
    {"runtime.newstack", kRestarts},
    {"runtime.mcall", "switches to the system stack; its caller resumes later, from gogo"},
    {"runtime.gogo", "jumps into a goroutine's saved state"},
    {"gogo", "jumps into a goroutine's saved state"},  // runtime.gogo's body from Go 1.26
    {"runtime.asyncPreempt2.func1", kSchedules},
    {"runtime.setg", "switches the current g: it returns as another goroutine"},
    {"runtime.recovery", "resumes the function whose deferred call recovered"},
    {"runtime.Goexit", kEndsGoroutine},
    {"runtime.goexit1", kEndsGoroutine},
    {"runtime.goexit0", kEndsGoroutine},
    {"runtime.schedule", kSchedules},
    {"runtime.execute", "jumps into the goroutine it runs"},
    {"runtime.park_m", kSchedules},
    {"runtime.gosched_m", kSchedules},
    {"runtime.goschedImpl", kSchedules},
    {"runtime.goschedguarded_m", kSchedules},
    {"runtime.gopreempt_m", kSchedules},
    {"runtime.preemptPark", kSchedules},
    {"runtime.goyield_m", kSchedules},
    {"runtime.exitsyscall0", kSchedules},
    {"runtime.mstart", "starts a thread: runs the scheduler, then exits the thread"},
    {"runtime.mstart0", "starts a thread: runs the scheduler, then exits the thread"},
    {"runtime.mstart1", kSchedules},
    {"runtime.mexit", "exits the thread"},
    {"runtime.rt0_go", "starts the program"},
    {"runtime.gopanic", kPanics},
    {"runtime.sigpanic", kPanics},
    {"runtime.throw", kEndsProgram},
    {"runtime.fatal", kEndsProgram},
    {"runtime.fatalthrow", kEndsProgram},
    {"runtime.fatalpanic", kEndsProgram},
    {"runtime.exit", kEndsProgram},
    {"runtime.abort", kEndsProgram},
    {"os.Exit", kEndsProgram},
    {"syscall.Exit", kEndsProgram},
    {"runtime.exitThread", "exits the thread"},
};

}  // namespace

std::optional<std::string_view> NonReturningReason(std::string_view name) {
  for (const auto& [fn, why] : kNonReturning) {
    if (fn == name) return why;
  }
  // The compiler's bounds, nil and conversion panics: runtime.panicIndex, goPanicSlice3Alen, ...
  if (name.starts_with("runtime.panic") || name.starts_with("runtime.goPanic")) return kPanics;
  return std::nullopt;
}

std::optional<std::string_view> UnpairableReason(std::string_view name) {
  if (name == "runtime.duffzero" || name == "runtime.duffcopy") {
    return "callers jump into its middle (Duff's device): neither its calls nor their count can "
           "be seen";
  }
  return std::nullopt;
}

}  // namespace gotap::gobin
