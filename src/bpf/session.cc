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

#include "bpf/gotap.skel.h"  // generated from gotap.bpf.c by bpftool, see CMakeLists.txt
#include "bpf/libbpf_log.h"
#include "bpf/open_frames.h"
#include "bpf/per_cpu.h"
#include "bpf/privileges.h"
#include "bpf/ring_reader.h"
#include "bpf/scoped_fd.h"
#include "bpf/site_spec.h"

namespace gotap::bpf {
namespace {

// Goroutine slots a session may ask for: ~6 KiB each, 384 MiB at most.
constexpr uint32_t kMaxGoroutineSlots = 1u << 16;

struct SkeletonDeleter {
  void operator()(gotap_bpf* skel) const { gotap_bpf__destroy(skel); }
};

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

StatusOr<size_t> CountKeys(int map_fd, size_t key_size) {
  std::vector<uint8_t> key(key_size), next(key_size);
  size_t count = 0;
  void* prev = nullptr;  // null asks for the first key
  while (bpf_map_get_next_key(map_fd, prev, next.data()) == 0) {
    ++count;
    key.swap(next);
    prev = key.data();
  }
  if (errno != ENOENT) return IoError("iterating a BPF map: {}", std::strerror(errno));
  return count;
}

// Combines one CPU's value of histogram slot `slot` into `into`: counts and sums add up, the
// minimum and maximum combine (0 = no call seen on that CPU).
void MergeHistogramSlot(uint32_t slot, uint64_t v, uint64_t& into) {
  if (slot == GOTAP_HIST_MIN) {
    if (v != 0 && (into == 0 || v < into)) into = v;
  } else if (slot == GOTAP_HIST_MAX) {
    into = std::max(into, v);
  } else {
    into += v;
  }
}

void MergeHistogramSlots(const __u64 (&cpu)[GOTAP_HIST_SLOTS], std::vector<uint64_t>& into) {
  for (uint32_t slot = 0; slot < GOTAP_HIST_SLOTS; ++slot)
    MergeHistogramSlot(slot, cpu[slot], into[slot]);
}

}  // namespace

struct Session::State {
  SessionOptions options;
  // Declared in reverse order of teardown: links close before the ring and the program.
  std::unique_ptr<gotap_bpf, SkeletonDeleter> skel;
  std::optional<RingReader> ring;
  std::optional<Attachments> links;
  ScopedFd run_stats;      // holds BPF_STATS_RUN_TIME on while open
  uint64_t next_site = 0;  // sites [0, next_site) hold specs
  // The gslots map, memory-mapped: userspace frees the slots of processes that are gone.
  gotap_gslot* slots = nullptr;
  size_t slots_bytes = 0;

  ~State() {
    if (slots) munmap(slots, slots_bytes);
  }
};

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

namespace {

StatusOr<std::vector<uint64_t>> SumPerCpuCounters(const bpf_map* map, uint32_t n) {
  return bpf::SumPerCpuCounters(bpf_map__fd(map), n, bpf_map__name(map));
}

}  // namespace

StatusOr<Counters> Session::ReadCounters() const {
  ASSIGN_OR_RETURN(std::vector<uint64_t> sums,
                   SumPerCpuCounters(state_->skel->maps.counters, GOTAP_CTR_NUM));
  Counters counters;
  std::copy(sums.begin(), sums.end(), counters.values.begin());
  return counters;
}

StatusOr<std::vector<uint64_t>> Session::ReadFuncCounts() const {
  return SumPerCpuCounters(state_->skel->maps.func_counts, state_->options.max_funcs);
}

StatusOr<std::vector<uint64_t>> Session::ReadFuncErrors() const {
  return SumPerCpuCounters(state_->skel->maps.func_errors, state_->options.max_hist_funcs);
}

StatusOr<std::vector<uint64_t>> Session::ReadHistogram(uint32_t func_id) const {
  if (func_id >= state_->options.max_hist_funcs) {
    return InvalidArgument("no histogram for function {}", func_id);
  }
  auto counts = LookupPerCpu<gotap_hist_counts>(bpf_map__fd(state_->skel->maps.hist), &func_id);
  auto extremes =
      LookupPerCpu<gotap_hist_extremes>(bpf_map__fd(state_->skel->maps.hist_extremes), &func_id);
  for (const Status& status : {counts.status(), extremes.status()}) {
    if (!status.ok()) {
      return status.WithContext(fmt::format("reading the histogram of function {}", func_id));
    }
  }
  std::vector<uint64_t> out(GOTAP_HIST_SLOTS);
  for (size_t cpu = 0; cpu < counts->size() && cpu < extremes->size(); ++cpu) {
    for (uint32_t slot = 0; slot <= GOTAP_HIST_SUM; ++slot) out[slot] += (*counts)[cpu].slots[slot];
    MergeHistogramSlot(GOTAP_HIST_MIN, (*extremes)[cpu].min, out[GOTAP_HIST_MIN]);
    MergeHistogramSlot(GOTAP_HIST_MAX, (*extremes)[cpu].max, out[GOTAP_HIST_MAX]);
  }
  return out;
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

Status Session::ResetHistogramExtremes() {
  int fd = bpf_map__fd(state_->skel->maps.hist_extremes);
  for (uint32_t func = 0; func < state_->options.max_hist_funcs; ++func) {
    if (Status s = UpdatePerCpu(fd, &func, gotap_hist_extremes{}); !s.ok()) {
      return s.WithContext(fmt::format("resetting the extremes of function {}", func));
    }
  }
  return Status::Ok();
}

StatusOr<std::vector<GroupHistogram>> Session::ReadGroupedHistograms() const {
  int fd = bpf_map__fd(state_->skel->maps.hist_by);
  std::vector<GroupHistogram> out;
  gotap_hist_key key{}, next{};
  const gotap_hist_key* prev = nullptr;  // null asks for the first key
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    auto per_cpu = LookupPerCpu<gotap_hist_value>(fd, &key);
    if (per_cpu.status().code() == StatusCode::kNotFound) continue;  // deleted meanwhile
    if (!per_cpu.ok()) return per_cpu.status().WithContext("reading a grouped histogram");
    GroupHistogram h{key.func_id, key.group, std::vector<uint64_t>(GOTAP_HIST_SLOTS)};
    for (const gotap_hist_value& v : *per_cpu) MergeHistogramSlots(v.slots, h.slots);
    out.push_back(std::move(h));
  }
  if (errno != ENOENT) return IoError("iterating grouped histograms: {}", std::strerror(errno));
  return out;
}

Status Session::ClearGroupedHistograms() {
  int fd = bpf_map__fd(state_->skel->maps.hist_by);
  // Collect first: deleting while iterating restarts the walk from the first key.
  std::vector<gotap_hist_key> keys;
  gotap_hist_key key{}, next{};
  const gotap_hist_key* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    keys.push_back(next);
    key = next;
    prev = &key;
  }
  for (const gotap_hist_key& k : keys) {
    if (bpf_map_delete_elem(fd, &k) != 0 && errno != ENOENT) {
      return IoError("clearing a grouped histogram: {}", std::strerror(errno));
    }
  }
  return Status::Ok();
}

StatusOr<size_t> Session::CountOpenGoroutines() const {
  ASSIGN_OR_RETURN(size_t in_map,
                   CountKeys(bpf_map__fd(state_->skel->maps.stacks), sizeof(gotap_goroutine_key)));
  size_t in_slots = 0;
  for (uint32_t i = 0; i < state_->options.goroutine_slots; ++i) {
    in_slots += __atomic_load_n(&state_->slots[i].owner, __ATOMIC_ACQUIRE) != 0;
  }
  return in_map + in_slots;
}

StatusOr<size_t> Session::CountOpenArgFrames() const {
  ASSIGN_OR_RETURN(size_t in_map,
                   CountKeys(bpf_map__fd(state_->skel->maps.frame_args), sizeof(gotap_args_key)));
  size_t in_slots = 0;
  for (uint32_t i = 0; i < state_->options.goroutine_slots; ++i) {
    const gotap_gslot& slot = state_->slots[i];
    if (__atomic_load_n(&slot.owner, __ATOMIC_ACQUIRE) == 0) continue;
    uint32_t n = std::min<uint32_t>(slot.stack.n, GOTAP_STACK_DEPTH);
    for (uint32_t level = 0; level < n; ++level) {
      in_slots += slot.stack.frames[level].has_args == GOTAP_ARGS_IN_SLOT;
    }
  }
  return in_map + in_slots;
}

Status Session::EnableRunStats() {
  if (state_->run_stats.valid()) return Status::Ok();
  int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (fd < 0) return IoError("enabling BPF run-time statistics: {}", std::strerror(errno));
  state_->run_stats.Reset(fd);
  return Status::Ok();
}

StatusOr<ProgramStats> Session::ReadProgramStats() const {
  bpf_prog_info info{};
  uint32_t length = sizeof(info);
  if (bpf_obj_get_info_by_fd(bpf_program__fd(state_->skel->progs.gotap_site), &info, &length)) {
    return IoError("reading program info: {}", std::strerror(errno));
  }
  return ProgramStats{info.run_cnt, info.run_time_ns};
}

AttachMode Session::attach_mode() const { return state_->links->mode(); }
size_t Session::attached_sites() const { return state_->links->attached_sites(); }

std::string Counters::ToString() const {
  static constexpr const char* kNames[GOTAP_CTR_NUM] = {
      "records",      "ring_full",  "stack_overflow", "unmatched_return",
      "no_goroutine", "bad_cookie", "deduped",        "stack_map_full",
      "preempted",    "filtered",   "hist_full"};
  std::string out;
  for (int i = 0; i < GOTAP_CTR_NUM; ++i) {
    out += fmt::format("{}{}={}", i ? " " : "", kNames[i], values[i]);
  }
  return out;
}

}  // namespace gotap::bpf
