#include "nswatch/watch.h"

#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>

#include "nswatch/ns_session.h"
#include "proc/stop_conditions.h"

namespace gotap::nswatch {

volatile std::sig_atomic_t g_ns_stop_requested = 0;

StatusOr<NsSummary> RunNsWatch(const NsPlan& plan, const gobin::Binary& binary,
                               const WatchTarget& target, const WatchLimits& limits,
                               const std::function<void(const Finding&)>& on_finding) {
  ASSIGN_OR_RETURN(NsSession session, NsSession::Create(plan.offsets.ToConfig(),
                                                        static_cast<uint32_t>(plan.sites.size())));
  // Original namespaces, read before the target runs probed code: the process's own
  // (/proc/PID/ns, its thread-group leader). Processes that start later get their leader's on
  // their first probe hit (see ns.bpf.c).
  std::vector<int> known =
      target.pid > 0 ? std::vector<int>{target.pid} : ProcessesRunning(target.binary_path);
  for (int pid : known) {
    auto ns = ReadNs(pid);
    if (ns.ok()) RETURN_IF_ERROR(session.SetOriginal(pid, *ns));
  }
  RETURN_IF_ERROR(session.AttachSyscalls());
  RETURN_IF_ERROR(
      session.AttachSites(target.binary_path, plan.sites, plan.file_offsets, target.pid));
  if (limits.on_attached) limits.on_attached();
  if (target.spawned) kill(target.pid, SIGCONT);

  NsSummary summary;
  std::map<uint32_t, std::vector<uint64_t>> site_vaddrs;
  for (size_t i = 0; i < plan.sites.size() && i < plan.vaddrs.size(); ++i) {
    site_vaddrs[plan.sites[i].func_id].push_back(plan.vaddrs[i]);
  }
  Symbolizer symbolizer(binary, std::move(site_vaddrs));
  uint64_t malformed = 0;
  auto deliver = [&](Bytes raw) {
    auto finding = DecodeFinding(raw, plan.functions, &symbolizer);
    if (!finding.ok()) {
      ++malformed;
      return;
    }
    summary.Add(*finding);
    on_finding(*finding);
  };
  proc::StopConditions stop(&g_ns_stop_requested, limits.duration_seconds, target.pid,
                            target.spawned);
  while (true) {
    summary.stop_reason = stop.Check(&summary.child_exit_status);
    if (!summary.stop_reason.empty()) break;
    auto polled = session.Poll(std::chrono::milliseconds(100), deliver);
    if (!polled.ok()) return polled.status();
  }
  session.DetachAll();
  while (true) {
    auto polled = session.Poll(std::chrono::milliseconds(0), deliver);
    if (!polled.ok() || *polled == 0) break;
  }
  summary.seconds = stop.elapsed_seconds();
  summary.lost = session.ReadLost() + malformed;
  return summary;
}

}  // namespace gotap::nswatch
