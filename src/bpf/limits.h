// The one limit on what a run selects, shared by every mode (trace, latency, graph, record, ns).
// A plain header: unprivileged planning code includes it without linking libbpf.
#pragma once

#include <cstdint>

namespace gotap::bpf {

// Probe sites one run attaches at most: the kernel's limit for one uprobe_multi link
// (MAX_UPROBE_MULTI_CNT in kernel/trace/bpf_trace.c, 1 << 20). Each traced function takes one
// site for its entry and one per exit (two to four for most Go functions), so a run can select
// a few hundred thousand functions: more than the largest Go binaries have. Maps are sized to
// the selection, so memory grows with it.
inline constexpr uint32_t kMaxSites = 1u << 20;

}  // namespace gotap::bpf
