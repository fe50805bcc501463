// Reading what `gotap trace --json` reports, for end-to-end tests: the JSON lines (one object per
// call: "event", "ts_ns", "pid", "tid", "return_tid", "goid", "func", "args", "results",
// "duration_ns") and the summary paragraph on stderr.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "run_gotap.h"

namespace gotap::testing {

using Json = nlohmann::json;

// gotap's own build of the Go fixture `name`, e.g. "swapper.default".
std::string Fixture(const std::string& name);

// Runs GOTAP_BINARY with `args` like RunGotap (stdin at end of file), but a run that takes
// longer than `timeout` is a test failure and is killed, instead of hanging the test.
RunResult RunGotapWithin(const std::vector<std::string>& args, std::chrono::seconds timeout);

// One `gotap trace --json -o FILE ARGS...` run (within 90 s): the events it wrote to FILE, and its
// exit, stdout (which in spawn mode carries the command's output) and stderr.
struct TraceRun {
  RunResult run;
  std::vector<Json> events;
};
TraceRun RunTraceJson(const std::vector<std::string>& args);

// Expects gotap and the command it spawned both to have exited 0, and the summary to count
// `calls` completed calls and nothing unwound, entry-only, running at exit or lost.
void ExpectCleanRun(const TraceRun& t, uint64_t calls);

// Parses JSON lines; a line that is not a JSON object is a test failure (and is skipped).
std::vector<Json> ParseJsonLines(const std::string& text);

// The numbers of the summary line "gotap: N calls in …; unwound U, entry-only E, running at exit
// R; events lost L".
struct TraceSummary {
  uint64_t calls = 0, unwound = 0, entry_only = 0, running_at_exit = 0, lost = 0;
};
std::optional<TraceSummary> ParseSummary(const std::string& err);

// N from "gotap: command exited with status N" on stderr (spawn mode).
std::optional<int> CommandExitStatus(const std::string& err);

// The events of function `func`, in the order gotap wrote them.
std::vector<Json> EventsOf(const std::vector<Json>& events, const std::string& func);

// The entry named `name` ({"name", "type", "value", ...}) in event[list] ("args" or "results");
// a null JSON value if there is none.
Json Field(const Json& event, const std::string& list, const std::string& name);

// Field(...)["value"], or null.
Json ValueOf(const Json& event, const std::string& list, const std::string& name);

}  // namespace gotap::testing
