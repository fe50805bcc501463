#include "goroutines/unwind.h"

#include <fmt/format.h>

#include <string_view>

namespace gotap::goroutines {
namespace {

// Functions at the bottom of a goroutine's stack: nothing called them (runtime.topofstack).
bool IsTopOfStack(std::string_view name) {
  return name == "runtime.goexit" || name == "runtime.mstart" || name == "runtime.mcall" ||
         name == "runtime.morestack" || name == "runtime.rt0_go" ||
         name == "runtime.externalthreadhandler" || name == "runtime.asmcgocall";
}

}  // namespace

UnwindResult Unwind(const gobin::Binary& binary, const gobin::Symbolizer& symbolizer,
                    uint64_t load_bias, uint64_t pc, uint64_t sp, uint64_t stack_lo,
                    uint64_t stack_hi, const ReadWord& read_word, UnwindCache* cache,
                    int max_frames) {
  UnwindCache local;
  if (cache == nullptr) cache = &local;
  UnwindResult result;
  bool caller_was_sigpanic = false;
  for (int n = 0; n < max_frames; ++n) {
    if (pc < load_bias) {
      result.error = fmt::format("pc {:#x} is below the executable", pc);
      return result;
    }
    const uint64_t link_pc = pc - load_bias;
    const gobin::FuncRecord* func = binary.FunctionAt(link_pc);
    if (func == nullptr) {
      result.error = fmt::format("pc {:#x} is in no Go function", pc);
      return result;
    }
    // A return address points after the call: look up the call itself, unless the frame was
    // interrupted by a signal (sigpanic) and pc is the faulting instruction.
    uint64_t trace_pc = link_pc > func->entry && !caller_was_sigpanic ? link_pc - 1 : link_pc;
    // Keyed so that a pc looked up as itself and as a return address never collide.
    auto [it, inserted] = cache->by_pc.try_emplace(link_pc * 2 + (trace_pc == link_pc));
    PcInfo& info = it->second;
    if (inserted) {
      info.frames = symbolizer.FramesAt(trace_pc);
      info.sp_delta = symbolizer.SpDeltaAt(*func, link_pc);
    }
    for (const gobin::SourceFrame& sf : info.frames) {
      Frame frame;
      frame.offset = link_pc - func->entry;
      frame.wrapper = !sf.inlined && binary.IsWrapper(*func);
      frame.function = std::string(sf.function);
      frame.file = std::string(sf.pos.file);
      frame.line = sf.pos.line;
      frame.inlined = sf.inlined;
      frame.pc = pc;
      result.frames.push_back(std::move(frame));
    }
    std::string_view name = func->name;
    if (IsTopOfStack(name)) return result;
    caller_was_sigpanic = name == "runtime.sigpanic";
    const std::optional<int32_t> delta = info.sp_delta;
    if (!delta || *delta < 0) {
      result.error = fmt::format("no frame size for {} at {:#x}", name, pc);
      return result;
    }
    // On amd64 the CALL pushed the return address just above the callee's frame.
    uint64_t fp = sp + static_cast<uint64_t>(*delta) + 8;
    if (fp < sp || fp > stack_hi || fp - 8 < stack_lo) {
      result.error = fmt::format("frame of {} leaves the stack", name);
      return result;
    }
    auto ret = read_word(fp - 8);
    if (!ret) {
      result.error = fmt::format("cannot read the stack at {:#x}", fp - 8);
      return result;
    }
    pc = *ret;
    sp = fp;
  }
  result.error = fmt::format("stopped after {} frames", max_frames);
  return result;
}

}  // namespace gotap::goroutines
