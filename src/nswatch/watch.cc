#include "nswatch/watch.h"

#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>

#include "nswatch/ns_session.h"

namespace gotap::nswatch {

volatile std::sig_atomic_t g_ns_stop_requested = 0;

namespace {

bool ProcessAlive(int pid) { return kill(pid, 0) == 0 || errno != ESRCH; }

}  // namespace

StatusOr<NsSummary> RunNsWatch(const NsPlan& plan, const gobin::Binary& binary,
                               const WatchTarget& target, const WatchLimits& limits,
                               const std::function<void(const Finding&)>& on_finding) {
  ASSIGN_OR_RETURN(NsSession session, NsSession::Create(plan.offsets.ToConfig()));
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
  auto start = std::chrono::steady_clock::now();
  while (true) {
    if (g_ns_stop_requested) {
      summary.stop_reason = "interrupted";
      break;
    }
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (limits.duration_seconds && elapsed >= *limits.duration_seconds) {
      summary.stop_reason = "duration";
      break;
    }
    if (target.spawned) {
      int status = 0;
      if (waitpid(target.pid, &status, WNOHANG) == target.pid) {
        summary.child_exit_status = status;
        summary.stop_reason = "command exited";
        break;
      }
    } else if (target.pid > 0 && !ProcessAlive(target.pid)) {
      summary.stop_reason = "process exited";
      break;
    }
    auto polled = session.Poll(std::chrono::milliseconds(100), deliver);
    if (!polled.ok()) return polled.status();
  }
  session.DetachAll();
  while (true) {
    auto polled = session.Poll(std::chrono::milliseconds(0), deliver);
    if (!polled.ok() || *polled == 0) break;
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  summary.lost = session.ReadLost() + malformed;
  return summary;
}

}  // namespace gotap::nswatch
