#include "bpf/session.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "bpf/libbpf_log.h"
#include "bpf/open_frames.h"
#include "bpf/privileges.h"
#include "bpf/ring_reader.h"
#include "bpf/session_state.h"
#include "bpf/site_spec.h"

namespace gotap::bpf {
namespace {

// Goroutine slots a session may ask for: ~6 KiB each, 384 MiB at most.
constexpr uint32_t kMaxGoroutineSlots = 1u << 16;

Status ValidateOptions(const SessionOptions& o) {
  long page = sysconf(_SC_PAGESIZE);
  if (o.ring_bytes < page || (o.ring_bytes & (o.ring_bytes - 1)) != 0) {
    return InvalidArgument("ring buffer size {} is not a power of two >= the page size {}",
                           o.ring_bytes, page);
  }
  if ((o.goroutine_slots & (o.goroutine_slots - 1)) != 0 ||
      o.goroutine_slots > kMaxGoroutineSlots) {
    return InvalidArgument("goroutine slots {} is neither 0 nor a power of two up to {}",
                           o.goroutine_slots, kMaxGoroutineSlots);
  }
  if (o.max_sites == 0 || o.max_goroutines == 0 || o.max_arg_frames == 0 || o.max_funcs == 0 ||
      o.max_hist_funcs == 0 || o.max_hist_groups == 0) {
    return InvalidArgument("map sizes must be positive");
  }
  if (o.max_sites > kMaxSites || o.max_funcs > kMaxSites || o.max_hist_funcs > kMaxSites) {
    return InvalidArgument("map sizes above the session's limits");
  }
  if (o.filters.size() > GOTAP_MAX_FILTERS) {
    return InvalidArgument("{} filter conditions; at most {}", o.filters.size(), GOTAP_MAX_FILTERS);
  }
  for (const gotap_filter_cond& c : o.filters) {
    if (c.field < GOTAP_FF_GOID || c.field > GOTAP_FF_DURATION || c.op < GOTAP_OP_EQ ||
        c.op > GOTAP_OP_GE) {
      return InvalidArgument("bad filter condition (field {}, op {})", c.field, c.op);
    }
  }
  if (o.hist_by > GOTAP_BY_PID) return InvalidArgument("bad histogram grouping {}", o.hist_by);
  return Status::Ok();
}

}  // namespace

Session::Session(std::unique_ptr<State> state) : state_(std::move(state)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

StatusOr<Session> Session::Create(const SessionOptions& options) {
  RETURN_IF_ERROR(ValidateOptions(options));
  RETURN_IF_ERROR(CheckTracingCapabilities());
  RETURN_IF_ERROR(CheckKernelBtf());
  auto state = std::make_unique<State>();
  state->options = options;
  ASSIGN_OR_RETURN(Attachments links, Attachments::Create(options.attach_mode));
  state->links.emplace(std::move(links));

  ClearLibbpfLog();
  state->skel.reset(gotap_bpf__open());
  if (!state->skel) {
    return IoError("opening the embedded BPF object: {}{}", std::strerror(errno),
                   LibbpfLogTail(10));
  }
  gotap_bpf* skel = state->skel.get();
  // gslots keeps one (unused) entry with goroutine_slots = 0: a map cannot be empty.
  const uint32_t slot_entries = std::max(options.goroutine_slots, 1u);
  struct {
    bpf_map* map;
    uint32_t entries;
  } sizes[] = {
      {skel->maps.sites, options.max_sites},
      {skel->maps.gslots, slot_entries},
      {skel->maps.stacks, options.max_goroutines},
      {skel->maps.frame_args, options.max_arg_frames},
      {skel->maps.func_counts, options.max_funcs},
      {skel->maps.hist, options.max_hist_funcs},
      {skel->maps.hist_extremes, options.max_hist_funcs},
      {skel->maps.func_errors, options.max_hist_funcs},
      {skel->maps.ring, options.ring_bytes},
      // Sized only when used: each entry is GOTAP_HIST_SLOTS words per CPU.
      {skel->maps.hist_by, options.hist_by != GOTAP_BY_NONE ? options.max_hist_groups : 1}};
  for (auto& [map, entries] : sizes) {
    if (int err = bpf_map__set_max_entries(map, entries); err != 0) {
      return Internal("sizing map {}: {}", bpf_map__name(map), std::strerror(-err));
    }
  }
  skel->rodata->n_filters = static_cast<uint32_t>(options.filters.size());
  for (size_t i = 0; i < options.filters.size(); ++i) {
    skel->rodata->filters[i] = options.filters[i];
  }
  skel->rodata->hist_group_by = options.hist_by;
  skel->rodata->gslot_mask = slot_entries - 1;
  skel->rodata->no_gslots = options.goroutine_slots == 0 ? 1 : 0;
  skel->rodata->with_ns = options.with_ns ? 1 : 0;
  state->links->PrepareUprobeProgram(skel->progs.gotap_site);
  if (int err = gotap_bpf__load(skel); err != 0) {
    return IoError("loading the BPF program: {}{}", std::strerror(-err), LibbpfLogTail(40));
  }
  state->slots_bytes = sizeof(gotap_gslot) * slot_entries;
  void* slots = mmap(nullptr, state->slots_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
                     bpf_map__fd(skel->maps.gslots), 0);
  if (slots == MAP_FAILED) {
    return IoError("mapping the goroutine slots: {}", std::strerror(errno));
  }
  state->slots = static_cast<gotap_gslot*>(slots);
  ASSIGN_OR_RETURN(RingReader ring, RingReader::Create(bpf_map__fd(skel->maps.ring)));
  state->ring.emplace(std::move(ring));
  return Session(std::move(state));
}

StatusOr<uint64_t> Session::AddSites(std::span<const gotap_site_spec> specs) {
  State& s = *state_;
  if (specs.size() > s.options.max_sites - s.next_site) {
    return InvalidArgument("{} more sites exceed the session's {} (max_sites)", specs.size(),
                           s.options.max_sites);
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    Status status = ValidateSiteSpec(specs[i], s.options.max_funcs);
    if (status.ok() && (specs[i].flags & GOTAP_SITE_F_EXIT_HERE)) {
      size_t exit = i + specs[i].exit_delta;
      if (exit >= specs.size() || specs[exit].kind != GOTAP_SITE_RETURN ||
          specs[exit].func_id != specs[i].func_id) {
        status = InvalidArgument("its exit spec {} is not a return site of the function", exit);
      }
    }
    if (!status.ok()) return status.WithContext(fmt::format("site spec {}", i));
  }
  uint64_t first = s.next_site;
  int fd = bpf_map__fd(s.skel->maps.sites);
  for (size_t i = 0; i < specs.size(); ++i) {
    uint32_t key = static_cast<uint32_t>(first + i);
    if (bpf_map_update_elem(fd, &key, &specs[i], BPF_ANY) != 0) {
      return IoError("storing site spec {}: {}", key, std::strerror(errno));
    }
  }
  s.next_site += specs.size();
  return first;
}

Status Session::Attach(const std::string& path, std::span<const uint64_t> file_offsets,
                       std::span<const uint64_t> cookies, int pid) {
  RETURN_IF_ERROR(CheckCookies(cookies));
  return state_->links->Attach(bpf_program__fd(state_->skel->progs.gotap_site), path, file_offsets,
                               cookies, pid);
}

Status Session::CheckCookies(std::span<const uint64_t> cookies) const {
  for (size_t i = 0; i < cookies.size(); ++i) {
    if (cookies[i] >= state_->next_site) {
      return InvalidArgument("site {}: cookie {} has no spec (AddSites first)", i, cookies[i]);
    }
  }
  return Status::Ok();
}

Status Session::AttachDroppingRefused(const std::string& path,
                                      std::span<const uint64_t> file_offsets,
                                      std::span<const uint64_t> cookies, int pid,
                                      std::span<const uint32_t> groups, AttachReport* report) {
  *report = AttachReport{};
  RETURN_IF_ERROR(CheckCookies(cookies));
  return state_->links->AttachDroppingRefused(bpf_program__fd(state_->skel->progs.gotap_site), path,
                                              file_offsets, cookies, pid, groups, report);
}

void Session::DetachAll() { state_->links->DetachAll(); }

StatusOr<int> Session::Poll(std::chrono::milliseconds timeout,
                            const std::function<void(Bytes)>& on_record) {
  return state_->ring->Poll(timeout, on_record);
}

StatusOr<int> Session::DrainOpenFrames(int tgid, const std::function<void(Bytes)>& on_record) {
  GoroutineSlots slots{state_->slots, state_->options.goroutine_slots};
  return bpf::DrainOpenFrames(slots, bpf_map__fd(state_->skel->maps.stacks),
                              bpf_map__fd(state_->skel->maps.frame_args), tgid, on_record);
}

Status Session::SetIfaceRecipes(std::span<const std::pair<uint64_t, gotap_iface_recipe>> recipes) {
  if (recipes.size() > GOTAP_IFACE_MAX_RECIPES) {
    return InvalidArgument("{} interface recipes; at most {}", recipes.size(),
                           static_cast<int>(GOTAP_IFACE_MAX_RECIPES));
  }
  int fd = bpf_map__fd(state_->skel->maps.iface_recipes);
  for (const auto& [type, recipe] : recipes) {
    if (bpf_map_update_elem(fd, &type, &recipe, BPF_ANY) != 0) {
      return IoError("storing the recipe of type {:#x}: {}", type, std::strerror(errno));
    }
  }
  return Status::Ok();
}

AttachMode Session::attach_mode() const { return state_->links->mode(); }
size_t Session::attached_sites() const { return state_->links->attached_sites(); }

}  // namespace gotap::bpf
