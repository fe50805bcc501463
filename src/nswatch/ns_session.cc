#include "nswatch/ns_session.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "bpf/limits.h"
#include "bpf/privileges.h"
#include "bpf/scoped_fd.h"
#include "bpf/uprobe_links.h"
#include "nswatch/ns.skel.h"  // generated from ns.bpf.c by bpftool, see CMakeLists.txt

namespace gotap::nswatch {
namespace {

struct SkeletonDeleter {
  void operator()(gotap_ns_bpf* skel) const { gotap_ns_bpf__destroy(skel); }
};
struct RingBufferDeleter {
  void operator()(ring_buffer* ring) const { ring_buffer__free(ring); }
};
struct LinkDeleter {
  void operator()(bpf_link* link) const { bpf_link__destroy(link); }
};

}  // namespace

struct NsSession::State {
  // Declared in reverse order of teardown: links close before the ring and the program.
  std::unique_ptr<gotap_ns_bpf, SkeletonDeleter> skel;
  std::unique_ptr<ring_buffer, RingBufferDeleter> ring;
  std::vector<std::unique_ptr<bpf_link, LinkDeleter>> syscall_links;
  std::vector<bpf::ScopedFd> uprobe_links;
  uint32_t next_cookie = 0;
  const std::function<void(Bytes)>* on_event = nullptr;  // valid only during Poll
  int delivered = 0;

  static int OnSample(void* ctx, void* data, size_t size) {
    auto* state = static_cast<State*>(ctx);
    (*state->on_event)(Bytes(static_cast<const uint8_t*>(data), size));
    ++state->delivered;
    return 0;
  }
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
  ASSIGN_OR_RETURN(bool multi, bpf::HasUprobeMultiLink());
  if (!multi) return Unsupported("ns needs uprobe_multi links (Linux 6.10+)");
  auto state = std::make_unique<State>();
  state->skel.reset(gotap_ns_bpf__open());
  if (!state->skel) return IoError("opening the embedded ns BPF object: {}", std::strerror(errno));
  gotap_ns_bpf* skel = state->skel.get();
  std::memcpy(const_cast<gotap_ns_config*>(&skel->rodata->cfg), &config, sizeof(config));
  if (int err = bpf_map__set_max_entries(skel->maps.sites, max_sites); err != 0) {
    return Internal("sizing the ns sites map: {}", std::strerror(-err));
  }
  bpf_program__set_expected_attach_type(skel->progs.ns_site,
                                        static_cast<bpf_attach_type>(bpf::kAttachTraceUprobeMulti));
  bpf_program__set_autoattach(skel->progs.ns_site, false);
  if (int err = gotap_ns_bpf__load(skel); err != 0) {
    return IoError("loading the ns BPF program: {} (GOTAP_LIBBPF_VERBOSE=1 shows the verifier log)",
                   std::strerror(-err));
  }
  state->ring.reset(
      ring_buffer__new(bpf_map__fd(skel->maps.ring), &State::OnSample, state.get(), nullptr));
  if (!state->ring) return IoError("setting up the ring buffer: {}", std::strerror(errno));
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
  ASSIGN_OR_RETURN(bpf::ScopedFd link,
                   bpf::CreateUprobeMultiLink(bpf_program__fd(s.skel->progs.ns_site), path,
                                              file_offsets, cookies, pid));
  s.uprobe_links.push_back(std::move(link));
  s.next_cookie += static_cast<uint32_t>(sites.size());
  return Status::Ok();
}

Status NsSession::AttachSyscalls() {
  gotap_ns_bpf* skel = state_->skel.get();
  for (bpf_program* prog : {skel->progs.ns_sys_enter, skel->progs.ns_sys_exit}) {
    bpf_link* link = bpf_program__attach(prog);
    if (link == nullptr) {
      return IoError("attaching {}: {}", bpf_program__name(prog), std::strerror(errno));
    }
    state_->syscall_links.emplace_back(link);
  }
  return Status::Ok();
}

void NsSession::DetachAll() {
  state_->uprobe_links.clear();
  state_->syscall_links.clear();
}

StatusOr<int> NsSession::Poll(std::chrono::milliseconds timeout,
                              const std::function<void(Bytes)>& on_event) {
  State& s = *state_;
  s.on_event = &on_event;
  s.delivered = 0;
  int err = ring_buffer__poll(s.ring.get(), static_cast<int>(timeout.count()));
  s.on_event = nullptr;
  if (err < 0 && err != -EINTR) return IoError("polling the ring buffer: {}", std::strerror(-err));
  return s.delivered;
}

uint64_t NsSession::ReadLost() const {
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return 0;
  std::vector<uint64_t> per_cpu(cpus);
  uint32_t key = 0;
  if (bpf_map_lookup_elem(bpf_map__fd(state_->skel->maps.lost), &key, per_cpu.data()) != 0) {
    return 0;
  }
  uint64_t total = 0;
  for (uint64_t v : per_cpu) total += v;
  return total;
}

}  // namespace gotap::nswatch
