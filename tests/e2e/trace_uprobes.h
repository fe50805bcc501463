// What the kernel holds for a tracer, seen from outside it, for end-to-end tests: the probe sites
// gotap plans for a function, the code bytes at those sites in a live process (a uprobe shows as
// an int3, 0xcc, in the probed process's memory), and the uprobe_multi links a process holds.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gotap::testing {

// The entry probe and every return probe of `func` in `binary`, as `gotap funcs --json` reports
// them: link-time virtual addresses (equal to runtime addresses in non-PIE executables).
// Empty (and a test failure) if gotap cannot list them.
std::vector<uint64_t> ProbeSites(const std::string& binary, const std::string& func);

// The byte at each runtime address in process `pid`'s memory (/proc/PID/mem), or -1 where it
// cannot be read.
std::vector<int> CodeBytes(pid_t pid, const std::vector<uint64_t>& addresses);

// A uprobe_multi link held open by a process, from /proc/PID/fdinfo.
struct UprobeMultiLink {
  uint32_t id = 0;
  std::string path;     // the probed file
  uint32_t probes = 0;  // uprobe_cnt
};
std::vector<UprobeMultiLink> UprobeMultiLinks(pid_t pid);

// True iff the kernel still knows a BPF link with this id (BPF_LINK_GET_FD_BY_ID succeeds).
bool LinkExists(uint32_t id);

}  // namespace gotap::testing
