// gotap trace: watch calls to Go functions in a running program.
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>

#include "base/escape.h"
#include "base/json_writer.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "cli/open_binary.h"
#include "output/histogram.h"
#include "trace/tracer.h"

namespace gotap::cli {
namespace {

void RequestStop(int) { trace::g_stop_requested = 1; }

void InstallStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = RequestStop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// The path execvp would run for `command`.
std::optional<std::string> ResolveCommand(const std::string& command) {
  if (command.find('/') != std::string::npos) return command;
  const char* path = getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    std::string dir = dirs.substr(start, colon == std::string::npos ? colon : colon - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + command;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return std::nullopt;
}

// Forks `argv` stopped before exec, so probes can be attached before its first instruction.
StatusOr<int> SpawnStopped(const std::vector<std::string>& argv) {
  pid_t pid = fork();
  if (pid < 0) return IoError("fork: {}", std::strerror(errno));
  if (pid == 0) {
    raise(SIGSTOP);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    fprintf(stderr, "gotap: cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, WUNTRACED) != pid || !WIFSTOPPED(status)) {
    return IoError("the command did not start");
  }
  return pid;
}

// Seconds in "5s", "250ms", "2m", "1h" or a plain number of seconds.
StatusOr<double> ParseDuration(std::string_view text) {
  double scale = 1;
  std::string number(text);
  for (auto [suffix, factor] : {std::pair<std::string_view, double>{"ms", 1e-3},
                                {"us", 1e-6},
                                {"s", 1},
                                {"m", 60},
                                {"h", 3600}}) {
    if (text.size() > suffix.size() && text.ends_with(suffix)) {
      number = std::string(text.substr(0, text.size() - suffix.size()));
      scale = factor;
      break;
    }
  }
  char* end = nullptr;
  double value = std::strtod(number.c_str(), &end);
  if (number.empty() || end == nullptr || *end != '\0' || !(value > 0)) {
    return InvalidArgument("bad duration '{}' (examples: 5s, 250ms, 2m)", text);
  }
  return value * scale;
}

}  // namespace

int RunTrace(const TraceOptions& options, std::ostream& out, std::ostream& err) {
  auto fail = [&](int code, const std::string& message) {
    err << "gotap: " << message << "\n";
    return code;
  };
  // Which binary, which processes.
  trace::Target target;
  std::vector<std::string> probes = options.positionals;
  if (!options.command.empty()) {
    auto path = ResolveCommand(options.command[0]);
    if (!path)
      return fail(kExitBadInput, EscapeForTerminal(options.command[0]) + ": command not found");
    target.binary_path = *path;
  } else if (options.pid > 0) {
    if (kill(options.pid, 0) != 0 && errno == ESRCH) {
      return fail(kExitBadInput, fmt::format("no such process: {}", options.pid));
    }
    target.binary_path = fmt::format("/proc/{}/exe", options.pid);
    target.pid = options.pid;
  } else {
    if (probes.empty()) {
      return fail(kExitBadInput, "give a binary, -p PID or -- COMMAND (see gotap trace --help)");
    }
    target.binary_path = probes.front();
    probes.erase(probes.begin());
  }
  if (probes.empty()) {
    probes.push_back("main.*");
    err << "gotap: no probe given; tracing 'main.*'\n";
  }

  std::unique_ptr<gobin::Binary> binary = OpenBinaryOrReport(target.binary_path, err);
  if (!binary) return kExitBadInput;
  std::vector<probe::Selector> selectors;
  for (const std::string& text : probes) {
    auto selector = probe::ParseSelector(text);
    if (!selector.ok()) {
      return fail(kExitBadInput, fmt::format("bad probe '{}': {}", EscapeForTerminal(text),
                                             EscapeForTerminal(selector.status().message())));
    }
    selectors.push_back(std::move(selector).value());
  }
  trace::PlanOptions plan_options;
  plan_options.string_length = static_cast<uint16_t>(options.string_length);
  plan_options.count_only = options.count;
  plan_options.histogram = options.latency;
  auto plan = trace::PlanTrace(*binary, selectors, plan_options);
  if (!plan.ok()) {
    int code = plan.status().code() == StatusCode::kUnsupported ? kExitFailure : kExitBadInput;
    return fail(code, EscapeForTerminal(plan.status().message()));
  }
  for (const std::string& w : plan->warnings)
    err << "gotap: note: " << EscapeForTerminal(w) << "\n";

  trace::RunLimits limits;
  if (!options.duration.empty()) {
    auto d = ParseDuration(options.duration);
    if (!d.ok()) return fail(kExitBadInput, d.status().message());
    limits.duration_seconds = *d;
  }
  if (options.max_events > 0) limits.max_events = options.max_events;

  std::ofstream file;
  if (!options.output.empty()) {
    file.open(options.output, std::ios::out | std::ios::trunc);
    if (!file) return fail(kExitBadInput, "cannot write " + EscapeForTerminal(options.output));
  }
  std::ostream& events = options.output.empty() ? out : file;
  std::unique_ptr<output::CallSink> sink =
      options.json ? output::MakeJsonSink(events) : output::MakeTextSink(events);

  // gotap latency: reports from the kernel's histograms, every interval and at the end.
  std::map<std::string, uint64_t> latency_calls;
  if (options.latency) {
    std::optional<double> every;
    if (!options.interval.empty()) {
      auto d = ParseDuration(options.interval);
      if (!d.ok()) return fail(kExitBadInput, d.status().message());
      every = *d;
    }
    auto last =
        std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
    auto report = [&, every, last](bpf::Session& session, bool final) {
      auto now = std::chrono::steady_clock::now();
      if (!final && (!every || std::chrono::duration<double>(now - *last).count() < *every)) {
        return;
      }
      *last = now;
      struct timespec ts {};
      clock_gettime(CLOCK_REALTIME, &ts);
      uint64_t ts_ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
      std::string text;
      if (!options.json) text += fmt::format("@ {}\n", output::FormatTimeOfDay(ts_ns));
      for (const trace::TracedFunction& fn : plan->functions) {
        if (fn.entry_only) continue;
        auto slots = session.ReadHistogram(fn.func_id);
        if (!slots.ok()) {
          err << "gotap: " << slots.status().message() << "\n";
          return;
        }
        auto h = output::LatencyHistogram::FromSlots(fn.name, *slots);
        // Non-cumulative reports cover the time since the last one (the maps are cleared).
        if (!options.cumulative) {
          latency_calls[fn.name] += h.count;
        } else if (final) {
          latency_calls[fn.name] = h.count;
        }
        text += options.json ? output::RenderHistogramJson(h, ts_ns) + "\n"
                             : output::RenderHistogramText(h);
      }
      events << text << std::flush;
      if (!options.cumulative) (void)session.ClearHistograms();
    };
    limits.on_poll = [report](bpf::Session& s) { report(s, false); };
    limits.on_finish = [report](bpf::Session& s) { report(s, true); };
  }

  InstallStopHandlers();
  if (!options.command.empty()) {
    auto pid = SpawnStopped(options.command);
    if (!pid.ok()) return fail(kExitFailure, pid.status().message());
    target.pid = *pid;
    target.spawned = true;
  }
  limits.on_attached = [&](const bpf::Session& session) {
    err << fmt::format(
        "gotap: tracing {} function{} ({} probe sites, {}) in {}{}; Ctrl-C to stop\n",
        plan->functions.size(), plan->functions.size() == 1 ? "" : "s", plan->specs.size(),
        session.attach_mode() == bpf::AttachMode::kUprobeMulti ? "uprobe_multi" : "perf events",
        EscapeForTerminal(target.binary_path),
        target.pid > 0 ? fmt::format(" (pid {})", target.pid) : " (every process)");
  };
  auto summary = trace::RunTrace(*plan, target, limits, *sink);
  if (!summary.ok()) {
    if (target.spawned) {
      kill(target.pid, SIGKILL);
      waitpid(target.pid, nullptr, 0);
    }
    int code = summary.status().code() == StatusCode::kPermissionDenied ||
                       summary.status().code() == StatusCode::kUnsupported
                   ? kExitFailure
                   : kExitBadInput;
    return fail(code, EscapeForTerminal(summary.status().message()));
  }
  if (target.spawned && !summary->child_exit_status) {
    // Tracing stopped first (a limit): the command runs on without probes; wait for it.
    int status = 0;
    waitpid(target.pid, &status, 0);
    summary->child_exit_status = status;
  }
  if (options.count) {
    // The counts are the result: one line per function, most called first.
    std::vector<std::pair<uint64_t, std::string>> rows;
    for (const auto& [name, n] : summary->calls_per_function) rows.emplace_back(n, name);
    std::sort(rows.rbegin(), rows.rend());
    std::string text;
    for (const auto& [n, name] : rows) {
      if (options.json) {
        JsonWriter(&text).BeginObject().Key("func").String(name).Key("count").Uint(n).EndObject();
        text += "\n";
      } else {
        text += fmt::format("{:>12}  {}\n", n, EscapeForTerminal(name));
      }
    }
    events << text << std::flush;
  }
  if (options.latency) {
    for (const auto& [name, n] : latency_calls) {
      summary->calls_per_function[name] = n;
      summary->calls += n;
    }
  }
  err << trace::FormatSummary(*summary);
  return kExitOk;
}

}  // namespace gotap::cli
