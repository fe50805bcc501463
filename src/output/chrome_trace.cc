#include "output/chrome_trace.h"

#include <fmt/format.h>

#include <set>
#include <utility>

#include "base/json_writer.h"
#include "decode/render.h"

namespace gotap::output {
namespace {

constexpr size_t kFlushBytes = 64 << 10;

// ns → µs with three decimals, exactly (no floating point rounding between ts and dur).
std::string Micros(uint64_t ns) { return fmt::format("{}.{:03}", ns / 1000, ns % 1000); }

class ChromeTraceSink : public CallSink {
 public:
  ChromeTraceSink(std::ostream& out, std::string process_label)
      : out_(out), label_(std::move(process_label)) {
    buffer_ = "[\n";
  }
  ~ChromeTraceSink() override { Finish(); }

  void Finish() override {
    if (!finished_) buffer_ += "]\n";
    finished_ = true;
    Flush();
  }

  void Write(const CallEvent& e) override {
    if (!started_) {
      start_ns_ = e.ts_ns;
      started_ = true;
    }
    if (processes_.insert(e.pid).second) {
      Event([&](JsonWriter& w) {
        w.Key("ph").String("M").Key("name").String("process_name").Key("pid").Uint(e.pid);
        w.Key("tid").Uint(0).Key("args").BeginObject().Key("name").String(
            fmt::format("{} (pid {})", label_, e.pid));
        w.EndObject();
      });
    }
    const uint64_t lane = Lane(e);
    if (goroutines_.insert({e.pid, lane}).second) {
      Event([&](JsonWriter& w) {
        w.Key("ph").String("M").Key("name").String("thread_name").Key("pid").Uint(e.pid);
        w.Key("tid").Uint(lane).Key("args").BeginObject().Key("name").String(LaneName(e));
        w.EndObject();
      });
      Event([&](JsonWriter& w) {
        w.Key("ph").String("M").Key("name").String("thread_sort_index").Key("pid").Uint(e.pid);
        w.Key("tid").Uint(lane).Key("args").BeginObject().Key("sort_index").Uint(lane);
        w.EndObject();
      });
    }
    // A call recorded before the first one ended (an outer call) starts before start_ns_.
    int64_t rel = static_cast<int64_t>(e.ts_ns - start_ns_);
    std::string ts =
        rel >= 0 ? Micros(static_cast<uint64_t>(rel)) : "-" + Micros(static_cast<uint64_t>(-rel));
    Event([&](JsonWriter& w) {
      w.Key("ph").String("X").Key("name").String(e.func).Key("cat").String(CallKindName(e.kind));
      w.Key("pid").Uint(e.pid).Key("tid").Uint(lane).Key("ts").Raw(ts);
      w.Key("dur").Raw(Micros(e.kind == CallKind::kEntryOnly ? 0 : e.duration_ns));
      w.Key("args").BeginObject();
      for (const auto& v : e.args) {
        w.Key(v.name);
        decode::RenderJson(v, &w);
      }
      for (size_t i = 0; i < e.results.size(); ++i) {
        const auto& v = e.results[i];
        w.Key(v.name.empty() ? fmt::format("result{}", i) : v.name);
        decode::RenderJson(v, &w);
      }
      if (e.args_missing) w.Key("args_lost").Bool(true);
      for (const auto& [name, inum] : e.ns) w.Key("ns." + name).Uint(inum);
      w.Key("tid").Uint(e.tid);
      if (e.return_tid != 0 && e.return_tid != e.tid) w.Key("return_tid").Uint(e.return_tid);
      w.EndObject();
    });
  }

  void Flush() override {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    out_.flush();
    buffer_.clear();
  }

 private:
  template <typename Fill>
  void Event(Fill fill) {
    if (events_++ > 0) buffer_ += ",\n";
    JsonWriter w(&buffer_);
    w.BeginObject();
    fill(w);
    w.EndObject();
    if (buffer_.size() > kFlushBytes) Flush();
  }

  std::ostream& out_;
  std::string label_;
  std::string buffer_;
  uint64_t events_ = 0;
  bool started_ = false;
  bool finished_ = false;  // the closing "]" is in the buffer or written
  uint64_t start_ns_ = 0;
  std::set<uint32_t> processes_;
  std::set<std::pair<uint32_t, uint64_t>> goroutines_;
};

}  // namespace

std::unique_ptr<CallSink> MakeChromeTraceSink(std::ostream& out, std::string process_label) {
  return std::make_unique<ChromeTraceSink>(out, std::move(process_label));
}

}  // namespace gotap::output
