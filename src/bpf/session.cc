#include "bpf/session.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>

#include "bpf/gotap.skel.h"  // generated from gotap.bpf.c by bpftool, see CMakeLists.txt
#include "bpf/open_frames.h"
#include "bpf/privileges.h"
#include "bpf/scoped_fd.h"
#include "bpf/site_spec.h"
#include "bpf/uprobe_links.h"

namespace gotap::bpf {
namespace {

// libbpf's warnings on this thread since the last ClearLibbpfLog(): on a failed load they hold
// the verifier log, which is the only useful explanation. GOTAP_LIBBPF_VERBOSE=1 echoes them.
thread_local std::string libbpf_log;
// Goroutine slots a session may ask for: ~6 KiB each, 384 MiB at most.
constexpr uint32_t kMaxGoroutineSlots = 1u << 16;
constexpr size_t kMaxLogBytes = 16 << 10;

int LibbpfPrint(libbpf_print_level level, const char* format, va_list args) {
  static const bool verbose = std::getenv("GOTAP_LIBBPF_VERBOSE") != nullptr;
  if (level == LIBBPF_DEBUG && !verbose) return 0;
  va_list copy;
  va_copy(copy, args);
  int n = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  if (n < 0) return 0;
  std::string text(static_cast<size_t>(n) + 1, '\0');
  std::vsnprintf(text.data(), text.size(), format, args);
  text.resize(n);
  if (verbose) std::fputs(text.c_str(), stderr);
  libbpf_log += text;
  if (libbpf_log.size() > kMaxLogBytes) libbpf_log.erase(0, libbpf_log.size() - kMaxLogBytes);
  return n;
}

void ClearLibbpfLog() {
  static std::once_flag once;
  std::call_once(once, [] { libbpf_set_print(LibbpfPrint); });
  libbpf_log.clear();
}

// The last `lines` lines of the libbpf log, indented, or "" when it is empty.
std::string LibbpfLogTail(int lines) {
  size_t start = libbpf_log.size();
  for (int i = 0; i <= lines && start > 0; ++i) {
    start = libbpf_log.rfind('\n', start - 1);
    if (start == std::string::npos) {
      start = 0;
      break;
    }
  }
  std::string tail = libbpf_log.substr(start);
  return tail.empty() ? "" : "\nlibbpf: " + tail;
}

struct SkeletonDeleter {
  void operator()(gotap_bpf* skel) const { gotap_bpf__destroy(skel); }
};
struct RingBufferDeleter {
  void operator()(ring_buffer* ring) const { ring_buffer__free(ring); }
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

StatusOr<AttachMode> ChooseAttachMode(AttachMode requested) {
  if (requested == AttachMode::kPerfEvent) return requested;
  ASSIGN_OR_RETURN(bool multi, HasUprobeMultiLink());
  if (multi) return AttachMode::kUprobeMulti;
  if (requested == AttachMode::kUprobeMulti) {
    return Unsupported("this kernel has no uprobe_multi links (Linux 6.6+)");
  }
  return AttachMode::kPerfEvent;
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
  AttachMode mode = AttachMode::kUprobeMulti;
  int pmu_type = -1;  // perf-event mode only
  // Declared in reverse order of teardown: links close before the ring and the program.
  std::unique_ptr<gotap_bpf, SkeletonDeleter> skel;
  std::unique_ptr<ring_buffer, RingBufferDeleter> ring;
  std::vector<ScopedFd> links;
  ScopedFd run_stats;  // holds BPF_STATS_RUN_TIME on while open
  size_t attached_sites = 0;
  uint64_t next_site = 0;  // sites [0, next_site) hold specs
  // The gslots map, memory-mapped: userspace frees the slots of processes that are gone.
  gotap_gslot* slots = nullptr;
  size_t slots_bytes = 0;
  // Valid only during Poll.
  const std::function<void(Bytes)>* on_record = nullptr;
  int delivered = 0;

  ~State() {
    if (slots) munmap(slots, slots_bytes);
  }

  static int OnSample(void* ctx, void* data, size_t size) {
    auto* state = static_cast<State*>(ctx);
    (*state->on_record)(Bytes(static_cast<const uint8_t*>(data), size));
    ++state->delivered;
    return 0;
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
  ASSIGN_OR_RETURN(state->mode, ChooseAttachMode(options.attach_mode));
  if (state->mode == AttachMode::kPerfEvent) {
    ASSIGN_OR_RETURN(state->pmu_type, UprobePmuType());
  }

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
  int attach_type = state->mode == AttachMode::kUprobeMulti ? kAttachTraceUprobeMulti : 0;
  bpf_program__set_expected_attach_type(skel->progs.gotap_site,
                                        static_cast<bpf_attach_type>(attach_type));
  bpf_program__set_autoattach(skel->progs.gotap_site, false);
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
  state->ring.reset(
      ring_buffer__new(bpf_map__fd(skel->maps.ring), &State::OnSample, state.get(), nullptr));
  if (!state->ring) {
    return IoError("setting up the ring buffer: {}", std::strerror(errno));
  }
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
  RETURN_IF_ERROR(ValidateAttach(path, file_offsets, cookies, pid));
  State& s = *state_;
  int prog_fd = bpf_program__fd(s.skel->progs.gotap_site);
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

Status Session::ValidateAttach(const std::string& path, std::span<const uint64_t> file_offsets,
                               std::span<const uint64_t> cookies, int pid) const {
  const State& s = *state_;
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
    if (cookies[i] >= s.next_site) {
      return InvalidArgument("site {}: cookie {} has no spec (AddSites first)", i, cookies[i]);
    }
  }
  return Status::Ok();
}

Status Session::AttachDroppingRefused(const std::string& path,
                                      std::span<const uint64_t> file_offsets,
                                      std::span<const uint64_t> cookies, int pid,
                                      std::span<const uint32_t> groups, AttachReport* report) {
  State& s = *state_;
  *report = AttachReport{};
  if (groups.size() != file_offsets.size()) {
    return InvalidArgument("{} file offsets but {} groups", file_offsets.size(), groups.size());
  }
  if (s.mode != AttachMode::kUprobeMulti || file_offsets.size() < 2) {
    return Attach(path, file_offsets, cookies, pid);
  }
  RETURN_IF_ERROR(ValidateAttach(path, file_offsets, cookies, pid));
  int prog_fd = bpf_program__fd(s.skel->progs.gotap_site);
  LinkAttempt first = TryUprobeMultiLink(prog_fd, path, file_offsets, cookies, pid);
  if (first.link.valid()) {  // the normal case: one syscall
    s.links.push_back(std::move(first.link));
    s.attached_sites += file_offsets.size();
    return Status::Ok();
  }
  if (!IsSiteErrno(first.error)) return Attach(path, file_offsets, cookies, pid);  // its error
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

void Session::DetachAll() {
  state_->links.clear();
  state_->attached_sites = 0;
}

StatusOr<int> Session::Poll(std::chrono::milliseconds timeout,
                            const std::function<void(Bytes)>& on_record) {
  State& s = *state_;
  s.on_record = &on_record;
  s.delivered = 0;
  // The program wakes the reader only when the ring fills up (see emit() in gotap.bpf.c), so a
  // wait that ends without a wakeup still collects what was written meanwhile.
  int err = ring_buffer__poll(s.ring.get(), static_cast<int>(timeout.count()));
  if (err == 0 || err == -EINTR) err = ring_buffer__consume(s.ring.get());
  s.on_record = nullptr;
  if (err < 0 && err != -EINTR) return IoError("polling the ring buffer: {}", std::strerror(-err));
  return s.delivered;
}

StatusOr<int> Session::DrainOpenFrames(int tgid, const std::function<void(Bytes)>& on_record) {
  GoroutineSlots slots{state_->slots, state_->options.goroutine_slots};
  return bpf::DrainOpenFrames(slots, bpf_map__fd(state_->skel->maps.stacks),
                              bpf_map__fd(state_->skel->maps.frame_args), tgid, on_record);
}

namespace {

// Entries [0, n) of a per-CPU array of __u64 counters, each summed over the CPUs.
StatusOr<std::vector<uint64_t>> SumPerCpuCounters(const bpf_map* map, uint32_t n) {
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return IoError("counting possible CPUs: {}", std::strerror(-cpus));
  std::vector<uint64_t> per_cpu(cpus);
  std::vector<uint64_t> sums(n);
  int fd = bpf_map__fd(map);
  for (uint32_t key = 0; key < n; ++key) {
    if (bpf_map_lookup_elem(fd, &key, per_cpu.data()) != 0) {
      return IoError("reading {}[{}]: {}", bpf_map__name(map), key, std::strerror(errno));
    }
    for (uint64_t v : per_cpu) sums[key] += v;
  }
  return sums;
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
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return IoError("counting possible CPUs: {}", std::strerror(-cpus));
  std::vector<gotap_hist_counts> counts(cpus);
  std::vector<gotap_hist_extremes> extremes(cpus);
  if (bpf_map_lookup_elem(bpf_map__fd(state_->skel->maps.hist), &func_id, counts.data()) != 0 ||
      bpf_map_lookup_elem(bpf_map__fd(state_->skel->maps.hist_extremes), &func_id,
                          extremes.data()) != 0) {
    return IoError("reading the histogram of function {}: {}", func_id, std::strerror(errno));
  }
  std::vector<uint64_t> out(GOTAP_HIST_SLOTS);
  for (int cpu = 0; cpu < cpus; ++cpu) {
    for (uint32_t slot = 0; slot <= GOTAP_HIST_SUM; ++slot) out[slot] += counts[cpu].slots[slot];
    MergeHistogramSlot(GOTAP_HIST_MIN, extremes[cpu].min, out[GOTAP_HIST_MIN]);
    MergeHistogramSlot(GOTAP_HIST_MAX, extremes[cpu].max, out[GOTAP_HIST_MAX]);
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
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return IoError("counting possible CPUs: {}", std::strerror(-cpus));
  std::vector<gotap_hist_extremes> zeros(cpus);
  int fd = bpf_map__fd(state_->skel->maps.hist_extremes);
  for (uint32_t func = 0; func < state_->options.max_hist_funcs; ++func) {
    if (bpf_map_update_elem(fd, &func, zeros.data(), BPF_ANY) != 0) {
      return IoError("resetting the extremes of function {}: {}", func, std::strerror(errno));
    }
  }
  return Status::Ok();
}

StatusOr<std::vector<GroupHistogram>> Session::ReadGroupedHistograms() const {
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return IoError("counting possible CPUs: {}", std::strerror(-cpus));
  std::vector<gotap_hist_value> per_cpu(cpus);
  int fd = bpf_map__fd(state_->skel->maps.hist_by);
  std::vector<GroupHistogram> out;
  gotap_hist_key key{}, next{};
  const gotap_hist_key* prev = nullptr;  // null asks for the first key
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    if (bpf_map_lookup_elem(fd, &key, per_cpu.data()) != 0) {
      if (errno == ENOENT) continue;  // deleted meanwhile
      return IoError("reading a grouped histogram: {}", std::strerror(errno));
    }
    GroupHistogram h{key.func_id, key.group, std::vector<uint64_t>(GOTAP_HIST_SLOTS)};
    for (const gotap_hist_value& v : per_cpu) MergeHistogramSlots(v.slots, h.slots);
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

AttachMode Session::attach_mode() const { return state_->mode; }
size_t Session::attached_sites() const { return state_->attached_sites; }

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
