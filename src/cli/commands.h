// Subcommands. Each takes its parsed options and returns a process exit code (see app.h).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace gotap::cli {

struct InfoOptions {
  std::string binary;
  bool json = false;
};
int RunInfo(const InfoOptions& options, std::ostream& out, std::ostream& err);

struct FuncsOptions {
  std::string binary;
  std::vector<std::string> globs;  // empty: all functions
  bool json = false;
};
int RunFuncs(const FuncsOptions& options, std::ostream& out, std::ostream& err);

}  // namespace gotap::cli
