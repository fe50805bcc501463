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

// FindRefusedSites over [first, first + offsets.size()) of the caller's sites.
Status SearchRefused(int prog_fd, const std::string& path, std::span<const uint64_t> offsets,
                     std::span<const uint64_t> cookies, size_t first, int pid, size_t max_refused,
                     std::vector<RefusedSite>& refused) {
  LinkAttempt attempt = TryUprobeMultiLink(prog_fd, path, offsets, cookies, pid);
  if (attempt.link.valid()) return Status::Ok();
  if (!IsSiteErrno(attempt.error)) {
    return IoError("trial uprobe_multi link of {} sites in {}: {}", offsets.size(), path,
                   UprobeErrnoText(attempt.error));
  }
  if (offsets.size() == 1) {
    if (refused.size() >= max_refused) {
      return IoError("the kernel refuses more than {} uprobe sites in {} ({})", max_refused, path,
                     UprobeErrnoText(attempt.error));
    }
    refused.push_back({first, offsets[0], attempt.error});
    return Status::Ok();
  }
  size_t half = offsets.size() / 2;
  RETURN_IF_ERROR(SearchRefused(prog_fd, path, offsets.first(half), cookies.first(half), first, pid,
                                max_refused, refused));
  return SearchRefused(prog_fd, path, offsets.subspan(half), cookies.subspan(half), first + half,
                       pid, max_refused, refused);
}

StatusOr<bool> ProbeUprobeMultiLink() {
  ScopedFd prog(LoadNoopUprobeMultiProgram());
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

bool IsSiteErrno(int err) {
  return err != EPERM && err != EACCES && err != ESRCH && err != EBADF && err != EMFILE &&
         err != ENOMEM && err != E2BIG && err != EINTR && err != EAGAIN;
}

std::string UprobeErrnoText(int err) {
  if (err == 524) return "ENOTSUPP (the kernel cannot probe the instruction at this offset)";
  if (err == ENOEXEC) {
    return "ENOEXEC (the kernel cannot decode an instruction at this offset: not an instruction "
           "boundary?)";
  }
  return std::strerror(err);
}

LinkAttempt TryUprobeMultiLink(int prog_fd, const std::string& path,
                               std::span<const uint64_t> file_offsets,
                               std::span<const uint64_t> cookies, int pid) {
  LinkAttempt attempt;
  if (file_offsets.empty() || file_offsets.size() != cookies.size()) {
    attempt.error = EINVAL;
    return attempt;
  }
  attempt.link =
      ScopedFd(RawUprobeMultiLink(prog_fd, path.c_str(), file_offsets.data(), cookies.data(),
                                  static_cast<uint32_t>(file_offsets.size()), pid));
  if (!attempt.link.valid()) attempt.error = errno;
  return attempt;
}

int LoadNoopUprobeMultiProgram() {
  bpf_insn insns[2] = {};  // r0 = 0; exit
  insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
  insns[1].code = BPF_JMP | BPF_EXIT;
  LIBBPF_OPTS(bpf_prog_load_opts, opts,
              .expected_attach_type = static_cast<bpf_attach_type>(kAttachTraceUprobeMulti));
  return bpf_prog_load(BPF_PROG_TYPE_KPROBE, "gotap_noop", "GPL", insns, 2, &opts);
}

StatusOr<std::vector<RefusedSite>> FindRefusedSites(const std::string& path,
                                                    std::span<const uint64_t> file_offsets, int pid,
                                                    size_t max_refused) {
  ScopedFd prog(LoadNoopUprobeMultiProgram());
  if (!prog.valid()) {
    return IoError("loading a no-op program to find refused uprobe sites: {}",
                   std::strerror(errno));
  }
  std::vector<uint64_t> cookies(file_offsets.size(), 0);
  std::vector<RefusedSite> refused;
  RETURN_IF_ERROR(
      SearchRefused(prog.get(), path, file_offsets, cookies, 0, pid, max_refused, refused));
  return refused;
}

StatusOr<ScopedFd> CreateUprobeMultiLink(int prog_fd, const std::string& path,
                                         std::span<const uint64_t> file_offsets,
                                         std::span<const uint64_t> cookies, int pid) {
  if (file_offsets.empty() || file_offsets.size() != cookies.size()) {
    return InvalidArgument("{} offsets and {} cookies", file_offsets.size(), cookies.size());
  }
  LinkAttempt attempt = TryUprobeMultiLink(prog_fd, path, file_offsets, cookies, pid);
  if (attempt.link.valid()) return std::move(attempt.link);
  int err = attempt.error;
  std::string what = fmt::format("uprobe_multi link of {} sites in {}{}", file_offsets.size(), path,
                                 pid ? fmt::format(" for pid {}", pid) : "");
  if (err == ESRCH) return NotFound("{}: no process {}", what, pid);
  if (err == EPERM || err == EACCES) {
    return PermissionDenied("{}: {} (needs CAP_BPF and CAP_PERFMON)", what, std::strerror(err));
  }
  if (!IsSiteErrno(err) || file_offsets.size() == 1) {
    return IoError("{}: {} (file offset {:#x})", what, UprobeErrnoText(err), file_offsets[0]);
  }
  auto refused = FindRefusedSites(path, file_offsets, pid, 8);
  if (!refused.ok() || refused->empty()) {
    return IoError("{}: {}", what, UprobeErrnoText(err));
  }
  std::string sites;
  for (const RefusedSite& r : *refused) {
    sites += fmt::format("{}#{} at file offset {:#x}", sites.empty() ? "" : ", ", r.index,
                         r.file_offset);
  }
  return IoError("{}: {}; refused: {}", what, UprobeErrnoText((*refused)[0].error), sites);
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
