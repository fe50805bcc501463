// gotap serve: a long-running agent that counts and times calls to Go functions in every process
// of the configured binaries or Go modules (now and later, also in containers), in the kernel,
// and serves them to Prometheus (and as spans to an OpenTelemetry collector).
#include <fmt/format.h>
#include <signal.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "base/clock.h"
#include "base/duration.h"
#include "base/escape.h"
#include "bpf/run_loop.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "cli/open_binary.h"
#include "cli/process_spawn.h"
#include "serve/agent.h"
#include "serve/call_stats.h"
#include "serve/config.h"
#include "serve/http_server.h"
#include "serve/metrics_board.h"
#include "trace/tracer.h"

namespace gotap::cli {
namespace {

volatile std::sig_atomic_t g_reload_requested = 0;

// SIGHUP: detach everything and start again from the config file and the binaries on disk,
// keeping every count (see RunServe).
void RequestReload(int) { g_reload_requested = 1; }

// The running agent, swapped by a reload while the HTTP thread asks it for /healthz.
class AgentSlot {
 public:
  void Set(std::unique_ptr<serve::Agent> agent) {
    std::unique_ptr<serve::Agent> old;
    {
      std::lock_guard lock(mu_);
      old = std::exchange(agent_, std::move(agent));
    }
    // `old` detaches here, outside the lock.
  }
  bool Healthy() const {
    std::lock_guard lock(mu_);
    return agent_ && agent_->Healthy();
  }
  // Main thread only (the only one that swaps it).
  serve::Agent* get() const { return agent_.get(); }

 private:
  mutable std::mutex mu_;
  std::unique_ptr<serve::Agent> agent_;
};

serve::HttpResponse Route(const serve::HttpRequest& request, serve::MetricsBoard& board,
                          const AgentSlot& agent) {
  if (request.path == "/metrics") {
    return {200, "text/plain; version=0.0.4; charset=utf-8",
            board.Scrape(std::chrono::milliseconds(1000))};
  }
  if (request.path == "/healthz") {
    if (agent.Healthy()) return {200, "text/plain; charset=utf-8", "ok\n"};
    return {503, "text/plain; charset=utf-8", "not attached\n"};
  }
  if (request.path == "/") {
    return {200, "text/plain; charset=utf-8",
            "gotap serve\n  /metrics  Prometheus metrics\n  /healthz  200 while attached\n"};
  }
  return {404, "text/plain; charset=utf-8", "not found: try /metrics or /healthz\n"};
}

output::SpanExportMetrics SpanMetrics(const serve::OtlpStats& s) {
  output::SpanExportMetrics m;
  m.exported = s.exported;
  m.dropped = {
      {"queue_full", s.queue_full}, {"rejected", s.rejected}, {"at_exit", s.dropped_at_exit}};
  m.failed_requests = s.failed_requests;
  return m;
}

// The config: the file's with the flags on top, or the flags' alone.
StatusOr<serve::ServeConfig> ConfigOf(const ServeOptions& options, std::ostream& err) {
  serve::ServeConfig config;
  if (!options.config.empty()) {
    if (!options.positionals.empty() || !options.module.empty()) {
      return InvalidArgument(
          "--config names the targets: give no BINARY, PROBE or --module with it");
    }
    ASSIGN_OR_RETURN(config, serve::LoadServeConfig(options.config));
  } else {
    serve::TargetConfig target;
    std::vector<std::string> args = options.positionals;
    if (!options.module.empty()) {
      target.module = options.module;
    } else if (args.empty()) {
      return InvalidArgument(
          "serve needs a BINARY (then PROBE...), --module PATH or --config FILE (see gotap serve "
          "--help)");
    } else {
      target.path = args.front();
      args.erase(args.begin());
    }
    target.probes = std::move(args);
    if (target.probes.empty()) err << "gotap: no probe given; serving 'main.*'\n";
    config.targets.push_back(std::move(target));
  }
  if (!options.metrics.empty()) config.metrics = options.metrics;
  if (!options.otlp.empty()) config.otlp = options.otlp;
  if (options.string_length >= 0) config.string_length = options.string_length;
  if (options.pid_label) config.pid_label = true;
  for (serve::TargetConfig& t : config.targets) {
    if (t.probes.empty()) t.probes.push_back("main.*");
  }
  return config;
}

// The config and each target's parsed probes.
struct Prepared {
  serve::ServeConfig config;
  std::vector<std::vector<probe::Selector>> selectors;
};
StatusOr<Prepared> Prepare(const ServeOptions& options, std::ostream& err) {
  Prepared p;
  ASSIGN_OR_RETURN(p.config, ConfigOf(options, err));
  for (const serve::TargetConfig& t : p.config.targets) {
    ASSIGN_OR_RETURN(std::vector<probe::Selector> parsed, ParseSelectors(t.probes, "probe"));
    p.selectors.push_back(std::move(parsed));
  }
  return p;
}

int ExitCodeOf(const Status& status) {
  return status.code() == StatusCode::kUnsupported || status.code() == StatusCode::kIo ||
                 status.code() == StatusCode::kPermissionDenied
             ? kExitFailure
             : kExitBadInput;
}

// --check: the config parses, every path target's binary opens and its probes plan, and each
// module target's probes parse (their binaries are found only when running).
int Check(const serve::ServeConfig& config,
          const std::vector<std::vector<probe::Selector>>& selectors, std::ostream& err) {
  serve::CountingOptions counting;
  counting.records = !config.otlp.empty() || config.pid_label;
  counting.string_length = config.string_length;
  std::cout << serve::DescribeServeConfig(config);
  for (size_t i = 0; i < config.targets.size(); ++i) {
    const serve::TargetConfig& t = config.targets[i];
    if (t.path.empty()) continue;
    auto loaded = serve::LoadTarget(t.path, selectors[i], counting, [&](const std::string& line) {
      err << "gotap: " << line << "\n";
    });
    if (!loaded.ok()) {
      err << "gotap: " << EscapeForTerminal(t.path) << ": "
          << EscapeForTerminal(loaded.status().message()) << "\n";
      return ExitCodeOf(loaded.status());
    }
    size_t served = 0;
    for (const trace::TracedFunction& fn : loaded->plan.functions) {
      served += serve::ServingOf(fn) == serve::Serving::kServed;
    }
    std::cout << fmt::format("  {}: {} function{} to serve\n", EscapeForTerminal(t.path), served,
                             served == 1 ? "" : "s");
  }
  std::cout << "config ok\n";
  return kExitOk;
}

}  // namespace

int RunServe(const ServeOptions& options, std::ostream& err) {
  auto fail = [&](int code, const std::string& message) {
    err << "gotap: " << message << "\n";
    return code;
  };
  auto prepared = Prepare(options, err);
  if (!prepared.ok()) return fail(ExitCodeOf(prepared.status()), prepared.status().message());
  serve::ServeConfig* config = &prepared->config;
  if (options.check) return Check(*config, prepared->selectors, err);
  std::optional<double> duration;
  if (!options.duration.empty()) {
    auto d = ParseSeconds(options.duration);
    if (!d.ok()) return fail(kExitBadInput, d.status().message());
    duration = *d;
  }

  std::unique_ptr<serve::OtlpExporter> exporter;
  if (!config->otlp.empty()) {
    serve::OtlpOptions otlp;
    otlp.endpoint = config->otlp;
    auto started = serve::OtlpExporter::Start(otlp, "gotap");
    if (!started.ok()) return fail(kExitBadInput, EscapeForTerminal(started.status().message()));
    exporter = std::move(started).value();
  }
  serve::MetricsBoard board(static_cast<double>(ClockNs(CLOCK_REALTIME)) / 1e9,
                            exporter ? serve::MetricsBoard::SpanSource([&] {
                              return std::optional(SpanMetrics(exporter->stats()));
                            })
                                     : serve::MetricsBoard::SpanSource());
  std::mutex log_mu;
  serve::AttachmentContext context;
  context.board = &board;
  context.exporter = exporter.get();
  context.counting.records = exporter != nullptr || config->pid_label;
  context.counting.by_pid = config->pid_label;
  context.counting.string_length = config->string_length;
  context.log = [&](const std::string& line) {
    std::lock_guard lock(log_mu);
    err << "gotap: " << line << "\n";
  };

  // The targets are checked before anything listens or attaches: bad input is one line.
  auto created = serve::Agent::Create(*config, prepared->selectors, context);
  if (!created.ok()) {
    return fail(ExitCodeOf(created.status()), EscapeForTerminal(created.status().message()));
  }
  AgentSlot agent;
  auto server = serve::HttpServer::Start(
      config->metrics, [&](const serve::HttpRequest& r) { return Route(r, board, agent); });
  if (!server.ok()) {
    int code =
        server.status().code() == StatusCode::kInvalidArgument ? kExitBadInput : kExitFailure;
    return fail(code, EscapeForTerminal(server.status().message()));
  }
  (*created)->Begin();
  agent.Set(std::move(created).value());
  context.log(fmt::format("metrics at {}/metrics", (*server)->url()));

  InstallStopHandlers(&bpf::g_stop_requested);
  struct sigaction hup {};
  hup.sa_handler = RequestReload;
  sigemptyset(&hup.sa_mask);
  sigaction(SIGHUP, &hup, nullptr);

  // The main thread scans /proc and watches the signals; each attachment runs in a thread of
  // its own. A reload starts a new agent; the board keeps the old one's counts in its sums.
  const auto started = std::chrono::steady_clock::now();
  auto next_scan = started;
  while (!bpf::g_stop_requested) {
    const auto now = std::chrono::steady_clock::now();
    if (duration && now - started >= std::chrono::duration<double>(*duration)) break;
    if (g_reload_requested) {
      g_reload_requested = 0;
      context.log("SIGHUP: reloading");
      agent.Set(nullptr);
      // A config file that no longer parses keeps the running config (and says why).
      auto reread = Prepare(options, err);
      if (reread.ok()) {
        *prepared = std::move(reread).value();
      } else {
        context.log("config not reloaded: " + EscapeForTerminal(reread.status().message()));
      }
      context.attached_verb = "reloaded:";
      auto reloaded = serve::Agent::Create(*config, prepared->selectors, context);
      if (!reloaded.ok()) {
        return fail(ExitCodeOf(reloaded.status()), EscapeForTerminal(reloaded.status().message()));
      }
      (*reloaded)->Begin();
      agent.Set(std::move(reloaded).value());
    }
    if (now >= next_scan) {
      agent.get()->Scan();
      next_scan = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(config->scan_seconds));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  agent.Set(nullptr);

  uint64_t calls = 0, errors = 0;
  size_t functions = 0;
  for (const output::BinaryMetrics& b : board.Merged()) {
    functions += b.functions.size();
    for (const output::FunctionMetrics& f : b.functions) {
      calls += f.calls.count;
      errors += f.errors;
    }
  }
  err << fmt::format("gotap: served {} calls ({} errors) of {} functions; stopped\n", calls, errors,
                     functions);
  if (exporter) {
    serve::OtlpStats spans = exporter->Close();
    err << fmt::format(
        "gotap: spans to {}: {} exported, {} rejected by the collector, {} dropped (queue full), "
        "{} dropped at exit{}\n",
        exporter->endpoint().url(), spans.exported, spans.rejected, spans.queue_full,
        spans.dropped_at_exit,
        spans.last_error.empty() ? "" : "; last error: " + EscapeForTerminal(spans.last_error));
  }
  return kExitOk;
}

}  // namespace gotap::cli
