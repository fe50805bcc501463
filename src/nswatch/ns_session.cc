#include "nswatch/ns_session.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "bpf/attachments.h"
#include "bpf/libbpf_log.h"
#include "bpf/limits.h"
#include "bpf/per_cpu.h"
#include "bpf/privileges.h"
#include "bpf/ring_reader.h"
#include "nswatch/ns.skel.h"  // generated from ns.bpf.c by bpftool, see CMakeLists.txt

namespace gotap::nswatch {
namespace {

struct SkeletonDeleter {
  void operator()(gotap_ns_bpf* skel) const { gotap_ns_bpf__destroy(skel); }
};
}  // namespace

struct NsSession::State {
  // Declared in reverse order of teardown: links close before the ring and the program.
  std::unique_ptr<gotap_ns_bpf, SkeletonDeleter> skel;
  std::optional<bpf::RingReader> ring;
  std::optional<bpf::Attachments> links;
  uint32_t next_cookie = 0;
};

NsSession::NsSession(std::unique_ptr<State> state) : state_(std::move(state)) {}
NsSession::NsSession(NsSession&&) noexcept = default;
NsSession& NsSession::operator=(NsSession&&) noexcept = default;
NsSession::~NsSession() = default;

StatusOr<NsSession> NsSession::Create(const gotap_ns_config& config, uint32_t max_sites) {
  if (max_sites == 0 || max_sites > bpf::kMaxSites) {
    return InvalidArgument("{} probe sites; one run attaches 1 to {}", max_sites, bpf::kMaxSites);
  }
  RETURN_IF_ERROR(bpf::CheckTracingCapabilities());
  RETURN_IF_ERROR(bpf::CheckKernelBtf());
  ASSIGN_OR_RETURN(bpf::Attachments links, bpf::Attachments::Create(bpf::AttachMode::kUprobeMulti));
  auto state = std::make_unique<State>();
  state->links.emplace(std::move(links));
  bpf::ClearLibbpfLog();
  state->skel.reset(gotap_ns_bpf__open());
  if (!state->skel) {
    return IoError("opening the embedded ns BPF object: {}{}", std::strerror(errno),
                   bpf::LibbpfLogTail(10));
  }
  gotap_ns_bpf* skel = state->skel.get();
  std::memcpy(const_cast<gotap_ns_config*>(&skel->rodata->cfg), &config, sizeof(config));
  if (int err = bpf_map__set_max_entries(skel->maps.sites, max_sites); err != 0) {
    return Internal("sizing the ns sites map: {}", std::strerror(-err));
  }
  state->links->PrepareUprobeProgram(skel->progs.ns_site);
  if (int err = gotap_ns_bpf__load(skel); err != 0) {
    return IoError("loading the ns BPF program: {}{}", std::strerror(-err), bpf::LibbpfLogTail(40));
  }
  ASSIGN_OR_RETURN(bpf::RingReader ring, bpf::RingReader::Create(bpf_map__fd(skel->maps.ring)));
  state->ring.emplace(std::move(ring));
  return NsSession(std::move(state));
}

Status NsSession::SetOriginal(int tgid, const NsSet& ns) {
  gotap_ns_set set{};
  for (int t = 0; t < GOTAP_NS_NUM; ++t) set.inum[t] = ns[t];
  uint32_t key = static_cast<uint32_t>(tgid);
  if (bpf_map_update_elem(bpf_map__fd(state_->skel->maps.orig_ns), &key, &set, BPF_ANY) != 0) {
    return IoError("storing the namespaces of process {}: {}", tgid, std::strerror(errno));
  }
  return Status::Ok();
}

Status NsSession::AttachSites(const std::string& path, std::span<const gotap_ns_site> sites,
                              std::span<const uint64_t> file_offsets, int pid) {
  State& s = *state_;
  if (sites.size() != file_offsets.size() || sites.empty()) {
    return InvalidArgument("{} sites but {} file offsets", sites.size(), file_offsets.size());
  }
  uint32_t capacity = bpf_map__max_entries(s.skel->maps.sites);
  if (sites.size() > capacity - s.next_cookie) {
    return InvalidArgument("{} probe sites exceed the {} gotap ns supports", sites.size(),
                           capacity);
  }
  int fd = bpf_map__fd(s.skel->maps.sites);
  std::vector<uint64_t> cookies;
  for (size_t i = 0; i < sites.size(); ++i) {
    uint32_t key = s.next_cookie + static_cast<uint32_t>(i);
    if (bpf_map_update_elem(fd, &key, &sites[i], BPF_ANY) != 0) {
      return IoError("storing site {}: {}", key, std::strerror(errno));
    }
    cookies.push_back(key);
  }
  RETURN_IF_ERROR(
      s.links->Attach(bpf_program__fd(s.skel->progs.ns_site), path, file_offsets, cookies, pid));
  s.next_cookie += static_cast<uint32_t>(sites.size());
  return Status::Ok();
}

Status NsSession::AttachSyscalls() {
  gotap_ns_bpf* skel = state_->skel.get();
  for (bpf_program* prog : {skel->progs.ns_sys_enter, skel->progs.ns_sys_exit}) {
    RETURN_IF_ERROR(state_->links->AttachProgram(prog));
  }
  return Status::Ok();
}

void NsSession::DetachAll() { state_->links->DetachAll(); }

StatusOr<int> NsSession::Poll(std::chrono::milliseconds timeout,
                              const std::function<void(Bytes)>& on_event) {
  return state_->ring->Poll(timeout, on_event);
}

uint64_t NsSession::ReadLost() const {
  auto lost = bpf::SumPerCpuCounters(bpf_map__fd(state_->skel->maps.lost), 1, "lost");
  return lost.ok() ? (*lost)[0] : 0;
}

}  // namespace gotap::nswatch
