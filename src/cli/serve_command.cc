// gotap serve: a long-running agent that counts and times calls to Go functions in every process
// running a binary (now and later), in the kernel, and serves them to Prometheus.
#include <fmt/format.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>

#include "base/clock.h"
#include "base/duration.h"
#include "base/escape.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "cli/open_binary.h"
#include "cli/process_spawn.h"
#include "serve/export_sink.h"
#include "serve/http_server.h"
#include "serve/metrics_board.h"
#include "trace/tracer.h"

namespace gotap::cli {
namespace {

volatile std::sig_atomic_t g_reload_requested = 0;

// SIGHUP: end the current session (detach) and start a new one from the binary on disk, keeping
// every count (serve's reload; see RunServe).
void RequestReload(int) {
  g_reload_requested = 1;
  trace::g_stop_requested = 1;
}

// Histogram sessions emit records only for calls a panic unwound; serve counts calls that
// returned and shows no individual calls.
class DiscardCalls : public output::CallSink {
 public:
  void Write(const output::CallEvent&) override {}
  void Flush() override {}
};

// The labels every series of `binary` carries.
output::BinaryMetrics LabelsOf(const gobin::Binary& binary, const std::string& path) {
  output::BinaryMetrics labels;
  // The absolute path, so that series from agents started in different folders agree.
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::canonical(path, error);
  labels.binary = error ? path : absolute.string();
  labels.go_version = binary.go_version();
  const auto& info = binary.build_info();
  if (info && !info->main_module.path.empty()) {
    labels.service = info->main_module.path;
  } else if (info && !info->main_path.empty()) {
    labels.service = info->main_path;
  } else {
    labels.service = path.substr(path.rfind('/') + 1);
  }
  return labels;
}

serve::HttpResponse Route(const serve::HttpRequest& request, serve::MetricsBoard& board,
                          const std::atomic<bool>& attached) {
  if (request.path == "/metrics") {
    return {200, "text/plain; version=0.0.4; charset=utf-8",
            board.Scrape(std::chrono::milliseconds(1000))};
  }
  if (request.path == "/healthz") {
    if (attached.load()) return {200, "text/plain; charset=utf-8", "ok\n"};
    return {503, "text/plain; charset=utf-8", "not attached\n"};
  }
  if (request.path == "/") {
    return {200, "text/plain; charset=utf-8",
            "gotap serve\n  /metrics  Prometheus metrics\n  /healthz  200 while attached\n"};
  }
  return {404, "text/plain; charset=utf-8", "not found: try /metrics or /healthz\n"};
}

// The binary as it is on disk now and the plan of its probes; null (with the error printed)
// when either fails.
struct Loaded {
  std::unique_ptr<gobin::Binary> binary;
  std::optional<trace::TracePlan> plan;
  int exit_code = kExitOk;
};
// `records`: a trace plan (every call reaches userspace, for spans) instead of a histogram one.
Loaded Load(const std::string& path, const std::vector<probe::Selector>& selectors, bool records,
            int string_length, std::ostream& err) {
  Loaded loaded;
  loaded.binary = OpenBinaryOrReport(path, err);
  if (!loaded.binary) {
    loaded.exit_code = kExitBadInput;
    return loaded;
  }
  trace::PlanOptions plan_options;
  plan_options.histogram = !records;
  plan_options.string_length = static_cast<uint16_t>(string_length);
  auto plan = trace::PlanTrace(*loaded.binary, selectors, plan_options);
  if (!plan.ok()) {
    loaded.exit_code =
        plan.status().code() == StatusCode::kUnsupported ? kExitFailure : kExitBadInput;
    err << "gotap: " << EscapeForTerminal(plan.status().message()) << "\n";
    return loaded;
  }
  for (const std::string& w : plan->warnings) {
    err << "gotap: note: " << EscapeForTerminal(w) << "\n";
  }
  loaded.plan = std::move(plan).value();
  return loaded;
}

serve::ProgramIdentity IdentityOf(const gobin::Binary& binary,
                                  const output::BinaryMetrics& labels) {
  serve::ProgramIdentity id;
  id.service_name = labels.service;
  const auto& info = binary.build_info();
  if (info) id.service_version = info->main_module.version;
  id.executable_path = labels.binary;
  id.go_version = labels.go_version;
  char host[256] = "";
  if (gethostname(host, sizeof(host) - 1) == 0) id.host_name = host;
  return id;
}

output::SpanExportMetrics SpanMetrics(const serve::OtlpStats& s) {
  output::SpanExportMetrics m;
  m.exported = s.exported;
  m.dropped = {
      {"queue_full", s.queue_full}, {"rejected", s.rejected}, {"at_exit", s.dropped_at_exit}};
  m.failed_requests = s.failed_requests;
  return m;
}

}  // namespace

int RunServe(const ServeOptions& options, std::ostream& err) {
  auto fail = [&](int code, const std::string& message) {
    err << "gotap: " << message << "\n";
    return code;
  };
  if (options.positionals.empty()) {
    return fail(kExitBadInput, "serve needs a BINARY (then PROBE...; see gotap serve --help)");
  }
  const std::string& path = options.positionals[0];
  std::vector<std::string> probes(options.positionals.begin() + 1, options.positionals.end());
  if (probes.empty()) {
    probes.push_back("main.*");
    err << "gotap: no probe given; serving 'main.*'\n";
  }
  auto parsed = ParseSelectors(probes, "probe");
  if (!parsed.ok()) return fail(kExitBadInput, parsed.status().message());
  const std::vector<probe::Selector> selectors = std::move(parsed).value();
  trace::RunLimits limits;
  if (!options.duration.empty()) {
    auto d = ParseSeconds(options.duration);
    if (!d.ok()) return fail(kExitBadInput, d.status().message());
    limits.duration_seconds = *d;
  }

  // The binary and probes are checked before anything listens: bad input is one line.
  const bool export_spans = !options.otlp.empty();
  Loaded loaded = Load(path, selectors, export_spans, options.string_length, err);
  if (!loaded.plan) return loaded.exit_code;
  std::unique_ptr<serve::OtlpExporter> exporter;
  if (export_spans) {
    serve::OtlpOptions otlp;
    otlp.endpoint = options.otlp;
    auto started = serve::OtlpExporter::Start(otlp, "gotap");
    if (!started.ok()) return fail(kExitBadInput, EscapeForTerminal(started.status().message()));
    exporter = std::move(started).value();
  }
  serve::SpanBuilder span_builder;

  serve::MetricsBoard board(static_cast<double>(ClockNs(CLOCK_REALTIME)) / 1e9);
  std::atomic<bool> attached{false};
  auto server = serve::HttpServer::Start(
      options.metrics, [&](const serve::HttpRequest& r) { return Route(r, board, attached); });
  if (!server.ok()) {
    int code =
        server.status().code() == StatusCode::kInvalidArgument ? kExitBadInput : kExitFailure;
    return fail(code, EscapeForTerminal(server.status().message()));
  }
  err << fmt::format("gotap: metrics at {}/metrics\n", (*server)->url());

  InstallStopHandlers(&trace::g_stop_requested);
  struct sigaction hup {};
  hup.sa_handler = RequestReload;
  sigemptyset(&hup.sa_mask);
  sigaction(SIGHUP, &hup, nullptr);

  // One session per (re)load. Counts carry over: each new session's readings add the previous
  // sessions' final ones (calls made while it reattaches, a fraction of a second, are missed).
  output::BinaryMetrics earlier;
  int sessions = 0;
  while (true) {
    g_reload_requested = 0;
    if (sessions > 0) {
      loaded = Load(path, selectors, export_spans, options.string_length, err);
      if (!loaded.plan) return loaded.exit_code;
    }
    const gobin::Binary* binary = loaded.binary.get();
    const trace::TracePlan* plan = &*loaded.plan;
    const output::BinaryMetrics labels = LabelsOf(*binary, path);
    std::unique_ptr<serve::ExportSink> export_sink;
    if (exporter) {
      export_sink = std::make_unique<serve::ExportSink>(*plan, IdentityOf(*binary, labels),
                                                        span_builder, *exporter);
    }
    // Metrics come from the kernel's histograms, or with spans from the calls themselves.
    auto publish = [&](const bpf::Session& session) {
      StatusOr<output::BinaryMetrics> now = Status::Ok();
      if (export_sink) {
        auto counters = session.ReadCounters();
        if (counters.ok())
          now = export_sink->stats().Read(labels, *counters);
        else
          now = counters.status();
      } else {
        now = serve::ReadBinaryMetrics(*plan, session, labels);
      }
      if (!now.ok()) {
        err << "gotap: " << EscapeForTerminal(now.status().message()) << "\n";
        return;
      }
      serve::AddEarlierCounts(earlier, &*now);
      board.Publish(std::move(now).value(),
                    exporter ? std::optional(SpanMetrics(exporter->stats())) : std::nullopt);
    };
    limits.on_warning = [&](const std::string& line) {
      err << "gotap: note: " << EscapeForTerminal(line) << "\n";
    };
    limits.on_attached = [&](const bpf::Session& session) {
      publish(session);
      attached = true;
      size_t traced = board.Last().functions.size();
      err << fmt::format("gotap: {} {} function{} ({} probe sites) in {} (every process)\n",
                         sessions == 0 ? "serving" : "reloaded:", traced, traced == 1 ? "" : "s",
                         session.attached_sites(), EscapeForTerminal(path));
    };
    limits.on_poll = [&](bpf::Session& session) {
      if (board.Wanted()) publish(session);
    };
    limits.on_finish = [&](bpf::Session& session) { publish(session); };
    trace::Target target;
    target.binary_path = path;
    DiscardCalls discard;
    output::CallSink& sink = export_sink ? static_cast<output::CallSink&>(*export_sink) : discard;
    auto summary = trace::RunTrace(*plan, target, limits, sink);
    attached = false;
    if (!summary.ok()) {
      return fail(EndFailedRun(summary.status(), 0), EscapeForTerminal(summary.status().message()));
    }
    ++sessions;
    earlier = board.Last();
    if (!g_reload_requested) break;
    trace::g_stop_requested = 0;
    err << "gotap: SIGHUP: reloading " << EscapeForTerminal(path) << "\n";
  }
  uint64_t calls = 0, errors = 0;
  for (const output::FunctionMetrics& f : earlier.functions) {
    calls += f.calls.count;
    errors += f.errors;
  }
  err << fmt::format("gotap: served {} calls ({} errors) of {} functions; stopped\n", calls, errors,
                     earlier.functions.size());
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
