// What a Session reads from its maps: counters, per-function counts and errors, latency
// histograms (per function and grouped), open frames, and the program's run statistics.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "bpf/per_cpu.h"
#include "bpf/session.h"
#include "bpf/session_state.h"

namespace gotap::bpf {
namespace {

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
