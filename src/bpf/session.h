// A loaded gotap BPF program with its maps, ring buffer and attachments.
//
// Lifecycle: Session::Create (checks privileges, probes kernel features, sizes the maps, loads
// the embedded program) -> AddSites (specs into the `sites` map; their indexes are the cookies)
// -> Attach (one uprobe_multi link per call, or one perf event per site on kernels without
// uprobe_multi) -> Poll / ReadCounters -> destruction (links close first, which detaches every
// uprobe; then the ring buffer; then the program and maps).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/byte_reader.h"
#include "base/status.h"
#include "bpf/attachments.h"
#include "bpf/gotap_intf.h"
#include "bpf/limits.h"

namespace gotap::bpf {

struct SessionOptions {
  uint32_t ring_bytes = 8u << 20;  // power of two, multiple of the page size
  uint32_t max_sites = 16384;      // site specs (cookies) over the session's lifetime
  // Goroutines with open frames: most keep them in a slot (a power of two, ~6 KiB each; see
  // struct gotap_gslot), the others in an LRU map of max_goroutines (oldest evicted). 0: all in
  // the map (slower; for comparisons and tests of that path).
  uint32_t goroutine_slots = 1024;
  uint32_t max_goroutines = 8192;
  uint32_t max_arg_frames = 8192;  // open frames holding captured arguments (LRU)
  uint32_t max_funcs = 4096;       // counters for GOTAP_SITE_COUNT sites
  uint32_t max_hist_funcs = 256;   // functions with a latency histogram (GOTAP_SITE_F_HISTOGRAM)
  AttachMode attach_mode = AttachMode::kAuto;
  // In-kernel filters, all of which must hold (see gotap_intf.h); at most GOTAP_MAX_FILTERS.
  std::vector<gotap_filter_cond> filters;
  // GOTAP_SITE_F_HISTOGRAM sites: one histogram per function, or per (function, group).
  uint32_t hist_by = GOTAP_BY_NONE;  // enum gotap_hist_by
  uint32_t max_hist_groups = 4096;   // (function, group) pairs; more are counted as hist_full
  // Every record carries the namespaces of the thread that emitted it (GOTAP_REC_NS).
  bool with_ns = false;
};

// One (function, group) histogram of a session with hist_by set.
struct GroupHistogram {
  uint32_t func_id = 0;
  uint64_t group = 0;           // goid, tid or pid
  std::vector<uint64_t> slots;  // GOTAP_HIST_SLOTS, summed over CPUs as ReadHistogram's
};

struct Counters {
  std::array<uint64_t, GOTAP_CTR_NUM> values{};  // indexed by enum gotap_counter

  uint64_t operator[](gotap_counter c) const { return values[c]; }
  std::string ToString() const;  // "records=10 ring_full=0 ..."
};

// Kernel accounting of the program's runs (all sites). Zero unless run-time statistics are on
// (Session::EnableRunStats, or sysctl kernel.bpf_stats_enabled=1).
struct ProgramStats {
  uint64_t runs = 0;
  uint64_t run_time_ns = 0;  // total time inside the program, excluding the trap around it
};

class Session {
 public:
  static StatusOr<Session> Create(const SessionOptions& options = {});

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  // Validates and stores specs; spec i gets cookie first + i, where first is returned.
  StatusOr<uint64_t> AddSites(std::span<const gotap_site_spec> specs);

  // Attaches the program at FILE offsets (not vaddrs) of `path`; site i fires with cookies[i],
  // which must come from AddSites. pid > 0 limits the uprobes to that process, 0 traces every
  // process mapping the file. All-or-nothing: on error nothing stays attached.
  Status Attach(const std::string& path, std::span<const uint64_t> file_offsets,
                std::span<const uint64_t> cookies, int pid);

  // Like Attach, but the sites the kernel refuses are left out with their groups' other sites
  // (see Attachments::AttachDroppingRefused) and `report` says which.
  Status AttachDroppingRefused(const std::string& path, std::span<const uint64_t> file_offsets,
                               std::span<const uint64_t> cookies, int pid,
                               std::span<const uint32_t> groups, AttachReport* report);

  // Closes every link (detaching all uprobes). Records already in the ring stay readable.
  void DetachAll();

  // Waits up to `timeout`, then calls `on_record` with each raw record in the ring (see
  // call_record.h to parse it). The wait ends early only when the ring is an eighth full: the
  // program does not wake the reader per record (see ring_reader.h), so poll with the latency
  // you accept (10-100 ms). Returns the number of records delivered.
  StatusOr<int> Poll(std::chrono::milliseconds timeout,
                     const std::function<void(Bytes record)>& on_record);

  // Removes the frames still open for process tgid (0: all) and delivers them as records
  // flagged GOTAP_REC_OPEN (see open_frames.h). For a target that exited, or after DetachAll.
  StatusOr<int> DrainOpenFrames(int tgid, const std::function<void(Bytes record)>& on_record);

  StatusOr<Counters> ReadCounters() const;
  // Turns the kernel's per-program run-time statistics on for the Session's lifetime (they cost
  // two clock reads per run, so they are off by default).
  Status EnableRunStats();
  StatusOr<ProgramStats> ReadProgramStats() const;
  // Per-function hits of GOTAP_SITE_COUNT sites, indexed by func_id (max_funcs entries).
  StatusOr<std::vector<uint64_t>> ReadFuncCounts() const;
  // Per-function calls that returned a non-nil error (GOTAP_SITE_F_COUNT_ERRORS), indexed by
  // func_id (max_hist_funcs entries).
  StatusOr<std::vector<uint64_t>> ReadFuncErrors() const;
  // The in-kernel latency histogram of func_id (GOTAP_HIST_SLOTS values: buckets, sum, min,
  // max; see gotap_intf.h), summed (min/max: combined) over CPUs.
  StatusOr<std::vector<uint64_t>> ReadHistogram(uint32_t func_id) const;
  // Zeroes the min and max slots of every histogram. Interval reports take counts and sums as
  // differences of the (never cleared) cumulative slots, so a call that ends while the report
  // is read is counted in one interval or the next, never lost; only the extremes restart (a
  // call ending just then may be left out of the next interval's min and max).
  Status ResetHistogramExtremes();
  // Stores the interface recipes (iface_intf.h), keyed by the runtime address of a _type; at
  // most GOTAP_IFACE_MAX_RECIPES. Call before Attach.
  Status SetIfaceRecipes(std::span<const std::pair<uint64_t, gotap_iface_recipe>> recipes);
  // With hist_by: every (function, group) histogram that has seen a call since the last clear.
  StatusOr<std::vector<GroupHistogram>> ReadGroupedHistograms() const;
  Status ClearGroupedHistograms();
  // Entries in the shadow-stack map (goroutines with open frames) and in the frame-args map.
  // Both drain to 0 once every traced call has returned or been found abandoned.
  StatusOr<size_t> CountOpenGoroutines() const;
  StatusOr<size_t> CountOpenArgFrames() const;

  AttachMode attach_mode() const;  // kUprobeMulti or kPerfEvent, never kAuto
  size_t attached_sites() const;

 private:
  struct State;
  explicit Session(std::unique_ptr<State> state);
  Status CheckCookies(std::span<const uint64_t> cookies) const;

  std::unique_ptr<State> state_;  // never null except in a moved-from Session
};

}  // namespace gotap::bpf
