// Frames still open in the kernel maps after their goroutine stopped running traced code: the
// target exited, a goroutine ended through runtime.Goexit, or tracing stopped mid-call. The BPF
// program only learns a frame was abandoned when the same goroutine runs a traced site again,
// so these are collected from userspace.
#pragma once

#include <cstdint>
#include <functional>

#include "base/byte_reader.h"
#include "base/status.h"
#include "bpf/gotap_intf.h"

namespace gotap::bpf {

// The goroutine slots (map `gslots`, memory-mapped) and their number.
struct GoroutineSlots {
  gotap_gslot* base = nullptr;
  uint32_t count = 0;
};

// Removes every open frame of process `tgid` (0: of every process) from the goroutine slots and
// the `stacks` and `frame_args` maps and delivers each as a raw record in the ring buffer's layout,
// flagged GOTAP_REC_OPEN, innermost frame first; duration_ns is measured up to now (an upper
// bound). Returns the number of records. Call it once the process has exited or the sites of that
// process are detached: frames the program is still pushing concurrently may be missed.
StatusOr<int> DrainOpenFrames(const GoroutineSlots& slots, int stacks_fd, int args_fd, int tgid,
                              const std::function<void(Bytes record)>& on_record);

}  // namespace gotap::bpf
