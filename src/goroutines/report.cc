#include "goroutines/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "base/escape.h"
#include "base/json_writer.h"

namespace gotap::goroutines {
namespace {

std::vector<Count> CountBy(const std::vector<const Goroutine*>& gs,
                           std::string (*key)(const Goroutine&)) {
  std::map<std::string, size_t> counts;
  for (const Goroutine* g : gs) ++counts[key(*g)];
  std::vector<Count> out;
  for (auto& [k, n] : counts) out.push_back({k, n});
  std::stable_sort(out.begin(), out.end(),
                   [](const Count& a, const Count& b) { return a.count > b.count; });
  return out;
}

std::string StateOf(const Goroutine& g) { return g.State(); }
std::string TopOf(const Goroutine& g) { return g.TopFunction(); }

void WriteTextLine(const Goroutine& g, const ReportOptions& options, std::string* out) {
  std::string state = EscapeForTerminal(g.State());
  if (g.scanning) state += " (scan)";
  if (g.waiting_ns) state += ", " + FormatDuration(*g.waiting_ns);
  if (g.locked_to_thread) state += ", locked to thread";
  *out += fmt::format("goroutine {} [{}]", g.goid, state);
  if (g.thread_id) *out += fmt::format(" tid {}", *g.thread_id);
  *out += " \u2014 " + EscapeForTerminal(g.TopFunction());
  if (g.status == kGrunning) *out += " (running: start function)";
  if (!g.created_by.empty()) {
    *out += "  (created by " + EscapeForTerminal(g.created_by);
    if (g.parent_goid) *out += fmt::format(" in goroutine {}", *g.parent_goid);
    *out += ")";
  }
  if (g.changed) *out += "  [changed while read]";
  *out += "\n";
  if (!options.stacks) return;
  for (const Frame& f : g.frames) {
    *out += fmt::format("    {}{}\n        {}:{}", EscapeForTerminal(f.function),
                        f.inlined ? " (inlined)" : "", EscapeForTerminal(f.file), f.line);
    *out += f.inlined ? "\n" : fmt::format(" +{:#x}\n", f.offset);
  }
  if (!g.unwind_error.empty()) *out += "    ... " + EscapeForTerminal(g.unwind_error) + "\n";
  if (!g.created_at.empty()) {
    *out += "    created at " + EscapeForTerminal(g.created_at) + "\n";
  }
}

void WriteJsonLine(const Goroutine& g, const ReportOptions& options, std::string* out) {
  JsonWriter w(out);
  w.BeginObject();
  w.Key("goid").Int(g.goid);
  w.Key("status").String(g.status_name);
  w.Key("state").String(g.State());
  if (!g.wait_reason.empty()) w.Key("wait_reason").String(g.wait_reason);
  if (g.waiting_ns) w.Key("waiting_ns").Int(*g.waiting_ns);
  if (g.thread_id) w.Key("tid").Uint(*g.thread_id);
  w.Key("func").String(g.TopFunction());
  w.Key("start_func").String(g.start_function);
  if (!g.created_by.empty()) w.Key("created_by").String(g.created_by);
  if (!g.created_at.empty()) w.Key("created_at").String(g.created_at);
  if (g.parent_goid) w.Key("parent_goid").Int(*g.parent_goid);
  w.Key("locked_to_thread").Bool(g.locked_to_thread);
  if (g.locked_tid) w.Key("locked_tid").Uint(*g.locked_tid);
  w.Key("system").Bool(g.system);
  w.Key("scanning").Bool(g.scanning);
  w.Key("changed").Bool(g.changed);
  w.Key("g").Uint(g.g);
  if (options.stacks) {
    w.Key("frames").BeginArray();
    for (const Frame& f : g.frames) {
      w.BeginObject();
      w.Key("func").String(f.function);
      w.Key("file").String(f.file);
      w.Key("line").Int(f.line);
      w.Key("inlined").Bool(f.inlined);
      w.Key("pc").Uint(f.pc);
      w.Key("offset").Uint(f.offset);
      w.Key("shown").Bool(f.Shown());
      w.EndObject();
    }
    w.EndArray();
    if (!g.unwind_error.empty()) w.Key("unwind_error").String(g.unwind_error);
  }
  w.EndObject();
  *out += "\n";
}

void WriteCounts(JsonWriter& w, const char* name, const char* key_name,
                 const std::vector<Count>& counts) {
  w.Key(name).BeginArray();
  for (const Count& c : counts) {
    w.BeginObject().Key(key_name).String(c.key).Key("count").Uint(c.count).EndObject();
  }
  w.EndArray();
}

}  // namespace

bool Matches(const Goroutine& g, std::string_view filter) {
  if (filter.empty() || filter == g.State() || filter == g.status_name) return true;
  auto has = [&](std::string_view s) { return s.find(filter) != std::string_view::npos; };
  if (has(g.start_function) || has(g.created_by)) return true;
  return std::any_of(g.frames.begin(), g.frames.end(),
                     [&](const Frame& f) { return has(f.function); });
}

std::string FormatDuration(int64_t ns) {
  if (ns < 0) ns = 0;
  int64_t ms = ns / 1'000'000;
  if (ms < 1000) return fmt::format("{}ms", ms);
  int64_t s = ms / 1000;
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{}s", s / 60, s % 60);
  return fmt::format("{}h{}m", s / 3600, s / 60 % 60);
}

std::vector<Count> CountStates(const std::vector<const Goroutine*>& gs) {
  return CountBy(gs, StateOf);
}
std::vector<Count> CountTopFunctions(const std::vector<const Goroutine*>& gs) {
  return CountBy(gs, TopOf);
}

void WriteReport(const Snapshot& snapshot, const ReportOptions& options, std::ostream& out) {
  std::vector<const Goroutine*> shown;
  for (const Goroutine& g : snapshot.goroutines) {
    if (Matches(g, options.filter)) shown.push_back(&g);
  }
  std::string text;
  size_t changed = 0;
  for (const Goroutine* g : shown) {
    if (g->changed) ++changed;
    if (options.json) {
      WriteJsonLine(*g, options, &text);
    } else {
      WriteTextLine(*g, options, &text);
    }
    if (text.size() > (1 << 16)) {
      out << text;
      text.clear();
    }
  }
  std::vector<Count> states = CountStates(shown), tops = CountTopFunctions(shown);
  if (options.json) {
    JsonWriter w(&text);
    w.BeginObject().Key("summary").BeginObject();
    w.Key("goroutines").Uint(shown.size());
    w.Key("listed_of").Uint(snapshot.goroutines.size());
    w.Key("changed").Uint(changed);
    WriteCounts(w, "by_state", "state", states);
    WriteCounts(w, "by_function", "func", tops);
    w.Key("go_version").String(snapshot.info.go_version);
    w.Key("allgs_found_by").String(snapshot.info.allgs_found_by);
    w.Key("wait_reasons_from").String(snapshot.info.wait_reasons_from);
    w.Key("layout").String(snapshot.info.layout);
    w.Key("load_bias").Uint(snapshot.info.load_bias);
    w.EndObject().EndObject();
    text += "\n";
  } else {
    text += fmt::format("\n{} goroutines", shown.size());
    if (shown.size() != snapshot.goroutines.size()) {
      text += fmt::format(" (of {})", snapshot.goroutines.size());
    }
    if (changed > 0) text += fmt::format(", {} changed while read", changed);
    text += "\nby state:\n";
    for (const Count& c : states) {
      text += fmt::format("  {:>7}  {}\n", c.count, EscapeForTerminal(c.key));
    }
    text += "by function:\n";
    for (const Count& c : tops) {
      text += fmt::format("  {:>7}  {}\n", c.count, EscapeForTerminal(c.key));
    }
  }
  out << text;
}

}  // namespace gotap::goroutines
