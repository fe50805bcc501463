// Walks a goroutine's stack the way Go's own traceback does on amd64: the frame size at each pc
// comes from pclntab's pcsp table, the return address sits just below the caller's SP; inlined
// calls are expanded from the inline tree. Needs no frame pointers and no DWARF.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gobin/binary.h"
#include "gobin/symbolizer.h"
#include "goroutines/snapshot.h"

namespace gotap::goroutines {

// Reads one 8-byte word of the target at a runtime address; nullopt if unreadable.
using ReadWord = std::function<std::optional<uint64_t>(uint64_t address)>;

struct UnwindResult {
  std::vector<Frame> frames;  // innermost first
  std::string error;          // why the walk stopped before the goroutine's first function
};

// What one pc symbolizes to, kept across goroutines: most of them stop at the same few pcs.
struct PcInfo {
  std::vector<gobin::SourceFrame> frames;  // for the call at the pc (trace pc)
  std::optional<int32_t> sp_delta;
};
struct UnwindCache {
  std::unordered_map<uint64_t, PcInfo> by_pc;  // key: link-time pc, plus 1 when looked up as-is
};

// Go's traceback prints at most 100 frames per goroutine.
constexpr int kMaxFrames = 100;

// `pc` and `sp` are runtime addresses of the innermost frame (g.sched or g.syscall*); the stack
// is [stack_lo, stack_hi); `load_bias` maps runtime to link-time addresses.
UnwindResult Unwind(const gobin::Binary& binary, const gobin::Symbolizer& symbolizer,
                    uint64_t load_bias, uint64_t pc, uint64_t sp, uint64_t stack_lo,
                    uint64_t stack_hi, const ReadWord& read_word, UnwindCache* cache = nullptr,
                    int max_frames = kMaxFrames);

}  // namespace gotap::goroutines
