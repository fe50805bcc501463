#include "cli/app.h"

#include <fmt/format.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>

#include "base/output_stream.h"
#include "cli/commands.h"
#include "cli/open_binary.h"

namespace gotap::cli {
namespace {

// What trace, latency, graph and record share: the target, filters, when to stop, where to
// write, the ring buffer.
void AddTargetOptions(CLI::App* cmd, TraceOptions& o, const std::string& args_help) {
  cmd->add_option("ARGS", o.positionals, args_help);
  cmd->add_option("-p,--pid", o.pid, "Trace one running process");
  cmd->add_option("--filter", o.filters,
                  "Only calls where these hold, checked in the kernel: goid, pid, tid, duration "
                  "with == != < <= > >=, joined by && (e.g. 'goid==17', "
                  "'duration>=1ms && tid!=42')")
      ->allow_extra_args(false);
  cmd->add_option("--duration", o.duration, "Stop after this long (5s, 250ms, 2m)");
  cmd->add_option("-o,--output", o.output, "Write to FILE instead of stdout");
  cmd->add_option("--buffer", o.buffer,
                  "Ring buffer size (power of two, e.g. 64K, 8M; default 8M); a full buffer "
                  "drops events, counted in the summary");
}

// What the commands that show values share: string length, contexts, namespaces.
void AddValueOptions(CLI::App* cmd, TraceOptions& o) {
  cmd->add_option("--strlen", o.string_length,
                  "Bytes of string and []byte contents to copy (default 64)")
      ->check(CLI::Range(0, 512));
  cmd->add_option("--ctx-key", o.ctx_key,
                  "Print a context.Context as just the value of this key: a string key's text "
                  "(requestID), or a key type's name, with its import path if you like "
                  "(main.streamKey, google.golang.org/grpc/internal/transport.streamKey)");
  cmd->add_flag(
      "--no-follow", o.no_follow,
      "Print pointers as addresses instead of following them at the probe to the value "
      "they point to (&main.Request{ID:7, URL:&url.URL{…}}; bounded: 12 levels, 40 "
      "values and the 1 KiB capture area per call, cuts marked 'cut: depth|count|bytes')");
  cmd->add_option("--ctx-from", o.ctx_from,
                  "While a function matching this probe runs, show its context.Context as "
                  "`caller_ctx` in traced calls below it that take no context (per goroutine)")
      ->allow_extra_args(false);
  cmd->add_option("--ns", o.ns,
                  "Show the Linux namespaces of the thread that ended each call: net, mnt, pid, "
                  "uts, ipc, user, cgroup, comma-separated, or all (read in the kernel)");
}

}  // namespace

int Run(int argc, char** argv) {
  CLI::App app{"gotap: trace live Go programs from outside, with eBPF, the way Go sees them."};
  app.require_subcommand(1);
  // Command-line errors look like every other error: one line, "gotap: " once.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    return fmt::format("gotap: {} (see gotap --help)\n", what);
  });
  app.footer(
      "Examples:\n"
      "  gotap info ./server                     # Go version, ABI, functions, goid offset\n"
      "  gotap funcs ./server 'main.*'           # functions, entry and return probe sites\n"
      "  gotap funcs --json ./server '*Parse*'   # JSON lines for scripts\n"
      "  gotap trace ./server 'main.(*Store).Get' # calls: arguments, results, latency\n"
      "  gotap goroutines -p 4242 --stacks       # goroutines of a live process\n"
      "  gotap latency -i 1s ./server 'main.*'     # latency histograms, in the kernel\n"
      "  gotap graph --min 1ms ./server 'main.*'   # call graph per goroutine\n"
      "  gotap record -o t.json ./server 'main.*'  # timeline for ui.perfetto.dev\n"
      "  gotap serve ./server 'main.*'             # Prometheus metrics on :9464/metrics\n"
      "\nRun 'gotap SUBCOMMAND --help' for the options of each subcommand.\nExit codes: 0 "
      "success, 1 runtime failure (privileges, kernel, a failed write), 2 bad input; with -- "
      "COMMAND, trace, latency, graph and record exit with the command's status (N for exit N, "
      "128+S for signal S) unless gotap itself failed.");

  InfoOptions info;
  CLI::App* info_cmd =
      app.add_subcommand("info", "Describe a Go binary (works on stripped binaries)");
  info_cmd->add_option("BINARY", info.binary, "Go executable")->required();
  info_cmd->add_flag("--json", info.json, "Print one JSON object");
  info_cmd->footer("Example:\n  gotap info ./server\n  gotap info --json /usr/local/bin/esbuild");

  FuncsOptions funcs;
  CLI::App* funcs_cmd =
      app.add_subcommand("funcs", "List functions with their entry and return probe sites");
  funcs_cmd->add_option("BINARY", funcs.binary, "Go executable")->required();
  funcs_cmd->add_option("GLOB", funcs.globs,
                        "Go name patterns: * matches anything, ? one character "
                        "(e.g. 'main.*', 'net/http.(*conn).*', '*Parse*')");
  funcs_cmd->add_flag("--json", funcs.json, "Print JSON lines (addresses as numbers)");
  funcs_cmd->footer(
      "Examples:\n  gotap funcs ./server 'main.*'\n  gotap funcs ./server 'net/http.(*conn).*'\n"
      "  gotap funcs --json ./server '*Parse*'");

  TraceOptions trace;
  CLI::App* trace_cmd = app.add_subcommand(
      "trace", "Trace calls to Go functions: arguments, results, goroutine, latency");
  AddTargetOptions(trace_cmd, trace,
                   "[BINARY] PROBE...: a Go binary (every process running it, now and later) "
                   "unless -p or -- is given; probes are Go names, globs or signatures");
  AddValueOptions(trace_cmd, trace);
  trace_cmd->add_flag("--json", trace.json, "Print JSON lines");
  trace_cmd->add_flag(
      "--count", trace.count,
      "Only count calls per function, in the kernel (entry probes only, no events); "
      "prints the functions called, most first (--json: every function)");
  trace_cmd->add_option("--max-events", trace.max_events, "Stop after this many events");
  trace_cmd->footer(
      "Examples:\n"
      "  gotap trace ./server 'main.(*Store).Get'\n"
      "  gotap trace -p 4242 'net/http.(*conn).serve' 'main.*'\n"
      "  gotap trace -- ./swapper hello go                  # spawn; probes default to main.*\n"
      "  gotap trace -p 4242 'main.swap(x string, y string) (string, string)'   # stripped binary\n"
      "  gotap trace -p 4242 'net/http.serverHandler.ServeHTTP(sh uintptr, "
      "w net/http.ResponseWriter, r *net/http.Request)'   # follows r\n"
      "  gotap trace --json --duration 10s -o calls.jsonl ./server 'main.*'\n"
      "  gotap trace --ctx-from 'main.(*Server).handle' --ctx-key requestID -p 4242 "
      "'main.encrypt'\n"
      "\nOne limit for every mode: a run attaches at most 1,048,576 probe sites (the kernel's "
      "uprobe_multi limit; one per entry and one per exit of each function).\n"
      "\nA signature gives types where the binary has no DWARF: parameters after the receiver "
      "(a pointer receiver (*T) is implied), then results.\nCtrl-C detaches and prints a "
      "summary (calls per function, events lost) on stderr.\nExit codes: 0 ok, 1 runtime failure "
      "(e.g. a failed write), 2 bad input; with -- COMMAND, the command's status (N for exit N, "
      "128+S for signal S) unless gotap itself failed.");

  TraceOptions latency;
  latency.latency = true;
  CLI::App* latency_cmd = app.add_subcommand(
      "latency", "Latency histograms per function, aggregated in the kernel (no per-call events)");
  AddTargetOptions(latency_cmd, latency,
                   "[BINARY] PROBE...: as for trace (names, globs, -p, -- COMMAND)");
  latency_cmd->add_option("-i,--interval", latency.interval,
                          "Print a report every interval (1s, 500ms); Ctrl-C prints the last");
  latency_cmd->add_flag("--cumulative", latency.cumulative,
                        "Interval reports accumulate instead of starting afresh");
  latency_cmd->add_flag("--json", latency.json, "One JSON object per function and report");
  latency_cmd->add_option("--by", latency.by,
                          "One histogram per goroutine, thread or process: goid, tid or pid");
  latency_cmd->footer(
      "Examples:\n"
      "  gotap latency ./server 'main.(*Store).Get'\n"
      "  gotap latency -p 4242 -i 1s 'net/http.(*conn).serve'\n"
      "  gotap latency --json 'main.*' -- ./worker -n 1000\n"
      "  gotap latency --by goid --filter 'duration>=1ms' ./server 'main.(*DB).Query'\n"
      "\nPercentiles come from four linear sub-buckets per power of two: each is within 12.5% of "
      "the exact value.");

  TraceOptions graph;
  graph.graph = true;
  CLI::App* graph_cmd = app.add_subcommand(
      "graph", "Calls nested per goroutine with their durations, like ftrace's function_graph");
  AddTargetOptions(graph_cmd, graph,
                   "[BINARY] PATTERN...: as for trace (names, globs, -p, -- COMMAND)");
  AddValueOptions(graph_cmd, graph);
  graph_cmd->add_option("--goid", graph.graph_goid,
                        "Follow one goroutine (filtered in the kernel)");
  graph_cmd->add_option("--min", graph.graph_min,
                        "Hide calls shorter than this (1ms, 250us) and the calls inside them");
  graph_cmd->add_flag("--json", graph.json,
                      "JSON lines (as trace's, with \"level\") in graph order");
  graph_cmd->footer(
      "Examples:\n"
      "  gotap graph ./server 'main.*' 'net/http.(*conn).serve'\n"
      "  gotap graph --goid 17 --min 1ms -p 4242 'main.*'\n"
      "  gotap graph -- ./worker -n 10                     # patterns default to main.*\n"
      "\nA goroutine's calls are printed when its outermost traced call returns (or after 2s), "
      "in call order; a call that moved between threads shows both (entry→return).");

  TraceOptions record;
  record.record = true;
  CLI::App* record_cmd = app.add_subcommand(
      "record", "Record calls to a Chrome trace-event file for ui.perfetto.dev / chrome://tracing");
  AddTargetOptions(record_cmd, record,
                   "[BINARY] PROBE...: as for trace (names, globs, -p, -- COMMAND)");
  record_cmd->get_option("--output")->required()->description("The trace-event JSON file to write");
  AddValueOptions(record_cmd, record);
  record_cmd->add_option("--svg", record.svg, "Also draw the calls per goroutine to an SVG file");
  record_cmd->add_option("--max-events", record.max_events, "Stop after this many calls");
  record_cmd->footer(
      "Examples:\n"
      "  gotap record -o trace.json ./server 'main.*'      # then open it in ui.perfetto.dev\n"
      "  gotap record -o trace.json --svg calls.svg -- ./worker -n 10\n"
      "\nOne track per goroutine (\"goroutine N\"), one slice per call with its arguments and "
      "results; the file is written as calls end.");

  ServeOptions serve;
  CLI::App* serve_cmd = app.add_subcommand(
      "serve", "Serve call counts, errors and latency histograms to Prometheus (an agent)");
  serve_cmd->add_option("ARGS", serve.positionals,
                        "BINARY PROBE...: every process running BINARY, now and later (also in "
                        "containers, by its path there); probes as for trace (default main.*)");
  serve_cmd->add_option("-c,--config", serve.config,
                        "YAML file naming the targets (paths or Go modules, with their probes) "
                        "and exports; see README or /usr/share/doc/gotap/gotap.yaml");
  serve_cmd->add_flag("--check", serve.check,
                      "Check the config (or flags): parse it, open each binary, plan its probes; "
                      "print what would be served and exit (0 ok, 2 bad)");
  serve_cmd->add_option("--module", serve.module,
                        "Serve every process whose Go main module (build info) is this, found by "
                        "scanning /proc; then ARGS are only PROBEs");
  serve_cmd->add_option("--metrics", serve.metrics,
                        "Listen here for /metrics and /healthz (HOST:PORT; default "
                        "127.0.0.1:9464; port 0 picks a free one, printed on stderr)");
  serve_cmd->add_option("--otlp", serve.otlp,
                        "Also send every call as a span to this OpenTelemetry collector "
                        "(OTLP/HTTP JSON, e.g. http://127.0.0.1:4318); calls then reach "
                        "userspace one by one");
  serve_cmd->add_flag("--pid-label", serve.pid_label,
                      "Label the per-function series with the process id (calls then reach "
                      "userspace one by one; series of ended processes go)");
  serve_cmd
      ->add_option("--strlen", serve.string_length,
                   "With --otlp: bytes of string contents copied per value (default 64)")
      ->check(CLI::Range(0, 512));
  serve_cmd->add_option("--duration", serve.duration, "Stop after this long (5s, 2m)");
  serve_cmd->footer(
      "Examples:\n"
      "  gotap serve ./server 'main.(*Store).*'            # http://127.0.0.1:9464/metrics\n"
      "  gotap serve --metrics :9464 /usr/bin/app 'net/http.(*conn).serve'\n"
      "  gotap serve ./server 'main.get(key string) error'  # stripped: a signature gives the "
      "error result\n"
      "  gotap serve --module example.com/shop 'main.*'    # every process of that module\n"
      "  gotap serve --otlp http://127.0.0.1:4318 ./server 'main.handle'  # spans too\n"
      "  gotap serve --check -c /etc/gotap/gotap.yaml      # validate a config\n"
      "\nMetrics (labels function, binary, service = the main module; pid with --pid-label): "
      "gotap_calls_total, "
      "gotap_call_errors_total (non-nil error results), gotap_call_duration_seconds (histogram, "
      "le at powers of two from 256ns to 34s), gotap_calls_lost_total{reason}, "
      "gotap_functions_untraced.\nCounted in the kernel: no per-call traffic to userspace. "
      "Processes of a module, or of a path inside containers, are found by scanning /proc "
      "(scan_interval, default 1s) and detached when the last one exits. "
      "SIGHUP re-reads the config and the binaries and reattaches, keeping every count; "
      "SIGINT/SIGTERM detach "
      "and exit 0.\nExit codes: 0 stopped by a signal or --duration, 1 runtime failure "
      "(privileges, address in use), 2 bad input.");

  NsOptions ns;
  CLI::App* ns_cmd = app.add_subcommand(
      "ns", "Namespace hygiene: threads left in another namespace by LockOSThread + setns/unshare");
  ns_cmd->add_option("ARGS", ns.positionals,
                     "[BINARY] PROBE...: a Go binary (every process running it) unless -p or -- "
                     "is given; PROBE patterns add functions where poisoned threads are caught "
                     "(main.* always)");
  ns_cmd->add_option("-p,--pid", ns.pid, "Watch one running process");
  ns_cmd->add_flag("--once", ns.once,
                   "With -p: print every thread's namespaces from /proc (no BPF) and exit");
  ns_cmd->add_flag("--json", ns.json, "One JSON object per finding, then a summary object");
  ns_cmd->add_option("--duration", ns.duration, "Stop after this long (5s, 250ms, 2m)");
  ns_cmd->footer(
      "Examples:\n"
      "  gotap ns -- ./netctl setup            # watch a command until it exits\n"
      "  gotap ns -p 4242 --duration 30s 'github.com/x/y.*'\n"
      "  gotap ns --json ./agent               # every process running ./agent\n"
      "  gotap ns -p 4242 --once               # threads whose namespaces differ from main's\n"
      "\nFindings: unlock_in_foreign_ns (UnlockOSThread left the thread in another namespace), "
      "poisoned_thread (an unlocked goroutine runs on such a thread), child_not_inheriting (a "
      "locked goroutine in another namespace started a goroutine), ns_syscall (setns/unshare, "
      "informational).\nExit codes: 0 no violation, 3 a violation was seen, 1 runtime failure, "
      "2 bad input.");

  GoroutinesOptions goroutines;
  CLI::App* goroutines_cmd = app.add_subcommand(
      "goroutines", "List the goroutines of a running Go process (read from outside, no BPF)");
  goroutines_cmd->add_option("-p,--pid", goroutines.pid, "The Go process")->required();
  goroutines_cmd->add_flag("--json", goroutines.json,
                           "One JSON object per goroutine per line, then a summary object");
  goroutines_cmd->add_flag("--stacks", goroutines.stacks, "Print each goroutine's stack");
  goroutines_cmd->add_option("--filter", goroutines.filter,
                             "Only goroutines in this state ('chan receive', running) or with "
                             "a function containing this text");
  goroutines_cmd->add_flag("--freeze", goroutines.freeze,
                           "Stop the process (SIGSTOP) while reading it, for an exact "
                           "snapshot; it is resumed (SIGCONT) afterwards");
  goroutines_cmd->footer(
      "Examples:\n"
      "  gotap goroutines -p 4242\n"
      "  gotap goroutines -p 4242 --stacks --filter 'chan receive'\n"
      "  gotap goroutines -p 4242 --json --stacks --freeze > goroutines.jsonl\n"
      "\nWorks on stripped and PIE binaries. Without --freeze the process keeps running: a "
      "goroutine that changed while it was read is marked.\nExit codes: 0 ok, 1 runtime "
      "failure (permission, process exited), 2 bad input (no such process, not a Go program, "
      "unsupported Go version).");

  // Everything after "--" is the command to spawn under `trace` or `latency`.
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") {
      trace.command.assign(args.begin() + static_cast<ptrdiff_t>(i) + 1, args.end());
      latency.command = trace.command;
      graph.command = trace.command;
      record.command = trace.command;
      ns.command = trace.command;
      args.resize(i);
      break;
    }
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments reversed

  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  // -p takes a process id: 0 and negative numbers would otherwise read as "no -p given".
  for (auto [cmd, pid] : {std::pair{trace_cmd, &trace.pid},
                          {latency_cmd, &latency.pid},
                          {graph_cmd, &graph.pid},
                          {record_cmd, &record.pid},
                          {ns_cmd, &ns.pid},
                          {goroutines_cmd, &goroutines.pid}}) {
    if (cmd->parsed() && cmd->count("--pid") > 0 && *pid <= 0) {
      std::cerr << "gotap: bad pid " << *pid << ": -p takes a process id (a positive number)\n";
      return kExitBadInput;
    }
  }
  // Results go to stdout through a stream that reports failed writes and writes whole lines
  // (see base/output_stream.h); the tracing commands and info/funcs check it themselves.
  std::unique_ptr<OutputStream> out = OutputStream::ForFd(STDOUT_FILENO, "stdout");
  if (info_cmd->parsed()) return RunInfo(info, *out, std::cerr);
  if (funcs_cmd->parsed()) return RunFuncs(funcs, *out, std::cerr);
  if (trace_cmd->parsed()) return RunTrace(trace, *out, std::cerr);
  if (latency_cmd->parsed()) return RunTrace(latency, *out, std::cerr);
  if (graph_cmd->parsed()) return RunTrace(graph, *out, std::cerr);
  if (record_cmd->parsed()) return RunTrace(record, *out, std::cerr);
  if (serve_cmd->parsed()) return RunServe(serve, std::cerr);
  int code = kExitBadInput;
  if (ns_cmd->parsed()) code = RunNs(ns, *out, std::cerr);
  if (goroutines_cmd->parsed()) code = RunGoroutines(goroutines, *out, std::cerr);
  if (code != kExitFailure && code != kExitBadInput &&
      WrittenOrReport(*out, std::cerr) != kExitOk) {
    return kExitFailure;
  }
  return code;
}

}  // namespace gotap::cli
