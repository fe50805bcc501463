#include "trace_events.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "trace_process.h"

namespace gotap::testing {
namespace {

// The number after `label` in `text`, if `label` occurs.
std::optional<uint64_t> NumberAfter(const std::string& text, const std::string& label) {
  size_t at = text.find(label);
  if (at == std::string::npos) return std::nullopt;
  const char* start = text.c_str() + at + label.size();
  char* end = nullptr;
  unsigned long long n = std::strtoull(start, &end, 10);
  if (end == start) return std::nullopt;
  return n;
}

}  // namespace

std::string Fixture(const std::string& name) { return std::string(GOTAP_FIXTURE_DIR) + "/" + name; }

RunResult RunGotapWithin(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  std::vector<std::string> argv = {GOTAP_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  auto gotap = ChildProcess::Start(argv);
  gotap->CloseStdin();
  std::optional<int> status = gotap->Wait(timeout);
  if (!status) {
    ADD_FAILURE() << "gotap did not finish within " << timeout.count()
                  << " s; stderr: " << gotap->err();
    gotap->Signal(SIGKILL);
    status = gotap->Wait(std::chrono::seconds(10));
  }
  RunResult r;
  if (status && WIFEXITED(*status)) r.exit_code = WEXITSTATUS(*status);
  if (status && WIFSIGNALED(*status)) r.signal = WTERMSIG(*status);
  r.out = gotap->out();
  r.err = gotap->err();
  return r;
}

TraceRun RunTraceJson(const std::vector<std::string>& args) {
  char path[] = "/tmp/gotap-e2e-events-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  std::vector<std::string> full = {"trace", "--json", "-o", path};
  full.insert(full.end(), args.begin(), args.end());
  TraceRun trace;
  trace.run = RunGotapWithin(full, std::chrono::seconds(90));
  std::string text = ReadText(path);
  unlink(path);
  trace.events = ParseJsonLines(text);
  return trace;
}

void ExpectCleanRun(const TraceRun& t, uint64_t calls) {
  EXPECT_EQ(t.run.signal, 0);
  EXPECT_EQ(t.run.exit_code, 0) << t.run.err;
  EXPECT_EQ(CommandExitStatus(t.run.err), 0) << t.run.err;
  auto summary = ParseSummary(t.run.err);
  ASSERT_TRUE(summary) << t.run.err;
  EXPECT_EQ(summary->calls, calls) << t.run.err;
  EXPECT_EQ(summary->unwound + summary->entry_only + summary->running_at_exit, 0u) << t.run.err;
  EXPECT_EQ(summary->lost, 0u) << t.run.err;
}

std::vector<Json> ParseJsonLines(const std::string& text) {
  std::vector<Json> events;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    Json event = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!event.is_object()) {
      ADD_FAILURE() << "not a JSON object: " << line;
      continue;
    }
    events.push_back(std::move(event));
  }
  return events;
}

std::optional<TraceSummary> ParseSummary(const std::string& err) {
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("gotap: ", 0) != 0 || line.find(" calls in ") == std::string::npos) continue;
    auto calls = NumberAfter(line, "gotap: ");
    auto unwound = NumberAfter(line, "; unwound ");
    auto entry_only = NumberAfter(line, ", entry-only ");
    auto running = NumberAfter(line, ", running at exit ");
    auto lost = NumberAfter(line, "; events lost ");
    if (!calls || !unwound || !entry_only || !running || !lost) return std::nullopt;
    return TraceSummary{*calls, *unwound, *entry_only, *running, *lost};
  }
  return std::nullopt;
}

std::optional<int> CommandExitStatus(const std::string& err) {
  auto status = NumberAfter(err, "gotap: command exited with status ");
  if (!status) return std::nullopt;
  return static_cast<int>(*status);
}

std::vector<Json> EventsOf(const std::vector<Json>& events, const std::string& func) {
  std::vector<Json> of;
  for (const Json& e : events) {
    if (e.value("func", "") == func) of.push_back(e);
  }
  return of;
}

Json Field(const Json& event, const std::string& list, const std::string& name) {
  if (!event.contains(list) || !event[list].is_array()) return Json();
  for (const Json& entry : event[list]) {
    if (entry.is_object() && entry.value("name", "") == name) return entry;
  }
  return Json();
}

Json ValueOf(const Json& event, const std::string& list, const std::string& name) {
  Json field = Field(event, list, name);
  return field.is_object() && field.contains("value") ? field["value"] : Json();
}

}  // namespace gotap::testing
