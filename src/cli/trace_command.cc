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
#include <map>
#include <memory>

#include "base/duration.h"
#include "base/escape.h"
#include "base/json_writer.h"
#include "base/output_stream.h"
#include "bpf/run_loop.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "cli/latency_report.h"
#include "cli/open_binary.h"
#include "cli/process_spawn.h"
#include "output/chrome_trace.h"
#include "output/graph_sink.h"
#include "output/histogram.h"
#include "output/timeline_svg.h"
#include "trace/filter.h"
#include "trace/tracer.h"

namespace gotap::cli {
namespace {

// Ring buffer bytes from "65536", "64K", "8M" or "1G" (binary multiples): a power of two of at
// least a page, at most 1 GiB, as the kernel's ring buffer map requires.
StatusOr<uint32_t> ParseBufferSize(std::string_view text) {
  uint64_t scale = 1;
  std::string number(text);
  if (!number.empty()) {
    switch (number.back()) {
      case 'k':
      case 'K':
        scale = 1ull << 10;
        break;
      case 'm':
      case 'M':
        scale = 1ull << 20;
        break;
      case 'g':
      case 'G':
        scale = 1ull << 30;
        break;
      default:
        break;
    }
    if (scale != 1) number.pop_back();
  }
  char* end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(number.c_str(), &end, 10);
  uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  if (number.empty() || number[0] == '-' || end == nullptr || *end != '\0' || errno != 0 ||
      value == 0 || value > (1ull << 30) / scale || ((value * scale) & (value * scale - 1)) != 0 ||
      value * scale < page) {
    return InvalidArgument(
        "bad buffer size '{}': a power of two from the page size ({}) to 1G (examples: 64K, 8M)",
        text, page);
  }
  return static_cast<uint32_t>(value * scale);
}

}  // namespace

int RunTrace(const TraceOptions& options, std::ostream& out, std::ostream& err) {
  auto fail = [&](int code, const std::string& message) {
    err << "gotap: " << message << "\n";
    return code;
  };
  // Which binary, which processes.
  auto args = ResolveTargetArgs(options.positionals, options.command, options.pid, "trace");
  if (!args.ok()) return fail(kExitBadInput, args.status().message());
  bpf::Target target;
  target.binary_path = args->binary_path;
  target.pid = args->pid;
  std::vector<std::string> probes = std::move(args->probes);
  if (probes.empty()) {
    probes.push_back("main.*");
    err << "gotap: no probe given; tracing 'main.*'\n";
  }

  std::unique_ptr<gobin::Binary> binary = OpenBinaryOrReport(target.binary_path, err);
  if (!binary) return kExitBadInput;
  auto selectors = ParseSelectors(probes, "probe");
  if (!selectors.ok()) return fail(kExitBadInput, selectors.status().message());
  trace::PlanOptions plan_options;
  plan_options.string_length = static_cast<uint16_t>(options.string_length);
  plan_options.ctx_key = options.ctx_key;
  plan_options.follow_pointers = !options.no_follow;
  auto lenders = ParseSelectors(options.ctx_from, "--ctx-from");
  if (!lenders.ok()) return fail(kExitBadInput, lenders.status().message());
  plan_options.ctx_from = std::move(lenders).value();
  plan_options.count_only = options.count;
  plan_options.histogram = options.latency;
  auto plan = trace::PlanTrace(*binary, *selectors, plan_options);
  if (!plan.ok()) {
    int code = plan.status().code() == StatusCode::kUnsupported ? kExitFailure : kExitBadInput;
    return fail(code, EscapeForTerminal(plan.status().message()));
  }
  for (const std::string& w : plan->warnings)
    err << "gotap: note: " << EscapeForTerminal(w) << "\n";

  trace::RunLimits limits;
  if (!options.duration.empty()) {
    auto d = ParseSeconds(options.duration);
    if (!d.ok()) return fail(kExitBadInput, d.status().message());
    limits.duration_seconds = *d;
  }
  if (options.max_events > 0) limits.max_events = options.max_events;
  if (!options.buffer.empty()) {
    auto bytes = ParseBufferSize(options.buffer);
    if (!bytes.ok()) return fail(kExitBadInput, EscapeForTerminal(bytes.status().message()));
    limits.ring_bytes = *bytes;
  }
  for (const std::string& text : options.filters) {
    auto conditions = trace::ParseFilter(text);
    if (!conditions.ok()) {
      return fail(kExitBadInput, EscapeForTerminal(conditions.status().message()));
    }
    limits.filters.insert(limits.filters.end(), conditions->begin(), conditions->end());
  }
  if (options.graph && options.graph_goid >= 0) {
    gotap_filter_cond goid{};
    goid.field = GOTAP_FF_GOID;
    goid.op = GOTAP_OP_EQ;
    goid.value = static_cast<uint64_t>(options.graph_goid);
    limits.filters.push_back(goid);
  }
  if (limits.filters.size() > GOTAP_MAX_FILTERS) {
    return fail(kExitBadInput, fmt::format("{} filter conditions; at most {}",
                                           limits.filters.size(), GOTAP_MAX_FILTERS));
  }
  if (!options.ns.empty()) {
    size_t start = 0;
    while (start <= options.ns.size()) {
      size_t comma = options.ns.find(',', start);
      std::string name =
          options.ns.substr(start, comma == std::string::npos ? comma : comma - start);
      bool known = false;
      for (int kind = 0; kind < GOTAP_NS_NUM; ++kind) {
        if (name == "all" || name == trace::NsName(kind)) {
          if (std::find(limits.ns_kinds.begin(), limits.ns_kinds.end(), kind) ==
              limits.ns_kinds.end()) {
            limits.ns_kinds.push_back(kind);
          }
          known = true;
        }
      }
      if (!known) {
        return fail(kExitBadInput, "bad --ns '" + EscapeForTerminal(name) +
                                       "' (net, mnt, pid, uts, ipc, user, cgroup or all)");
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (!options.by.empty()) {
    if (options.by == "goid") {
      limits.hist_by = GOTAP_BY_GOID;
    } else if (options.by == "tid") {
      limits.hist_by = GOTAP_BY_TID;
    } else if (options.by == "pid") {
      limits.hist_by = GOTAP_BY_PID;
    } else {
      return fail(kExitBadInput,
                  "bad --by '" + EscapeForTerminal(options.by) + "' (goid, tid or pid)");
    }
  }
  output::GraphOptions graph_options;
  graph_options.json = options.json;
  if (options.graph_goid >= 0) graph_options.goid = static_cast<uint64_t>(options.graph_goid);
  if (!options.graph_min.empty()) {
    auto ns = ParseNanoseconds(options.graph_min);
    if (!ns.ok()) return fail(kExitBadInput, EscapeForTerminal(ns.status().message()));
    graph_options.min_ns = *ns;
  }
  if (options.record && options.output.empty()) {
    return fail(kExitBadInput, "record needs -o FILE (the trace-event JSON to write)");
  }

  // From here on a signal ends the run cleanly (the files finished, the summary printed).
  InstallStopHandlers(&bpf::g_stop_requested);
  std::unique_ptr<OutputStream> file, svg_file;
  for (auto [path, stream] : {std::pair{&options.output, &file}, {&options.svg, &svg_file}}) {
    if (path->empty()) continue;
    auto opened = OutputStream::Open(*path);
    if (!opened.ok()) return fail(kExitBadInput, EscapeForTerminal(opened.status().message()));
    *stream = std::move(opened).value();
  }
  std::ostream& events = file ? *file : out;
  std::unique_ptr<output::CallSink> sink;
  if (options.record) {
    std::string label = options.command.empty() ? target.binary_path : options.command[0];
    if (options.pid > 0) {
      char exe[4096];
      ssize_t n = readlink(target.binary_path.c_str(), exe, sizeof(exe) - 1);
      if (n > 0) label.assign(exe, static_cast<size_t>(n));
    }
    label = label.substr(label.rfind('/') + 1);
    sink = output::MakeChromeTraceSink(events, label);
    if (svg_file) {
      std::vector<std::unique_ptr<output::CallSink>> both;
      both.push_back(std::move(sink));
      both.push_back(output::MakeTimelineSvgSink(*svg_file));
      sink = output::MakeTeeSink(std::move(both));
    }
  } else if (options.graph) {
    sink = output::MakeGraphSink(events, graph_options);
  } else {
    sink = options.json ? output::MakeJsonSink(events) : output::MakeTextSink(events);
  }

  // gotap latency: reports from the kernel's histograms, every interval and at the end.
  std::shared_ptr<LatencyReporter> latency;
  if (options.latency) {
    std::optional<double> every;
    if (!options.interval.empty()) {
      auto d = ParseSeconds(options.interval);
      if (!d.ok()) return fail(kExitBadInput, d.status().message());
      every = *d;
    }
    latency = std::make_shared<LatencyReporter>(
        *plan, LatencyReporter::Options{every, options.cumulative, options.json, limits.hist_by},
        events, err);
    limits.on_poll = [latency](bpf::Session& s) { latency->Report(s, false); };
    limits.on_finish = [latency](bpf::Session& s) { latency->Report(s, true); };
  }

  if (!options.command.empty()) {
    auto pid = SpawnStopped(options.command);
    if (!pid.ok()) return fail(kExitFailure, pid.status().message());
    target.pid = *pid;
    target.spawned = true;
  }
  // Functions left out because the kernel refuses one of their sites: one line each, like the
  // plan's notes (names come from the binary: escaped).
  limits.on_warning = [&](const std::string& line) {
    err << "gotap: note: " << EscapeForTerminal(line) << "\n";
  };
  limits.on_attached = [&](const bpf::Session& session) {
    size_t traced =
        std::count_if(plan->functions.begin(), plan->functions.end(),
                      [](const trace::TracedFunction& f) { return f.untraced.empty(); });
    err << fmt::format(
        "gotap: tracing {} function{} ({} probe sites, {}) in {}{}; Ctrl-C to stop\n", traced,
        traced == 1 ? "" : "s", session.attached_sites(),
        session.attach_mode() == bpf::AttachMode::kUprobeMulti ? "uprobe_multi" : "perf events",
        EscapeForTerminal(target.binary_path),
        target.pid > 0 ? fmt::format(" (pid {})", target.pid) : " (every process)");
  };
  // A failed write ends the run (exit 1) and counts as a loss, never silently.
  limits.check_output = [&]() -> Status {
    RETURN_IF_ERROR(CheckWritten(events));
    return svg_file ? svg_file->Check() : Status::Ok();
  };
  auto summary = trace::RunTrace(*plan, target, limits, *sink);
  if (!summary.ok()) {
    int code = EndFailedRun(summary.status(), target.spawned ? target.pid : 0);
    return fail(code, EscapeForTerminal(summary.status().message()));
  }
  if (target.spawned && !summary->child_exit_status) {
    summary->child_exit_status = WaitForCommand(target.pid);
  }
  if (options.count) {
    // The counts are the result: one line per function, most called first. Text lists the
    // functions called and counts the rest; JSON lists every function.
    std::vector<std::pair<uint64_t, std::string>> rows;
    for (const auto& [name, n] : summary->calls_per_function) rows.emplace_back(n, name);
    std::sort(rows.rbegin(), rows.rend());
    std::string text;
    size_t never_called = 0;
    for (const auto& [n, name] : rows) {
      if (options.json) {
        JsonWriter(&text).BeginObject().Key("func").String(name).Key("count").Uint(n).EndObject();
        text += "\n";
      } else if (n == 0) {
        ++never_called;
      } else {
        text += fmt::format("{:>12}  {}\n", n, EscapeForTerminal(name));
      }
    }
    if (never_called > 0) {
      text += fmt::format("{:>12}  ({} more function{} not called)\n", 0, never_called,
                          never_called == 1 ? "" : "s");
    }
    events << text;
    if (Status written = CheckWritten(events); !written.ok() && summary->write_error.empty()) {
      summary->write_error = written.message();
      summary->unwritten += summary->calls;  // the counts were the output
    }
  }
  if (latency) {
    for (const auto& [name, n] : latency->calls_per_function()) {
      summary->calls_per_function[name] = n;
      summary->calls += n;
    }
    summary->unwritten += latency->unwritten_calls();
  }
  for (OutputStream* stream : {file.get(), svg_file.get()}) {
    Status closed = stream ? stream->Close() : Status::Ok();
    if (!closed.ok() && summary->write_error.empty()) summary->write_error = closed.message();
  }
  err << trace::FormatSummary(*summary);
  if (!summary->write_error.empty()) {
    return fail(kExitFailure, EscapeForTerminal(summary->write_error));
  }
  // Like strace and time: a spawned command's status is gotap's (N, or 128 + its signal).
  if (target.spawned && summary->child_exit_status) {
    return CommandExitCode(*summary->child_exit_status);
  }
  return kExitOk;
}

}  // namespace gotap::cli
