#include "nswatch/watch.h"

#include <chrono>

#include "nswatch/ns_session.h"

namespace gotap::nswatch {

StatusOr<NsSummary> RunNsWatch(const NsPlan& plan, const gobin::Binary& binary,
                               const bpf::Target& target, const WatchLimits& limits,
                               const std::function<void(const Finding&)>& on_finding) {
  ASSIGN_OR_RETURN(NsSession session, NsSession::Create(plan.offsets.config,
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

  NsSummary summary;
  std::map<uint32_t, std::vector<uint64_t>> site_vaddrs;
  for (size_t i = 0; i < plan.sites.size() && i < plan.vaddrs.size(); ++i) {
    site_vaddrs[plan.sites[i].func_id].push_back(plan.vaddrs[i]);
  }
  Symbolizer symbolizer(binary, std::move(site_vaddrs));
  uint64_t malformed = 0;
  const std::function<void(Bytes)> deliver = [&](Bytes raw) {
    auto finding = DecodeFinding(raw, plan.functions, &symbolizer);
    if (!finding.ok()) {
      ++malformed;
      return;
    }
    summary.Add(*finding);
    on_finding(*finding);
  };
  bpf::LoopHooks hooks = bpf::SessionHooks(session, deliver);
  ASSIGN_OR_RETURN(bpf::LoopEnd end, bpf::RunLoop(target, limits, hooks));
  summary.stop_reason = end.stop_reason;
  summary.child_exit_status = end.child_exit_status;
  summary.seconds = end.elapsed_seconds();
  summary.lost = session.ReadLost() + malformed;
  return summary;
}

}  // namespace gotap::nswatch
