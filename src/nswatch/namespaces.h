// Linux namespace ids of threads and processes, as /proc shows them ("net:[4026531992]"), and
// the per-thread snapshot of `gotap ns --once`. No BPF here.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "nswatch/ns_intf.h"

namespace gotap::nswatch {

// Inode numbers indexed by gotap_ns_type; 0 = unknown.
using NsSet = std::array<uint32_t, GOTAP_NS_NUM>;

// "net", "mnt", "pid", "uts", "ipc", "user", "cgroup".
std::string_view NsTypeName(int type);
// The entry of /proc/TID/ns/ for `type`: as NsTypeName, except "pid_for_children" for the pid
// namespace (see ns_read.bpf.h for why).
std::string_view NsProcEntry(int type);

// "net:[4026531992]" -> 4026531992 if the prefix is `type_name`; nullopt otherwise.
std::optional<uint32_t> ParseNsLink(std::string_view link, std::string_view type_name);
// "net:[4026531992]".
std::string FormatNs(int type, uint32_t inum);

NsSet FromBpf(const gotap_ns_set& set);
// Types (gotap_ns_type) whose ids differ, both being known.
std::vector<int> DifferingTypes(const NsSet& a, const NsSet& b);
// "net:[A]" for each differing type of `a` against `b`, joined by " "; all of `a` if none differ.
std::string DescribeDifference(const NsSet& a, const NsSet& b);

// The namespaces of /proc/PID/ns (tid 0: the process, i.e. its thread-group leader) or of
// /proc/PID/task/TID/ns. Unreadable entries stay 0; an error only if none could be read.
StatusOr<NsSet> ReadNs(int pid, int tid = 0);

struct ThreadNs {
  int tid = 0;
  std::string comm;  // /proc/PID/task/TID/comm, untrusted (escape before printing)
  NsSet ns{};
  std::vector<int> differs;  // types differing from the main thread's
};

// Every thread of pid, the main thread (tid == pid) first, then by tid.
StatusOr<std::vector<ThreadNs>> SnapshotThreads(int pid);
// Text table (one line per thread, "*" marks threads differing from the main thread) and JSON
// (one object per thread, then {"summary":...}).
std::string FormatSnapshotText(int pid, const std::vector<ThreadNs>& threads);
std::string FormatSnapshotJson(int pid, const std::vector<ThreadNs>& threads);

// Processes whose /proc/PID/exe is the file at `path` (same device and inode).
std::vector<int> ProcessesRunning(const std::string& path);

}  // namespace gotap::nswatch
