#include "bpf/uprobe_links.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace gotap::bpf {
namespace {

// union bpf_attr.link_create for BPF_TRACE_UPROBE_MULTI (uapi since Linux 6.6; see
// uprobe-costs.md §2.3). Debian 12's <linux/bpf.h> predates it, so the layout is spelled out.
struct UprobeMultiAttr {
  uint32_t prog_fd;
  uint32_t target_fd;  // must be 0
  uint32_t attach_type;
  uint32_t flags;  // must be 0
  uint64_t path;   // const char*
  uint64_t offsets;
  uint64_t ref_ctr_offsets;
  uint64_t cookies;
  uint32_t cnt;
  uint32_t uprobe_flags;  // BPF_F_UPROBE_MULTI_RETURN: never used for Go
  uint32_t pid;
  uint32_t pad;
};
static_assert(sizeof(UprobeMultiAttr) == 64);

int RawUprobeMultiLink(int prog_fd, const char* path, const uint64_t* offsets,
                       const uint64_t* cookies, uint32_t count, int pid) {
  UprobeMultiAttr attr{};
  attr.prog_fd = prog_fd;
  attr.attach_type = kAttachTraceUprobeMulti;
  attr.path = reinterpret_cast<uintptr_t>(path);
  attr.offsets = reinterpret_cast<uintptr_t>(offsets);
  attr.cookies = reinterpret_cast<uintptr_t>(cookies);
  attr.cnt = count;
  attr.pid = static_cast<uint32_t>(pid);
  return static_cast<int>(syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr)));
}

// strerror() for errnos the kernel uses here, including its internal ENOTSUPP (524), returned
// for instructions uprobes cannot handle (e.g. VEX-encoded AVX instructions on x86).
std::string ErrnoText(int err) {
  if (err == 524) return "ENOTSUPP (the kernel cannot probe the instruction at this offset)";
  return std::strerror(err);
}

// Errors that depend on the sites (not on privileges, the pid or resources): worth bisecting.
bool IsSiteError(int err) {
  return err != EPERM && err != EACCES && err != ESRCH && err != EBADF && err != EMFILE &&
         err != ENOMEM && err != E2BIG;
}

StatusOr<bool> ProbeUprobeMultiLink() {
  // r0 = 0; exit
  bpf_insn insns[2] = {};
  insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
  insns[1].code = BPF_JMP | BPF_EXIT;
  LIBBPF_OPTS(bpf_prog_load_opts, opts,
              .expected_attach_type = static_cast<bpf_attach_type>(kAttachTraceUprobeMulti));
  ScopedFd prog(bpf_prog_load(BPF_PROG_TYPE_KPROBE, "gotap_probe", "GPL", insns, 2, &opts));
  if (!prog.valid()) {
    int err = errno;
    if (err == EPERM) return PermissionDenied("loading a probe program: {}", std::strerror(err));
    return false;  // the attach type is unknown to this kernel
  }
  uint64_t offset = 0;
  ScopedFd link(RawUprobeMultiLink(prog.get(), "/", &offset, nullptr, 1, 0));
  if (link.valid() || errno != EBADF) return false;
  // Before Linux 6.10 (46ba0e49b642) the pid filter matched one thread, not the process: a Go
  // program would be traced on one of its threads only. Fixed kernels validate the pid before
  // the path, so pid -1 fails with EINVAL instead of EBADF.
  ScopedFd fixed(RawUprobeMultiLink(prog.get(), "/", &offset, nullptr, 1, -1));
  return !fixed.valid() && errno == EINVAL;
}

}  // namespace

StatusOr<bool> HasUprobeMultiLink() {
  static const StatusOr<bool> result = ProbeUprobeMultiLink();
  return result;
}

StatusOr<int> UprobePmuType() {
  const char* path = "/sys/bus/event_source/devices/uprobe/type";
  std::ifstream in(path);
  int type = -1;
  if (!(in >> type) || type < 0) {
    return Unsupported("cannot read {}: the kernel has no uprobe PMU (CONFIG_UPROBE_EVENTS)", path);
  }
  return type;
}

StatusOr<ScopedFd> CreateUprobeMultiLink(int prog_fd, const std::string& path,
                                         std::span<const uint64_t> file_offsets,
                                         std::span<const uint64_t> cookies, int pid) {
  if (file_offsets.empty() || file_offsets.size() != cookies.size()) {
    return InvalidArgument("{} offsets and {} cookies", file_offsets.size(), cookies.size());
  }
  uint32_t count = static_cast<uint32_t>(file_offsets.size());
  int fd =
      RawUprobeMultiLink(prog_fd, path.c_str(), file_offsets.data(), cookies.data(), count, pid);
  if (fd >= 0) return ScopedFd(fd);
  int err = errno;
  std::string what = fmt::format("uprobe_multi link of {} sites in {}{}", count, path,
                                 pid ? fmt::format(" for pid {}", pid) : "");
  if (err == ESRCH) return NotFound("{}: no process {}", what, pid);
  if (err == EPERM || err == EACCES) {
    return PermissionDenied("{}: {} (needs CAP_BPF and CAP_PERFMON)", what, std::strerror(err));
  }
  if (!IsSiteError(err) || count == 1) {
    return IoError("{}: {} (file offset {:#x})", what, ErrnoText(err), file_offsets[0]);
  }
  // Bisect on prefixes: [0, good) attaches, [0, bad) does not; site bad-1 is refused.
  uint32_t good = 0, bad = count;
  while (bad - good > 1) {
    uint32_t mid = good + (bad - good) / 2;
    ScopedFd trial(
        RawUprobeMultiLink(prog_fd, path.c_str(), file_offsets.data(), cookies.data(), mid, pid));
    (trial.valid() ? good : bad) = mid;
  }
  return IoError("{}: {}; the first refused site is #{} at file offset {:#x}", what, ErrnoText(err),
                 bad - 1, file_offsets[bad - 1]);
}

StatusOr<std::vector<ScopedFd>> CreatePerfEventUprobes(int prog_fd, int pmu_type,
                                                       const std::string& path,
                                                       std::span<const uint64_t> file_offsets,
                                                       std::span<const uint64_t> cookies, int pid) {
  if (file_offsets.size() != cookies.size()) {
    return InvalidArgument("{} offsets and {} cookies", file_offsets.size(), cookies.size());
  }
  std::vector<ScopedFd> fds;
  fds.reserve(2 * file_offsets.size());
  for (size_t i = 0; i < file_offsets.size(); ++i) {
    perf_event_attr attr{};
    attr.size = sizeof(attr);
    attr.type = static_cast<uint32_t>(pmu_type);
    attr.config = 0;  // bit 0 would make it a uretprobe: never for Go
    attr.config1 = reinterpret_cast<uintptr_t>(path.c_str());
    attr.config2 = file_offsets[i];
    // pid -1 needs a cpu; the program still runs on every CPU (it hangs off the probe).
    int event = static_cast<int>(syscall(__NR_perf_event_open, &attr, pid > 0 ? pid : -1,
                                         pid > 0 ? -1 : 0, -1, PERF_FLAG_FD_CLOEXEC));
    if (event < 0) {
      return IoError("perf_event_open uprobe {}:{:#x}: {}", path, file_offsets[i],
                     std::strerror(errno));
    }
    fds.emplace_back(event);
    LIBBPF_OPTS(bpf_link_create_opts, opts, .perf_event = {.bpf_cookie = cookies[i]});
    int link = bpf_link_create(prog_fd, event, BPF_PERF_EVENT, &opts);
    if (link < 0) {
      return IoError("BPF_PERF_EVENT link for {}:{:#x}: {} (needs Linux 5.15+)", path,
                     file_offsets[i], std::strerror(errno));
    }
    fds.emplace_back(link);
  }
  return fds;
}

}  // namespace gotap::bpf
