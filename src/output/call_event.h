// One traced call as the output layer sees it: decoded values plus where and when it ran.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "decode/captured_value.h"

namespace gotap::output {

enum class CallKind {
  kCall,           // entry and return both seen
  kUnwound,        // abandoned: a panic or runtime.Goexit unwound the frame, or (system_stack)
                   // the scheduler reset the thread's system stack under it
  kEntryOnly,      // the function has no exit to probe (no_return says why)
  kRunningAtExit,  // still open when tracing stopped
};
const char* CallKindName(CallKind kind);  // "call", "unwound", "entry", "running_at_exit"

struct CallEvent {
  CallKind kind = CallKind::kCall;
  uint64_t ts_ns = 0;  // wall clock (CLOCK_REALTIME) at entry, ns since the epoch
  uint32_t pid = 0;
  uint32_t tid = 0;         // at entry
  uint32_t return_tid = 0;  // at return (or where abandonment was seen); 0 if none
  uint64_t goid = 0;
  // The call ran on a thread's system stack (g0 or the signal stack; goid 0), paired on it.
  bool system_stack = false;
  // Nesting among the goroutine's traced calls: 0 for a call with no traced caller still open,
  // 1 for a traced call inside it, ...
  uint32_t level = 0;
  std::string func;
  std::vector<decode::CapturedValue> args;
  std::vector<decode::CapturedValue> results;  // kCall only
  uint64_t duration_ns = 0;                    // kCall; an upper bound for kUnwound
  bool args_missing = false;                   // the kernel lost the stored arguments
  bool truncated = false;                      // some captures did not fit in the record
  bool tail_call = false;        // kCall ended by a jump to another function: no results
  bool results_unknown = false;  // kCall: no types describe the results (none were captured)
  std::string no_return;         // kEntryOnly: why the function does not return
  // `--ns`: namespace name ("net") and inode number of the thread that ended the call.
  std::vector<std::pair<std::string, uint32_t>> ns;
};

// The lane a call belongs to in per-goroutine views (graph, Chrome trace, timeline): its goid,
// or for a system stack, which every thread has its own of, 1 << 32 | its thread id.
inline uint64_t Lane(const CallEvent& e) {
  return e.system_stack ? (uint64_t{1} << 32) | e.tid : e.goid;
}
// "goroutine 17" or "system stack of thread 4242".
std::string LaneName(const CallEvent& e);

}  // namespace gotap::output
