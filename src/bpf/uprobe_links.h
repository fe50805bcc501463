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
// refused, no uprobe stays and the error names the refused sites (found by FindRefusedSites).
// pid 0 means every process that maps the file. Closing the returned fd detaches everything.
StatusOr<ScopedFd> CreateUprobeMultiLink(int prog_fd, const std::string& path,
                                         std::span<const uint64_t> file_offsets,
                                         std::span<const uint64_t> cookies, int pid);

// One link creation, no retries: the link, or the errno the kernel answered (link invalid).
struct LinkAttempt {
  ScopedFd link;
  int error = 0;
};
LinkAttempt TryUprobeMultiLink(int prog_fd, const std::string& path,
                               std::span<const uint64_t> file_offsets,
                               std::span<const uint64_t> cookies, int pid);

// True iff a failed link creation may be due to some of its sites (the kernel refusing an
// instruction, ENOTSUPP; or failing to decode one, ENOEXEC; ...), not to privileges, the pid or
// resources.
bool IsSiteErrno(int err);
// strerror(), plus what the kernel-internal ENOTSUPP (524) means for a uprobe.
std::string UprobeErrnoText(int err);

// A site the kernel refuses on its own.
struct RefusedSite {
  size_t index = 0;          // into the file_offsets searched
  uint64_t file_offset = 0;  // FILE offset into the path
  int error = 0;             // errno of a link holding this site alone (ENOTSUPP is 524)
};

// A program of the uprobe_multi attach type that does nothing (r0 = 0; exit), for trial links
// that must not produce records. Its fd, or -1 with errno set if it cannot be loaded.
int LoadNoopUprobeMultiProgram();

// Finds the sites of `file_offsets` the kernel refuses, by splitting the set in halves and
// attaching each half with trial links of a no-op program (never gotap's: a trial that attaches
// must not produce records). Costs about 2 k log2(n / k) link creations for k refused sites; stops
// with an error past `max_refused` (then something other than single sites is wrong), or on a
// trial failing for a reason that is not a site's (IsSiteErrno). Needs a process that maps the
// file when pid != 0: the kernel checks instructions only where it installs the breakpoints.
StatusOr<std::vector<RefusedSite>> FindRefusedSites(const std::string& path,
                                                    std::span<const uint64_t> file_offsets, int pid,
                                                    size_t max_refused = 64);

// The fallback for kernels without uprobe_multi: one perf-event uprobe per offset, each with a
// BPF_PERF_EVENT link carrying its cookie (Linux 5.15+). Returns the fds to keep open (perf
// event and link per site). All-or-nothing. Slow to detach on 6.12+ (~0.1 s per site).
StatusOr<std::vector<ScopedFd>> CreatePerfEventUprobes(int prog_fd, int pmu_type,
                                                       const std::string& path,
                                                       std::span<const uint64_t> file_offsets,
                                                       std::span<const uint64_t> cookies, int pid);

}  // namespace gotap::bpf
