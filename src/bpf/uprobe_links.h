// Attaching a loaded BPF program to uprobes: the kernel interfaces libbpf 1.1 does not wrap.
//
// All offsets here are FILE offsets into `path` (not link-time vaddrs); cookies are what the
// program reads with bpf_get_attach_cookie (gotap uses the index of the site spec).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "bpf/scoped_fd.h"

namespace gotap::bpf {

// BPF_TRACE_UPROBE_MULTI: the expected_attach_type of a program for uprobe_multi links. Absent
// from Debian 12's uapi headers and libbpf 1.1.
inline constexpr int kAttachTraceUprobeMulti = 48;

// True iff the kernel has uprobe_multi links (Linux 6.6+) whose pid filter matches a whole
// process (Linux 6.10+; earlier ones matched one thread). A link for path "/" is refused with
// EBADF (not a regular file) instead of EINVAL (unknown attach type), and with pid -1 with
// EINVAL (the pid is checked first). Probed once per process.
StatusOr<bool> HasUprobeMultiLink();

// The perf PMU type of uprobes, from /sys/bus/event_source/devices/uprobe/type.
StatusOr<int> UprobePmuType();

// Creates one uprobe_multi link with one uprobe per offset. All-or-nothing: if one offset is
// refused, no uprobe stays and the error names the first refused site (found by bisection).
// pid 0 means every process that maps the file. Closing the returned fd detaches everything.
StatusOr<ScopedFd> CreateUprobeMultiLink(int prog_fd, const std::string& path,
                                         std::span<const uint64_t> file_offsets,
                                         std::span<const uint64_t> cookies, int pid);

// The fallback for kernels without uprobe_multi: one perf-event uprobe per offset, each with a
// BPF_PERF_EVENT link carrying its cookie (Linux 5.15+). Returns the fds to keep open (perf
// event and link per site). All-or-nothing. Slow to detach on 6.12+ (~0.1 s per site).
StatusOr<std::vector<ScopedFd>> CreatePerfEventUprobes(int prog_fd, int pmu_type,
                                                       const std::string& path,
                                                       std::span<const uint64_t> file_offsets,
                                                       std::span<const uint64_t> cookies, int pid);

}  // namespace gotap::bpf
