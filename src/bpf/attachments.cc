#include "bpf/attachments.h"

#include <bpf/libbpf.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "bpf/uprobe_links.h"

namespace gotap::bpf {
namespace {

struct LinkDeleter {
  void operator()(bpf_link* link) const { bpf_link__destroy(link); }
};

StatusOr<AttachMode> ChooseAttachMode(AttachMode requested) {
  if (requested == AttachMode::kPerfEvent) return requested;
  ASSIGN_OR_RETURN(bool multi, HasUprobeMultiLink());
  if (multi) return AttachMode::kUprobeMulti;
  if (requested == AttachMode::kUprobeMulti) {
    return Unsupported(
        "this kernel has no uprobe_multi links that filter by process (Linux 6.10+)");
  }
  return AttachMode::kPerfEvent;
}

Status ValidateSites(const std::string& path, std::span<const uint64_t> file_offsets,
                     std::span<const uint64_t> cookies, int pid) {
  if (file_offsets.empty()) return InvalidArgument("no sites to attach in {}", path);
  if (file_offsets.size() != cookies.size()) {
    return InvalidArgument("{} file offsets but {} cookies", file_offsets.size(), cookies.size());
  }
  if (pid < 0) return InvalidArgument("pid {}", pid);
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return NotFound("{}: {}", path, std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return InvalidArgument("{} is not a regular file", path);
  for (size_t i = 0; i < file_offsets.size(); ++i) {
    if (file_offsets[i] >= static_cast<uint64_t>(st.st_size)) {
      return InvalidArgument("site {}: file offset {:#x} is past the end of {} ({} bytes)", i,
                             file_offsets[i], path, st.st_size);
    }
  }
  return Status::Ok();
}

}  // namespace

struct Attachments::State {
  AttachMode mode = AttachMode::kUprobeMulti;
  int pmu_type = -1;  // perf-event mode only
  std::vector<ScopedFd> links;
  std::vector<std::unique_ptr<bpf_link, LinkDeleter>> program_links;
  size_t attached_sites = 0;
};

Attachments::Attachments(std::unique_ptr<State> state) : state_(std::move(state)) {}
Attachments::Attachments(Attachments&&) noexcept = default;
Attachments& Attachments::operator=(Attachments&&) noexcept = default;
Attachments::~Attachments() = default;

StatusOr<Attachments> Attachments::Create(AttachMode requested) {
  auto state = std::make_unique<State>();
  ASSIGN_OR_RETURN(state->mode, ChooseAttachMode(requested));
  if (state->mode == AttachMode::kPerfEvent) {
    ASSIGN_OR_RETURN(state->pmu_type, UprobePmuType());
  }
  return Attachments(std::move(state));
}

void Attachments::PrepareUprobeProgram(bpf_program* prog) const {
  int attach_type = state_->mode == AttachMode::kUprobeMulti ? kAttachTraceUprobeMulti : 0;
  bpf_program__set_expected_attach_type(prog, static_cast<bpf_attach_type>(attach_type));
  bpf_program__set_autoattach(prog, false);
}

Status Attachments::Attach(int prog_fd, const std::string& path,
                           std::span<const uint64_t> file_offsets,
                           std::span<const uint64_t> cookies, int pid) {
  RETURN_IF_ERROR(ValidateSites(path, file_offsets, cookies, pid));
  State& s = *state_;
  if (s.mode == AttachMode::kUprobeMulti) {
    ASSIGN_OR_RETURN(ScopedFd link,
                     CreateUprobeMultiLink(prog_fd, path, file_offsets, cookies, pid));
    s.links.push_back(std::move(link));
  } else {
    ASSIGN_OR_RETURN(std::vector<ScopedFd> fds,
                     CreatePerfEventUprobes(prog_fd, s.pmu_type, path, file_offsets, cookies, pid));
    for (ScopedFd& fd : fds) s.links.push_back(std::move(fd));
  }
  s.attached_sites += file_offsets.size();
  return Status::Ok();
}

Status Attachments::AttachDroppingRefused(int prog_fd, const std::string& path,
                                          std::span<const uint64_t> file_offsets,
                                          std::span<const uint64_t> cookies, int pid,
                                          std::span<const uint32_t> groups, AttachReport* report) {
  State& s = *state_;
  *report = AttachReport{};
  if (groups.size() != file_offsets.size()) {
    return InvalidArgument("{} file offsets but {} groups", file_offsets.size(), groups.size());
  }
  if (s.mode != AttachMode::kUprobeMulti || file_offsets.size() < 2) {
    return Attach(prog_fd, path, file_offsets, cookies, pid);
  }
  RETURN_IF_ERROR(ValidateSites(path, file_offsets, cookies, pid));
  LinkAttempt first = TryUprobeMultiLink(prog_fd, path, file_offsets, cookies, pid);
  if (first.link.valid()) {  // the normal case: one syscall
    s.links.push_back(std::move(first.link));
    s.attached_sites += file_offsets.size();
    return Status::Ok();
  }
  if (!IsSiteErrno(first.error)) {
    return Attach(prog_fd, path, file_offsets, cookies, pid);  // for its error
  }
  ASSIGN_OR_RETURN(std::vector<RefusedSite> refused, FindRefusedSites(path, file_offsets, pid));
  if (refused.empty()) {
    return IoError("uprobe_multi link of {} sites in {}: {}, but no single site is refused",
                   file_offsets.size(), path, UprobeErrnoText(first.error));
  }
  std::set<uint32_t> dropped_groups;
  for (const RefusedSite& r : refused) dropped_groups.insert(groups[r.index]);
  std::vector<uint64_t> kept_offsets, kept_cookies;
  for (size_t i = 0; i < file_offsets.size(); ++i) {
    if (dropped_groups.count(groups[i])) {
      report->dropped.push_back(i);
    } else {
      kept_offsets.push_back(file_offsets[i]);
      kept_cookies.push_back(cookies[i]);
    }
  }
  for (const RefusedSite& r : refused) {
    report->refused.push_back({r.index, r.file_offset, r.error, UprobeErrnoText(r.error)});
  }
  if (kept_offsets.empty()) {
    return IoError(
        "the kernel refuses a uprobe site of every probed function in {} (first: file "
        "offset {:#x}: {})",
        path, refused[0].file_offset, UprobeErrnoText(refused[0].error));
  }
  ASSIGN_OR_RETURN(ScopedFd link,
                   CreateUprobeMultiLink(prog_fd, path, kept_offsets, kept_cookies, pid));
  s.links.push_back(std::move(link));
  s.attached_sites += kept_offsets.size();
  return Status::Ok();
}

Status Attachments::AttachProgram(bpf_program* prog) {
  bpf_link* link = bpf_program__attach(prog);
  if (link == nullptr) {
    return IoError("attaching {}: {}", bpf_program__name(prog), std::strerror(errno));
  }
  state_->program_links.emplace_back(link);
  return Status::Ok();
}

void Attachments::DetachAll() {
  state_->links.clear();
  state_->program_links.clear();
  state_->attached_sites = 0;
}

AttachMode Attachments::mode() const { return state_->mode; }
size_t Attachments::attached_sites() const { return state_->attached_sites; }

}  // namespace gotap::bpf
