// Helpers shared by subcommands: opening a target binary with the one-line error every command
// prints, and JSON output that stays valid whatever bytes the target holds.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "gobin/binary.h"
#include "probe/selector.h"

namespace gotap::cli {

// On failure prints "gotap: PATH: reason" to `err` and returns nullptr (exit code 2).
std::unique_ptr<gobin::Binary> OpenBinaryOrReport(const std::string& path, std::ostream& err);

// Parses probe selectors; InvalidArgument "bad WHAT 'TEXT': reason" (escaped, one line) for
// the first that does not parse. `what` names the option: "probe", "--ctx-from".
StatusOr<std::vector<probe::Selector>> ParseSelectors(const std::vector<std::string>& texts,
                                                      std::string_view what);

// kExitOk once everything written to `out` reached it; otherwise prints "gotap: cannot write
// NAME: reason" to `err` and returns kExitFailure.
int WrittenOrReport(std::ostream& out, std::ostream& err);

// One line of JSON; invalid UTF-8 from a target is replaced with U+FFFD instead of throwing.
std::string DumpJson(const nlohmann::json& value);

}  // namespace gotap::cli
