// The gotap command line: parses arguments and dispatches to one subcommand.
#pragma once

namespace gotap::cli {

// Exit codes: 0 success, 1 runtime failure, 2 bad input (usage, unreadable or malformed binary).
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

int Run(int argc, char** argv);

}  // namespace gotap::cli
