#include "cli/app.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>

#include "cli/commands.h"

namespace gotap::cli {

int Run(int argc, char** argv) {
  CLI::App app{"gotap: trace live Go programs from outside, with eBPF, the way Go sees them."};
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  gotap info ./server                     # Go version, ABI, functions, goid offset\n"
      "  gotap funcs ./server 'main.*'           # functions, entry and return probe sites\n"
      "  gotap funcs --json ./server '*Parse*'   # JSON lines for scripts\n"
      "  gotap trace ./server 'main.(*Store).Get' # calls: arguments, results, latency\n"
      "\nRun 'gotap SUBCOMMAND --help' for the options of each subcommand.");

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
  trace_cmd->add_option("ARGS", trace.positionals,
                        "[BINARY] PROBE...: a Go binary (every process running it, now and later) "
                        "unless -p or -- is given; probes are Go names, globs or signatures");
  trace_cmd->add_option("-p,--pid", trace.pid, "Trace one running process");
  trace_cmd->add_flag("--json", trace.json, "Print JSON lines");
  trace_cmd->add_flag(
      "--count", trace.count,
      "Only count calls per function, in the kernel (entry probes only, no events); "
      "prints the counts at the end");
  trace_cmd->add_option("--duration", trace.duration, "Stop after this long (5s, 250ms, 2m)");
  trace_cmd->add_option("--max-events", trace.max_events, "Stop after this many events");
  trace_cmd->add_option("-o,--output", trace.output, "Write events to FILE instead of stdout");
  trace_cmd
      ->add_option("--strlen", trace.string_length,
                   "Bytes of string and []byte contents to copy (default 64)")
      ->check(CLI::Range(0, 512));
  trace_cmd->footer(
      "Examples:\n"
      "  gotap trace ./server 'main.(*Store).Get'\n"
      "  gotap trace -p 4242 'net/http.(*conn).serve' 'main.*'\n"
      "  gotap trace -- ./swapper hello go                  # spawn; probes default to main.*\n"
      "  gotap trace -p 4242 'main.swap(x string, y string) (string, string)'   # stripped binary\n"
      "  gotap trace --json --duration 10s -o calls.jsonl ./server 'main.*'\n"
      "\nA signature gives types where the binary has no DWARF: parameters after the receiver "
      "(a pointer receiver (*T) is implied), then results.\nCtrl-C detaches and prints a "
      "summary (calls per function, events lost) on stderr.");

  TraceOptions latency;
  latency.latency = true;
  CLI::App* latency_cmd = app.add_subcommand(
      "latency", "Latency histograms per function, aggregated in the kernel (no per-call events)");
  latency_cmd->add_option("ARGS", latency.positionals,
                          "[BINARY] PROBE...: as for trace (names, globs, -p, -- COMMAND)");
  latency_cmd->add_option("-p,--pid", latency.pid, "One running process");
  latency_cmd->add_option("-i,--interval", latency.interval,
                          "Print a report every interval (1s, 500ms); Ctrl-C prints the last");
  latency_cmd->add_flag("--cumulative", latency.cumulative,
                        "Interval reports accumulate instead of starting afresh");
  latency_cmd->add_flag("--json", latency.json, "One JSON object per function and report");
  latency_cmd->add_option("--duration", latency.duration, "Stop after this long");
  latency_cmd->add_option("-o,--output", latency.output, "Write reports to FILE");
  latency_cmd->footer(
      "Examples:\n"
      "  gotap latency ./server 'main.(*Store).Get'\n"
      "  gotap latency -p 4242 -i 1s 'net/http.(*conn).serve'\n"
      "  gotap latency --json 'main.*' -- ./worker -n 1000\n"
      "\nPercentiles come from four linear sub-buckets per power of two: each is within 12.5% of "
      "the exact value.");

  // Everything after "--" is the command to spawn under `trace` or `latency`.
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") {
      trace.command.assign(args.begin() + static_cast<ptrdiff_t>(i) + 1, args.end());
      latency.command = trace.command;
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
  if (info_cmd->parsed()) return RunInfo(info, std::cout, std::cerr);
  if (funcs_cmd->parsed()) return RunFuncs(funcs, std::cout, std::cerr);
  if (trace_cmd->parsed()) return RunTrace(trace, std::cout, std::cerr);
  if (latency_cmd->parsed()) return RunTrace(latency, std::cout, std::cerr);
  return kExitBadInput;
}

}  // namespace gotap::cli
