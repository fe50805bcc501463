#include "output/call_sink.h"

#include <fmt/format.h>

#include "base/clock.h"
#include "base/escape.h"
#include "base/json_writer.h"
#include "decode/render.h"

namespace gotap::output {

const char* CallKindName(CallKind kind) {
  switch (kind) {
    case CallKind::kCall:
      return "call";
    case CallKind::kUnwound:
      return "unwound";
    case CallKind::kEntryOnly:
      return "entry";
    case CallKind::kRunningAtExit:
      return "running_at_exit";
  }
  return "?";
}

std::string LaneName(const CallEvent& e) {
  return e.system_stack ? fmt::format("system stack of thread {}", e.tid)
                        : fmt::format("goroutine {}", e.goid);
}

std::string FormatDuration(uint64_t ns) {
  if (ns < 1000) return fmt::format("{}ns", ns);
  if (ns < 1000000) return fmt::format("{:.1f}µs", ns / 1e3);
  if (ns < 1000000000) return fmt::format("{:.1f}ms", ns / 1e6);
  return fmt::format("{:.2f}s", ns / 1e9);
}

namespace {

// Flushes the buffer to the stream once it holds a few pages.
constexpr size_t kFlushBytes = 32 << 10;

}  // namespace

std::string FormatValueList(const std::vector<decode::CapturedValue>& values, bool names) {
  std::string out;
  for (const auto& v : values) {
    if (!out.empty()) out += ", ";
    if (names) out += EscapeForTerminal(v.name) + "=";
    out += decode::RenderText(v);
  }
  return out;
}

namespace {

class TextSink : public CallSink {
 public:
  explicit TextSink(std::ostream& out) : out_(out) {}
  ~TextSink() override { Flush(); }

  void Write(const CallEvent& e) override {
    std::string tid = e.return_tid != 0 && e.return_tid != e.tid
                          ? fmt::format("{}→{}", e.tid, e.return_tid)
                          : std::to_string(e.tid);
    fmt::format_to(std::back_inserter(buffer_), "{} pid={} tid={} g={} {}({})",
                   FormatTimeOfDay(e.ts_ns), e.pid, tid,
                   e.system_stack ? std::string("0(system stack)") : std::to_string(e.goid),
                   EscapeForTerminal(e.func),
                   e.args_missing ? "<arguments lost>" : FormatValueList(e.args, true));
    switch (e.kind) {
      case CallKind::kCall: {
        std::string results = FormatValueList(e.results, false);
        if (e.tail_call) {
          buffer_ += " ⤳ tail call";
        } else if (e.results_unknown) {
          buffer_ += " → ?";
        } else if (e.results.size() == 1) {
          buffer_ += " → " + results;
        } else if (e.results.size() > 1) {
          buffer_ += " → (" + results + ")";
        }
        buffer_ += "  " + FormatDuration(e.duration_ns);
        break;
      }
      case CallKind::kUnwound:
        buffer_ += e.system_stack ? " ↯ abandoned (the scheduler reset this system stack) within "
                                  : " ↯ unwound (panic or Goexit) within ";
        buffer_ += FormatDuration(e.duration_ns);
        break;
      case CallKind::kEntryOnly:
        buffer_ +=
            " (entry only: " + (e.no_return.empty() ? "no exit to probe" : e.no_return) + ")";
        break;
      case CallKind::kRunningAtExit:
        buffer_ += " … still running when tracing stopped (" + FormatDuration(e.duration_ns) + ")";
        break;
    }
    if (e.truncated) buffer_ += "  " + TruncationNote(e);
    for (const auto& [name, inum] : e.ns)
      fmt::format_to(std::back_inserter(buffer_), " {}:[{}]", name, inum);
    buffer_ += '\n';
    if (buffer_.size() > kFlushBytes) Flush();
  }

  void Flush() override {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    out_.flush();
    buffer_.clear();
  }

 private:
  std::ostream& out_;
  std::string buffer_;
};

}  // namespace

std::vector<std::string> ValuesCutShort(const CallEvent& e) {
  std::vector<std::string> names;
  for (const auto* list : {&e.args, &e.results}) {
    for (const decode::CapturedValue& v : *list) {
      for (decode::ByteState s : v.state) {
        if (s == decode::ByteState::kNotCaptured) {
          names.push_back(v.name);
          break;
        }
      }
    }
  }
  return names;
}

std::string TruncationNote(const CallEvent& e) {
  std::string note = "[truncated: the record's capture area was full";
  std::vector<std::string> cut = ValuesCutShort(e);
  for (size_t i = 0; i < cut.size(); ++i) note += (i ? ", " : "; not captured: ") + cut[i];
  return note + "]";
}

void WriteJsonValues(const std::vector<decode::CapturedValue>& values, JsonWriter* w) {
  w->BeginArray();
  for (const auto& v : values) {
    w->BeginObject().Key("name").String(v.name).Key("type").String(v.type->name);
    w->Key("value");
    decode::RenderJson(v, w);
    std::string why = decode::Unavailable(v);
    if (!why.empty()) w->Key("unavailable").String(why);
    for (const auto& [offset, p] : v.pointees) {
      uint64_t len = v.Word(offset + 8, 8);
      if (!p.read_failed && len > p.bytes.size()) {
        w->Key("truncated_bytes").Uint(len - p.bytes.size());
        break;
      }
    }
    w->EndObject();
  }
  w->EndArray();
}

namespace {

class JsonSink : public CallSink {
 public:
  explicit JsonSink(std::ostream& out) : out_(out) {}
  ~JsonSink() override { Flush(); }

  void Write(const CallEvent& e) override {
    JsonWriter w(&buffer_);
    w.BeginObject().Key("event").String(CallKindName(e.kind)).Key("ts_ns").Uint(e.ts_ns);
    w.Key("pid").Uint(e.pid).Key("tid").Uint(e.tid);
    if (e.return_tid != 0) w.Key("return_tid").Uint(e.return_tid);
    w.Key("goid").Uint(e.goid);
    if (e.system_stack) w.Key("system_stack").Bool(true);
    w.Key("level").Uint(e.level).Key("func").String(e.func);
    w.Key("args");
    WriteJsonValues(e.args, &w);
    if (e.args_missing) w.Key("args_lost").Bool(true);
    w.Key("results");
    WriteJsonValues(e.results, &w);
    if (e.tail_call) w.Key("tail_call").Bool(true);
    if (e.results_unknown && e.kind == CallKind::kCall) w.Key("results_unknown").Bool(true);
    if (!e.no_return.empty()) w.Key("no_return").String(e.no_return);
    w.Key("duration_ns");
    e.kind == CallKind::kEntryOnly ? w.Null() : w.Uint(e.duration_ns);
    if (e.truncated) {
      w.Key("truncated").Bool(true);
      w.Key("truncated_values").BeginArray();
      for (const std::string& name : ValuesCutShort(e)) w.String(name);
      w.EndArray();
    }
    if (!e.ns.empty()) {
      w.Key("ns").BeginObject();
      for (const auto& [name, inum] : e.ns) w.Key(name).Uint(inum);
      w.EndObject();
    }
    w.EndObject();
    buffer_ += '\n';
    if (buffer_.size() > kFlushBytes) Flush();
  }

  void Flush() override {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    out_.flush();
    buffer_.clear();
  }

 private:
  std::ostream& out_;
  std::string buffer_;
};

}  // namespace

std::unique_ptr<CallSink> MakeTextSink(std::ostream& out) {
  return std::make_unique<TextSink>(out);
}
std::unique_ptr<CallSink> MakeJsonSink(std::ostream& out) {
  return std::make_unique<JsonSink>(out);
}

}  // namespace gotap::output
