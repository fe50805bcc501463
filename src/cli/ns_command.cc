// gotap ns: namespace and thread hygiene of a Go program (see nswatch/).
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "base/duration.h"
#include "base/escape.h"
#include "bpf/run_loop.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "cli/open_binary.h"
#include "cli/process_spawn.h"
#include "nswatch/namespaces.h"
#include "nswatch/ns_plan.h"
#include "nswatch/watch.h"

namespace gotap::cli {
namespace {

constexpr int kExitViolation = 3;

int RunSnapshot(const NsOptions& options, std::ostream& out, std::ostream& err) {
  auto threads = nswatch::SnapshotThreads(options.pid);
  if (!threads.ok()) {
    err << "gotap: " << threads.status().message() << "\n";
    return kExitBadInput;
  }
  out << (options.json ? nswatch::FormatSnapshotJson(options.pid, *threads)
                       : nswatch::FormatSnapshotText(options.pid, *threads));
  return kExitOk;
}

}  // namespace

int RunNs(const NsOptions& options, std::ostream& out, std::ostream& err) {
  auto fail = [&](int code, const std::string& message) {
    err << "gotap: " << message << "\n";
    return code;
  };
  if (options.once) {
    if (options.pid <= 0) return fail(kExitBadInput, "--once needs -p PID");
    return RunSnapshot(options, out, err);
  }
  auto args = ResolveTargetArgs(options.positionals, options.command, options.pid, "ns");
  if (!args.ok()) return fail(kExitBadInput, args.status().message());
  bpf::Target target;
  target.binary_path = args->binary_path;
  target.pid = args->pid;
  std::vector<std::string> probes = std::move(args->probes);
  std::unique_ptr<gobin::Binary> binary = OpenBinaryOrReport(target.binary_path, err);
  if (!binary) return kExitBadInput;
  auto plan = nswatch::PlanNsWatch(*binary, probes);
  if (!plan.ok()) {
    int code = plan.status().code() == StatusCode::kUnsupported ? kExitFailure : kExitBadInput;
    return fail(code, EscapeForTerminal(plan.status().message()));
  }
  for (const std::string& w : plan->warnings)
    err << "gotap: note: " << EscapeForTerminal(w) << "\n";
  for (const std::string& d : plan->offsets.disagreements) err << "gotap: warning: " << d << "\n";

  nswatch::WatchLimits limits;
  if (!options.duration.empty()) {
    auto d = gotap::ParseSeconds(options.duration);
    if (!d.ok()) return fail(kExitBadInput, d.status().message());
    limits.duration_seconds = *d;
  }
  InstallStopHandlers(&bpf::g_stop_requested);
  if (!options.command.empty()) {
    auto pid = SpawnStopped(options.command);
    if (!pid.ok()) return fail(kExitFailure, pid.status().message());
    target.pid = *pid;
    target.spawned = true;
  }
  limits.on_attached = [&] {
    err << fmt::format(
        "gotap: watching namespaces in {}{}: {} probe sites ({} traced functions, runtime "
        "layout {}); Ctrl-C to stop\n",
        EscapeForTerminal(target.binary_path),
        target.pid > 0 ? fmt::format(" (pid {})", target.pid) : " (every process)",
        plan->sites.size(), plan->traced_functions, plan->offsets.source);
  };
  auto summary =
      nswatch::RunNsWatch(*plan, *binary, target, limits, [&](const nswatch::Finding& f) {
        out << (options.json ? f.ToJson() + "\n" : f.ToText());
        out.flush();
      });
  if (!summary.ok()) {
    int code = EndFailedRun(summary.status(), target.spawned ? target.pid : 0);
    return fail(code, EscapeForTerminal(summary.status().message()));
  }
  if (target.spawned && !summary->child_exit_status) {
    summary->child_exit_status = WaitForCommand(target.pid);
  }
  if (options.json) out << summary->ToJson() << "\n";
  err << summary->ToText();
  if (summary->child_exit_status) {
    int st = *summary->child_exit_status;
    err << (WIFEXITED(st) ? fmt::format("gotap: command exited with status {}\n", WEXITSTATUS(st))
                          : fmt::format("gotap: command killed by signal {}\n", WTERMSIG(st)));
  }
  return summary->violations() > 0 ? kExitViolation : kExitOk;
}

}  // namespace gotap::cli
