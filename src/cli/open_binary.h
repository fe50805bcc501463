// Helpers shared by subcommands: opening a target binary with the one-line error every command
// prints, and JSON output that stays valid whatever bytes the target holds.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <ostream>
#include <string>

#include "gobin/binary.h"

namespace gotap::cli {

// On failure prints "gotap: PATH: reason" to `err` and returns nullptr (exit code 2).
std::unique_ptr<gobin::Binary> OpenBinaryOrReport(const std::string& path, std::ostream& err);

// kExitOk once everything written to `out` reached it; otherwise prints "gotap: cannot write
// NAME: reason" to `err` and returns kExitFailure.
int WrittenOrReport(std::ostream& out, std::ostream& err);

// One line of JSON; invalid UTF-8 from a target is replaced with U+FFFD instead of throwing.
std::string DumpJson(const nlohmann::json& value);

}  // namespace gotap::cli
