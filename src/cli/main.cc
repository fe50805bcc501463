// gotap: trace live Go programs from outside with eBPF. Subcommands live in src/cli/*_command.cc.
#include "cli/app.h"

int main(int argc, char** argv) { return gotap::cli::Run(argc, argv); }
