#include "cli/app.h"

#include <CLI/CLI.hpp>

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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  if (info_cmd->parsed()) return RunInfo(info, std::cout, std::cerr);
  if (funcs_cmd->parsed()) return RunFuncs(funcs, std::cout, std::cerr);
  return kExitBadInput;
}

}  // namespace gotap::cli
