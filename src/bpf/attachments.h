// The links that hold a loaded program on its probes, for both programs (trace and ns): uprobes
// by FILE offset through one uprobe_multi link per call (raw BPF_LINK_CREATE, see
// uprobe_links.h), or one perf-event uprobe per site on kernels without it; and programs libbpf
// attaches by their section (the ns program's raw syscall tracepoints). Destroying it (or
// DetachAll) closes every link, which detaches every probe; close links before the program and
// the ring they write to.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "bpf/scoped_fd.h"

struct bpf_program;  // libbpf

namespace gotap::bpf {

enum class AttachMode {
  kAuto,         // uprobe_multi when the kernel has it, else perf events
  kUprobeMulti,  // fail on kernels without uprobe_multi
  kPerfEvent,    // one perf-event uprobe per site (slow to detach; for old kernels and tests)
};

// What AttachDroppingRefused left out. Indexes are into the file_offsets it was given.
struct AttachReport {
  struct Refused {
    size_t index = 0;
    uint64_t file_offset = 0;  // FILE offset into the attached path
    int error = 0;             // the kernel's errno for this site alone (ENOTSUPP is 524)
    std::string reason;        // that errno in words
  };
  std::vector<Refused> refused;  // ascending index
  std::vector<size_t> dropped;   // refused sites and their groups' other sites, ascending
};

class Attachments {
 public:
  // Resolves kAuto to what the kernel has (kUprobeMulti fails without it).
  static StatusOr<Attachments> Create(AttachMode requested);

  Attachments(Attachments&&) noexcept;
  Attachments& operator=(Attachments&&) noexcept;
  Attachments(const Attachments&) = delete;
  Attachments& operator=(const Attachments&) = delete;
  ~Attachments();

  // Before the skeleton loads: makes `prog` a program of this mode's link type (the kernel checks
  // it at load time) that libbpf does not attach by itself.
  void PrepareUprobeProgram(bpf_program* prog) const;

  // Attaches program `prog_fd` at FILE offsets (not vaddrs) of `path`; site i fires with
  // cookies[i]. pid > 0 limits the uprobes to that process, 0 probes every process mapping the
  // file. All-or-nothing: on error nothing of this call stays attached.
  Status Attach(int prog_fd, const std::string& path, std::span<const uint64_t> file_offsets,
                std::span<const uint64_t> cookies, int pid);

  // Like Attach, but sites the kernel refuses (an instruction it cannot probe) do not fail the
  // attach: they are left out together with every site of the same group (groups[i] is site
  // i's; a function's entry and return sites share one, so no function is half-traced), the
  // rest is attached, and `report` says what was left out. Errors that are not a site's
  // (privileges, a vanished pid), or every site dropped, fail as Attach does. The normal case
  // costs one link creation; finding refused sites costs trial links of a no-op program
  // (bpf::FindRefusedSites). uprobe_multi mode only: in perf-event mode this is Attach.
  Status AttachDroppingRefused(int prog_fd, const std::string& path,
                               std::span<const uint64_t> file_offsets,
                               std::span<const uint64_t> cookies, int pid,
                               std::span<const uint32_t> groups, AttachReport* report);

  // libbpf's own attach for the program's section (tracepoints, raw tracepoints, ...).
  Status AttachProgram(bpf_program* prog);

  // Closes every link. What the program already wrote stays readable.
  void DetachAll();

  AttachMode mode() const;  // kUprobeMulti or kPerfEvent, never kAuto
  size_t attached_sites() const;

 private:
  struct State;
  explicit Attachments(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;  // never null except in a moved-from Attachments
};

}  // namespace gotap::bpf
